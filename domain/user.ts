import { type Decider, DomainError, type DomainEvent } from './decider.ts';

/**
 * A user account: an admin of the platform or a user with permissions. Stream `user-<uuid>`.
 *
 * Permissions are opaque strings here (the vocabulary and who may grant what live in the application's
 * authorization rules); this decider keeps the invariants that hold whoever asks: the root stays the root and
 * can be neither blocked nor deleted, a deleted user stays deleted, and no event is written for a change that
 * changes nothing.
 */
export type UserRole = 'root' | 'admin' | 'user';
/** Roles that can be given to an existing user: the root is whoever registered first (see `rootAssignment.ts`). */
export type AssignableRole = Exclude<UserRole, 'root'>;

export interface Avatar {
  /** `<sha256>.<ext>`: content-addressed, so the name changes whenever the picture does. */
  file: string;
  contentType: string;
}

export const NAME_MAX_LENGTH = 100;
/** The shape of a project id in a user's list; that the project exists is the application's check. */
export const PROJECT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** `null` when the (trimmed) display name is acceptable, else what is wrong with it. */
export function nameProblem(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) return 'must not be empty';
  if (trimmed.length > NAME_MAX_LENGTH) return `must be at most ${NAME_MAX_LENGTH} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) return 'must not contain control characters';
  return null;
}

export type UserEvent =
  | DomainEvent<
      'UserRegistered',
      {
        userId: string;
        email: string;
        name: string;
        passwordHash: string;
        role: UserRole;
        permissions: string[];
        projectIds: string[];
      }
    >
  | DomainEvent<'UserProfileChanged', { name: string }>
  | DomainEvent<'UserEmailChanged', { email: string }>
  | DomainEvent<'UserPasswordChanged', { passwordHash: string }>
  | DomainEvent<'UserPermissionsChanged', { permissions: string[] }>
  | DomainEvent<'UserRoleChanged', { role: AssignableRole }>
  | DomainEvent<'UserProjectAccessGranted', { projectId: string }>
  | DomainEvent<'UserProjectAccessRevoked', { projectId: string }>
  | DomainEvent<'UserBlocked', Record<string, never>>
  | DomainEvent<'UserUnblocked', Record<string, never>>
  | DomainEvent<'UserDeleted', Record<string, never>>
  | DomainEvent<'UserAvatarChanged', { avatar: Avatar | null }>;

export type UserEventType = UserEvent['type'];

export const USER_EVENT_TYPES: readonly UserEventType[] = [
  'UserRegistered',
  'UserProfileChanged',
  'UserEmailChanged',
  'UserPasswordChanged',
  'UserPermissionsChanged',
  'UserRoleChanged',
  'UserProjectAccessGranted',
  'UserProjectAccessRevoked',
  'UserBlocked',
  'UserUnblocked',
  'UserDeleted',
  'UserAvatarChanged',
];

export type UserCommand =
  | {
      type: 'RegisterUser';
      userId: string;
      email: string;
      name: string;
      passwordHash: string;
      role: UserRole;
      permissions: readonly string[];
      projectIds: readonly string[];
    }
  | {
      type: 'UpdateUser';
      name?: string;
      email?: string;
      permissions?: readonly string[];
      role?: AssignableRole;
    }
  | { type: 'ChangePassword'; passwordHash: string }
  | { type: 'SetAvatar'; avatar: Avatar | null }
  | { type: 'BlockUser' }
  | { type: 'UnblockUser' }
  | { type: 'DeleteUser' }
  | { type: 'GrantProjectAccess'; projectId: string }
  | { type: 'RevokeProjectAccess'; projectId: string };

export interface UserState {
  status: 'none' | 'active' | 'deleted';
  userId: string;
  email: string;
  name: string;
  passwordHash: string;
  role: UserRole;
  permissions: readonly string[];
  projectIds: readonly string[];
  blocked: boolean;
  avatar: Avatar | null;
}

const initialState: UserState = {
  status: 'none',
  userId: '',
  email: '',
  name: '',
  passwordHash: '',
  role: 'user',
  permissions: [],
  projectIds: [],
  blocked: false,
  avatar: null,
};

/** Sorted and without duplicates, so that equal sets are equal arrays in events and read models. */
export function normalizeSet(values: readonly string[]): string[] {
  return [...new Set(values)].sort();
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = normalizeSet(a);
  const y = normalizeSet(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

const notFound = () => new DomainError('user_not_found', 'There is no such user.');
const rootProtected = (what: string) =>
  new DomainError('root_protected', `The root admin cannot be ${what}.`);

function assertName(name: string): string {
  const problem = nameProblem(name);
  if (problem) throw new DomainError('invalid_name', `The name ${problem}.`);
  return name.trim();
}

function assertProjectId(projectId: string): void {
  if (!PROJECT_ID_PATTERN.test(projectId))
    throw new DomainError('invalid_project_id', 'A project id is 1-64 letters, digits, "_" or "-".');
}

function decide(command: UserCommand, state: UserState): UserEvent[] {
  if (command.type === 'RegisterUser') {
    if (state.status !== 'none') throw new DomainError('user_exists', 'This user already exists.');
    for (const projectId of command.projectIds) assertProjectId(projectId);
    return [
      {
        type: 'UserRegistered',
        data: {
          userId: command.userId,
          email: command.email,
          name: assertName(command.name),
          passwordHash: command.passwordHash,
          role: command.role,
          permissions: normalizeSet(command.permissions),
          projectIds: normalizeSet(command.projectIds),
        },
      },
    ];
  }
  if (state.status !== 'active') throw notFound();

  switch (command.type) {
    case 'UpdateUser': {
      const events: UserEvent[] = [];
      if (command.name !== undefined) {
        const name = assertName(command.name);
        if (name !== state.name) events.push({ type: 'UserProfileChanged', data: { name } });
      }
      if (command.email !== undefined && command.email !== state.email) {
        events.push({ type: 'UserEmailChanged', data: { email: command.email } });
      }
      if (command.role !== undefined && command.role !== state.role) {
        if (state.role === 'root') throw rootProtected('given another role');
        events.push({ type: 'UserRoleChanged', data: { role: command.role } });
      }
      if (command.permissions !== undefined && !sameSet(command.permissions, state.permissions)) {
        events.push({
          type: 'UserPermissionsChanged',
          data: { permissions: normalizeSet(command.permissions) },
        });
      }
      return events;
    }
    case 'ChangePassword':
      return [{ type: 'UserPasswordChanged', data: { passwordHash: command.passwordHash } }];
    case 'SetAvatar':
      if (command.avatar?.file === state.avatar?.file) return [];
      return [{ type: 'UserAvatarChanged', data: { avatar: command.avatar } }];
    case 'BlockUser':
      if (state.role === 'root') throw rootProtected('blocked');
      return state.blocked ? [] : [{ type: 'UserBlocked', data: {} }];
    case 'UnblockUser':
      return state.blocked ? [{ type: 'UserUnblocked', data: {} }] : [];
    case 'DeleteUser':
      if (state.role === 'root') throw rootProtected('deleted');
      return [{ type: 'UserDeleted', data: {} }];
    case 'GrantProjectAccess':
      assertProjectId(command.projectId);
      if (state.projectIds.includes(command.projectId)) return [];
      return [{ type: 'UserProjectAccessGranted', data: { projectId: command.projectId } }];
    case 'RevokeProjectAccess':
      if (!state.projectIds.includes(command.projectId)) return [];
      return [{ type: 'UserProjectAccessRevoked', data: { projectId: command.projectId } }];
  }
}

function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserRegistered':
      return { ...initialState, ...event.data, status: 'active' };
    case 'UserProfileChanged':
      return { ...state, name: event.data.name };
    case 'UserEmailChanged':
      return { ...state, email: event.data.email };
    case 'UserPasswordChanged':
      return { ...state, passwordHash: event.data.passwordHash };
    case 'UserPermissionsChanged':
      return { ...state, permissions: event.data.permissions };
    case 'UserRoleChanged':
      return { ...state, role: event.data.role };
    case 'UserProjectAccessGranted':
      return { ...state, projectIds: normalizeSet([...state.projectIds, event.data.projectId]) };
    case 'UserProjectAccessRevoked':
      return { ...state, projectIds: state.projectIds.filter((p) => p !== event.data.projectId) };
    case 'UserBlocked':
      return { ...state, blocked: true };
    case 'UserUnblocked':
      return { ...state, blocked: false };
    case 'UserDeleted':
      return { ...state, status: 'deleted' };
    case 'UserAvatarChanged':
      return { ...state, avatar: event.data.avatar };
    default:
      return state;
  }
}

export const userDecider: Decider<UserCommand, UserState, UserEvent> = { initialState, decide, evolve };
