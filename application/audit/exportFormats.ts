import type { AuditEntry } from './queries.ts';

/**
 * The lines of an audit export, one entry at a time so that an export is streamed, never built in memory.
 * NDJSON: one entry as the API shows it per line. CSV (RFC 4180): one row per entry, the data as JSON.
 */

export const EXPORT_FORMATS = ['ndjson', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

const CSV_COLUMNS = [
  'position',
  'time',
  'type',
  'stream',
  'actor',
  'actorId',
  'source',
  'projectId',
  'correlationId',
  'causationId',
  'data',
  // Added after `data`: columns only ever come after the existing ones, so a reader by position keeps working.
  'requestId',
  'changes',
] as const;

/**
 * One CSV field. A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a
 * leading `'`: an export is opened by auditors in spreadsheets, and event data is partly user input.
 */
function csvField(value: string | number | null): string {
  let text = value === null ? '' : String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

export function csvRow(entry: AuditEntry): string {
  const cells = [
    entry.position,
    entry.time,
    entry.type,
    entry.stream,
    entry.actor.display,
    entry.actor.id,
    entry.source,
    entry.projectId,
    entry.correlationId,
    entry.causationId,
    JSON.stringify(entry.data),
    entry.requestId,
    entry.changes === null ? null : JSON.stringify(entry.changes),
  ];
  return `${cells.map(csvField).join(',')}\r\n`;
}

export function ndjsonLine(entry: AuditEntry): string {
  return `${JSON.stringify(entry)}\n`;
}

/** The export as text chunks: the header (CSV), then one line per entry. */
export async function* exportLines(
  entries: AsyncIterable<AuditEntry>,
  format: ExportFormat,
): AsyncGenerator<string> {
  if (format === 'csv') yield csvHeader();
  for await (const entry of entries) yield format === 'csv' ? csvRow(entry) : ndjsonLine(entry);
}
