import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_REFERENCE, renderApiReference } from '../../scripts/apiReference.ts';
import { serverOpenApiDocument } from '../../scripts/webApiTypes.ts';

describe('docs/reference/api.md', () => {
  it('lists every operation under its tag, as `npm run docs:api` writes it from the served document', async () => {
    const current = readFileSync(API_REFERENCE, 'utf8');
    expect(current).toBe(renderApiReference(current, await serverOpenApiDocument()));
  });
});
