import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../kit/server.ts';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';

let e2e: E2e;
beforeAll(async () => {
  e2e = await startE2e();
  await e2e.rootToken();
});
afterAll(() => e2e?.close());

describe('from an empty m3m to a counted goal, in the browser', () => {
  it('root creates a user who may create projects; they create a project and a daily goal, count it and see the chart move', async () => {
    // Root creates Ada with create_projects on the Users page.
    const root = await e2e.open();
    await signIn(root, ROOT.email, ROOT.password);
    await root.goto('/users');
    await root.getByRole('button', { name: 'New user' }).click();
    const dialog = root.getByRole('dialog');
    await dialog.getByLabel('Name').fill('Ada Lovelace');
    await dialog.getByLabel('Email').fill('ada@example.com');
    await dialog.getByLabel('Password').fill('short');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    // Validated before sending: the password rule shows under the field.
    await dialog.getByText('10 to 72 bytes, with at least one letter and one digit').nth(1).waitFor();
    await dialog.getByLabel('Password').fill('ada-password-1');
    await dialog.getByText('Create projects', { exact: true }).click();
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await root.getByText('Ada Lovelace created').waitFor();
    await root
      .getByTestId('user-row')
      .filter({ hasText: 'ada@example.com' })
      .getByText('Create projects')
      .waitFor();
    await screenshot(root, 'users');

    // A second user with a taken email: the API's 409 lands next to the email field.
    await root.getByRole('button', { name: 'New user' }).click();
    await dialog.getByLabel('Name').fill('Ada Again');
    await dialog.getByLabel('Email').fill('ada@example.com');
    await dialog.getByLabel('Password').fill('ada-password-2');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await dialog.locator('[data-slot=form-message], [data-testid=form-error]').first().waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // Ada signs in: a fresh install for her, so the first-steps guide.
    const ada = await e2e.open();
    await signIn(ada, 'ada@example.com', 'ada-password-1');
    await ada.getByTestId('first-steps').waitFor();
    await screenshot(ada, 'home-first-steps');
    await ada.getByRole('button', { name: 'New project' }).click();
    const create = ada.getByRole('dialog');
    await create.getByLabel('Name').fill('Corner Shop');
    // The slug follows the name until edited.
    expect(await create.getByLabel('Slug').inputValue()).toBe('corner-shop');
    await create.getByRole('radio', { name: 'Emerald' }).click();
    await create.getByRole('button', { name: 'Create project' }).click();
    // The key is shown once, with a copy button.
    const key = await ada.getByTestId('new-api-key').textContent();
    expect(key).toMatch(/^m3m_/);
    await ada.getByRole('button', { name: 'I have stored it' }).click();

    await ada.getByRole('button', { name: 'Define a goal' }).click();
    const goal = ada.getByRole('dialog');
    await goal.getByLabel('Name').fill('Orders');
    expect(await goal.getByLabel('Slug').inputValue()).toBe('orders');
    await goal.getByText('Counted as corner-shop-orders').waitFor();
    await goal.getByRole('button', { name: 'Create goal' }).click();
    await ada.getByText('Goal Orders created').waitFor();
    // The curl command is filled in with this server's address, the goal's address and the new key.
    const curl = await ada.getByTestId('curl').textContent();
    expect(curl).toContain(`${e2e.server.base}/api/v1/goals/corner-shop-orders/increment`);
    expect(curl).toContain(`X-Api-Key: ${key}`);

    // The curl works as shown.
    const counted = await fetch(`${e2e.server.base}/api/v1/goals/corner-shop-orders/increment`, {
      method: 'POST',
      headers: { 'x-api-key': key!, 'content-type': 'application/json' },
      body: JSON.stringify({ by: 2 }),
    });
    expect(counted.status).toBe(200);

    // On the goal page, the total and today's bar move when Ada increments.
    await ada.goto('/');
    await ada.getByTestId('project-card').getByText('Corner Shop').click();
    await ada.getByTestId('goal-card').getByText('Orders').click();
    await ada.getByTestId('goal-total').getByText('2').waitFor();
    await ada.getByTestId('chart-value').getByText('2').waitFor();
    await ada.getByLabel('By').fill('3');
    await ada.getByRole('button', { name: 'Increment' }).click();
    await ada.getByTestId('goal-total').getByText('5').waitFor();
    await ada.getByTestId('chart-value').getByText('5').waitFor();
    const today = ada.locator('[data-testid=bar-chart] rect[data-value="5"]');
    expect(await today.count()).toBe(1);
    await screenshot(ada, 'goal-page');
  });
});
