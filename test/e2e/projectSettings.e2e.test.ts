import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';
import { createProject, defineGoal } from './seed.ts';

let e2e: E2e;
let owner: { password: string; token: string };
let project: { id: string; apiKey: string };
const SECRET = 'sk_live_Zq8MNt4xWv9';

beforeAll(async () => {
  e2e = await startE2e();
  const root = await e2e.rootToken();
  const o = await e2e.server.createUser(root, {
    email: 'olga@example.com',
    name: 'Olga Owner',
    permissions: ['create_projects'],
  });
  owner = { password: o.password, token: o.token };
  project = await createProject(e2e.server, owner.token, { name: 'Shop', slug: 'shop', color: 'blue' });
  await defineGoal(e2e.server, owner.token, project.id, {
    name: 'Orders',
    slug: 'orders',
    type: 'daily_counter',
  });
});
afterAll(() => e2e?.close());

const increment = (key: string) =>
  fetch(`${e2e.server.base}/api/v1/goals/shop-orders/increment`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': 'application/json' },
    body: '{}',
  });

describe('project settings', () => {
  it('rotates the API key: the new one is shown once with a warning, the old one stops working', async () => {
    expect((await increment(project.apiKey)).status).toBe(200);
    const page = await e2e.open();
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}/settings`);
    const prefixBefore = await page.getByTestId('api-key-prefix').textContent();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate key' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('The old key has stopped working').waitFor();
    await dialog.getByRole('button', { name: 'Copy' }).waitFor();
    const newKey = (await page.getByTestId('new-api-key').textContent())!;
    expect(newKey).toMatch(/^m3m_/);
    expect(newKey).not.toBe(project.apiKey);
    await screenshot(page, 'api-key-rotated');
    await dialog.getByRole('button', { name: 'I have stored it' }).click();
    await page.waitForFunction(
      `document.querySelector('[data-testid=api-key-prefix]')?.textContent !== ${JSON.stringify(prefixBefore)}`,
    );
    expect((await increment(project.apiKey)).status).toBe(401);
    expect((await increment(newKey)).status).toBe(200);
    await screenshot(page, 'project-settings');
  });

  it('adds a member by the email of their account, shows them by name, and removes them', async () => {
    const root = await e2e.rootToken();
    await e2e.server.createUser(root, { email: 'mia@example.com', name: 'Mia Member' });
    const page = await e2e.open();
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}/settings`);
    const members = page.getByTestId('members');
    await members.getByText('Olga Owner').waitFor();
    await members.getByText('No members yet.').waitFor();
    const email = page.getByLabel('Email', { exact: true });
    await email.fill('nobody@example.com');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('There is no user with this email.').waitFor();
    await email.fill('Mia@Example.com');
    await page.getByRole('button', { name: 'Add member' }).click();
    await members.getByText('Mia Member').waitFor();
    await members.getByText('mia@example.com').waitFor();
    expect(await email.inputValue()).toBe('');
    await screenshot(page, 'project-members');
    await members.getByRole('button', { name: 'Remove' }).click();
    await members.getByText('No members yet.').waitFor();
    expect(await members.getByText('Mia Member').count()).toBe(0);
  });

  it('keeps a secret variable masked: its value never reaches the browser', async () => {
    const page = await e2e.open();
    const bodies: string[] = [];
    page.on('response', async (response) => {
      if (response.url().includes('/api/')) bodies.push(await response.text().catch(() => ''));
    });
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}/environment`);
    await page.getByTestId('empty-state').waitFor();
    await page.getByRole('button', { name: 'Add variable' }).first().click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Name').fill('stripe_key');
    // Names are upper-cased as typed.
    expect(await dialog.getByLabel('Name').inputValue()).toBe('STRIPE_KEY');
    await dialog.getByRole('switch').click();
    await dialog.getByLabel('Value').fill(SECRET);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const row = page.getByTestId('env-row').filter({ hasText: 'STRIPE_KEY' });
    await row.getByTestId('env-masked').waitFor();
    await page.getByRole('button', { name: 'Add variable' }).first().click();
    await dialog.getByLabel('Name').fill('SHOP_URL');
    await dialog.getByLabel('Value').fill('https://shop.example.com');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('env-row').filter({ hasText: 'https://shop.example.com' }).waitFor();

    await page.reload();
    await row.getByTestId('env-masked').waitFor();
    expect(await page.content()).not.toContain(SECRET);
    expect(bodies.join('\n')).not.toContain(SECRET);
    // Editing a secret starts empty: the value is typed again, never shown.
    await row.getByRole('button', { name: 'Actions for STRIPE_KEY' }).click();
    await page.getByRole('menuitem', { name: 'Edit' }).click();
    expect(await dialog.getByLabel('Value').inputValue()).toBe('');
    await screenshot(page, 'environment-edit-secret');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await screenshot(page, 'environment');
  });

  it('deletes the project only with its slug typed back', async () => {
    const page = await e2e.open();
    await signIn(page, 'olga@example.com', owner.password);
    await page.goto(`/projects/${project.id}/settings`);
    await page.getByRole('button', { name: 'Delete project' }).click();
    const confirm = page.getByRole('alertdialog');
    const button = confirm.getByRole('button', { name: 'Delete forever' });
    expect(await button.isDisabled()).toBe(true);
    await confirm.getByLabel('To confirm, type the slug').fill('sho');
    expect(await button.isDisabled()).toBe(true);
    await confirm.getByLabel('To confirm, type the slug').fill('shop');
    await screenshot(page, 'project-delete-confirm');
    await button.click();
    await page.waitForURL((url) => url.pathname === '/');
    await page.getByText('Project Shop deleted').waitFor();
    const gone = await e2e.server.request('GET', `/api/v1/projects/${project.id}`, { token: owner.token });
    expect(gone.status).toBe(404);
  });
});
