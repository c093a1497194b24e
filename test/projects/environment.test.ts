import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  listEnvironment,
  readEnvironment,
  SECRET_MASK,
} from '../../application/environment/readEnvironment.ts';
import { deleteVariable, setVariable } from '../../application/environment/setVariable.ts';
import { ApplicationError } from '../../application/errors.ts';
import { createProject } from '../../application/projects/createProject.ts';
import { deleteProject } from '../../application/projects/deleteProject.ts';
import { grantMember } from '../../application/projects/members.ts';
import { aesGcmCipher, loadSecretsKey, SECRETS_KEY_FILE } from '../../infrastructure/crypto/secretCipher.ts';
import { openProjectsHarness, type ProjectsHarness, userActor } from '../kit/projectsHarness.ts';

const owner = userActor({ permissions: ['create_projects'] });
const member = userActor();
const stranger = userActor();
const SECRET = 'sk_live_Zr8q-very-secret-value';

async function refusal(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

describe('environment', () => {
  let h: ProjectsHarness;
  let projectId: string;
  beforeEach(async () => {
    h = await openProjectsHarness();
    ({ projectId } = await createProject(h.deps, owner, { name: 'Env', slug: 'env' }));
    await h.settle();
    await grantMember(h.deps, owner, projectId, member.userId);
    await h.settle();
  });
  afterEach(() => h.close());

  it('encrypts secrets before they enter an event; never in clear in events, read model or listings', async () => {
    await setVariable(h.deps, owner, projectId, { name: 'API_URL', value: 'https://example.com' });
    await setVariable(h.deps, owner, projectId, { name: 'STRIPE_KEY', value: SECRET, secret: true });
    await h.settle();

    const events = await h.allEvents();
    expect(JSON.stringify(events)).not.toContain(SECRET);
    const set = events.filter((e) => e.type === 'EnvVariableSet').map((e) => e.data);
    expect(set).toEqual([
      { projectId, name: 'API_URL', secret: false, value: 'https://example.com' },
      {
        projectId,
        name: 'STRIPE_KEY',
        secret: true,
        encrypted: expect.stringMatching(/^[^.]+\.[^.]+\.[^.]+$/),
      },
    ]);
    const stored = await h.stores.readStore.collection('project_env').find({});
    expect(JSON.stringify(stored)).not.toContain(SECRET);

    const listed = await listEnvironment(h.deps, member, projectId);
    expect(listed).toEqual([
      {
        name: 'API_URL',
        secret: false,
        value: 'https://example.com',
        masked: null,
        updatedAt: expect.any(String),
      },
      { name: 'STRIPE_KEY', secret: true, value: null, masked: SECRET_MASK, updatedAt: expect.any(String) },
    ]);
    expect(JSON.stringify(listed)).not.toContain(SECRET);

    expect(await readEnvironment(h.deps, projectId)).toEqual({
      API_URL: 'https://example.com',
      STRIPE_KEY: SECRET,
    });
  });

  it('replaces and deletes variables; only the owner or an admin writes, members read, others see nothing', async () => {
    await setVariable(h.deps, owner, projectId, { name: 'MODE', value: 'a', secret: true });
    await setVariable(h.deps, owner, projectId, { name: 'MODE', value: 'b' });
    await h.settle();
    expect(await readEnvironment(h.deps, projectId)).toEqual({ MODE: 'b' });
    expect((await refusal(setVariable(h.deps, member, projectId, { name: 'X', value: '1' }))).kind).toBe(
      'forbidden',
    );
    expect((await refusal(listEnvironment(h.deps, stranger, projectId))).kind).toBe('not_found');
    const d = await deleteVariable(h.deps, owner, projectId, 'MODE');
    await h.settle(d.position);
    expect(await listEnvironment(h.deps, owner, projectId)).toEqual([]);
    expect((await refusal(deleteVariable(h.deps, owner, projectId, 'MODE'))).kind).toBe('not_found');
  });

  it.each([
    ['name', { name: 'lower', value: 'x' }],
    ['name', { name: '1ABC', value: 'x' }],
    ['name', { name: `A${'B'.repeat(64)}`, value: 'x' }],
    ['value', { name: 'BIG', value: 'é'.repeat(16 * 1024 + 1) }],
    ['value', { name: 'BIG', value: 'x'.repeat(32 * 1024 + 1), secret: true }],
  ])('refuses an invalid %s and writes nothing', async (field, input) => {
    const before = (await h.allEvents()).length;
    expect(await refusal(setVariable(h.deps, owner, projectId, input))).toMatchObject({
      kind: 'invalid',
      field,
    });
    expect(await h.allEvents()).toHaveLength(before);
  });

  it('accepts a value of exactly 32 KB', async () => {
    await setVariable(h.deps, owner, projectId, { name: 'BIG', value: 'x'.repeat(32 * 1024), secret: true });
    await h.settle();
    expect((await readEnvironment(h.deps, projectId)).BIG).toHaveLength(32 * 1024);
  });

  it("drops a deleted project's variables", async () => {
    await setVariable(h.deps, owner, projectId, { name: 'A', value: '1' });
    const d = await deleteProject(h.deps, owner, projectId, 'env');
    await h.settle(d.position);
    expect(await readEnvironment(h.deps, projectId)).toEqual({});
  });
});

describe('secret cipher (AES-256-GCM)', () => {
  const cipher = aesGcmCipher(randomBytes(32));

  it('round-trips, with a fresh IV each time', () => {
    const a = cipher.encrypt('hello', 'ctx');
    expect(a).not.toBe(cipher.encrypt('hello', 'ctx'));
    expect(cipher.decrypt(a, 'ctx')).toBe('hello');
    expect(cipher.decrypt(cipher.encrypt('', 'ctx'), 'ctx')).toBe('');
  });

  it('refuses another context, another key, or a tampered ciphertext', () => {
    const token = cipher.encrypt('hello', 'project-a:NAME');
    expect(() => cipher.decrypt(token, 'project-b:NAME')).toThrow();
    expect(() => aesGcmCipher(randomBytes(32)).decrypt(token, 'project-a:NAME')).toThrow();
    const [iv, tag, data] = token.split('.') as [string, string, string];
    const flipped = Buffer.from(data, 'base64');
    flipped[0]! ^= 1;
    expect(() => cipher.decrypt([iv, tag, flipped.toString('base64')].join('.'), 'project-a:NAME')).toThrow();
    expect(() => cipher.decrypt('garbage', 'project-a:NAME')).toThrow();
  });
});

describe('secrets key', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'm3m-key-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('is generated once into the data dir with mode 0600, then reused', async () => {
    const first = loadSecretsKey({ configured: null, dataDir: dir });
    expect(first).toHaveLength(32);
    const file = join(dir, SECRETS_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(loadSecretsKey({ configured: null, dataDir: dir }).equals(first)).toBe(true);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64').equals(first)).toBe(true);
  });

  it('comes from configuration when given, and then no file is written', async () => {
    const configured = randomBytes(32);
    expect(loadSecretsKey({ configured, dataDir: dir }).equals(configured)).toBe(true);
    await expect(stat(join(dir, SECRETS_KEY_FILE))).rejects.toThrow();
  });

  it('refuses a key file other users can read', async () => {
    await writeFile(join(dir, SECRETS_KEY_FILE), `${randomBytes(32).toString('base64')}\n`, { mode: 0o644 });
    expect(() => loadSecretsKey({ configured: null, dataDir: dir })).toThrow(/readable by other users/);
  });

  it('refuses a damaged key file instead of silently making a new key', async () => {
    await writeFile(join(dir, SECRETS_KEY_FILE), 'c2hvcnQ=\n', { mode: 0o600 });
    expect(() => loadSecretsKey({ configured: null, dataDir: dir })).toThrow(/restore it from a backup/);
  });
});
