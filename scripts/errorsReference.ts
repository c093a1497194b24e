// Writes docs/reference/errors.md from the error catalogue (application/errorCatalogue.ts): `npm run docs:errors`.
// test/docs/errorsReference.test.ts fails when the committed file and the catalogue differ.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERRORS, type ErrorEntry } from '../application/errorCatalogue.ts';

export const ERRORS_REFERENCE = fileURLToPath(new URL('../docs/reference/errors.md', import.meta.url));

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

export function renderErrorsReference(): string {
  const entries = Object.entries(ERRORS as Record<string, ErrorEntry>);
  const http = entries
    .filter(([, e]) => e.status !== null && e.reportedAs === undefined)
    .sort(([a, x], [b, y]) => (x.status ?? 0) - (y.status ?? 0) || a.localeCompare(b));
  const fields = entries
    .filter(([, e]) => e.reportedAs === 'validation_failed')
    .sort(([a], [b]) => a.localeCompare(b));
  const other = entries.filter(([, e]) => e.status === null).sort(([a], [b]) => a.localeCompare(b));
  const lines = [
    '# Errors',
    '',
    '<!-- Generated from application/errorCatalogue.ts by `npm run docs:errors`: edit the catalogue, not this file. -->',
    '',
    'Every refusal of the API is an [RFC 9457](https://www.rfc-editor.org/rfc/rfc9457) problem',
    '(`Content-Type: application/problem+json`):',
    '',
    '```json',
    '{',
    '  "type": "/api/v1/problems/slug_taken",',
    '  "title": "Slug taken",',
    '  "status": 409,',
    '  "detail": "The slug \\"shop\\" is already taken.",',
    '  "instance": "/api/v1/projects",',
    '  "code": "slug_taken",',
    '  "errors": [{ "field": "body.slug", "code": "slug_taken", "message": "The slug \\"shop\\" is already taken." }],',
    '  "requestId": "req-1a"',
    '}',
    '```',
    '',
    '- `code` is stable and machine-readable: branch on it, not on `detail`, which is meant for people.',
    '- `type` is served by m3m itself: `GET /api/v1/problems/<code>` describes the code (`GET /api/v1/problems`',
    '  lists them all), as this page does.',
    '- `errors[]` names each field at fault as `<part>.<path>` (`body.email`, `querystring.cursor`, `params.id`).',
    '- `requestId` is the id of the request in the server log.',
    '',
    'The CLI refuses with the same codes: the message, then the code in parentheses, and exit code 1',
    '(2 for a command called wrongly).',
    '',
    '## Problems',
    '',
    '| code | status | title | names | meaning |',
    '| --- | --- | --- | --- | --- |',
    ...http.map(
      ([code, e]) =>
        `| \`${code}\` | ${e.status} | ${cell(e.title)} | ${e.field ? `\`${e.field}\`` : ''} | ${cell(e.doc)} |`,
    ),
    '',
    '## Field rules (inside `validation_failed`)',
    '',
    'A mistake in one field of the input is a `400 validation_failed` problem: `errors[]` names the field, and',
    "where the rule is m3m's own (not only the shape the route's schema describes) `errors[].code` is one of:",
    '',
    '| code | field | title | meaning |',
    '| --- | --- | --- | --- |',
    ...fields.map(([code, e]) => `| \`${code}\` | \`${e.field}\` | ${cell(e.title)} | ${cell(e.doc)} |`),
    '',
    '## Start-up, plugins and the CLI',
    '',
    'Never an HTTP answer:',
    '',
    '| code | title | meaning |',
    '| --- | --- | --- |',
    ...other.map(([code, e]) => `| \`${code}\` | ${cell(e.title)} | ${cell(e.doc)} |`),
    '',
  ];
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(ERRORS_REFERENCE, renderErrorsReference());
  console.log(`wrote ${ERRORS_REFERENCE}`);
}
