import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import type {
  OutboundFetch,
  OutboundRequest,
  OutboundResponse,
} from '../../application/ports/outboundFetch.ts';

/**
 * Outbound HTTP for `m3m.http.fetch` (and whoever else calls out): http/https only, a time limit, a response
 * size limit, no redirects followed, and — unless `allowPrivate` — no private, loopback, link-local or
 * otherwise special destination. The address is checked where the connection is made: in the socket's
 * `lookup` (so a DNS answer cannot change between check and connect) and, for an IP literal, which Node
 * connects to without a lookup, before the request.
 */

export interface OutboundFetchOptions {
  /** Tests only: allow loopback and private destinations. */
  allowPrivate?: boolean;
  timeoutMs?: number;
  maxResponseBytes?: number;
  /** Keep the first `maxResponseBytes` of a longer response instead of failing (webhooks' delivery log). */
  truncateResponse?: boolean;
  /** Who calls out, in error messages (default `m3m.http.fetch`). */
  label?: string;
}

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
  ['2001:db8::', 32], // documentation
  ['100::', 64], // discard
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** The eight 16-bit groups of an IPv6 address (`isIP(address) === 6`), a dotted IPv4 tail included. */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase().replace(/%.*$/, '');
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const parse = (part: string) => (part ? part.split(':').map((h) => Number.parseInt(h, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * The IPv4 address an IPv6 address carries, where the network would deliver it to that IPv4 address: mapped
 * (`::ffff:0:0/96`), IPv4-compatible (`::/96`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`).
 */
function embeddedIpv4(address: string): string | null {
  const g = ipv6Groups(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 5) && g[5] === 0xffff) return v4(g[6]!, g[7]!);
  if (zeros(0, 6) && (g[6] !== 0 || g[7]! > 1)) return v4(g[6]!, g[7]!); // not :: or ::1
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return v4(g[6]!, g[7]!);
  if (g[0] === 0x2002) return v4(g[1]!, g[2]!);
  return null;
}

/** Whether m3m refuses to connect to this IP address by default. */
export function isForbiddenAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== null) return blocked.check(v4, 'ipv4');
    return blocked.check(address, 'ipv6');
  }
  return true;
}

export class OutboundFetchError extends Error {
  override name = 'FetchError';
}

const refused = (address: string, label = 'm3m.http.fetch') =>
  new OutboundFetchError(
    `${label} refuses private, loopback and link-local addresses (${address}); only public destinations are allowed`,
  );

/** `dns.lookup`, then refuses the connection when any resolved address is forbidden. */
export const safeLookup: LookupFunction = (hostname, options, callback) =>
  safeLookupFor('m3m.http.fetch')(hostname, options, callback);

const safeLookupFor =
  (label: string): LookupFunction =>
  (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const bad = addresses.find((a) => isForbiddenAddress(a.address));
      if (bad) return callback(refused(bad.address, label), '', 0);
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(new OutboundFetchError(`${hostname} has no address`), '', 0);
      return callback(null, first.address, first.family);
    });
  };

export function outboundFetch(options: OutboundFetchOptions = {}): OutboundFetch {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxResponseBytes ?? 1024 * 1024;
  const allowPrivate = options.allowPrivate ?? false;
  const label = options.label ?? 'm3m.http.fetch';
  const lookup = safeLookupFor(label);

  return {
    fetch(request: OutboundRequest): Promise<OutboundResponse> {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        return Promise.reject(new TypeError(`${label}: not a URL: ${request.url.slice(0, 200)}`));
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        return Promise.reject(new TypeError(`${label}: only http and https URLs are allowed`));
      }
      if (url.username || url.password) {
        return Promise.reject(
          new TypeError(`${label}: credentials in the URL are not allowed; send a header`),
        );
      }
      const host = url.hostname.replace(/^\[|\]$/g, '');
      if (!allowPrivate && isIP(host) && isForbiddenAddress(host))
        return Promise.reject(refused(host, label));
      if (!allowPrivate && /^localhost$|\.localhost$/i.test(host))
        return Promise.reject(refused(host, label));

      return new Promise<OutboundResponse>((resolve, reject) => {
        const client = url.protocol === 'https:' ? https : http;
        const req = client.request(url, {
          method: request.method,
          headers: request.headers,
          ...(allowPrivate ? {} : { lookup }),
          agent: false,
        });
        let response: http.IncomingMessage | null = null;
        let settled = false;
        const timer = setTimeout(() => {
          const err = new OutboundFetchError(`${label}: no complete answer within ${timeoutMs / 1000} s`);
          fail(err);
          if (response) response.destroy(err);
          else req.destroy(err);
        }, timeoutMs);
        const fail = (err: Error) => {
          clearTimeout(timer);
          if (settled) return;
          settled = true;
          reject(
            err instanceof OutboundFetchError || err instanceof TypeError
              ? err
              : new OutboundFetchError(`${label} failed: ${err.message}`),
          );
        };
        req.on('error', fail);
        req.on('response', (res) => {
          response = res;
          const chunks: Buffer[] = [];
          let size = 0;
          const finish = () => {
            clearTimeout(timer);
            if (settled) return;
            settled = true;
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({
              status: res.statusCode ?? 0,
              headers,
              body: Buffer.concat(chunks).subarray(0, maxBytes).toString('utf8'),
            });
          };
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes && options.truncateResponse) {
              chunks.push(chunk);
              finish();
              res.destroy();
              return;
            }
            if (size > maxBytes) {
              const err = new OutboundFetchError(`${label}: the response is larger than ${maxBytes} bytes`);
              fail(err);
              res.destroy(err);
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', fail);
          res.on('end', finish);
        });
        req.end(request.body);
      });
    },
  };
}
