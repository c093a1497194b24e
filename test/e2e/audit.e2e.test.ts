import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';
import { createProject, defineGoal, grantAccess } from './seed.ts';

/**
 * The Audit pages in Chromium against a real m3m: a change made in the UI is found by filtering the log, its
 * secret never reaches the page or the export, older entries load as the list scrolls, an entry opens the entity
 * as it was then; a project's owner sees the project's log, a member does not.
 */
let e2e: E2e;
let root: string;
let project: { id: string; apiKey: string };
let owner: { password: string };
let member: { password: string };
const SECRET = 'sk_live_audit_e2e_0123456789';

// biome-ignore lint/performance/useDomNodeTextContent: what a person sees is the rendered text, innerText.
const bodyText = (page: Page) => page.locator('body').innerText();

beforeAll(async () => {
  e2e = await startE2e();
  root = await e2e.rootToken();
  const o = await e2e.server.createUser(root, {
    email: 'olga@example.com',
    name: 'Olga Owner',
    permissions: ['create_projects'],
  });
  owner = { password: o.password };
  project = await createProject(e2e.server, o.token, { name: 'Web shop', slug: 'web-shop', color: 'violet' });
  const m = await e2e.server.createUser(root, { email: 'max@example.com', name: 'Max Member' });
  member = { password: m.password };
  await grantAccess(e2e.server, root, m.user.id, project.id);
  const goal = await defineGoal(e2e.server, o.token, project.id, {
    name: 'Orders',
    slug: 'orders',
    type: 'counter',
  });
  // More than a page (50) of entries, so the list has older ones to load.
  for (let i = 0; i < 60; i++) {
    const r = await e2e.server.request('POST', `/api/v1/goals/${goal.id}/increment`, {
      headers: { 'x-api-key': project.apiKey },
      body: { by: 1 },
    });
    expect(r.status).toBe(200);
  }
});
afterAll(() => e2e?.close());

describe('the Audit pages', () => {
  it('finds a change made in the UI by who and what, with its secret redacted, and opens the entity as of then', async () => {
    const page = await e2e.open();
    await signIn(page, ROOT.email, ROOT.password);

    // The change: a secret variable, set through the Environment page.
    await page.goto(`/projects/${project.id}/environment`);
    await page.getByRole('button', { name: 'Add variable' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('STRIPE_KEY');
    await dialog.getByRole('switch').click();
    await dialog.getByLabel('Value').fill(SECRET);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('env-row').getByText('STRIPE_KEY').waitFor();

    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Audit log' })
      .first()
      .click();
    await page.waitForURL('**/audit');
    await page.getByTestId('audit-entry').first().waitFor();
    // Newest first, a page at a time: scrolling to the end loads older entries.
    expect(await page.getByTestId('audit-entry').count()).toBe(50);
    await page.getByRole('button', { name: 'Load older entries' }).scrollIntoViewIfNeeded();
    await expect.poll(() => page.getByTestId('audit-entry').count()).toBeGreaterThan(50);
    await screenshot(page, 'audit-admin');

    await page.getByLabel('Who').fill(ROOT.email);
    await page.getByLabel('Event types').fill('EnvVariableSet');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL(/type=EnvVariableSet/);
    await expect.poll(() => page.getByTestId('audit-entry').count()).toBe(1);
    const entry = page.getByTestId('audit-entry').first();
    await entry.getByText('EnvVariableSet').waitFor();
    await entry.getByText('Root Admin').waitFor();
    await screenshot(page, 'audit-filtered');

    await entry.click();
    const detail = page.getByTestId('audit-detail');
    await detail.getByTestId('audit-data').getByText('STRIPE_KEY').waitFor();
    expect(await detail.getByTestId('audit-data').textContent()).toContain('[redacted]');
    expect(await detail.textContent()).toMatch(/req-[0-9a-z]+/);
    // The fields the event changed, before and after, the secret's value redacted there too.
    const changes = detail.getByTestId('audit-changes');
    await changes.getByText('variables.STRIPE_KEY.secret').waitFor();
    expect(await changes.textContent()).toContain('[redacted]');
    expect(await bodyText(page)).not.toContain(SECRET);
    await screenshot(page, 'audit-entry');

    // The same filters as a file: the entry is in it, the secret is not.
    const download = page.waitForEvent('download');
    await page.keyboard.press('Escape');
    await page.getByRole('button', { name: 'CSV' }).click();
    const file = await (await download).path();
    const csv = await readFile(file, 'utf8');
    expect(csv).toContain('EnvVariableSet');
    expect(csv).not.toContain(SECRET);
    expect(csv.trim().split('\n')).toHaveLength(2);

    // Time travel: the environment as of that entry, and what changed since.
    await entry.click();
    await detail.getByRole('link', { name: 'Show this entity as of here' }).click();
    await page.waitForURL(/\/audit\/state\?/);
    const then = page.getByTestId('state-then');
    await then.getByText('STRIPE_KEY').first().waitFor();
    expect(await bodyText(page)).not.toContain(SECRET);
    await page.getByTestId('state-diff').getByText('Nothing has changed since then.').waitFor();
    await screenshot(page, 'audit-state');
  });

  it("shows a project's owner the project's log; a member gets neither the entry nor the log", async () => {
    const page = await e2e.open();
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}`);
    await page
      .getByRole('navigation', { name: 'Main menu' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await page.waitForURL(`**/projects/${project.id}/audit`);
    await page.getByLabel('Event types').fill('GoalDefined');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    const entry = page.getByTestId('audit-entry').filter({ hasText: 'GoalDefined' });
    await entry.getByText('Olga Owner').waitFor();
    await expect.poll(() => page.getByTestId('audit-entry').count()).toBe(1);
    // Time travel is for global admins: the owner's detail has no link to it.
    await entry.click();
    await page.getByTestId('audit-detail').getByText('Only this entity').waitFor();
    expect(await page.getByRole('link', { name: 'Show this entity as of here' }).count()).toBe(0);
    await screenshot(page, 'audit-project');
    // The global log is not theirs.
    await page.goto('/audit');
    await page.waitForURL((url) => url.pathname === '/');

    const memberPage = await e2e.open();
    await signIn(memberPage, 'max@example.com', member.password);
    await memberPage.goto(`/projects/${project.id}`);
    await memberPage.getByRole('heading', { name: 'Web shop' }).waitFor();
    const nav = memberPage.getByRole('navigation', { name: 'Main menu' });
    await nav.getByRole('link', { name: 'Workers' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
    await memberPage.goto(`/projects/${project.id}/audit`);
    await memberPage.getByTestId('query-error').waitFor();
  });
});
