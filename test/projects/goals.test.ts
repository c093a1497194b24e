import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApplicationError } from '../../application/errors.ts';
import { defineGoal } from '../../application/goals/defineGoal.ts';
import { deleteGoal } from '../../application/goals/deleteGoal.ts';
import { type GoalWriter, incrementGoal } from '../../application/goals/incrementGoal.ts';
import { getGoal, goalStats, listGlobalGoals, listProjectGoals } from '../../application/goals/queries.ts';
import { updateGoal } from '../../application/goals/updateGoal.ts';
import { createProject } from '../../application/projects/createProject.ts';
import { deleteProject } from '../../application/projects/deleteProject.ts';
import { grantMember } from '../../application/projects/members.ts';
import { updateProject } from '../../application/projects/updateProject.ts';
import { openProjectsHarness, type ProjectsHarness, userActor } from '../kit/projectsHarness.ts';

const admin = userActor({ role: 'admin' });
const owner = userActor({ permissions: ['create_projects'] });
const member = userActor();
const stranger = userActor({ permissions: ['create_projects'] });

async function refusal(promise: Promise<unknown>): Promise<ApplicationError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ApplicationError);
  return error as ApplicationError;
}

describe('goals', () => {
  let h: ProjectsHarness;
  let shop: { projectId: string; apiKey: string };
  let blog: { projectId: string; apiKey: string };
  const as = (actor: typeof owner): GoalWriter => ({ kind: 'actor', actor });
  const key = (projectId: string): GoalWriter => ({ kind: 'project', projectId });

  beforeEach(async () => {
    h = await openProjectsHarness();
    shop = await createProject(h.deps, owner, { name: 'Shop', slug: 'my-shop' });
    blog = await createProject(h.deps, stranger, { name: 'Blog', slug: 'blog' });
    await h.settle();
    await grantMember(h.deps, owner, shop.projectId, member.userId);
    await h.settle();
  });
  afterEach(() => h.close());

  const define = async (...args: Parameters<typeof defineGoal> extends [unknown, ...infer R] ? R : never) => {
    const result = await defineGoal(h.deps, ...args);
    await h.settle(result.position);
    return result.goalId;
  };

  it('addresses a project goal as {project-slug}-{goal-slug}, following the project slug', async () => {
    const goalId = await define(owner, shop.projectId, { slug: 'orders', name: 'Orders', type: 'counter' });
    expect(await getGoal(h.deps, owner, 'my-shop-orders')).toMatchObject({
      id: goalId,
      projectId: shop.projectId,
      slug: 'my-shop-orders',
      goalSlug: 'orders',
      type: 'counter',
      total: 0,
    });
    const moved = await updateProject(h.deps, owner, shop.projectId, { slug: 'store' });
    await h.settle(moved.position);
    expect((await getGoal(h.deps, owner, goalId)).slug).toBe('store-orders');
    await refusal(getGoal(h.deps, owner, 'my-shop-orders'));
    expect((await listProjectGoals(h.deps, member, shop.projectId)).map((g) => g.slug)).toEqual([
      'store-orders',
    ]);
  });

  it('keeps goal slugs unique per project and refuses hyphens in them', async () => {
    await define(owner, shop.projectId, { slug: 'orders', name: 'Orders', type: 'counter' });
    const taken = await refusal(
      defineGoal(h.deps, owner, shop.projectId, { slug: 'orders', name: 'X', type: 'counter' }),
    );
    expect(taken).toMatchObject({ kind: 'conflict', code: 'slug_taken' });
    await define(stranger, blog.projectId, { slug: 'orders', name: 'Orders', type: 'counter' });
    expect(
      await refusal(
        defineGoal(h.deps, owner, shop.projectId, { slug: 'new-orders', name: 'X', type: 'counter' }),
      ),
    ).toMatchObject({ kind: 'invalid', field: 'slug' });
  });

  it('lets only the owner or a global admin define project goals, and only admins define global goals', async () => {
    const input = { slug: 'g', name: 'G', type: 'counter' as const };
    expect((await refusal(defineGoal(h.deps, member, shop.projectId, input))).kind).toBe('forbidden');
    expect((await refusal(defineGoal(h.deps, stranger, shop.projectId, input))).kind).toBe('not_found');
    expect((await refusal(defineGoal(h.deps, owner, null, input))).kind).toBe('forbidden');
    await define(admin, shop.projectId, input);
    await define(admin, null, { ...input, allowedProjectIds: [shop.projectId] });
    const bogus = await refusal(
      defineGoal(h.deps, admin, null, {
        ...input,
        slug: 'h',
        allowedProjectIds: ['00000000-0000-4000-8000-000000000000'],
      }),
    );
    expect(bogus).toMatchObject({ kind: 'invalid', field: 'allowedProjectIds' });
  });

  it('counts 200 concurrent increments of one goal exactly', async () => {
    const goalId = await define(owner, shop.projectId, { slug: 'hits', name: 'Hits', type: 'counter' });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        incrementGoal(h.deps, i % 2 ? key(shop.projectId) : as(member), 'my-shop-hits'),
      ),
    );
    await h.settle(Math.max(...results.map((r) => r.position)));
    expect((await goalStats(h.deps, owner, goalId, {})).total).toBe(200);
    const increments = (await h.allEvents()).filter((e) => e.type === 'GoalIncremented');
    expect(increments).toHaveLength(200);
  });

  it('books increments on the UTC day of the injected clock, and fills missing days with 0', async () => {
    const goalId = await define(owner, shop.projectId, {
      slug: 'signups',
      name: 'Signups',
      type: 'daily_counter',
    });
    h.clock.set('2026-03-01T23:59:59.999Z');
    await incrementGoal(h.deps, as(owner), goalId, 5);
    h.clock.set('2026-03-02T00:00:00.000Z');
    await incrementGoal(h.deps, as(owner), goalId, 7);
    await incrementGoal(h.deps, key(shop.projectId), goalId);
    h.clock.set('2026-03-04T10:00:00.000Z');
    await incrementGoal(h.deps, as(owner), goalId, 2);
    await h.settle();
    const stats = await goalStats(h.deps, member, goalId, { from: '2026-02-28', to: '2026-03-05' });
    expect(stats).toEqual({
      goalId,
      slug: 'my-shop-signups',
      type: 'daily_counter',
      total: 15,
      from: '2026-02-28',
      to: '2026-03-05',
      days: [
        { day: '2026-02-28', value: 0 },
        { day: '2026-03-01', value: 5 },
        { day: '2026-03-02', value: 8 },
        { day: '2026-03-03', value: 0 },
        { day: '2026-03-04', value: 2 },
        { day: '2026-03-05', value: 0 },
      ],
    });
    // Default: the last 30 days up to today.
    const recent = await goalStats(h.deps, owner, goalId, {});
    expect(recent).toMatchObject({ from: '2026-02-03', to: '2026-03-04' });
    expect(recent.days).toHaveLength(30);
    expect(recent.days!.at(-1)).toEqual({ day: '2026-03-04', value: 2 });
  });

  it.each([
    [{ from: '2026-03-05', to: '2026-03-01' }, 'from'],
    [{ from: '2025-01-01', to: '2026-03-01' }, 'to'],
    [{ from: '2026-02-30' }, 'from'],
    [{ to: 'yesterday' }, 'to'],
  ])('refuses the stats range %o naming %s', async (range, field) => {
    const goalId = await define(owner, shop.projectId, { slug: 'd', name: 'D', type: 'daily_counter' });
    expect(await refusal(goalStats(h.deps, owner, goalId, range))).toMatchObject({ kind: 'invalid', field });
  });

  it('accepts a 366-day range', async () => {
    const goalId = await define(owner, shop.projectId, { slug: 'd', name: 'D', type: 'daily_counter' });
    const stats = await goalStats(h.deps, owner, goalId, { from: '2025-03-10', to: '2026-03-10' });
    expect(stats.days).toHaveLength(366);
  });

  it('lets a project key write to its own goals and to global goals that allow it, and nowhere else (403)', async () => {
    await define(owner, shop.projectId, { slug: 'own', name: 'Own', type: 'counter' });
    await define(stranger, blog.projectId, { slug: 'theirs', name: 'Theirs', type: 'counter' });
    const open = await define(admin, null, {
      slug: 'global_open',
      name: 'Open',
      type: 'counter',
      allowedProjectIds: [shop.projectId],
    });
    await define(admin, null, {
      slug: 'global_closed',
      name: 'Closed',
      type: 'counter',
      allowedProjectIds: [blog.projectId],
    });

    expect((await incrementGoal(h.deps, key(shop.projectId), 'my-shop-own', 3)).by).toBe(3);
    expect((await incrementGoal(h.deps, key(shop.projectId), 'global_open')).goalId).toBe(open);
    for (const slug of ['blog-theirs', 'global_closed']) {
      const error = await refusal(incrementGoal(h.deps, key(shop.projectId), slug));
      expect(error).toMatchObject({ kind: 'not_found', code: 'goal_not_found' });
    }
    expect((await refusal(incrementGoal(h.deps, key(shop.projectId), 'nope'))).kind).toBe('not_found');
    // Users: those with access to the goal's project (or one the global goal allows), and admins.
    await incrementGoal(h.deps, as(member), 'global_open');
    await incrementGoal(h.deps, as(admin), 'global_closed');
    expect((await refusal(incrementGoal(h.deps, as(member), 'global_closed'))).kind).toBe('not_found');
    expect((await refusal(incrementGoal(h.deps, as(member), 'blog-theirs'))).kind).toBe('not_found');
    await h.settle();
    expect((await getGoal(h.deps, owner, 'global_open')).total).toBe(2);
    expect((await listGlobalGoals(h.deps, member)).map((g) => g.slug)).toEqual(['global_open']);
    expect((await listGlobalGoals(h.deps, admin)).map((g) => g.slug)).toEqual([
      'global_closed',
      'global_open',
    ]);
    const writes = (await h.allEvents()).filter((e) => e.type === 'GoalIncremented');
    expect(writes).toHaveLength(4);
  });

  it.each([0, -1, 1.5, 1_000_000_001])('refuses to increment by %s', async (by) => {
    await define(owner, shop.projectId, { slug: 'c', name: 'C', type: 'counter' });
    expect(await refusal(incrementGoal(h.deps, as(owner), 'my-shop-c', by))).toMatchObject({
      kind: 'invalid',
      field: 'by',
    });
    expect((await h.allEvents()).filter((e) => e.type === 'GoalIncremented')).toEqual([]);
  });

  it('rebuilds exactly the same statistics on replay', async () => {
    const counter = await define(owner, shop.projectId, { slug: 'c', name: 'C', type: 'counter' });
    const daily = await define(owner, shop.projectId, { slug: 'd', name: 'D', type: 'daily_counter' });
    for (let i = 0; i < 40; i++) {
      h.clock.set(new Date(Date.UTC(2026, 2, 1 + (i % 5), i % 24)).toISOString());
      await incrementGoal(h.deps, key(shop.projectId), i % 2 ? counter : daily, i + 1);
    }
    await h.settle();
    const range = { from: '2026-03-01', to: '2026-03-07' };
    const before = [
      await goalStats(h.deps, owner, counter, {}),
      await goalStats(h.deps, owner, daily, range),
    ];
    expect(before[0]!.total + before[1]!.total).toBe((40 * 41) / 2);
    await h.runner.replay();
    const after = [await goalStats(h.deps, owner, counter, {}), await goalStats(h.deps, owner, daily, range)];
    expect(after).toEqual(before);
  });

  it('edits name, colour, description and allowed projects; deleting frees the slug and drops the stats', async () => {
    const goalId = await define(admin, null, { slug: 'shared', name: 'Shared', type: 'counter' });
    const u = await updateGoal(h.deps, admin, goalId, {
      name: 'Shared goal',
      color: 'teal',
      description: ' Counts things ',
      allowedProjectIds: [blog.projectId, shop.projectId, blog.projectId],
    });
    await h.settle(u.position);
    expect(await getGoal(h.deps, admin, 'shared')).toMatchObject({
      name: 'Shared goal',
      color: 'teal',
      description: 'Counts things',
      allowedProjectIds: [blog.projectId, shop.projectId].sort(),
    });
    expect((await refusal(updateGoal(h.deps, member, goalId, { name: 'X' }))).kind).toBe('forbidden');
    await incrementGoal(h.deps, key(blog.projectId), 'shared', 4);
    const d = await deleteGoal(h.deps, admin, 'shared');
    await h.settle(d.position);
    expect((await refusal(getGoal(h.deps, admin, goalId))).kind).toBe('not_found');
    const again = await define(admin, null, { slug: 'shared', name: 'Again', type: 'counter' });
    expect((await getGoal(h.deps, admin, again)).total).toBe(0);
  });

  it('a deleted project takes its goals and their stats along, and leaves global allow-lists', async () => {
    await define(owner, shop.projectId, { slug: 'c', name: 'C', type: 'counter' });
    const global = await define(admin, null, {
      slug: 'g',
      name: 'G',
      type: 'counter',
      allowedProjectIds: [shop.projectId, blog.projectId],
    });
    await incrementGoal(h.deps, key(shop.projectId), 'my-shop-c');
    const d = await deleteProject(h.deps, owner, shop.projectId, 'my-shop');
    await h.settle(d.position);
    expect((await refusal(getGoal(h.deps, admin, 'my-shop-c'))).kind).toBe('not_found');
    expect((await getGoal(h.deps, admin, global)).allowedProjectIds).toEqual([blog.projectId]);
    const rows = await h.stores.readStore.collection('goal_totals').count();
    expect(rows).toBe(1);
  });
});
