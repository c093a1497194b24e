import { zodResolver } from '@hookform/resolvers/zod';
import { act, render, renderHook, screen } from '@testing-library/react';
import i18n from 'i18next';
import { useEffect } from 'react';
import { useForm } from 'react-hook-form';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '@/api/problem';
import { FormError } from '@/components/form-error';
import '@/i18n';
import { applyProblem } from '@/lib/forms';
import { problemMessage } from '@/lib/problem-message';
import { PROJECT_SLUG_PATTERN, passwordSchema, slugify } from '@/lib/validation';

afterEach(() => i18n.changeLanguage('en'));

/** A sign-in-like form that receives a refusal from the API and shows it as people see it. */
function RefusedForm({ error }: { error: unknown }) {
  const form = useForm({ defaultValues: { email: '', password: '' } });
  useEffect(() => applyProblem(form, error, i18n.t), [form, error]);
  return <FormError form={form} />;
}

describe('problem+json on a form', () => {
  it('puts each named field’s message under that field', () => {
    const { result } = renderHook(() => useForm({ defaultValues: { name: '', slug: '' } }));
    const error = new ApiError({
      status: 409,
      code: 'slug_taken',
      title: 'Conflict',
      detail: 'The slug shop is taken.',
      errors: [{ field: 'body.slug', message: 'is taken' }],
    });
    act(() => applyProblem(result.current, error, i18n.t));
    expect(result.current.getFieldState('slug').error?.message).toBe('is taken');
    expect(result.current.formState.errors.root?.server).toBeUndefined();
  });

  it('in Russian puts our words for the field’s rule under the field, the API’s words when it names no rule', async () => {
    await act(() => i18n.changeLanguage('ru'));
    const { result } = renderHook(() => useForm({ defaultValues: { name: '', slug: '' } }));
    const error = new ApiError({
      status: 409,
      code: 'slug_taken',
      title: 'Slug taken',
      detail: 'The slug "shop" is already taken.',
      errors: [
        { field: 'body.slug', code: 'slug_taken', message: 'The slug "shop" is already taken.' },
        { field: 'body.name', message: 'must NOT have fewer than 1 characters' },
      ],
    });
    act(() => applyProblem(result.current, error, i18n.t));
    expect(result.current.getFieldState('slug').error?.message).toBe(
      'Такой слаг уже занят. Выберите другой.',
    );
    expect(result.current.getFieldState('name').error?.message).toBe('must NOT have fewer than 1 characters');
  });

  it('shows a refusal that names no field of the form as the form’s own error, in the chosen language', async () => {
    const error = new ApiError({
      status: 401,
      code: 'invalid_credentials',
      title: 'Unauthorized',
      detail: 'The email or the password is wrong.',
    });
    await act(() => i18n.changeLanguage('ru'));
    render(<RefusedForm error={error} />);
    expect((await screen.findByTestId('form-error')).textContent).toBe('Неверный email или пароль.');
  });

  it('falls back to the API’s detail for codes it has no words for, and never shows a 5xx’s internals', () => {
    const unknown = new ApiError({
      status: 400,
      code: 'invalid_trial_end',
      title: 'Bad Request',
      detail: 'The trial end is in the past.',
    });
    expect(problemMessage(i18n.t, unknown)).toBe('The trial end is in the past.');
    const crash = new ApiError({ status: 502, code: 'http_502', title: 'HTTP 502' });
    expect(problemMessage(i18n.t, crash)).toMatch(/server could not do this/);
    expect(problemMessage(i18n.t, new TypeError('x is undefined'))).toBe('Something went wrong. Try again.');
  });
});

describe('form validation before sending', () => {
  it('holds passwords to the API’s rule', async () => {
    const schema = z.object({ password: passwordSchema({ rule: 'rule' }) });
    expect(schema.safeParse({ password: 'short1' }).success).toBe(false);
    expect(schema.safeParse({ password: 'longenoughbutnodigit' }).success).toBe(false);
    expect(schema.safeParse({ password: '1234567890' }).success).toBe(false);
    expect(schema.safeParse({ password: 'good-password-1' }).success).toBe(true);
    const { result } = renderHook(() =>
      useForm({ resolver: zodResolver(schema), defaultValues: { password: 'x' } }),
    );
    await act(() => result.current.trigger());
    expect(result.current.getFieldState('password').error?.message).toBe('rule');
  });

  it('suggests slugs the API accepts', () => {
    expect(slugify('My Shop!')).toBe('my-shop');
    expect(slugify('  Crème brûlée  ')).toBe('creme-brulee');
    expect(slugify('Orders per day', '_')).toBe('orders_per_day');
    expect(slugify('Магазин')).toBe('');
    for (const name of ['My Shop!', '--a--', 'x'.repeat(80), 'Ünïcode Ñame 2']) {
      const slug = slugify(name);
      if (slug) expect(PROJECT_SLUG_PATTERN.test(slug), slug).toBe(true);
    }
  });
});
