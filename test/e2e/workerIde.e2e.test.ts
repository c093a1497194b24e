import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';
import { createProject, defineGoal } from './seed.ts';

/**
 * The worker IDE walk of issue 13, in Debian's Chromium against a real m3m, with every host but the m3m server
 * blocked: Monaco and its language workers must come from m3m itself.
 */
let e2e: E2e;
let projectId: string;
let apiKey: string;
let goalId: string;
const blocked: string[] = [];

const BROKEN = `export default {
  async run(input) {
    const broken = (1 +;
    return input;
  },
} satisfies m3m.Worker;
`;

const VERSION_1 = `export default {
  async run(input) {
    const n = (input as { n: number }).n;
    m3m.log.info('doubling', n);
    return { doubled: n * 2 };
  },
  async fetch(request) {
    m3m.log.info('hello from http', request.path);
    return { status: 200, body: { version: 'first' } };
  },
} satisfies m3m.Worker;
`;

const VERSION_2 = `export default {
  async run(input) {
    return { second: true, input };
  },
  async fetch(request) {
    m3m.log.warn('second version answers', request.path);
    return { status: 200, body: { version: 'second' } };
  },
  async onEvent(event) {
    await m3m.goals.increment('clicks', 1);
    return { saw: event.type };
  },
} satisfies m3m.Worker;
`;

beforeAll(async () => {
  e2e = await startE2e();
  const root = await e2e.rootToken();
  const project = await createProject(e2e.server, root, {
    name: 'Web shop',
    slug: 'web-shop',
    color: 'violet',
  });
  projectId = project.id;
  apiKey = project.apiKey;
  goalId = (
    await defineGoal(e2e.server, root, projectId, { name: 'Clicks', slug: 'clicks', type: 'counter' })
  ).id;
  // Five past GoalIncremented events for the dry run.
  for (let i = 1; i <= 5; i++) {
    const counted = await e2e.server.request('POST', `/api/v1/goals/${goalId}/increment`, {
      token: root,
      body: { by: i },
    });
    expect(counted.status).toBe(200);
  }
  await e2e.server.request('PUT', `/api/v1/projects/${projectId}/environment/SHOP_URL`, {
    token: root,
    body: { value: 'https://shop.example.com' },
  });
});
afterAll(() => e2e?.close());

/** Only the m3m server answers; anything else the page asks for is aborted and remembered. */
async function onlyM3m(page: Page) {
  const own = new URL(e2e.server.base).host;
  await page.context().route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.host === own || url.protocol === 'blob:' || url.protocol === 'data:') return route.continue();
    blocked.push(url.href);
    return route.abort('blockedbyclient');
  });
}

/** Replaces the text of the Monaco editor under `scope` by pasting it (typed, it would be auto-indented and closed). */
async function replaceEditorText(page: Page, text: string, scope = '[data-testid=code-editor]') {
  await page.locator(`${scope} .monaco-editor .view-lines`).click();
  await page.keyboard.press('ControlOrMeta+A');
  // A string, as the other walks do: the test project has no DOM types (and the page runs it, not Node).
  await page.evaluate(`(() => {
    const data = new DataTransfer();
    data.setData('text/plain', ${JSON.stringify(text)});
    document.activeElement.dispatchEvent(
      new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }),
    );
  })()`);
  await page
    .locator(`${scope} .view-line`, { hasText: text.trim().split('\n').at(-1)?.trim() ?? '' })
    .first()
    .waitFor();
}

async function goalTotal(): Promise<unknown> {
  const response = await e2e.server.request('GET', `/api/v1/goals/${goalId}`, {
    token: await e2e.rootToken(),
  });
  expect(response.status).toBe(200);
  return response.json();
}

describe('the worker IDE', () => {
  it('creates, types against the Runtime API, deploys, runs, watches, rolls back and dry-runs a worker', async () => {
    const page = await e2e.open();
    await onlyM3m(page);
    try {
      await walk(page);
    } catch (error) {
      await screenshot(page, 'worker-ide-failure').catch(() => {});
      throw error;
    }
    // One long walk through every part of the page, Monaco's first load included.
  }, 300_000);
});

/** The walk itself; a failure leaves a screenshot of where it stopped. */
async function walk(page: Page) {
  await signIn(page, ROOT.email, ROOT.password);

  // A new worker starts in TypeScript.
  await page.goto(`/projects/${projectId}/workers`);
  await page.getByRole('heading', { name: 'Workers' }).waitFor();
  await page.getByRole('button', { name: 'New worker' }).first().click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel('Name').fill('Click counter');
  expect(await dialog.getByLabel('Slug').inputValue()).toBe('click-counter');
  expect(await dialog.getByRole('combobox', { name: 'Language' }).textContent()).toBe('TypeScript');
  await dialog.getByRole('button', { name: 'Create worker' }).click();
  await page.waitForURL(/\/workers\/[0-9a-f-]{36}$/);
  // Monaco is a few MB of JavaScript to parse: the first load gets longer on a busy two-core machine.
  await page.locator('[data-testid=code-editor] .monaco-editor').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid=draft-status][data-status=saved]').waitFor();

  // Typing `m3m.` offers the Runtime API from the project's runtime.d.ts.
  await page.locator('[data-testid=code-editor] .view-lines').click();
  await page.keyboard.press('ControlOrMeta+End');
  await page.keyboard.press('Enter');
  // The name goes in as one input (a quick-suggestion list opening on a busy machine can swallow a typed key),
  // then the dot is typed: the trigger character of member completion.
  await page.keyboard.insertText('m3m');
  await page.keyboard.press('Escape');
  await page.keyboard.type('.');
  const suggestions = page.locator('.monaco-editor .suggest-widget .monaco-list-row');
  await suggestions
    .first()
    .waitFor({ timeout: 10_000 })
    .catch(() => page.keyboard.press('Control+Space'));
  await suggestions.first().waitFor();
  const offered = await suggestions.evaluateAll((rows) =>
    rows.map((r) => r.getAttribute('aria-label') ?? ''),
  );
  for (const name of ['env', 'events', 'goals', 'http', 'log', 'models']) {
    expect(offered.some((label) => label.startsWith(name))).toBe(true);
  }
  await screenshot(page, 'worker-ide-completion');
  await page.keyboard.press('Escape');
  // Inside `m3m.goals.increment("`, the project's goal slugs are offered (its variable names in `m3m.env.get`).
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await page.keyboard.insertText('m3m.goals.increment(');
  await page.keyboard.press('Escape');
  await page.keyboard.type('"');
  // The list waits for TypeScript's own answer too (same provider group): slow on a loaded two-core machine.
  const goalRow = suggestions.filter({ hasText: 'clicks' });
  await goalRow
    .first()
    .waitFor({ timeout: 30_000 })
    .catch(() => page.keyboard.press('Control+Space'));
  await goalRow.first().waitFor({ timeout: 30_000 });
  await screenshot(page, 'worker-ide-goal-completion');
  await page.keyboard.press('Escape');

  // A syntax error: the deploy is refused and the marker sits on line 3.
  await replaceEditorText(page, BROKEN);
  await page.getByRole('button', { name: 'Deploy' }).click();
  const refusal = page.getByTestId('deploy-error');
  await refusal.waitFor();
  expect(await refusal.textContent()).toMatch(/Line 3, column \d+/);
  const squiggle = page.locator('[data-testid=code-editor] .squiggly-error').first();
  await squiggle.waitFor();
  const line3 = page.locator('[data-testid=code-editor] .view-line', { hasText: 'const broken' });
  const [squiggleBox, lineBox] = [await squiggle.boundingBox(), await line3.boundingBox()];
  expect(Math.abs((squiggleBox?.y ?? 0) - (lineBox?.y ?? -100))).toBeLessThan(lineBox?.height ?? 0);

  // Fixed and deployed: version 1.
  await replaceEditorText(page, VERSION_1);
  await page.getByRole('button', { name: 'Deploy' }).click();
  await page.getByText('Version 1 is live').waitFor();
  await page.getByTestId('active-version').filter({ hasText: 'v1' }).waitFor();
  expect(await page.getByTestId('deploy-error').count()).toBe(0);
  await screenshot(page, 'worker-ide');

  // Run with a JSON input: result, logs and duration.
  await page.getByTestId('tab-run').click();
  await page.locator('[data-testid=json-editor] .monaco-editor').waitFor();
  await replaceEditorText(page, '{ "n": 21 }', '[data-testid=json-editor]');
  await page.getByTestId('run-button').click();
  await page.getByTestId('run-output').filter({ hasText: '"doubled": 42' }).waitFor();
  await page.getByTestId('run-result').getByText('doubling 21').waitFor();
  expect(await page.getByTestId('run-duration').textContent()).toMatch(/^\d+(\.\d)? ms$/);
  await page.locator('[data-testid=run-result] [data-outcome=ok]').waitFor();

  // The HTTP trigger: switched on, with its URL and a curl to copy.
  await page.getByTestId('tab-triggers').click();
  await page.getByLabel('Answer HTTP calls').click();
  await page.getByRole('button', { name: 'Save triggers' }).click();
  await page.getByText('Triggers saved').waitFor();
  const url = `${e2e.server.base}/run/web-shop/click-counter`;
  expect(await page.getByTestId('http-url').textContent()).toBe(url);
  expect(await page.getByTestId('http-curl').textContent()).toContain(`curl -X POST '${url}'`);
  // The cron preview: five runs, or the parser's error.
  await page.getByLabel('Schedule').fill('30 6 * * *');
  await page.getByTestId('cron-preview').locator('tbody tr').nth(4).waitFor();
  await page.getByLabel('Schedule').fill('61 * * * *');
  await page.getByTestId('cron-error').waitFor();
  await page.getByLabel('Schedule').fill('');

  // Live logs: an HTTP-triggered invocation's line arrives while the page watches.
  await page.getByTestId('tab-logs').click();
  await page.locator('[data-testid=stream-state][data-state=live]').waitFor();
  const call = (path: string) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: {
        'x-api-key': apiKey,
        authorization: 'Bearer e2e-caller-token',
        'content-type': 'application/json',
      },
      body: '{"order":7}',
    });
  expect((await call('/live')).status).toBe(200);
  await page.getByTestId('invocation-row').filter({ hasText: 'hello from http /live' }).waitFor();
  // Paused, a call is not shown; resumed (Last-Event-ID), it arrives.
  await page.getByTestId('pause-button').click();
  await page.locator('[data-testid=stream-state][data-state=paused]').waitFor();
  expect((await call('/while-paused')).status).toBe(200);
  await page.waitForTimeout(500);
  expect(await page.getByText('hello from http /while-paused').count()).toBe(0);
  await page.getByTestId('pause-button').click();
  await page.getByTestId('invocation-row').filter({ hasText: 'hello from http /while-paused' }).waitFor();
  // The filters: HTTP calls only.
  await page.getByLabel('Trigger', { exact: true }).click();
  await page.getByRole('option', { name: 'HTTP' }).click();
  expect(await page.getByTestId('invocation-row').filter({ hasText: 'doubling 21' }).count()).toBe(0);
  await screenshot(page, 'worker-logs');
  // One invocation's full record.
  await page.getByTestId('invocation-row').filter({ hasText: '/live' }).getByRole('link').click();
  await page.getByRole('heading', { name: 'Invocation' }).waitFor();
  await page.getByTestId('invocation-facts').getByText('fetch').waitFor();
  await page.getByTestId('log-lines').getByText('hello from http /live').waitFor();
  // Its input: the request as the worker got it, the caller's credentials redacted.
  const input = page.getByTestId('invocation-input');
  await input.filter({ hasText: '"path": "/live"' }).waitFor();
  expect(await input.textContent()).toContain('"authorization": "[redacted]"');
  expect(await input.textContent()).toContain('{\\"order\\":7}');
  expect(await input.textContent()).not.toContain('e2e-caller-token');
  await screenshot(page, 'worker-invocation');
  await page.goBack();

  // Version 2 as the draft; the draft survives a reload before it is deployed.
  await page.getByTestId('tab-code').click();
  await replaceEditorText(page, VERSION_2);
  await page.getByTestId('undeployed-badge').waitFor();
  await page.locator('[data-testid=draft-status][data-status=saved]').waitFor();
  await page.reload();
  await page
    .locator('[data-testid=code-editor] .view-line', { hasText: 'second version answers' })
    .waitFor({ timeout: 60_000 });
  await page.getByTestId('undeployed-badge').waitFor();
  await page.getByRole('button', { name: 'Deploy' }).click();
  await page.getByText('Version 2 is live').waitFor();

  // Roll back to version 1 (after a confirmation) and see it against the draft.
  await page.getByTestId('tab-versions').click();
  const v1 = page.locator('[data-testid=version-row][data-version="1"]');
  await v1.getByRole('button', { name: 'Roll back' }).click();
  await page.getByRole('alertdialog').getByRole('button', { name: 'Roll back to v1' }).click();
  await page.getByText('Version 1 is live again').waitFor();
  await v1.getByText('Active').waitFor();
  await v1.getByRole('button', { name: 'Compare version 1 with the draft' }).click();
  const diff = page.getByTestId('diff-editor');
  await diff.locator('.editor.original .view-line', { hasText: 'hello from http' }).first().waitFor();
  await diff.locator('.editor.modified .view-line', { hasText: 'second version answers' }).first().waitFor();
  await screenshot(page, 'worker-versions-diff');
  expect((await (await call('/after-rollback')).json()) as unknown).toEqual({ version: 'first' });

  // Dry run of the draft over the last five GoalIncremented events: five results, each with its increment.
  const before = await goalTotal();
  await page.getByTestId('tab-dry-run').click();
  await page.getByLabel('Event types').fill('GoalIncremented');
  await page.getByTestId('dry-run-button').click();
  const results = page.getByTestId('dry-run-result');
  await results.nth(4).waitFor();
  expect(await results.count()).toBe(5);
  for (let i = 0; i < 5; i++) {
    const effect = results.nth(i).locator('[data-kind="goals.increment"]');
    expect(await effect.textContent()).toContain('"goal":"web-shop-clicks"');
    await results.nth(i).getByTestId('deployed-side').waitFor();
  }
  expect(await page.getByTestId('dry-run-summary').textContent()).toContain(
    '5 events: 5 ok, 5 captured effects',
  );
  await screenshot(page, 'worker-dry-run');
  // Nothing was counted.
  expect(await goalTotal()).toEqual(before);

  expect(blocked).toEqual([]);
}
