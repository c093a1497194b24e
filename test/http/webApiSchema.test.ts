import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderSchemaTypes, SCHEMA_FILE, serverOpenApiDocument } from '../../scripts/webApiTypes.ts';

describe('web/src/api/schema.d.ts', () => {
  it('is what openapi-typescript makes of the server’s own OpenAPI document (run `npm run gen:api` after changing a route)', async () => {
    const expected = await renderSchemaTypes(await serverOpenApiDocument());
    expect(
      readFileSync(SCHEMA_FILE, 'utf8') === expected,
      'schema.d.ts is out of date: npm run gen:api',
    ).toBe(true);
  });
});
