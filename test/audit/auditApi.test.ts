import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/ports/eventStore.ts';
import { send } from '../kit/http.ts';
import { ROOT, startTestServer, type TestServer } from '../kit/server.ts';

interface Entry {
  position: number;
  time: string;
  type: string;
  stream: string;
  projectId: string | null;
  actor: { kind: string; id: string | null; display: string; deleted?: boolean; name?: string };
  source: string;
  correlationId: string;
  causationId: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
}
interface Page {
  items: Entry[];
  nextCursor: string | null;
  prevCursor: string | null;
}

/**
 * The audit API through a real server and the real SQLite stores: filters, paging both ways, the actors by name
 * (a deleted one too), who may read what, and no secret, hash or key anywhere in what it answers.
 */
describe('audit API', () => {
  let server: TestServer;
  let root: string;
  let owner: { token: string; id: string };
  let member: { token: string; id: string };
  let outsider: { token: string; id: string };
  let gone: { token: string; id: string };
  let projectId: string;
  let goneProjectId: string;
  const SECRET_VALUE = 'sup3r-s3cret-env-value-4711';
  const PASSWORDS = ['owner-password-1', 'member-password-1', 'outsider-password-1', 'gone-password-1'];
  const apiKeys: string[] = [];

  const get = async (path: string, token: string | null = root) => send(server, 'GET', path, { token });
  const page = async (path: string, token = root): Promise<Page> => {
    const r = await get(path, token);
    expect(r.status, r.text).toBe(200);
    return r.json as unknown as Page;
  };
  /** A streamed export: its status, type and whole text. */
  const download = async (path: string, token = root) => {
    const response = await server.request('GET', path, { token });
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const allEvents = async (): Promise<RecordedEvent[]> => {
    const events: RecordedEvent[] = [];
    for (let from = 0; ; ) {
      const batch = await server.m3m.eventStore.readAll({ fromPosition: from, limit: 1000 });
      if (batch.length === 0) return events;
      events.push(...batch);
      from = batch.at(-1)!.position;
    }
  };

  beforeAll(async () => {
    server = await startTestServer();
    root = await server.signInAsRoot();
    const made = async (email: string, password: string, name: string, permissions: string[] = []) => {
      const u = await server.createUser(root, { email, password, name, permissions });
      return { token: u.token, id: u.user.id };
    };
    owner = await made('owner@example.com', PASSWORDS[0]!, 'Olga Owner', ['create_projects']);
    member = await made('member@example.com', PASSWORDS[1]!, 'Mia Member');
    outsider = await made('outsider@example.com', PASSWORDS[2]!, 'Otto Outsider');
    gone = await made('gone@example.com', PASSWORDS[3]!, 'Gene Gone', ['create_projects']);

    const created = await send(server, 'POST', '/api/v1/projects', {
      token: owner.token,
      body: { name: 'Shop', slug: 'shop' },
    });
    expect(created.status, created.text).toBe(201);
    projectId = created.json.id as string;
    apiKeys.push(created.json.apiKey as string);
    const rotated = await send(server, 'POST', `/api/v1/projects/${projectId}/api-key`, {
      token: owner.token,
    });
    apiKeys.push(rotated.json.apiKey as string);
    expect(
      (
        await send(server, 'POST', `/api/v1/projects/${projectId}/members`, {
          token: owner.token,
          body: { userId: member.id },
        })
      ).status,
    ).toBe(200);
    const env = await send(server, 'PUT', `/api/v1/projects/${projectId}/environment/PAYMENT_KEY`, {
      token: owner.token,
      body: { value: SECRET_VALUE, secret: true },
    });
    expect(env.status, env.text).toBe(200);

    const other = await send(server, 'POST', '/api/v1/projects', {
      token: gone.token,
      body: { name: 'Gone shop', slug: 'gone-shop' },
    });
    goneProjectId = other.json.id as string;
    apiKeys.push(other.json.apiKey as string);
    expect((await send(server, 'DELETE', `/api/v1/users/${gone.id}`, { token: root })).status).toBe(204);
  });
  afterAll(() => server.close());

  it('lists every event newest first, with position, time, type, stream, actor, source and ids', async () => {
    const events = await allEvents();
    const { items } = await page('/api/v1/admin/audit?limit=500');
    expect(items.map((e) => e.position)).toEqual(events.map((e) => e.position).reverse());
    const created = items.find((e) => e.type === 'ProjectCreated' && e.projectId === projectId)!;
    const recorded = events.find((e) => e.position === created.position)!;
    expect(created).toMatchObject({
      time: recorded.metadata.timestamp,
      stream: `project-${projectId}`,
      actor: { kind: 'user', id: owner.id, display: 'Olga Owner (owner@example.com)' },
      source: 'api',
      correlationId: recorded.metadata.correlationId,
      causationId: null,
    });
    expect(items.at(-1)!.actor).toMatchObject({ kind: 'cli', display: 'the CLI' });
  });

  it('names a deleted user and says so', async () => {
    const { items } = await page(`/api/v1/admin/audit?project=${goneProjectId}&type=ProjectCreated`);
    expect(items).toHaveLength(1);
    expect(items[0]!.actor).toMatchObject({
      kind: 'user',
      id: gone.id,
      name: 'Gene Gone',
      deleted: true,
      display: 'Gene Gone (gone@example.com, deleted)',
    });
    // Found by the email they had, too.
    const byEmail = await page('/api/v1/admin/audit?actor=GONE@example.com');
    expect(byEmail.items.map((e) => e.type)).toContain('ProjectCreated');
    expect(byEmail.items.every((e) => e.actor.id === gone.id)).toBe(true);
  });

  it('combines filters: actor, several types, stream, project, time and position ranges', async () => {
    const events = await allEvents();
    const byOwner = await page(`/api/v1/admin/audit?actor=${owner.id}&limit=500`);
    expect(byOwner.items.map((e) => e.position)).toEqual(
      events
        .filter((e) => e.metadata.actorId === owner.id)
        .map((e) => e.position)
        .reverse(),
    );
    const types = await page(
      `/api/v1/admin/audit?actor=owner@example.com&type=ProjectApiKeyRotated&type=EnvVariableSet`,
    );
    expect(types.items.map((e) => e.type)).toEqual(['EnvVariableSet', 'ProjectApiKeyRotated']);
    const comma = await page('/api/v1/admin/audit?type=ProjectApiKeyRotated,EnvVariableSet');
    expect(comma.items.map((e) => e.type)).toEqual(['EnvVariableSet', 'ProjectApiKeyRotated']);

    const stream = await page(`/api/v1/admin/audit?stream=project-${projectId}`);
    expect(new Set(stream.items.map((e) => e.stream))).toEqual(new Set([`project-${projectId}`]));
    expect(stream.items.map((e) => e.type).reverse()).toEqual([
      'ProjectCreated',
      'ProjectApiKeyRotated',
      'ProjectMemberGranted',
    ]);

    const project = await page(`/api/v1/admin/audit?project=${projectId}&limit=500`);
    expect(project.items.map((e) => e.position)).toEqual(
      events
        .filter(
          (e) => (e.data as { projectId?: string }).projectId === projectId || e.streamId.endsWith(projectId),
        )
        .map((e) => e.position)
        .reverse(),
    );
    expect(project.items.map((e) => e.type)).toContain('EnvVariableSet');

    const middle = events[Math.floor(events.length / 2)]!;
    const range = await page(
      `/api/v1/admin/audit?fromPosition=${events[2]!.position}&toPosition=${middle.position}&limit=500`,
    );
    expect(range.items.map((e) => e.position)).toEqual(
      events
        .slice(2, events.indexOf(middle) + 1)
        .map((e) => e.position)
        .reverse(),
    );
    const until = await page(
      `/api/v1/admin/audit?until=${encodeURIComponent(middle.metadata.timestamp)}&limit=500`,
    );
    expect(until.items.every((e) => e.time <= middle.metadata.timestamp)).toBe(true);
    expect(until.items.map((e) => e.position)).toContain(middle.position);
    const future = await page(`/api/v1/admin/audit?since=${encodeURIComponent('2999-01-01T00:00:00Z')}`);
    expect(future.items).toEqual([]);
    const combined = await page(
      `/api/v1/admin/audit?actor=${owner.id}&type=ProjectCreated&project=${projectId}&since=2000-01-01T00:00:00Z&fromPosition=0`,
    );
    expect(combined.items).toHaveLength(1);
  });

  it('pages both ways with cursors and refuses a forged cursor and a limit over 500', async () => {
    const all = (await page('/api/v1/admin/audit?limit=500')).items.map((e) => e.position);
    const first = await page('/api/v1/admin/audit?limit=3');
    expect(first.items.map((e) => e.position)).toEqual(all.slice(0, 3));
    expect(first.prevCursor).toBeNull();
    const second = await page(`/api/v1/admin/audit?limit=3&cursor=${first.nextCursor}`);
    expect(second.items.map((e) => e.position)).toEqual(all.slice(3, 6));
    const back = await page(`/api/v1/admin/audit?limit=3&cursor=${second.prevCursor}`);
    expect(back.items.map((e) => e.position)).toEqual(all.slice(0, 3));
    expect(back.prevCursor).toBeNull();
    const seen: number[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const p: Page = await page(`/api/v1/admin/audit?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...p.items.map((e) => e.position));
      cursor = p.nextCursor;
    }
    expect(seen).toEqual(all);

    const forged = await get('/api/v1/admin/audit?cursor=bm9wZQ');
    expect(forged.status).toBe(400);
    expect(forged.json.errors).toEqual([
      expect.objectContaining({ field: 'querystring.cursor', code: 'invalid_cursor' }),
    ]);
    const tooMany = await get('/api/v1/admin/audit?limit=501');
    expect(tooMany.status).toBe(400);
    expect((tooMany.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['querystring.limit']);
    const badTime = await get('/api/v1/admin/audit?since=yesterday');
    expect((badTime.json.errors as { field: string }[]).map((e) => e.field)).toEqual(['querystring.since']);
  });

  it('lets global admins read it all, a project owner their project, members 403, outsiders 404', async () => {
    expect((await get('/api/v1/admin/audit', null)).status).toBe(401);
    for (const user of [owner, member, outsider]) {
      const r = await get('/api/v1/admin/audit', user.token);
      expect(r.status).toBe(403);
      expect(r.json.code).toBe('admin_only');
      expect((await get('/api/v1/admin/audit/export', user.token)).status).toBe(403);
    }
    const mine = await page(`/api/v1/projects/${projectId}/audit?limit=500`, owner.token);
    expect(mine.items.length).toBeGreaterThan(3);
    expect(mine.items.every((e) => e.projectId === projectId)).toBe(true);
    // An owner's own project filter cannot be widened.
    const widened = await page(`/api/v1/projects/${projectId}/audit?project=${goneProjectId}`, owner.token);
    expect(widened.items.every((e) => e.projectId === projectId)).toBe(true);
    expect((await page(`/api/v1/projects/${projectId}/audit`, root)).items.length).toBeGreaterThan(3);
    const asMember = await get(`/api/v1/projects/${projectId}/audit`, member.token);
    expect([asMember.status, asMember.json.code]).toEqual([403, 'not_project_manager']);
    for (const path of [
      `/api/v1/projects/${projectId}/audit`,
      `/api/v1/projects/${projectId}/audit/export`,
    ]) {
      const asOutsider = await get(path, outsider.token);
      expect([asOutsider.status, asOutsider.json.code]).toEqual([404, 'project_not_found']);
    }
  });

  it('exports a filtered range as NDJSON and as CSV, streamed', async () => {
    const ndjson = await download(`/api/v1/admin/audit/export?format=ndjson&project=${projectId}`);
    expect(ndjson.status).toBe(200);
    expect(ndjson.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = ndjson.text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Entry);
    const listed = await page(`/api/v1/admin/audit?project=${projectId}&limit=500`);
    expect(lines).toEqual(listed.items);

    const csv = await download(
      `/api/v1/projects/${projectId}/audit/export?format=csv&type=EnvVariableSet`,
      owner.token,
    );
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toBe('attachment; filename="m3m-audit.csv"');
    const rows = csv.text.trimEnd().split('\r\n');
    expect(rows[0]).toBe(
      'position,time,type,stream,actor,actorId,source,projectId,correlationId,causationId,data,requestId,changes',
    );
    expect(rows).toHaveLength(2);
    expect(rows[1]).toContain(',EnvVariableSet,');
    expect(rows[1]).toContain('"Olga Owner (owner@example.com)"'.replaceAll('"', ''));
    expect(rows[1]).toContain('""encrypted"":""[redacted]""');
  });

  it('names the HTTP request each change came from, and keeps metadata to who, why and where', async () => {
    const renamed = await send(server, 'PATCH', `/api/v1/projects/${projectId}`, {
      token: owner.token,
      body: { name: 'Traced shop' },
    });
    expect(renamed.status, renamed.text).toBe(200);
    const [entry] = (await page(`/api/v1/projects/${projectId}/audit?limit=1`, owner.token)).items;
    expect(entry!.requestId).toMatch(/^req-[0-9a-z]+$/);
    // The same id the server's error answers carry: a refused request names its own.
    const refused = await send(server, 'PATCH', `/api/v1/projects/${projectId}`, {
      token: owner.token,
      body: { name: '' },
    });
    const refusedId = Number.parseInt(String(refused.json.requestId).slice(4), 36);
    expect(refusedId).toBeGreaterThan(Number.parseInt(entry!.requestId!.slice(4), 36));
    // What the CLI did has no request.
    const cliEntries = (await allEvents()).filter((e) => e.metadata.source === 'cli');
    expect(cliEntries.every((e) => e.metadata.requestId === undefined)).toBe(true);
    // Metadata holds only these fields: no header, token or body part goes into the event log.
    const allowed = new Set([
      'actorId',
      'correlationId',
      'causationId',
      'source',
      'schemaVersion',
      'timestamp',
      'depth',
      'requestId',
    ]);
    for (const event of await allEvents()) {
      for (const key of Object.keys(event.metadata)) expect(allowed.has(key), key).toBe(true);
    }
  });

  it('shows no secret, hash or key in any audit output', async () => {
    const events = await allEvents();
    const secrets = new Set<string>([SECRET_VALUE, ROOT.password, ...PASSWORDS, ...apiKeys]);
    const collect = (value: unknown, key = ''): void => {
      if (typeof value === 'string' && /hash$|encrypted/i.test(key) && key !== 'sourceHash')
        secrets.add(value);
      if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, k);
    };
    for (const event of events) collect(event.data);
    // Known to be in the events: bcrypt hashes, the API keys' SHA-256, the secret variable's ciphertext.
    expect([...secrets].filter((s) => s.startsWith('$2')).length).toBeGreaterThanOrEqual(5);
    expect(events.some((e) => JSON.stringify(e.data).includes('"encrypted"'))).toBe(true);

    const outputs = [
      (await get('/api/v1/admin/audit?limit=500')).text,
      (await download('/api/v1/admin/audit/export?format=ndjson')).text,
      (await download('/api/v1/admin/audit/export?format=csv')).text,
      (await get(`/api/v1/projects/${projectId}/audit?limit=500`, owner.token)).text,
    ];
    for (const output of outputs) {
      for (const secret of secrets) expect(output.includes(secret), secret).toBe(false);
      expect(output).toContain('[redacted]');
    }
    const registered = (await page('/api/v1/admin/audit?type=UserRegistered&limit=1')).items[0]!;
    expect(registered.data.passwordHash).toBe('[redacted]');
    const rotated = (await page('/api/v1/admin/audit?type=ProjectApiKeyRotated&limit=1')).items[0]!;
    expect(rotated.data.apiKey).toEqual({ hash: '[redacted]', prefix: expect.stringMatching(/^m3m_/) });
  });
});
