import i18n from 'i18next';
import { describe, expect, it } from 'vitest';
import { ApiError, formFieldOf, toApiError } from '@/api/problem';
import '@/i18n';
import ruJson from '@/i18n/ru.json';
import { fieldMessage, problemMessage } from '@/lib/problem-message';

describe('problem+json → ApiError', () => {
  it('keeps the code, the detail and the named fields with their rule codes', () => {
    const error = toApiError(409, {
      type: 'https://m3m.dev/problems/slug_taken',
      title: 'Conflict',
      status: 409,
      code: 'slug_taken',
      detail: 'The slug shop is taken.',
      errors: [
        { field: 'body.slug', message: 'is taken', code: 'slug_taken' },
        { field: 'body.name', message: 'too long', code: 42 },
        { nonsense: true },
      ],
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'slug_taken', detail: 'The slug shop is taken.' });
    expect(error.errors).toEqual([
      { field: 'body.slug', message: 'is taken', code: 'slug_taken' },
      { field: 'body.name', message: 'too long' },
    ]);
  });

  it('turns anything else (an HTML error page, nothing) into an error with a code from the status', () => {
    const html = toApiError(502, '<html>Bad Gateway</html>');
    expect(html).toMatchObject({ status: 502, code: 'http_502', errors: [] });
    expect(html.message).not.toContain('<html>');
    expect(toApiError(500, undefined).code).toBe('http_500');
  });

  it('reads Retry-After', () => {
    const error = toApiError(
      429,
      { code: 'too_many_requests', title: 'Too Many Requests' },
      new Headers({ 'retry-after': '42' }),
    );
    expect(error.retryAfterSeconds).toBe(42);
  });

  it('maps API field names onto a form’s fields', () => {
    const fields = ['email', 'slug', 'permissions'];
    expect(formFieldOf('body.email', fields)).toBe('email');
    expect(formFieldOf('body.permissions.0', fields)).toBe('permissions');
    expect(formFieldOf('slug', fields)).toBe('slug');
    expect(formFieldOf('body.confirm', fields)).toBeNull();
    expect(formFieldOf('querystring.cursor', fields)).toBeNull();
  });
});

describe('a refusal in the UI’s language', () => {
  const en = i18n.getFixedT('en');
  const ru = i18n.getFixedT('ru');
  const taken = { field: 'body.slug', code: 'slug_taken', message: 'The slug "shop" is already taken.' };
  const schema = { field: 'body.name', message: 'must NOT have more than 100 characters' };

  it('a field error: the API’s own words in English, our translation of its code in Russian', () => {
    expect(fieldMessage(en, taken)).toBe('The slug "shop" is already taken.');
    expect(fieldMessage(ru, taken)).toBe('Такой слаг уже занят. Выберите другой.');
    const email = {
      field: 'body.email',
      code: 'email_taken',
      message: 'This email address is already used.',
    };
    expect(fieldMessage(ru, email)).toBe('Этот email уже есть у другого пользователя.');
    // A schema check has no code, a newer server may send a code we do not know: the API’s words then.
    expect(fieldMessage(ru, schema)).toBe(schema.message);
    expect(fieldMessage(ru, { ...schema, code: 'brand_new_rule' })).toBe(schema.message);
  });

  it('English: our curated words first, then the API’s detail, never a 5xx’s internals', () => {
    const slug = new ApiError({
      status: 409,
      code: 'slug_taken',
      title: 'Slug taken',
      detail: 'The slug "shop" is …',
    });
    expect(problemMessage(en, slug)).toBe('This slug is taken. Choose another.');
    const email = new ApiError({
      status: 409,
      code: 'email_taken',
      title: 'Email taken',
      detail: 'Used by another.',
    });
    expect(problemMessage(en, email)).toBe('Used by another.');
    const timeout = new ApiError({
      status: 504,
      code: 'worker_timeout',
      title: 'Worker timeout',
      detail: 'at line 3',
    });
    expect(problemMessage(en, timeout)).toMatch(/server could not do this/);
    // No detail: our English words for the code, else for the status.
    expect(problemMessage(en, new ApiError({ status: 409, code: 'goal_exists', title: 'Goal exists' }))).toBe(
      'This goal exists already.',
    );
    expect(problemMessage(en, new ApiError({ status: 404, code: 'http_404', title: 'HTTP 404' }))).toBe(
      'This does not exist (any more).',
    );
  });

  it('Russian: our words for the code (or for the field rule a validation_failed names), never the English detail', () => {
    const email = new ApiError({
      status: 409,
      code: 'email_taken',
      title: 'Email taken',
      detail: 'Used by another.',
    });
    expect(problemMessage(ru, email)).toBe('Этот email уже есть у другого пользователя.');
    const slug = new ApiError({
      status: 400,
      code: 'validation_failed',
      title: 'Validation failed',
      detail: 'A slug is 1–48 lowercase letters…',
      errors: [{ field: 'body.slug', code: 'invalid_slug', message: 'A slug is 1–48 lowercase letters…' }],
    });
    expect(problemMessage(ru, slug)).toMatch(/^Слаг — от 1 до 48/);
    const bySchema = new ApiError({
      status: 400,
      code: 'validation_failed',
      title: 'Validation failed',
      detail: 'The request is invalid.',
      errors: [schema],
    });
    expect(problemMessage(ru, bySchema)).toBe('Некоторые значения заполнены неверно. Проверьте форму.');
    const timeout = new ApiError({
      status: 504,
      code: 'worker_timeout',
      title: 'Worker timeout',
      detail: 'x',
    });
    expect(problemMessage(ru, timeout)).toBe('Воркер не ответил за отведённое время.');
    const throttled = new ApiError({
      status: 429,
      code: 'worker_throttled',
      title: 'Worker throttled',
      retryAfterSeconds: 42,
    });
    expect(problemMessage(ru, throttled)).toContain('Подождите 42 с');
    expect(problemMessage(ru, new ApiError({ status: 502, code: 'http_502', title: 'HTTP 502' }))).toMatch(
      /^Сервер не смог/,
    );
    expect(
      problemMessage(
        ru,
        new ApiError({ status: 418, code: 'http_418', title: 'HTTP 418', detail: 'Teapot' }),
      ),
    ).toBe('Что-то пошло не так. Попробуйте ещё раз.');
  });
});

describe('the catalogue’s codes in Russian', () => {
  // That every code with an HTTP status has words is checked against the catalogue in test/errors/uiWords.test.ts.
  it('are said in Russian by problemMessage and fieldMessage alike, whatever English the API sent', () => {
    const ru = i18n.getFixedT('ru');
    const codes = Object.keys(ruJson.problems);
    expect(codes.length).toBeGreaterThan(90);
    for (const code of codes) {
      const refusal = new ApiError({ status: 400, code, title: 'English title', detail: 'English detail' });
      const text = problemMessage(ru, refusal);
      expect(text, code).toMatch(/[А-Яа-яЁё]/);
      expect(text, code).not.toContain('English');
      expect(fieldMessage(ru, { field: 'body.x', code, message: 'English message' }), code).toBe(text);
    }
  });
});
