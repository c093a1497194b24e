import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect, inject } from 'vitest';
import { ROOT, startTestServer, type TestServer, type TestServerOptions } from '../kit/server.ts';
import { launchChromium } from './browser.ts';

/** `M3M_SCREENSHOTS=/tmp/shots` puts them elsewhere (outside the worktree). */
export const SCREENSHOTS =
  process.env.M3M_SCREENSHOTS ?? join(import.meta.dirname, '../../test-results/screenshots');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;

export interface E2e {
  server: TestServer;
  browser: Browser;
  /** A fresh browser context (own storage: another person) with one page, English unless asked. */
  open(options?: { locale?: 'en-US' | 'ru-RU'; viewport?: keyof typeof VIEWPORTS }): Promise<Page>;
  /** The root admin exists and is signed in through the API: their token. */
  rootToken(): Promise<string>;
  close(): Promise<void>;
}

/** A real m3m on a temp data dir serving the UI built for this run, and Debian's Chromium. */
export async function startE2e(options: TestServerOptions = {}): Promise<E2e> {
  const server = await startTestServer({
    ...options,
    env: { ...options.env, M3M_WEB_DIR: inject('webDir') },
  });
  const browser = await launchChromium();
  const contexts: BrowserContext[] = [];
  const pageErrors: Error[] = [];
  let rootToken: string | null = null;
  return {
    server,
    browser,
    async open({ locale = 'en-US', viewport = 'desktop' } = {}) {
      const context = await browser.newContext({
        locale,
        viewport: VIEWPORTS[viewport],
        baseURL: server.base,
      });
      // Waits (locator.waitFor, waitForURL) allow for a loaded two-core machine.
      context.setDefaultTimeout(20_000);
      contexts.push(context);
      const page = await context.newPage();
      // An exception in the app fails the walk (checked at close): the UI must never crash silently.
      page.on('pageerror', (error) => pageErrors.push(error));
      return page;
    },
    async rootToken() {
      if (!rootToken) {
        await server.createAdmin(ROOT.email, ROOT.password, 'Root Admin');
        rootToken = await server.login(ROOT.email, ROOT.password);
      }
      return rootToken;
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await server.close();
      expect(pageErrors.map((e) => e.message)).toEqual([]);
    },
  };
}

export async function signIn(page: Page, email: string, password: string) {
  await page.goto('/sign-in');
  await page.getByLabel(/^(Email)$/).fill(email);
  await page.getByLabel(/^(Password|Пароль)$/).fill(password);
  await page.getByRole('button', { name: /^(Sign in|Войти)$/ }).click();
  await page.waitForURL((url) => url.pathname !== '/sign-in');
}

/** Saves `<SCREENSHOTS>/<name>.png` (full page) once the page has settled. */
export async function screenshot(page: Page, name: string) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A live stream (the worker's logs tab) keeps a request open for good: then the picture is taken after 5 s.
  await page.waitForLoadState('networkidle', { timeout: 5000 }).catch(() => {});
  // Let enter animations (dialogs, toasts) finish so the picture shows the settled page.
  await page.waitForTimeout(350);
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}
