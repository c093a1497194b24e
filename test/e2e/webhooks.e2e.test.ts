import type { Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { startReceiver, type WebhookReceiver } from '../kit/webhookReceiver.ts';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';
import { createProject, defineGoal } from './seed.ts';

/**
 * The Webhooks page in Chromium against a real m3m and a real receiver on a loopback port: an endpoint created in
 * the UI shows its secret once, a goal increment reaches the receiver signed with that secret (verified with the
 * official `standardwebhooks` package) and appears in the message log with its attempt, a failed message is
 * redelivered and recovered, the secret is rotated, the endpoint edited and deleted.
 */
let e2e: E2e;
let root: string;
let project: { id: string; apiKey: string };
let receiver: WebhookReceiver;

beforeAll(async () => {
  e2e = await startE2e({
    env: {
      M3M_ALLOW_PRIVATE_FETCH: 'true',
      M3M_WEBHOOKS_ALLOW_HTTP: 'true',
      M3M_WEBHOOK_RETRY_SCHEDULE: '100ms,200ms',
    },
    open: { webhooks: { pollMs: 20 } },
  });
  root = await e2e.rootToken();
  project = await createProject(e2e.server, root, { name: 'Web shop', slug: 'web-shop', color: 'violet' });
  await defineGoal(e2e.server, root, project.id, { name: 'Orders', slug: 'orders', type: 'counter' });
  const enabled = await e2e.server.request('POST', `/api/v1/projects/${project.id}/modules`, {
    token: root,
    body: { moduleCode: 'webhooks' },
  });
  expect(enabled.status).toBe(200);
  receiver = await startReceiver();
});
afterAll(async () => {
  await receiver?.close();
  await e2e?.close();
});

const increment = async (by = 1) => {
  const r = await e2e.server.request('POST', '/api/v1/goals/web-shop-orders/increment', {
    headers: { 'x-api-key': project.apiKey },
    body: { by },
  });
  expect(r.status).toBe(200);
};

// biome-ignore lint/performance/useDomNodeTextContent: what a person sees is the rendered text, innerText.
const bodyText = (page: Page) => page.locator('body').innerText();

/** The message log follows new messages and their outcomes by itself (no reload). */
async function messageWithStatus(page: Page, type: string, status: string) {
  const row = page
    .getByTestId('message')
    .filter({ hasText: type })
    .filter({ has: page.locator(`[data-status="${status}"]`) })
    .first();
  await row.waitFor({ timeout: 20_000 });
  return row;
}

describe('the Webhooks page', () => {
  let webhookId: string;
  let secret: string;

  it('creates an endpoint, shows its secret once, and logs a signed delivery to a real receiver', async () => {
    const page = await e2e.open();
    await signIn(page, ROOT.email, ROOT.password);
    await page.goto(`/projects/${project.id}`);
    await page.getByRole('navigation', { name: 'Main menu' }).getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('No endpoints yet').waitFor();
    await screenshot(page, 'webhooks-empty');

    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const dialog = page.getByRole('dialog');
    // A bad URL is refused next to its field, before anything is sent.
    await dialog.getByLabel('URL').fill('not a url');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    await dialog.getByText('Enter a full URL starting with https://').waitFor();
    await dialog.getByLabel('URL').fill(receiver.url);
    await dialog.getByLabel('Description').fill('CRM sync');
    await dialog.getByRole('switch', { name: 'All event types, including ones added later' }).click();
    await dialog.getByRole('checkbox', { name: 'goal.incremented' }).click();
    await dialog.getByLabel('Custom event type').fill('OrderPlaced');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await dialog.getByText('custom.OrderPlaced').waitFor();
    await screenshot(page, 'webhooks-form');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();

    const shown = page.getByTestId('webhook-secret');
    await shown.waitFor();
    secret = (await shown.textContent()) ?? '';
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]+$/);
    await screenshot(page, 'webhooks-secret');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.waitForURL(/\/webhooks\/[0-9a-f-]{36}$/);
    webhookId = page.url().split('/').at(-1) ?? '';
    await page.getByRole('heading', { name: 'CRM sync' }).waitFor();
    // Shown once: not on the endpoint's page, not in the list, not from the API.
    expect(await bodyText(page)).not.toContain(secret);
    const listed = await e2e.server.request('GET', `/api/v1/projects/${project.id}/webhooks`, {
      token: root,
    });
    const listJson = (await listed.json()) as { items: { id: string; eventTypes: string[] }[] };
    expect(JSON.stringify(listJson)).not.toContain(secret);
    expect(listJson.items[0]?.eventTypes).toEqual(['goal.incremented', 'custom.OrderPlaced']);

    // A real event reaches the receiver, signed with the secret the page showed.
    await increment(3);
    const [delivery] = await receiver.waitFor(1);
    const verified = new Webhook(secret).verify(
      delivery!.body,
      delivery!.headers as Record<string, string>,
    ) as {
      type: string;
      data: { slug: string; by: number };
    };
    expect(verified.type).toBe('goal.incremented');
    expect(verified.data).toMatchObject({ slug: 'orders', by: 3 });

    const message = await messageWithStatus(page, 'goal.incremented', 'succeeded');
    await message.getByRole('button').first().click();
    const detail = message.getByTestId('message-detail');
    await detail.getByTestId('attempt').getByText('Delivered').waitFor();
    await detail.getByText('204').first().waitFor();
    expect(await detail.textContent()).toContain(String(delivery!.headers['webhook-id']));
    await screenshot(page, 'webhook-delivered');

    // Send test event: one attempt now, its result on the page.
    await page.getByRole('button', { name: 'Send test event' }).click();
    const result = page.getByTestId('test-result');
    await result.getByText('Delivered').waitFor();
    await result.getByText('204').waitFor();
    await receiver.waitFor(2);
    expect(JSON.parse(receiver.received[1]!.body).type).toBe('webhook.test');
    await screenshot(page, 'webhook-tested');
  });

  it('shows a failed message with its attempts, redelivers it, and recovers failures since a time', async () => {
    const page = await e2e.open();
    await signIn(page, ROOT.email, ROOT.password);
    await page.goto(`/projects/${project.id}/webhooks/${webhookId}`);
    await page.getByRole('heading', { name: 'CRM sync' }).waitFor();

    receiver.respond = () => ({ status: 500, body: 'the CRM is down' });
    const before = receiver.received.length;
    await increment(5);
    // First try and two retries (100 ms, 200 ms), then the message is failed.
    await receiver.waitFor(before + 3);
    await page.getByRole('button', { name: 'Failed', exact: true }).click();
    const failed = await messageWithStatus(page, 'goal.incremented', 'failed');
    await failed.getByRole('button').first().click();
    await expect.poll(() => failed.getByTestId('attempt').count()).toBe(3);
    await failed.getByText('the CRM is down').first().waitFor();
    await screenshot(page, 'webhook-failed');

    receiver.respond = () => ({ status: 204 });
    await failed.getByRole('button', { name: 'Redeliver' }).click();
    await page.getByText('The message is queued to be sent again').waitFor();
    await receiver.waitFor(before + 4);
    await page.getByRole('button', { name: 'All', exact: true }).click();
    await messageWithStatus(page, 'goal.incremented', 'succeeded');

    // Another failure, then "recover since" sends it again.
    receiver.respond = (i) => (i < before + 7 ? { status: 503 } : { status: 204 });
    await increment(7);
    await receiver.waitFor(before + 7);
    await messageWithStatus(page, 'goal.incremented', 'failed');
    await page.getByRole('button', { name: 'Recover failed…' }).click();
    const confirm = page.getByRole('alertdialog');
    await confirm.getByLabel('Since (your local time)').waitFor();
    await confirm.getByRole('button', { name: 'Recover' }).click();
    await page.getByText('Failed messages are queued to be sent again').waitFor();
    await receiver.waitFor(before + 8);
    await page.getByRole('button', { name: 'Failed', exact: true }).click();
    await page.getByText('No messages with this status').waitFor({ timeout: 15_000 });
  });

  it('edits, rotates the secret, explains a switched-off module, and deletes with confirmation', async () => {
    const page = await e2e.open();
    await signIn(page, ROOT.email, ROOT.password);
    await page.goto(`/projects/${project.id}/webhooks/${webhookId}`);
    await page.getByRole('heading', { name: 'CRM sync' }).waitFor();

    await page.getByRole('button', { name: 'Edit' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Description').fill('CRM (orders)');
    await dialog.getByLabel('Rate limit').fill('25');
    await dialog.getByRole('switch', { name: 'Enabled' }).click();
    await dialog.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('heading', { name: 'CRM (orders)' }).waitFor();
    const read = await e2e.server.request('GET', `/api/v1/projects/${project.id}/webhooks/${webhookId}`, {
      token: root,
    });
    expect(await read.json()).toMatchObject({ description: 'CRM (orders)', rateLimit: 25, enabled: false });
    await page.getByTestId('endpoint-status').getByText('Disabled').waitFor();

    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Rotate secret' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = page.getByTestId('webhook-secret');
    await rotated.waitFor();
    const next = (await rotated.textContent()) ?? '';
    expect(next).toMatch(/^whsec_/);
    expect(next).not.toBe(secret);
    await page.getByRole('dialog').getByText('The previous secret keeps signing until').waitFor();
    await screenshot(page, 'webhook-rotated');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    await page.getByText('The previous secret keeps signing until').waitFor();
    await screenshot(page, 'webhook-detail');

    // The module switched off behind the page's back: the page says how to switch it on again.
    const off = await e2e.server.request('DELETE', `/api/v1/projects/${project.id}/modules/webhooks`, {
      token: root,
    });
    expect([200, 204]).toContain(off.status);
    await page.getByRole('main').getByRole('link', { name: 'Webhooks' }).click();
    await page.getByText('The Webhooks module is off in this project').waitFor();
    await screenshot(page, 'webhooks-module-off');
    await page.getByRole('link', { name: 'Go to Modules' }).click();
    await page.waitForURL(`**/projects/${project.id}/modules`);
    const on = await e2e.server.request('POST', `/api/v1/projects/${project.id}/modules`, {
      token: root,
      body: { moduleCode: 'webhooks' },
    });
    expect(on.status).toBe(200);

    await page.goto(`/projects/${project.id}/webhooks`);
    await page.getByTestId('webhook-row').getByText('CRM (orders)').waitFor();
    await screenshot(page, 'webhooks-list');
    await page.getByTestId('webhook-row').click();
    await page.getByRole('button', { name: 'More actions' }).click();
    await page.getByRole('menuitem', { name: 'Delete' }).click();
    await page.getByRole('alertdialog').getByText(receiver.url).waitFor();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(`**/projects/${project.id}/webhooks`);
    await page.getByText('No endpoints yet').waitFor();
    const gone = await e2e.server.request('GET', `/api/v1/projects/${project.id}/webhooks`, { token: root });
    expect(((await gone.json()) as { items: unknown[] }).items).toEqual([]);
  });
});
