import { describe, expect, it } from 'vitest';
import { ApiError, formFieldOf, toApiError } from '@/api/problem';

describe('problem+json → ApiError', () => {
  it('keeps the code, the detail and the named fields', () => {
    const error = toApiError(409, {
      type: 'https://m3m.dev/problems/slug_taken',
      title: 'Conflict',
      status: 409,
      code: 'slug_taken',
      detail: 'The slug shop is taken.',
      errors: [{ field: 'body.slug', message: 'is taken' }, { nonsense: true }],
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 409, code: 'slug_taken', detail: 'The slug shop is taken.' });
    expect(error.errors).toEqual([{ field: 'body.slug', message: 'is taken' }]);
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
