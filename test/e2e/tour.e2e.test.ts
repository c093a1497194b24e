import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { startReceiver, type WebhookReceiver } from '../kit/webhookReceiver.ts';
import { type E2e, screenshot, signIn, startE2e, VIEWPORTS } from './harness.ts';
import { createProject, defineGoal } from './seed.ts';

/**
 * Every page as its users see it, at 1280 px and 390 px, in English and Russian, with empty and error states:
 * each must show its heading, hold its layout (nothing wider than the screen), and show no raw JSON or
 * untranslated key. The screenshots are for people to look at (test-results/screenshots/).
 */
let e2e: E2e;
let receiver: WebhookReceiver;
/** `json`: the page shows JSON by design (a model's JSON Schema), so the raw-JSON check leaves it out. */
const pages: { name: string; path: string; heading: { en: string; ru: string }; json?: boolean }[] = [];

beforeAll(async () => {
  e2e = await startE2e({ env: { M3M_ALLOW_PRIVATE_FETCH: 'true', M3M_WEBHOOKS_ALLOW_HTTP: 'true' } });
  receiver = await startReceiver();
  const root = await e2e.rootToken();
  const ada = await e2e.server.createUser(root, {
    email: 'ada@example.com',
    name: 'Ada Lovelace',
    permissions: ['create_projects'],
  });
  const shop = await createProject(e2e.server, root, { name: 'Web shop', slug: 'web-shop', color: 'violet' });
  const empty = await createProject(e2e.server, root, { name: 'Empty', slug: 'empty' });
  const orders = await defineGoal(e2e.server, root, shop.id, {
    name: 'Orders',
    slug: 'orders',
    type: 'daily_counter',
    color: 'emerald',
  });
  await defineGoal(e2e.server, root, shop.id, {
    name: 'Refunds',
    slug: 'refunds',
    type: 'counter',
    color: 'red',
  });
  for (const by of [3, 4]) {
    await e2e.server.request('POST', `/api/v1/goals/${orders.id}/increment`, { token: root, body: { by } });
  }
  await e2e.server.request('PUT', `/api/v1/projects/${shop.id}/environment/SHOP_URL`, {
    token: root,
    body: { value: 'https://shop.example.com' },
  });
  await e2e.server.request('PUT', `/api/v1/projects/${shop.id}/environment/STRIPE_KEY`, {
    token: root,
    body: { value: 'sk_live_abc123', secret: true },
  });
  const global = await e2e.server.request('POST', '/api/v1/goals', {
    token: root,
    body: {
      name: 'Visits',
      slug: 'visits',
      type: 'daily_counter',
      color: 'sky',
      allowedProjectIds: [shop.id],
    },
  });
  const visits = (await global.json()) as { id: string };
  const worker = await seedWorker(shop.id, root);
  const webhookId = await seedWebhook(shop.id, root);
  const envStream = `environment-${shop.id}`;
  const p = (name: string, path: string, en: string, ru: string, json = false) =>
    pages.push({ name, path, heading: { en, ru }, json });
  p('home', '/', 'Hello, Root Admin', 'Здравствуйте, Root Admin');
  p('profile', '/profile', 'Profile', 'Профиль');
  p('users', '/users', 'Users', 'Пользователи');
  p('users-no-match', '/users?q=nobody-at-all', 'Users', 'Пользователи');
  p('user', `/users/${ada.user.id}`, 'Ada Lovelace', 'Ada Lovelace');
  p('global-goals', '/goals', 'Global goals', 'Глобальные цели');
  p('global-goal', `/goals/${visits.id}`, 'Visits', 'Visits');
  p('project', `/projects/${shop.id}`, 'Web shop', 'Web shop');
  p('project-goals', `/projects/${shop.id}/goals`, 'Goals', 'Цели');
  p('goal', `/projects/${shop.id}/goals/${orders.id}?days=7`, 'Orders', 'Orders');
  p(
    'goal-missing',
    `/projects/${shop.id}/goals/00000000-0000-4000-8000-000000000000`,
    'This goal does not exist (any more).',
    'Такой цели нет (или уже нет).',
  );
  p('environment', `/projects/${shop.id}/environment`, 'Environment', 'Окружение');
  p('modules', `/projects/${shop.id}/modules`, 'Modules', 'Модули');
  p(
    'module-guard',
    `/projects/${empty.id}/webhooks`,
    'Webhooks is not enabled in this project',
    'Модуль Вебхуки не включён в этом проекте',
  );
  p(
    'module-activation',
    `/module-activation/webhooks?project=${empty.id}`,
    'Get Webhooks',
    'Подключить Вебхуки',
  );
  p('settings', `/projects/${shop.id}/settings`, 'Settings', 'Настройки');
  p('workers', `/projects/${shop.id}/workers`, 'Workers', 'Воркеры');
  const w = `/projects/${shop.id}/workers/${worker.id}`;
  p('worker-code', w, 'Order intake', 'Order intake');
  p('worker-triggers', `${w}?tab=triggers`, 'HTTP trigger', 'HTTP-триггер');
  p('worker-run', `${w}?tab=run`, 'Input (JSON)', 'Входные данные (JSON)');
  p('worker-logs', `${w}?tab=logs`, 'saved order', 'saved order');
  p('worker-stats', `${w}?tab=stats`, 'Invocations', 'Вызовы');
  p('worker-versions', `${w}?tab=versions`, 'Deployed', 'Развёрнута');
  p(
    'worker-dry-run',
    `${w}?tab=dry-run`,
    'Dry run against past events',
    'Пробный прогон по прошлым событиям',
  );
  p('invocation', `${w}/invocations/${worker.invocationId}`, 'Invocation', 'Вызов');
  p('data', `/projects/${shop.id}/data`, 'Data', 'Данные');
  p('collection', `/projects/${shop.id}/data/orders`, 'Model (JSON Schema)', 'Модель (JSON Schema)', true);
  p('webhooks', `/projects/${shop.id}/webhooks`, 'CRM sync', 'CRM sync');
  p('webhook', `/projects/${shop.id}/webhooks/${webhookId}`, 'Message log', 'Журнал сообщений');
  p('audit', '/audit', 'Audit log', 'Журнал аудита');
  p('audit-filtered', '/audit?type=EnvVariableSet', 'EnvVariableSet', 'EnvVariableSet');
  p('audit-none', '/audit?actor=nobody%40example.com', 'No entries match', 'Под эти фильтры');
  p('project-audit', `/projects/${shop.id}/audit`, 'GoalDefined', 'GoalDefined');
  p('audit-state', `/audit/state?stream=${envStream}&at=1`, 'An entity as it was', 'Объект, каким он был');
  p('audit-state-empty', '/audit/state', 'Pick an entity', 'Выберите объект');
  p('empty-project', `/projects/${empty.id}`, 'Empty', 'Empty');
  p('empty-goals', `/projects/${empty.id}/goals`, 'No goals yet', 'Целей пока нет');
  p('empty-environment', `/projects/${empty.id}/environment`, 'No variables yet', 'Переменных пока нет');
  p('empty-workers', `/projects/${empty.id}/workers`, 'No workers yet', 'Воркеров пока нет');
  p('not-found', '/no/such/page', 'This page does not exist', 'Такой страницы нет');
});
afterAll(async () => {
  await receiver?.close();
  await e2e?.close();
});

/** A deployed worker with two runs behind it, and the collection it wrote with a model. */
async function seedWorker(projectId: string, token: string): Promise<{ id: string; invocationId: string }> {
  const api = (method: string, path: string, body?: unknown) =>
    e2e.server.request(method, `/api/v1/projects/${projectId}${path}`, { token, body });
  const schema = {
    type: 'object',
    properties: { item: { type: 'string' }, total: { type: 'number', minimum: 0 } },
    required: ['item', 'total'],
  };
  expect((await api('PUT', '/collections/orders/schema', { schema })).status).toBe(200);
  const created = await api('POST', '/workers', {
    name: 'Order intake',
    slug: 'order-intake',
    language: 'typescript',
    triggers: { http: true, cron: '0 6 * * 1', events: ['GoalIncremented'] },
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  const source = `export default {
  async run(input) {
    const order = input as { item: string; total: number };
    await m3m.models.collection('orders').insert(order);
    m3m.log.info('saved order', order.item);
    return { saved: true };
  },
} satisfies m3m.Worker;
`;
  expect((await api('POST', `/workers/${id}/deploy`, { source })).status).toBe(201);
  let invocationId = '';
  for (const order of [
    { item: 'Green tea', total: 4.5 },
    { item: 'Oolong', total: 7 },
  ]) {
    const run = await api('POST', `/workers/${id}/run`, { input: order });
    expect(run.status).toBe(200);
    invocationId = ((await run.json()) as { invocationId: string }).invocationId;
  }
  return { id, invocationId };
}

/** The webhooks module on, an endpoint to a real receiver, and a test message in its log. */
async function seedWebhook(projectId: string, token: string): Promise<string> {
  const api = (method: string, path: string, body?: unknown) =>
    e2e.server.request(method, `/api/v1/projects/${projectId}${path}`, { token, body });
  expect((await api('POST', '/modules', { moduleCode: 'webhooks' })).status).toBe(200);
  const created = await api('POST', '/webhooks', {
    url: receiver.url,
    description: 'CRM sync',
    eventTypes: ['goal.incremented', 'custom.OrderPlaced'],
  });
  expect(created.status).toBe(201);
  const { id } = (await created.json()) as { id: string };
  expect((await api('POST', `/webhooks/${id}/test`)).status).toBe(200);
  return id;
}

async function check(
  page: Page,
  name: string,
  expected: string,
  viewport: keyof typeof VIEWPORTS,
  json = false,
) {
  await page.getByText(expected, { exact: false }).filter({ visible: true }).first().waitFor();
  // biome-ignore lint/performance/useDomNodeTextContent: what a person sees is the rendered text, innerText.
  const text = await page.locator('body').innerText();
  expect(text, `${name}: an untranslated key or placeholder`).not.toMatch(
    /\{\{|\b(common|shell|errors|goals|users|projects|workers|webhooks|audit)\.[a-z]+[A-Za-z.]*\b/,
  );
  // A problem+json body shown as it came (the curl example's `{"by": 1}` is meant to be there).
  if (!json)
    expect(text, `${name}: raw JSON on the page`).not.toMatch(/"(type|title|status|detail|code|errors)":/);
  // Charts size themselves after their first paint: a page may be wider for a frame, never once it has settled.
  await expect
    .poll(() => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth'), {
      message: `${name} is wider than the ${viewport} screen`,
      timeout: 3000,
    })
    .toBeLessThanOrEqual(0);
}

async function switchLanguage(page: Page, to: 'English' | 'Русский') {
  await page.getByTestId('language-switch').click();
  await page.getByRole('menuitemradio', { name: to }).click();
}

describe('every page, as its users see it', () => {
  // Some fifty pages each (the worker pages with Monaco among them): a walk per screen and language.
  for (const viewport of ['desktop', 'phone'] as const) {
    const width = VIEWPORTS[viewport].width;
    it(`at ${width} px, in English`, async () => {
      const page = await e2e.open({ viewport });
      await signIn(page, ROOT.email, ROOT.password);
      for (const { name, path, heading, json } of pages) {
        await page.goto(path);
        await check(page, name, heading.en, viewport, json);
        await screenshot(page, `${name}-${width}-en`);
      }
    }, 300_000);

    it(`at ${width} px, switched to Russian`, async () => {
      const page = await e2e.open({ viewport });
      await signIn(page, ROOT.email, ROOT.password);
      await page.getByRole('heading', { name: 'Hello, Root Admin' }).waitFor();
      // The language switch turns the page Russian, and the choice is remembered by this browser.
      await switchLanguage(page, 'Русский');
      await page.getByRole('heading', { name: 'Здравствуйте, Root Admin' }).waitFor();
      expect(await page.evaluate<string>('document.documentElement.lang')).toBe('ru');
      await page.reload();
      await page.getByRole('heading', { name: 'Здравствуйте, Root Admin' }).waitFor();

      for (const { name, path, heading, json } of pages) {
        await page.goto(path);
        await check(page, name, heading.ru, viewport, json);
        await screenshot(page, `${name}-${width}-ru`);
      }
      await page.goto('/');
      await switchLanguage(page, 'English');
      await page.getByRole('heading', { name: 'Hello, Root Admin' }).waitFor();
    }, 300_000);
  }

  it('opens the menu as a drawer on a phone, and works with the keyboard', async () => {
    const page = await e2e.open({ viewport: 'phone' });
    await signIn(page, ROOT.email, ROOT.password);
    await page.getByRole('button', { name: 'Open the menu' }).click();
    const drawer = page.getByRole('dialog');
    await drawer.getByRole('link', { name: 'Users' }).waitFor();
    await screenshot(page, 'menu-390-en');
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Open the menu' }).click();
    await page.getByRole('dialog').getByRole('link', { name: 'Users' }).click();
    await page.waitForURL('**/users');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
  });
});
