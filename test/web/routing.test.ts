import { describe, expect, it } from 'vitest';
import { safeRedirect } from '@/app/routes';
import { initialLanguage } from '@/i18n';

describe('the redirect after sign-in', () => {
  it('goes back to a page of this app', () => {
    expect(safeRedirect('/projects/abc/settings?tab=1')).toBe('/projects/abc/settings?tab=1');
  });

  it('never leaves the app or loops back to sign-in', () => {
    for (const bad of [
      'https://evil.example/',
      '//evil.example/x',
      'javascript:alert(1)',
      '/sign-in?redirect=/x',
      42,
      undefined,
    ]) {
      expect(safeRedirect(bad)).toBe('/');
    }
  });
});

describe('the language', () => {
  it('is the remembered one, else the browser’s first that we have, else English', () => {
    expect(initialLanguage('ru', ['en-US'])).toBe('ru');
    expect(initialLanguage(null, ['de-DE', 'ru-RU', 'en'])).toBe('ru');
    expect(initialLanguage('fr', ['fr-FR'])).toBe('en');
    expect(initialLanguage(null, [])).toBe('en');
  });
});
