import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../infrastructure/http/app.ts';
import type { HttpApp } from '../../infrastructure/http/routeKit.ts';
import { createLogger } from '../../infrastructure/logging.ts';

// A web dir shaped like Vite's build with the precompress step: hashed assets with .br/.gz siblings.
const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/index-Ab12Cd34.js"></script></head><body><div id="root"></div></body></html>';
const SCRIPT = `console.log(${JSON.stringify('m3m '.repeat(500))});`;

let webDir: string;
let app: HttpApp;
let base: string;

async function writeWithCompressed(path: string, body: string) {
  await writeFile(path, body);
  await writeFile(`${path}.gz`, gzipSync(body));
  await writeFile(`${path}.br`, brotliCompressSync(body));
}

beforeAll(async () => {
  webDir = await mkdtemp(join(tmpdir(), 'm3m-web-'));
  await mkdir(join(webDir, 'assets'));
  await mkdir(join(webDir, '.vite'));
  await writeWithCompressed(join(webDir, 'index.html'), INDEX);
  await writeWithCompressed(join(webDir, 'assets/index-Ab12Cd34.js'), SCRIPT);
  await writeFile(join(webDir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  await writeFile(join(webDir, '.vite/manifest.json'), '{}');
  app = await buildHttpApp({
    config: { webDir },
    logger: createLogger({ log: { level: 'silent' } }),
    health: () => ({ status: 'ok' }),
    routes: [
      (api) => {
        api.get('/ping', async () => ({ pong: true }));
      },
    ],
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  base = `http://127.0.0.1:${address.port}`;
});

afterAll(async () => {
  await app.close();
  await rm(webDir, { recursive: true, force: true });
});

// Node's fetch decompresses by itself and hides content-encoding handling; ask for the raw bytes instead.
async function raw(path: string, headers: Record<string, string> = {}) {
  const { request } = await import('node:http');
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the admin UI as served', () => {
  it('serves index.html at / and at client-side routes, never cached, with the security headers', async () => {
    for (const path of ['/', '/projects/abc/settings', '/sign-in?redirect=%2Fusers']) {
      const response = await raw(path, { accept: 'text/html' });
      expect(response.status, path).toBe(200);
      expect(response.headers['content-type'], path).toMatch(/^text\/html/);
      expect(response.body.toString(), path).toBe(INDEX);
      expect(response.headers['cache-control'], path).toBe('no-store');
      const csp = String(response.headers['content-security-policy']);
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
  });

  it('serves hashed assets for a year, brotli or gzip as the browser accepts, varying on it', async () => {
    const br = await raw('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(String(br.headers.vary)).toMatch(/accept-encoding/i);
    expect(brotliDecompressSync(br.body).toString()).toBe(SCRIPT);
    expect(br.body.length).toBeLessThan(SCRIPT.length / 4);

    const gz = await raw('/assets/index-Ab12Cd34.js', { 'accept-encoding': 'gzip' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).toString()).toBe(SCRIPT);

    const plain = await raw('/assets/index-Ab12Cd34.js');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.toString()).toBe(SCRIPT);
  });

  it('compresses the index.html of client-side routes too', async () => {
    const response = await raw('/users', { accept: 'text/html', 'accept-encoding': 'br' });
    expect(response.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(response.body).toString()).toBe(INDEX);
  });

  it('revalidates unhashed files such as the favicon', async () => {
    const response = await raw('/favicon.svg');
    expect(response.status).toBe(200);
    expect(response.headers['cache-control']).toBe('no-cache');
  });

  it('keeps a missing asset, the build manifest and the server paths as 404 problems, not the app', async () => {
    for (const path of [
      '/assets/missing-123.js',
      '/.vite/manifest.json',
      '/api/v1/nope',
      '/api',
      '/run/x/y',
      '/health/x',
    ]) {
      const response = await fetch(`${base}${path}`, { headers: { accept: 'text/html' } });
      if (path === '/assets/missing-123.js' || path === '/.vite/manifest.json') {
        // A browser asking for a file that is not there gets a 404, not the app's HTML in its place.
        const plain = await fetch(`${base}${path}`);
        expect(plain.status, path).toBe(404);
        continue;
      }
      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
  });

  it('leaves the API as it is', async () => {
    const response = await fetch(`${base}/api/v1/ping`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ pong: true });
    expect(response.headers.get('content-security-policy')).toBeNull();
  });
});
