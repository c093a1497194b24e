import { crc32, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type E2e, screenshot, signIn, startE2e } from './harness.ts';

/** A real 8×8 PNG (one colour), so the browser can show the preview and the saved avatar. */
function png(): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type), data]);
    const out = Buffer.alloc(data.length + 12);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), data.length + 8);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(8, 0);
  header.writeUInt32BE(8, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([
    Buffer.from([0]),
    Buffer.from(Array.from({ length: 8 }, () => [124, 58, 237]).flat()),
  ]);
  const pixels = deflateSync(Buffer.concat(Array.from({ length: 8 }, () => row)));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', pixels),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

let e2e: E2e;
let user: { password: string };
beforeAll(async () => {
  e2e = await startE2e();
  const root = await e2e.rootToken();
  const created = await e2e.server.createUser(root, { email: 'ada@example.com', name: 'Ada' });
  user = { password: created.password };
});
afterAll(() => e2e?.close());

describe('profile', () => {
  it('renames, uploads an avatar with a preview, removes it, and changes the password with the current one', async () => {
    const page = await e2e.open();
    await signIn(page, 'ada@example.com', user.password);
    await page.goto('/profile');
    await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Name saved').waitFor();
    await page.getByTestId('user-menu').getByText('Ada Lovelace').waitFor();

    // A file the API would refuse is refused before sending.
    await page
      .getByTestId('avatar-input')
      .setInputFiles({ name: 'a.gif', mimeType: 'image/gif', buffer: Buffer.from('GIF89a') });
    await page.getByText('Choose a PNG, JPEG or WebP picture.').waitFor();

    await page
      .getByTestId('avatar-input')
      .setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png() });
    const preview = page.getByTestId('avatar-preview');
    await preview.waitFor();
    expect(await preview.getAttribute('src')).toMatch(/^blob:/);
    await screenshot(page, 'profile-avatar-preview');
    await page.getByRole('button', { name: 'Save picture' }).click();
    await page.getByText('Picture saved').waitFor();
    // A locator, not waitForFunction: a string predicate is evaluated in the page, which the UI's CSP forbids.
    await page.locator('[data-testid=avatar-preview][src*="/api/v1/avatars/"]').waitFor();
    const me = (await (
      await e2e.server.request('GET', '/api/v1/me', {
        token: await e2e.server.login('ada@example.com', user.password),
      })
    ).json()) as { avatarUrl: string | null };
    expect(me.avatarUrl).toMatch(/^\/api\/v1\/avatars\//);
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('Picture removed').waitFor();
    await preview.waitFor({ state: 'detached' });

    await page.getByLabel('Current password', { exact: true }).fill('not-my-password-1');
    await page.getByLabel('New password', { exact: true }).fill('new-password-2');
    await page.getByLabel('Repeat the new password').fill('new-password-3');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two passwords differ').waitFor();
    await page.getByLabel('Repeat the new password').fill('new-password-2');
    await page.getByRole('button', { name: 'Change password' }).click();
    // The API's refusal of the wrong current password shows on the form.
    await page.locator('[data-slot=form-message], [data-testid=form-error]').first().waitFor();
    await page.getByLabel('Current password', { exact: true }).fill(user.password);
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed').waitFor();
    // This browser stays signed in with the new token; the old password no longer works.
    await page.reload();
    await page.getByRole('heading', { name: 'Profile' }).waitFor();
    const old = await e2e.server.request('POST', '/api/v1/auth/login', {
      body: { email: 'ada@example.com', password: user.password },
    });
    expect(old.status).toBe(401);
    await screenshot(page, 'profile');
  });
});
