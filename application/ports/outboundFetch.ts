/**
 * The port `m3m.http.fetch` goes through: the adapter (`infrastructure/net/outboundFetch.ts`) enforces the
 * time and size limits and refuses private, loopback and link-local destinations on the resolved address
 * (DESIGN §6). Redirects are not followed: a 3xx comes back to the worker as it is.
 */

export interface OutboundRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

export interface OutboundResponse {
  status: number;
  headers: Record<string, string>;
  /** The body as UTF-8 text. */
  body: string;
}

export interface OutboundFetch {
  /** Rejects with an error whose message is fit for the worker (refused address, timeout, too large…). */
  fetch(request: OutboundRequest): Promise<OutboundResponse>;
}
