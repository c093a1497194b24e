import { describe, expect, it } from 'vitest';
import { normalizeName, type ProjectCommand, type ProjectEvent, project } from '../../domain/project.ts';
import { deciderSpec, refusalOf } from '../kit/decider.ts';

const given = deciderSpec(project);
const apiKey = { hash: 'h1', prefix: 'm3m_AbCd' };
const create: Extract<ProjectCommand, { type: 'CreateProject' }> = {
  type: 'CreateProject',
  projectId: 'p1',
  name: ' Shop ',
  slug: 'shop',
  color: 'teal',
  ownerId: 'u1',
  apiKey,
};
const created: ProjectEvent = {
  type: 'ProjectCreated',
  data: { projectId: 'p1', name: 'Shop', slug: 'shop', color: 'teal', ownerId: 'u1', apiKey },
};

describe('project', () => {
  it('creates a project once, with its name trimmed', () => {
    given().when(create).then([created]);
    given([created]).when(create).thenRefuses('project_exists');
  });

  it('refuses a bad slug, colour or name', () => {
    given()
      .when({ ...create, slug: '-shop' })
      .thenRefuses('invalid_slug');
    given()
      .when({ ...create, color: 'grey' as never })
      .thenRefuses('invalid_color');
    given()
      .when({ ...create, name: '  ' })
      .thenRefuses('invalid_name');
    given()
      .when({ ...create, name: 'a\nb' })
      .thenRefuses('invalid_name', /control characters/);
  });

  it('records a rename, a recolouring and a slug change as separate facts, and nothing that does not change', () => {
    given([created])
      .when({ type: 'UpdateProject', name: 'Store', color: null, slug: 'store' })
      .then([
        { type: 'ProjectRenamed', data: { projectId: 'p1', name: 'Store' } },
        { type: 'ProjectRecolored', data: { projectId: 'p1', color: null } },
        { type: 'ProjectSlugChanged', data: { projectId: 'p1', from: 'shop', to: 'store' } },
      ]);
    given([created]).when({ type: 'UpdateProject', name: 'Shop', color: 'teal', slug: 'shop' }).then([]);
  });

  it('grants and revokes members; the owner is no member, and revoking a stranger is refused', () => {
    const granted: ProjectEvent = { type: 'ProjectMemberGranted', data: { projectId: 'p1', userId: 'u2' } };
    given([created]).when({ type: 'GrantMember', userId: 'u2' }).then([granted]);
    given([created, granted]).when({ type: 'GrantMember', userId: 'u2' }).then([]);
    given([created]).when({ type: 'GrantMember', userId: 'u1' }).then([]);
    given([created, granted])
      .when({ type: 'RevokeMember', userId: 'u2' })
      .then([{ type: 'ProjectMemberRevoked', data: { projectId: 'p1', userId: 'u2' } }]);
    given([created]).when({ type: 'RevokeMember', userId: 'u3' }).thenRefuses('member_not_found');
  });

  it('deletes only when the slug is repeated; a deleted project is not found', () => {
    const deleted: ProjectEvent = { type: 'ProjectDeleted', data: { projectId: 'p1', slug: 'shop' } };
    given([created]).when({ type: 'DeleteProject', confirm: 'shop' }).then([deleted]);
    given([created]).when({ type: 'DeleteProject', confirm: 'Shop' }).thenRefuses('confirmation_mismatch');
    given([created, deleted]).when({ type: 'RotateApiKey', apiKey }).thenRefuses('project_not_found');
  });

  it('normalizes names: trimmed, bounded, no control characters', () => {
    expect(normalizeName('  A  ')).toBe('A');
    expect(refusalOf(() => normalizeName('x'.repeat(101))).code).toBe('invalid_name');
  });
});
