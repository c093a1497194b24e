import { normalizeEmail } from '../../domain/email.ts';
import type { Avatar, UserRole } from '../../domain/user.ts';
import type { Doc, Page, ReadStore } from '../ports/readStore.ts';
import type { PeopleLookup, ProjectPerson } from '../projects/members.ts';

/**
 * The users read model, as `projections/users.ts` writes it and the queries here read it. Password hashes
 * live in a collection of their own so that nothing that lists or shows users can ever hand one out.
 */
export const USERS = 'users';
export const USER_CREDENTIALS = 'user_credentials';

export interface UserView extends Doc {
  email: string;
  name: string;
  role: UserRole;
  /** As granted; global admins hold every permission whatever this says. */
  permissions: string[];
  projectIds: string[];
  blocked: boolean;
  avatar: Avatar | null;
  /** Moves on with every password change and every block: tokens carrying an older one are refused. */
  sessionVersion: number;
  createdAt: string;
  updatedAt: string;
}

export interface UserCredentials extends Doc {
  passwordHash: string;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface UserDirectory {
  get(userId: string): Promise<UserView | null>;
  byEmail(normalizedEmail: string): Promise<UserView | null>;
  passwordHash(userId: string): Promise<string | null>;
  /** Ordered by email. Throws on a cursor the store does not accept. */
  list(options: { cursor?: string | null; limit?: number }): Promise<Page<UserView>>;
  /** Whether a user has this avatar file now (a replaced or removed picture is no one's). */
  avatarInUse(file: string): Promise<boolean>;
}

export function userDirectory(readStore: ReadStore): UserDirectory {
  const users = () => readStore.collection<UserView>(USERS);
  return {
    get: (userId) => users().get(userId),
    byEmail: (email) => users().findOne({ email }),
    async passwordHash(userId) {
      return (
        (await readStore.collection<UserCredentials>(USER_CREDENTIALS).get(userId))?.passwordHash ?? null
      );
    },
    avatarInUse: async (file) => (await users().findOne({ 'avatar.file': file })) !== null,
    list: ({ cursor, limit }) =>
      users().find(
        {},
        {
          sort: { email: 1 },
          limit: Math.min(MAX_PAGE_SIZE, limit ?? DEFAULT_PAGE_SIZE),
          cursor: cursor ?? null,
        },
      ),
  };
}

/** The directory as the project member routes see it: a name, an email and a picture per user, nothing more. */
export function peopleLookup(directory: UserDirectory): PeopleLookup {
  const person = (user: UserView | null): ProjectPerson | null =>
    user && { userId: user.id, name: user.name, email: user.email, avatarFile: user.avatar?.file ?? null };
  return {
    byId: async (userId) => person(await directory.get(userId)),
    byEmail: async (email) => person(await directory.byEmail(normalizeEmail(email))),
  };
}
