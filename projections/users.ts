import { userIdOfStream } from '../application/identity/streams.ts';
import {
  USER_CREDENTIALS,
  USERS,
  type UserCredentials,
  type UserView,
} from '../application/identity/userDirectory.ts';
import { findAll } from '../application/ports/findAll.ts';
import { USER_EVENT_TYPES, type UserEvent } from '../domain/user.ts';
import type { Projection } from './projection.ts';

/**
 * The users read model: one document per live user (deleted users disappear), a unique index on the
 * (normalized) email, and the password hashes apart in `user_credentials`. `sessionVersion` moves on with every
 * password change and every block, which is what makes older tokens fail. A deleted project leaves every
 * user's project list.
 */
export const usersProjection: Projection = {
  name: 'users',
  version: 2,
  collections: {
    [USERS]: [{ fields: ['email'], unique: true }, { fields: ['role'] }],
    [USER_CREDENTIALS]: [],
  },
  eventTypes: [...USER_EVENT_TYPES, 'ProjectDeleted'],
  async apply(recorded, view) {
    const users = view.collection<UserView>(USERS);
    if (recorded.type === 'ProjectDeleted') {
      const { projectId } = recorded.data as { projectId: string };
      for (const user of await findAll(users)) {
        if (!user.projectIds.includes(projectId)) continue;
        await users.patch(user.id, { $set: { projectIds: user.projectIds.filter((p) => p !== projectId) } });
      }
      return;
    }
    const userId = userIdOfStream(recorded.streamId);
    if (!userId) return;
    const event = { type: recorded.type, data: recorded.data } as UserEvent;
    const credentials = view.collection<UserCredentials>(USER_CREDENTIALS);
    const at = recorded.metadata.timestamp;
    const patch = (set: Partial<UserView>, inc?: Record<string, number>) =>
      users.patch(userId, { $set: { ...set, updatedAt: at }, ...(inc ? { $inc: inc } : {}) });

    switch (event.type) {
      case 'UserRegistered': {
        const { passwordHash, userId: _id, ...user } = event.data;
        await users.upsert({
          id: userId,
          ...user,
          blocked: false,
          avatar: null,
          sessionVersion: 0,
          createdAt: at,
          updatedAt: at,
        });
        await credentials.upsert({ id: userId, passwordHash });
        return;
      }
      case 'UserProfileChanged':
        await patch({ name: event.data.name });
        return;
      case 'UserEmailChanged':
        await patch({ email: event.data.email });
        return;
      case 'UserPasswordChanged':
        await credentials.upsert({ id: userId, passwordHash: event.data.passwordHash });
        await patch({}, { sessionVersion: 1 });
        return;
      case 'UserPermissionsChanged':
        await patch({ permissions: event.data.permissions });
        return;
      case 'UserRoleChanged':
        await patch({ role: event.data.role });
        return;
      case 'UserProjectAccessGranted':
      case 'UserProjectAccessRevoked': {
        const user = await users.get(userId);
        if (!user) return;
        const { projectId } = event.data;
        const projectIds =
          event.type === 'UserProjectAccessGranted'
            ? [...new Set([...user.projectIds, projectId])].sort()
            : user.projectIds.filter((p) => p !== projectId);
        await patch({ projectIds });
        return;
      }
      case 'UserBlocked':
        await patch({ blocked: true }, { sessionVersion: 1 });
        return;
      case 'UserUnblocked':
        await patch({ blocked: false });
        return;
      case 'UserDeleted':
        await users.delete(userId);
        await credentials.delete(userId);
        return;
      case 'UserAvatarChanged':
        await patch({ avatar: event.data.avatar });
        return;
    }
  },
};
