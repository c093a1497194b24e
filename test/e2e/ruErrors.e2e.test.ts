import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from '../kit/projects.ts';
import { ROOT } from '../kit/server.ts';
import { type E2e, screenshot, signIn, startE2e, VIEWPORTS } from './harness.ts';
import { createProject } from './seed.ts';

let e2e: E2e;
let workerPage: string;
beforeAll(async () => {
  e2e = await startE2e();
  const token = await e2e.rootToken();
  // Two projects, so the home page lists them (one new project shows the first-steps guide instead).
  const shop = await createProject(e2e.server, token, { name: 'Shop', slug: 'shop' });
  await createProject(e2e.server, token, { name: 'Warehouse', slug: 'warehouse' });
  await e2e.server.createUser(token, { email: 'ada@example.com', name: 'Ada Lovelace' });
  // Deployed, so opening it saves no starter draft (a save reloads the worker, which resets the triggers tab).
  const worker = await createWorker(
    e2e.server,
    token,
    shop.id,
    { name: 'Nightly', slug: 'nightly' },
    'export default { async scheduled() {} };',
  );
  workerPage = `/projects/${shop.id}/workers/${worker.id}?tab=triggers`;
});
afterAll(() => e2e?.close());

/** The API refuses in English; a Russian page says it in Russian, where the person looks (under the field). */
describe('a refused form in Russian', () => {
  for (const viewport of ['desktop', 'phone'] as const) {
    const width = VIEWPORTS[viewport].width;

    it(`shows the API's refusal in Russian under the field (${width} px)`, async () => {
      const page = await e2e.open({ locale: 'ru-RU', viewport });
      await signIn(page, ROOT.email, ROOT.password);

      // A project whose slug another project has: 409 slug_taken, naming body.slug.
      await page.goto('/');
      await page.getByRole('button', { name: 'Новый проект' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('Название').fill('Shop');
      expect(await dialog.getByLabel('Слаг').inputValue()).toBe('shop');
      await dialog.getByRole('button', { name: 'Создать проект' }).click();
      const slugError = dialog.locator('[data-slot=form-message]');
      await slugError.getByText('Такой слаг уже занят. Выберите другой.').waitFor();
      expect(await dialog.getByText(/already taken/).count()).toBe(0);
      await screenshot(page, `ru-errors-project-slug-${width}`);
      await dialog.getByRole('button', { name: 'Отмена' }).click();

      // A user whose email another user has: 409 email_taken, naming body.email.
      await page.goto('/users');
      await page.getByRole('button', { name: 'Новый пользователь' }).click();
      await dialog.getByLabel('Имя').fill('Ada Again');
      await dialog.getByLabel('Email').fill('ada@example.com');
      await dialog.getByLabel('Пароль').fill('ada-password-2');
      await dialog.getByRole('button', { name: 'Создать пользователя' }).click();
      await dialog
        .locator('[data-slot=form-message]')
        .getByText('Этот email уже есть у другого пользователя.')
        .waitFor();
      expect(await dialog.getByText(/already used/).count()).toBe(0);
      await screenshot(page, `ru-errors-user-email-${width}`);
      await dialog.getByRole('button', { name: 'Отмена' }).click();

      // A schedule the parser cannot read: the preview's 400 names querystring.expression with invalid_cron.
      await page.goto(workerPage);
      // The tab resets its fields whenever the worker is (re)loaded: type once the page has settled.
      const schedule = page.getByLabel('Расписание');
      await schedule.waitFor();
      await page.waitForLoadState('networkidle');
      await schedule.fill('61 * * * *');
      await page
        .getByTestId('cron-error')
        .getByText(/^Cron-выражение не читается/)
        .waitFor();
      await screenshot(page, `ru-errors-cron-${width}`);
    });
  }
});
