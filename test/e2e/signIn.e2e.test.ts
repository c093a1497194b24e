import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';

let e2e: E2e;
beforeAll(async () => {
  e2e = await startE2e();
});
afterAll(() => e2e?.close());

describe('sign in', () => {
  it('on a fresh install says how to create the first admin', async () => {
    const page = await e2e.open();
    await page.goto('/');
    await page.waitForURL('**/sign-in?redirect=%2F');
    await page.getByTestId('first-admin-hint').getByText('m3m new-admin').waitFor();
    await screenshot(page, 'sign-in-first-admin');
    const phone = await e2e.open({ viewport: 'phone', locale: 'ru-RU' });
    await phone.goto('/sign-in');
    await phone.getByTestId('first-admin-hint').getByText('Администратора ещё нет').waitFor();
    await screenshot(phone, 'sign-in-first-admin-phone-ru');
  });

  it('shows the message the API gives for wrong credentials, then signs in and goes back where it was sent from', async () => {
    await e2e.rootToken();
    const page = await e2e.open();
    await page.goto('/profile');
    await page.waitForURL('**/sign-in?redirect=%2Fprofile');
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    expect(await page.getByTestId('first-admin-hint').count()).toBe(0);

    await page.getByLabel('Email').fill(ROOT.email);
    await page.getByLabel('Password').fill('wrong-password-1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('form-error').getByText('The email or the password is wrong.').waitFor();
    await screenshot(page, 'sign-in-error');

    await page.getByLabel('Password').fill(ROOT.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/profile');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
  });

  it('refuses an empty form before sending anything', async () => {
    const page = await e2e.open();
    let logins = 0;
    page.on('request', (r) => {
      if (r.url().endsWith('/api/v1/auth/login')) logins++;
    });
    await page.goto('/sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter a valid email address').waitFor();
    expect(logins).toBe(0);
  });

  it('a 401 anywhere (the session ended) returns to sign-in and back to the page after it', async () => {
    const page = await e2e.open();
    await signIn(page, ROOT.email, ROOT.password);
    await page.goto('/profile');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    // The token stops being valid (as after a password change elsewhere): the next call gets 401.
    await page.evaluate(() => {
      const raw = localStorage.getItem('m3m.session')!;
      localStorage.setItem(
        'm3m.session',
        JSON.stringify({ ...JSON.parse(raw), token: 'expired.token.value' }),
      );
    });
    await page.reload();
    await page.waitForURL('**/sign-in?redirect=%2Fprofile');
    await page.getByText('Your session has ended').waitFor();
    await page.getByLabel('Email').fill(ROOT.email);
    await page.getByLabel('Password').fill(ROOT.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/profile');
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
  });
});
