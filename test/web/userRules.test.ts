import { describe, expect, it } from 'vitest';
import type { User } from '@/api/types';
import { mayChangeAccessOf, mayGrant, whyNot } from '@/features/users/rules';

const user = (id: string, role: User['role'], permissions: User['permissions'] = []): User => ({
  id,
  email: `${id}@example.com`,
  name: id,
  role,
  permissions,
  projectIds: [],
  blocked: false,
  avatarUrl: null,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
});

const root = user('root', 'root');
const admin = user('admin', 'admin');
const manager = user('manager', 'user', ['manage_users']);
const plain = user('plain', 'user');

describe('what the Users page offers', () => {
  it('never offers to delete the root, and only the root changes the root', () => {
    expect(whyNot(root, root, 'delete')).toBe('users.why.root');
    expect(whyNot(admin, root, 'edit')).toBe('users.why.rootOnly');
    expect(whyNot(admin, root, 'block')).toBe('users.why.rootOnly');
    expect(whyNot(root, root, 'edit')).toBeNull();
  });

  it('keeps global admins out of a manager’s reach', () => {
    expect(whyNot(manager, admin, 'edit')).toBe('users.why.adminOnly');
    expect(whyNot(manager, plain, 'edit')).toBeNull();
    expect(whyNot(manager, plain, 'block')).toBeNull();
  });

  it('does not offer blocking or deleting oneself, nor setting one’s own password without the current one', () => {
    expect(whyNot(admin, admin, 'block')).toBe('users.why.self');
    expect(whyNot(manager, manager, 'delete')).toBe('users.why.self');
    expect(whyNot(admin, admin, 'password')).toBe('users.why.selfPassword');
    expect(whyNot(manager, plain, 'password')).toBe('users.why.adminOnly');
  });

  it('offers nothing to someone who may not manage users', () => {
    expect(whyNot(plain, manager, 'edit')).toBe('users.why.noManageUsers');
  });

  it('offers only the permissions the caller holds, and never on one’s own account', () => {
    expect(mayGrant(manager, 'manage_users')).toBe(true);
    expect(mayGrant(manager, 'create_projects')).toBe(false);
    expect(mayGrant(admin, 'create_projects')).toBe(true);
    expect(mayChangeAccessOf(manager, manager)).toBe(false);
    expect(mayChangeAccessOf(manager, plain)).toBe(true);
  });
});
