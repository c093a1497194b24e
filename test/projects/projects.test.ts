import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationError } from '../../application/errors.ts';
import { createProject } from '../../application/projects/createProject.ts';
import { deleteProject } from '../../application/projects/deleteProject.ts';
import { grantMember, revokeMember } from '../../application/projects/members.ts';
import { getProject, listProjects, projectForApiKey } from '../../application/projects/queries.ts';
import { rotateApiKey } from '../../application/projects/rotateApiKey.ts';
import { ABANDONED_AFTER_MS } from '../../application/projects/slugReservations.ts';
import { updateProject } from '../../application/projects/updateProject.ts';
import { openProjectsHarness, type ProjectsHarness, userActor } from '../kit/projectsHarness.ts';

const admin = userActor({ role: 'admin' });
const creator = userActor({ permissions: ['create_projects'] });
const other = userActor({ permissions: ['create_projects'] });
const nobody = userActor();

async function refusal(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

describe('projects', () => {
  let h: ProjectsHarness;
  beforeEach(async () => {
    h = await openProjectsHarness();
  });
  afterEach(() => h.close());

  const create = async (slug: string, actor = creator, name = `Project ${slug}`) => {
    const created = await createProject(h.deps, actor, { name, slug, color: 'blue' });
    await h.settle(created.position);
    return created;
  };

  it('creates a project owned by its creator, with an API key shown once and stored only as a hash', async () => {
    const { projectId, apiKey } = await create('shop');
    expect(apiKey).toMatch(/^m3m_[A-Za-z0-9_-]{43}$/);
    const view = await getProject(h.deps, creator, projectId);
    expect(view).toMatchObject({
      id: projectId,
      name: 'Project shop',
      slug: 'shop',
      color: 'blue',
      ownerId: creator.userId,
      memberIds: [],
      apiKeyPrefix: apiKey.slice(0, 12),
      access: 'owner',
    });
    expect(JSON.stringify(view)).not.toContain(apiKey);
    const log = JSON.stringify(await h.allEvents());
    expect(log).not.toContain(apiKey);
    expect(log).not.toContain(apiKey.slice(12));
    expect((await projectForApiKey(h.deps, apiKey))?.id).toBe(projectId);
  });

  it('needs create_projects to create', async () => {
    const error = await refusal(createProject(h.deps, nobody, { name: 'X', slug: 'x' }));
    expect(error.kind).toBe('forbidden');
    expect(await h.allEvents()).toEqual([]);
  });

  it.each([
    ['slug', { name: 'A', slug: 'Bad_Slug' }],
    ['slug', { name: 'A', slug: '-edge' }],
    ['slug', { name: 'A', slug: 'a'.repeat(49) }],
    ['name', { name: '   ', slug: 'ok' }],
    ['color', { name: 'A', slug: 'ok', color: 'mauve' }],
  ])('refuses an invalid %s and writes nothing', async (field, input) => {
    const error = await refusal(createProject(h.deps, creator, input as never));
    expect(error).toMatchObject({ kind: 'invalid', field });
    expect(await h.allEvents()).toEqual([]);
  });

  it('of 20 concurrent creates of one slug, exactly one wins and the others get slug_taken', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => createProject(h.deps, creator, { name: `P${i}`, slug: 'race' })),
    );
    const won = outcomes.filter((o) => o.status === 'fulfilled');
    const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    expect(won).toHaveLength(1);
    expect(lost.map((o) => (o.reason as ApplicationError).code)).toEqual(Array(19).fill('slug_taken'));
    expect(lost.every((o) => (o.reason as ApplicationError).kind === 'conflict')).toBe(true);
    await h.settle();
    const listed = await listProjects(h.deps, admin);
    expect(listed.filter((p) => p.slug === 'race')).toHaveLength(1);
    expect((await h.allEvents()).filter((e) => e.type === 'ProjectCreated')).toHaveLength(1);
  });

  it('frees the old slug after a slug change, and keeps the new one taken', async () => {
    const a = await create('alpha');
    const { position } = await updateProject(h.deps, creator, a.projectId, { slug: 'beta', name: 'Renamed' });
    await h.settle(position);
    expect(await getProject(h.deps, creator, a.projectId)).toMatchObject({ slug: 'beta', name: 'Renamed' });
    await create('alpha', other);
    expect((await refusal(createProject(h.deps, other, { name: 'B', slug: 'beta' }))).code).toBe(
      'slug_taken',
    );
    // Changing to a slug someone holds fails and leaves everything as it was.
    const b = (await listProjects(h.deps, other)).find((p) => p.slug === 'alpha')!;
    expect((await refusal(updateProject(h.deps, other, b.id, { slug: 'beta' }))).code).toBe('slug_taken');
    expect(await getProject(h.deps, other, b.id)).toMatchObject({ slug: 'alpha' });
  });

  it('deletes only with the slug as confirmation, then frees the slug and drops it from every list', async () => {
    const a = await create('gone');
    await grantMember(h.deps, creator, a.projectId, other.userId);
    const mismatch = await refusal(deleteProject(h.deps, creator, a.projectId, 'gone-typo'));
    expect(mismatch).toMatchObject({ kind: 'invalid', field: 'confirm' });
    const { position } = await deleteProject(h.deps, creator, a.projectId, 'gone');
    await h.settle(position);
    for (const actor of [admin, creator, other]) expect(await listProjects(h.deps, actor)).toEqual([]);
    expect((await refusal(getProject(h.deps, admin, a.projectId))).kind).toBe('not_found');
    expect(await projectForApiKey(h.deps, a.apiKey)).toBeNull();
    const again = await create('gone', other);
    expect(again.projectId).not.toBe(a.projectId);
    // The deleted project's events stay in the log.
    const types = (await h.allEvents())
      .filter((e) => e.streamId === `project-${a.projectId}`)
      .map((e) => e.type);
    expect(types).toEqual(['ProjectCreated', 'ProjectMemberGranted', 'ProjectDeleted']);
  });

  it('rotating the key makes the old one fail at once and the new one work', async () => {
    const a = await create('keys');
    const rotated = await rotateApiKey(h.deps, creator, a.projectId);
    await h.settle(rotated.position);
    expect(rotated.apiKey).not.toBe(a.apiKey);
    expect(await projectForApiKey(h.deps, a.apiKey)).toBeNull();
    expect((await projectForApiKey(h.deps, rotated.apiKey))?.id).toBe(a.projectId);
    expect((await getProject(h.deps, creator, a.projectId)).apiKeyPrefix).toBe(rotated.apiKeyPrefix);
    expect(JSON.stringify(await h.allEvents())).not.toContain(rotated.apiKey);
  });

  it('shows each caller the projects they own, are a member of or were granted; admins see all', async () => {
    const mine = await create('mine');
    const theirs = await create('theirs', other);
    const granted = await create('granted', other);
    const member = userActor();
    const g = await grantMember(h.deps, other, theirs.projectId, member.userId);
    await h.settle(g.position);
    const slugs = async (actor: Parameters<typeof listProjects>[1]) =>
      (await listProjects(h.deps, actor)).map((p) => p.slug).sort();
    expect(await slugs(creator)).toEqual(['mine']);
    expect(await slugs(other)).toEqual(['granted', 'theirs']);
    expect(await slugs(member)).toEqual(['theirs']);
    const grantee = { ...nobody, projectIds: [granted.projectId] };
    expect(await slugs(grantee)).toEqual(['granted']);
    expect((await getProject(h.deps, grantee, granted.projectId)).access).toBe('granted');
    expect((await refusal(updateProject(h.deps, grantee, granted.projectId, { name: 'No' }))).kind).toBe(
      'forbidden',
    );
    expect(await slugs(nobody)).toEqual([]);
    expect(await slugs(admin)).toEqual(['granted', 'mine', 'theirs']);
    expect(await slugs({ kind: 'system' })).toEqual(['granted', 'mine', 'theirs']);
    // Hidden projects are 404, not 403: their existence is not revealed.
    expect((await refusal(getProject(h.deps, creator, theirs.projectId))).kind).toBe('not_found');
    expect((await getProject(h.deps, member, theirs.projectId)).access).toBe('member');
    // A member may look but not change settings.
    expect((await refusal(updateProject(h.deps, member, theirs.projectId, { name: 'No' }))).kind).toBe(
      'forbidden',
    );
    expect((await refusal(rotateApiKey(h.deps, member, theirs.projectId))).kind).toBe('forbidden');
    // Revoking takes the access away.
    const r = await revokeMember(h.deps, other, theirs.projectId, member.userId);
    await h.settle(r.position);
    expect(await slugs(member)).toEqual([]);
    expect((await refusal(revokeMember(h.deps, other, theirs.projectId, member.userId))).kind).toBe(
      'not_found',
    );
    void mine;
  });

  it('global admins manage projects they do not own', async () => {
    const a = await create('managed');
    const u = await updateProject(h.deps, admin, a.projectId, { color: null, name: 'By admin' });
    await h.settle(u.position);
    expect(await getProject(h.deps, creator, a.projectId)).toMatchObject({ color: null, name: 'By admin' });
  });

  it('checks a member is an existing user when a user directory is wired', async () => {
    const a = await create('users');
    const deps = { ...h.deps, userExists: async (id: string) => id === other.userId };
    expect((await refusal(grantMember(deps, creator, a.projectId, nobody.userId))).field).toBe('userId');
    expect((await grantMember(deps, creator, a.projectId, other.userId)).position).not.toBeNull();
  });

  it('reclaims a slug whose reservation was abandoned (crash after reserving), but not a live one', async () => {
    // A process reserved "orphan" and died before recording its project.
    const { reserveSlug } = await import('../../application/projects/slugReservations.ts');
    const { projectSlugScope } = await import('../../application/projects/projectSlugs.ts');
    await reserveSlug(h.deps, projectSlugScope(h.deps), 'orphan', 'dead-project', {
      actorId: null,
      source: 'system',
    });
    expect((await refusal(createProject(h.deps, creator, { name: 'O', slug: 'orphan' }))).code).toBe(
      'slug_taken',
    );
    await create('alive');
    h.clock.advance(ABANDONED_AFTER_MS);
    const reclaimed = await create('orphan');
    expect((await getProject(h.deps, creator, reclaimed.projectId)).slug).toBe('orphan');
    // A slug in use stays taken however old its reservation.
    expect((await refusal(createProject(h.deps, creator, { name: 'A', slug: 'alive' }))).code).toBe(
      'slug_taken',
    );
  });
});
