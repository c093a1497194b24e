import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';
import { createProject, grantAccess } from './seed.ts';

let e2e: E2e;
let rootToken: string;
let project: { id: string };
let owner: { id: string; password: string; token: string };
let member: { id: string; password: string; token: string };

async function moduleStates(): Promise<Record<string, string>> {
  const response = await e2e.server.request('GET', `/api/v1/projects/${project.id}/modules`, {
    token: rootToken,
  });
  const { items } = (await response.json()) as { items: { moduleName: string; status: string }[] };
  return Object.fromEntries(items.map((m) => [m.moduleName, m.status]));
}

const sidebar = (page: Page) => page.getByRole('navigation', { name: 'Main menu' });

beforeAll(async () => {
  e2e = await startE2e();
  rootToken = await e2e.rootToken();
  const o = await e2e.server.createUser(rootToken, {
    email: 'olga@example.com',
    name: 'Olga Owner',
    permissions: ['create_projects'],
  });
  owner = { id: o.user.id, password: o.password, token: o.token };
  project = await createProject(e2e.server, owner.token, { name: 'Shop', slug: 'shop', color: 'blue' });
  const m = await e2e.server.createUser(rootToken, { email: 'max@example.com', name: 'Max Member' });
  member = { id: m.user.id, password: m.password, token: m.token };
  await grantAccess(e2e.server, rootToken, member.id, project.id);
});
afterAll(() => e2e?.close());

describe('modules', () => {
  it('the guard sends a direct visit to a disabled module to the Modules page; the owner needs a licence to activate', async () => {
    const page = await e2e.open();
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}/webhooks`);
    await page.waitForURL(`**/projects/${project.id}/modules?blocked=webhooks`);
    await page.getByTestId('module-blocked').getByText('Webhooks is not enabled in this project').waitFor();
    expect(await sidebar(page).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);

    const webhooks = page.getByTestId('module-webhooks');
    await webhooks.getByRole('button', { name: 'Activate' }).click();
    await webhooks.getByTestId('module-problem').getByText('needs a licence').waitFor();
    expect((await moduleStates()).webhooks).toBeUndefined();
    // Owners get no trial button: that is for global admins.
    expect(await webhooks.getByRole('button', { name: 'Trial…' }).count()).toBe(0);
    await screenshot(page, 'modules-license-required');
  });

  it('a global admin grants the owner a licence on the user page, and starts a trial in the project', async () => {
    const page = await e2e.open();
    await signIn(page, ROOT.email, ROOT.password);
    await page.goto(`/users/${owner.id}`);
    const licenses = page.getByRole('heading', { name: 'Olga Owner' });
    await licenses.waitFor();
    await page.getByRole('combobox', { name: 'Module' }).click();
    await page.getByRole('option', { name: 'Webhooks' }).click();
    await page.getByRole('button', { name: 'Grant licence' }).click();
    await page.getByTestId('licenses').getByText('Webhooks').waitFor();
    await page.getByTestId('licenses').getByText('All their projects').waitFor();
    await screenshot(page, 'user-page-licences');

    await page.goto(`/projects/${project.id}/modules`);
    const crypto = page.getByTestId('module-crypto');
    await crypto.getByRole('button', { name: 'Trial…' }).click();
    const inAWeek = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Trial ends on').fill(inAWeek);
    await page.getByRole('button', { name: 'Start trial' }).click();
    await page.getByTestId('enabled-modules').getByTestId('module-crypto').getByText('Trial until').waitFor();
    expect((await moduleStates()).crypto).toBe('trial');
  });

  it('with the licence the owner activates webhooks: its page appears in the sidebar; disabling asks first and the guard applies again', async () => {
    const page = await e2e.open();
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}/modules`);
    await page.getByTestId('module-webhooks').getByRole('button', { name: 'Activate' }).click();
    await page.getByTestId('enabled-modules').getByTestId('module-webhooks').waitFor();
    expect((await moduleStates()).webhooks).toBe('active');
    await sidebar(page).getByRole('link', { name: 'Webhooks' }).click();
    await page.waitForURL(`**/projects/${project.id}/webhooks`);
    await page.getByText('No endpoints yet').waitFor();
    await screenshot(page, 'webhooks-page');

    await page.goto(`/projects/${project.id}/modules`);
    await page.getByTestId('module-webhooks').getByRole('button', { name: 'Disable' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByText('Disable Webhooks?').waitFor();
    await screenshot(page, 'modules-disable-dialog');
    // Cancelling changes nothing.
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await moduleStates()).webhooks).toBe('active');
    await page.getByTestId('module-webhooks').getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Disable' }).click();
    await page.getByTestId('available-modules').getByTestId('module-webhooks').waitFor();
    expect((await moduleStates()).webhooks).toBe('disabled');
    expect(await sidebar(page).getByRole('link', { name: 'Webhooks' }).count()).toBe(0);

    await page.goto(`/projects/${project.id}/webhooks`);
    await page.waitForURL(`**/projects/${project.id}/modules?blocked=webhooks`);
  });

  it('a member sees no activate or disable, but the way to purchase, which changes nothing', async () => {
    const before = await moduleStates();
    const page = await e2e.open();
    await signIn(page, 'max@example.com', member.password);
    await page.goto(`/projects/${project.id}/modules`);
    const webhooks = page.getByTestId('module-webhooks');
    await webhooks.waitFor();
    expect(await page.getByRole('button', { name: 'Activate' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Disable' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Trial…' }).count()).toBe(0);
    await screenshot(page, 'modules-member');
    await webhooks.getByRole('link', { name: 'Go to purchase / contact the owner' }).click();
    await page.waitForURL(`**/module-activation/webhooks?project=${project.id}`);
    const options = page.getByTestId('purchase-options');
    await options.getByText('Subscription').waitFor();
    await options.getByText('Lifetime licence').waitFor();
    expect(await options.getByText('Not connected to payment yet').count()).toBe(2);
    await screenshot(page, 'module-activation');
    expect(await moduleStates()).toEqual(before);
  });
});
