import { describe, expect, it } from 'vitest';
import {
  nameProblem,
  normalizeSet,
  type UserCommand,
  type UserEvent,
  userDecider,
} from '../../domain/user.ts';
import { deciderSpec } from '../kit/decider.ts';

const given = deciderSpec(userDecider);
const register: Extract<UserCommand, { type: 'RegisterUser' }> = {
  type: 'RegisterUser',
  userId: 'u1',
  email: 'ann@example.com',
  name: ' Ann ',
  passwordHash: '$2a$04$hash',
  role: 'user',
  permissions: ['manage_users', 'create_projects', 'manage_users'],
  projectIds: ['p2', 'p1'],
};
const registered = (role: 'root' | 'admin' | 'user' = 'user'): UserEvent => ({
  type: 'UserRegistered',
  data: {
    userId: 'u1',
    email: 'ann@example.com',
    name: 'Ann',
    passwordHash: '$2a$04$hash',
    role,
    permissions: ['create_projects', 'manage_users'],
    projectIds: ['p1', 'p2'],
  },
});

describe('user', () => {
  it('registers once, with the name trimmed and permission and project sets normalized', () => {
    given().when(register).then([registered()]);
    given([registered()]).when(register).thenRefuses('user_exists');
    given()
      .when({ ...register, name: '' })
      .thenRefuses('invalid_name');
    given()
      .when({ ...register, projectIds: ['has space'] })
      .thenRefuses('invalid_project_id');
  });

  it('records only the changes an update makes', () => {
    given([registered()])
      .when({ type: 'UpdateUser', name: 'Ann', permissions: ['manage_users', 'create_projects'] })
      .then([]);
    given([registered()])
      .when({ type: 'UpdateUser', name: 'Anna', email: 'anna@example.com', role: 'admin' })
      .then([
        { type: 'UserProfileChanged', data: { name: 'Anna' } },
        { type: 'UserEmailChanged', data: { email: 'anna@example.com' } },
        { type: 'UserRoleChanged', data: { role: 'admin' } },
      ]);
  });

  it('protects the root: never blocked, deleted or given another role', () => {
    const root = [registered('root')];
    given(root)
      .when({ type: 'BlockUser' })
      .thenRefuses('root_protected', /blocked/);
    given(root)
      .when({ type: 'DeleteUser' })
      .thenRefuses('root_protected', /deleted/);
    given(root).when({ type: 'UpdateUser', role: 'admin' }).thenRefuses('root_protected');
  });

  it('blocks and unblocks only when that changes something', () => {
    const blocked: UserEvent = { type: 'UserBlocked', data: {} };
    given([registered()]).when({ type: 'BlockUser' }).then([blocked]);
    given([registered(), blocked]).when({ type: 'BlockUser' }).then([]);
    given([registered(), blocked])
      .when({ type: 'UnblockUser' })
      .then([{ type: 'UserUnblocked', data: {} }]);
    given([registered()]).when({ type: 'UnblockUser' }).then([]);
  });

  it('grants and revokes project access idempotently', () => {
    given([registered()]).when({ type: 'GrantProjectAccess', projectId: 'p1' }).then([]);
    given([registered()])
      .when({ type: 'GrantProjectAccess', projectId: 'p3' })
      .then([{ type: 'UserProjectAccessGranted', data: { projectId: 'p3' } }]);
    given([registered()])
      .when({ type: 'RevokeProjectAccess', projectId: 'p2' })
      .then([{ type: 'UserProjectAccessRevoked', data: { projectId: 'p2' } }]);
    given([registered()]).when({ type: 'RevokeProjectAccess', projectId: 'p9' }).then([]);
  });

  it('changes the avatar only to another picture', () => {
    const avatar = { file: 'abc.png', contentType: 'image/png' };
    const changed: UserEvent = { type: 'UserAvatarChanged', data: { avatar } };
    given([registered()]).when({ type: 'SetAvatar', avatar }).then([changed]);
    given([registered(), changed]).when({ type: 'SetAvatar', avatar }).then([]);
    given([registered(), changed])
      .when({ type: 'SetAvatar', avatar: null })
      .then([{ type: 'UserAvatarChanged', data: { avatar: null } }]);
  });

  it('a deleted user stays deleted: every later command is refused', () => {
    const history = [registered(), { type: 'UserDeleted', data: {} } as UserEvent];
    expect(given(history).state().status).toBe('deleted');
    given(history).when({ type: 'ChangePassword', passwordHash: 'x' }).thenRefuses('user_not_found');
  });

  it('names what is wrong with a display name, and normalizes sets', () => {
    expect(nameProblem(' Ann ')).toBeNull();
    expect(nameProblem('  ')).toBe('must not be empty');
    expect(nameProblem('a\u0000b')).toBe('must not contain control characters');
    expect(normalizeSet(['b', 'a', 'b'])).toEqual(['a', 'b']);
  });
});
