// Writes the operations of docs/reference/api.md from the OpenAPI document the server serves: `npm run docs:api`.
// Everything above the marker line is written by hand; below it, one section per tag of API_TAGS, in that order.
// test/http/apiReference.test.ts fails when the committed file and the routes differ.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { API_TAGS } from '../infrastructure/http/openApi.ts';
import { serverOpenApiDocument } from './webApiTypes.ts';

export const API_REFERENCE = fileURLToPath(new URL('../docs/reference/api.md', import.meta.url));
export const GENERATED_MARKER = '<!-- Below: generated from the OpenAPI document by `npm run docs:api`. -->';

interface Operation {
  tags?: string[];
  summary?: string;
  security?: unknown[];
}

const METHODS = ['get', 'put', 'post', 'patch', 'delete'];
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/** The generated part: per tag its description and a table of its operations (method, path, summary). */
export function renderOperations(document: Record<string, unknown>): string {
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const lines: string[] = [GENERATED_MARKER, ''];
  for (const tag of API_TAGS) {
    lines.push(
      `## ${tag.name}`,
      '',
      tag.description,
      '',
      '| method | path | what it does |',
      '| --- | --- | --- |',
    );
    for (const [path, operations] of Object.entries(paths)) {
      for (const method of METHODS) {
        const operation = operations[method];
        if (!operation?.tags?.includes(tag.name)) continue;
        const open = Array.isArray(operation.security) && operation.security.length === 0 ? ' (public)' : '';
        lines.push(`| ${method.toUpperCase()} | \`${path}\` | ${cell(operation.summary ?? '')}${open} |`);
      }
    }
    lines.push('');
  }
  return lines.join('\n');
}

/** The file with its generated part replaced. */
export function renderApiReference(current: string, document: Record<string, unknown>): string {
  const at = current.indexOf(GENERATED_MARKER);
  const handWritten = at < 0 ? `${current.trimEnd()}\n\n` : current.slice(0, at);
  return handWritten + renderOperations(document);
}

if (import.meta.main) {
  const current = readFileSync(API_REFERENCE, 'utf8');
  writeFileSync(API_REFERENCE, renderApiReference(current, await serverOpenApiDocument()));
  console.log(`wrote ${API_REFERENCE}`);
}
