import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineGoal } from '../../application/goals/defineGoal.ts';
import { deleteGoal } from '../../application/goals/deleteGoal.ts';
import { findGoal } from '../../application/goals/queries.ts';
import type { ReadStore } from '../../application/ports/readStore.ts';
import { createProject } from '../../application/projects/createProject.ts';
import type { ProjectDeps } from '../../application/projects/deps.ts';
import { projectForApiKey } from '../../application/projects/queries.ts';
import { PROJECTS } from '../../application/projects/readModel.ts';
import { rotateApiKey } from '../../application/projects/rotateApiKey.ts';
import { updateProject } from '../../application/projects/updateProject.ts';
import { ReadModelMemo } from '../../application/readModelMemo.ts';
import { openSqliteReadStore } from '../../infrastructure/readStore/sqliteReadStore.ts';
import { openProjectsHarness, type ProjectsHarness, userActor } from '../kit/projectsHarness.ts';

const owner = userActor({ permissions: ['create_projects'] });
const admin = userActor({ role: 'admin' });

/**
 * The hot lookups (API key → project, goal slug → goal) come from memory while the owning projection's checkpoint
 * stays where it was. "Another process" is a second read store on the same file, as a second `m3m serve` has: it
 * never applies the events itself, so only the checkpoint it reads can tell it that its memory is stale.
 */
describe('read-model memo', () => {
  let h: ProjectsHarness;
  let second: ReadStore;
  let elsewhere: ProjectDeps;

  beforeEach(async () => {
    h = await openProjectsHarness();
    second = openSqliteReadStore({ path: join(h.stores.dir, 'read.sqlite') });
    elsewhere = { ...h.deps, readStore: second };
  });
  afterEach(async () => {
    await second.close();
    await h.close();
  });

  const create = async (slug: string) => {
    const created = await createProject(h.deps, owner, { name: `Project ${slug}`, slug, color: 'blue' });
    await h.settle(created.position);
    return created;
  };

  it('a rotated key is refused at once by another read store on the same file, which had it in memory', async () => {
    const project = await create('keys');
    expect((await projectForApiKey(elsewhere, project.apiKey))?.id).toBe(project.projectId);
    expect((await projectForApiKey(elsewhere, project.apiKey))?.id).toBe(project.projectId);

    const rotated = await rotateApiKey(h.deps, owner, project.projectId);
    await h.settle(rotated.position);

    expect(await projectForApiKey(elsewhere, project.apiKey)).toBeNull();
    expect((await projectForApiKey(elsewhere, rotated.apiKey))?.id).toBe(project.projectId);
    expect(await projectForApiKey(h.deps, project.apiKey)).toBeNull();
  });

  it('a deleted goal is gone at once for another read store that had it in memory', async () => {
    const project = await create('goals');
    const goal = await defineGoal(h.deps, owner, project.projectId, {
      slug: 'hits',
      name: 'Hits',
      type: 'counter',
    });
    await h.settle(goal.position);
    const slug = (await findGoal(elsewhere, goal.goalId))!.slug;
    expect((await findGoal(elsewhere, slug))?.id).toBe(goal.goalId);

    const deleted = await deleteGoal(h.deps, owner, goal.goalId);
    await h.settle(deleted.position);

    expect(await findGoal(elsewhere, slug)).toBeNull();
    expect(await findGoal(elsewhere, goal.goalId)).toBeNull();
  });

  it('answers from memory while the checkpoint holds, and reads again once the projection moves it', async () => {
    const project = await create('memo');
    const before = await projectForApiKey(elsewhere, project.apiKey);
    expect(before?.name).toBe('Project memo');
    // Written behind the projection's back (its checkpoint does not move): the memo does not see it.
    await h.stores.readStore
      .collection(PROJECTS)
      .patch(project.projectId, { $set: { name: 'Behind its back' } });
    expect((await projectForApiKey(elsewhere, project.apiKey))?.name).toBe('Project memo');
    // Any event the projects projection applies moves the checkpoint: every process reads again.
    const renamed = await updateProject(h.deps, admin, project.projectId, { name: 'Renamed' });
    await h.settle(renamed.position);
    expect((await projectForApiKey(elsewhere, project.apiKey))?.name).toBe('Renamed');
  });

  it('reads no checkpoint while nothing at all was committed to the file, and reads it again after any commit, from any connection', async () => {
    // The second store with its checkpoint reads counted.
    let checkpointReads = 0;
    const counted = new Proxy(second, {
      get(target, prop) {
        if (prop !== 'collection') {
          const value = Reflect.get(target, prop, target);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (name: string) => {
          const collection = target.collection(name);
          if (!name.startsWith('m3m_checkpoint_')) return collection;
          return { ...collection, get: (id: string) => (checkpointReads++, collection.get(id)) };
        };
      },
    });
    const memo = new ReadModelMemo<string>(counted, 'projects');
    const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
    expect(await memo.get('k', async () => 'first')).toBe('first');
    expect(checkpointReads).toBe(1);
    for (let i = 0; i < 5; i++) {
      await nextTurn();
      expect(await memo.get('k', async () => 'not loaded')).toBe('first');
    }
    expect(checkpointReads).toBe(1);
    // A commit by the other store's writer (not even to the checkpoint): read again, still the same checkpoint.
    await h.stores.readStore.collection('unrelated').upsert({ id: 'x' });
    await nextTurn();
    expect(await memo.get('k', async () => 'not loaded')).toBe('first');
    expect(checkpointReads).toBe(2);
    // The projection moves the checkpoint (another connection again): read, and the memory is dropped.
    await create('moved');
    await nextTurn();
    expect(await memo.get('k', async () => 'second')).toBe('second');
    expect(checkpointReads).toBe(3);
  });
});
