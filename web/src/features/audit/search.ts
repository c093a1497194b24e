// Apart from queries.ts: the router loads this with the first page, the queries only with the audit pages.

/** The filters, as they sit in the page's URL (`?actor=…&type=A,B&since=…`). */
export interface AuditSearch {
  actor?: string;
  type?: string;
  stream?: string;
  project?: string;
  since?: string;
  until?: string;
}

const FILTER_KEYS = ['actor', 'type', 'stream', 'project', 'since', 'until'] as const;

export function validateAuditSearch(search: Record<string, unknown>): AuditSearch {
  const out: AuditSearch = {};
  for (const key of FILTER_KEYS) {
    const value = search[key];
    if (typeof value === 'string' && value.trim()) out[key] = value.trim().slice(0, 320);
  }
  return out;
}
