import { existsSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HttpApp } from './routeKit.ts';

/**
 * The admin UI's Content-Security-Policy: everything from m3m's own origin only. Styles may be inline
 * (Radix, the toaster and Monaco insert <style> elements); `blob:` images are the avatar preview before upload,
 * `blob:` workers are what Monaco's language workers may start as.
 */
export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': WEB_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** Vite puts content-hashed files under assets/: a new build means new names, so they may be kept forever. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const NEVER_STORE = 'no-store';
const REVALIDATE = 'no-cache';

function cacheControlFor(webDir: string, file: string): string {
  const path = relative(webDir, file);
  if (path.startsWith(`assets${sep}`)) return IMMUTABLE;
  if (basename(path).startsWith('index.html')) return NEVER_STORE;
  return REVALIDATE;
}

/**
 * Serves the built admin UI (`M3M_WEB_DIR`) at `/`: static files with their `.br`/`.gz` siblings written at build
 * time, `index.html` for client-side routes, security headers on all of it. Returns whether a UI was there.
 */
export async function registerWebApp(app: HttpApp, webDir: string, notBuiltPage: string): Promise<boolean> {
  if (!existsSync(join(webDir, 'index.html'))) {
    app.get('/', { schema: { hide: true } }, async (_request, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', NEVER_STORE).send(notBuiltPage),
    );
    return false;
  }
  await app.register(fastifyStatic, {
    root: webDir,
    prefix: '/',
    preCompressed: true,
    serveDotFiles: false,
    dotfiles: 'ignore',
    index: ['index.html'],
    setHeaders(reply: FastifyReply, file: string) {
      reply.headers(SECURITY_HEADERS);
      reply.header('cache-control', cacheControlFor(webDir, file));
    },
  });
  return true;
}

/** What the server's own paths are: never answered with the app, a 404 there stays a 404. */
const SERVER_PATHS = ['/api', '/run', '/health'];

/**
 * Client-side routes (`/projects/abc/settings`) get index.html; a missing file (`/assets/x.js`) or a server
 * path stays a 404 so that it fails loudly.
 */
export function wantsWebApp(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] ?? request.url;
  if (SERVER_PATHS.some((p) => path === p || path.startsWith(`${p}/`))) return false;
  const lastSegment = path.slice(path.lastIndexOf('/') + 1);
  return !lastSegment.includes('.') || (request.headers.accept ?? '').includes('text/html');
}
