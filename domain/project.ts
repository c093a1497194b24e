import { type Color, isColor } from './colors.ts';
import { type Decider, DomainError } from './decider.ts';
import { NO_OVERRIDES, type ProjectQuotas, QUOTA_NAMES, validateQuotas } from './projectQuotas.ts';

/** Lowercase letters, digits and inner hyphens, 1–48 characters. */
export const PROJECT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$/;
export const PROJECT_NAME_MAX = 100;

/** What the projects read model and the API key check need; the key itself never enters an event. */
export interface ApiKeyDigest {
  /** SHA-256 of the whole key, hex. */
  hash: string;
  /** The first characters of the key, for display ("m3m_AbCd…"). */
  prefix: string;
}

export type ProjectCommand =
  | {
      type: 'CreateProject';
      projectId: string;
      name: string;
      slug: string;
      color: Color;
      /** `null` when the system (CLI) created it. */
      ownerId: string | null;
      apiKey: ApiKeyDigest;
    }
  | { type: 'UpdateProject'; name?: string; color?: Color; slug?: string }
  | { type: 'GrantMember'; userId: string }
  | { type: 'RevokeMember'; userId: string }
  | { type: 'RotateApiKey'; apiKey: ApiKeyDigest }
  /** A global admin's quotas for this project (`null`: the installation's default; absent: unchanged). */
  | { type: 'SetQuotas'; quotas: Partial<ProjectQuotas> }
  /** `confirm` must repeat the project's current slug. */
  | { type: 'DeleteProject'; confirm: string };

export type ProjectEvent =
  | {
      type: 'ProjectCreated';
      data: {
        projectId: string;
        name: string;
        slug: string;
        color: Color;
        ownerId: string | null;
        apiKey: ApiKeyDigest;
      };
    }
  | { type: 'ProjectRenamed'; data: { projectId: string; name: string } }
  | { type: 'ProjectRecolored'; data: { projectId: string; color: Color } }
  | { type: 'ProjectSlugChanged'; data: { projectId: string; from: string; to: string } }
  | { type: 'ProjectMemberGranted'; data: { projectId: string; userId: string } }
  | { type: 'ProjectMemberRevoked'; data: { projectId: string; userId: string } }
  | { type: 'ProjectApiKeyRotated'; data: { projectId: string; apiKey: ApiKeyDigest } }
  | { type: 'ProjectQuotasSet'; data: { projectId: string; quotas: ProjectQuotas } }
  | { type: 'ProjectDeleted'; data: { projectId: string; slug: string } };

export const PROJECT_EVENT_TYPES = [
  'ProjectCreated',
  'ProjectRenamed',
  'ProjectRecolored',
  'ProjectSlugChanged',
  'ProjectMemberGranted',
  'ProjectMemberRevoked',
  'ProjectApiKeyRotated',
  'ProjectQuotasSet',
  'ProjectDeleted',
] as const satisfies readonly ProjectEvent['type'][];

export interface ProjectState {
  status: 'none' | 'live' | 'deleted';
  projectId: string | null;
  name: string;
  slug: string;
  color: Color;
  ownerId: string | null;
  memberIds: readonly string[];
  quotas: ProjectQuotas;
}

export function projectStream(projectId: string): string {
  return `project-${projectId}`;
}

export function validateProjectSlug(slug: string): void {
  if (!PROJECT_SLUG_PATTERN.test(slug)) {
    throw new DomainError(
      'invalid_slug',
      'A project slug is 1–48 lowercase letters, digits or hyphens, starting and ending with a letter or digit.',
    );
  }
}

export function normalizeName(name: string, max = PROJECT_NAME_MAX): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > max) {
    throw new DomainError('invalid_name', `A name is 1–${max} characters (surrounding spaces are ignored).`);
  }
  // The same rule as a user's display name: a NUL or a line break in a name is never meant.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f]/.test(trimmed)) {
    throw new DomainError('invalid_name', 'A name must not contain control characters.');
  }
  return trimmed;
}

function validateColor(color: unknown): asserts color is Color {
  if (!isColor(color)) throw new DomainError('invalid_color', 'Unknown colour; see GET /api/v1/colors.');
}

const notFound = () => new DomainError('project_not_found', 'The project does not exist.');

export const project: Decider<ProjectCommand, ProjectState, ProjectEvent> = {
  initialState: {
    status: 'none',
    projectId: null,
    name: '',
    slug: '',
    color: null,
    ownerId: null,
    memberIds: [],
    quotas: NO_OVERRIDES,
  },

  decide(command, state) {
    if (command.type === 'CreateProject') {
      if (state.status !== 'none') throw new DomainError('project_exists', 'The project already exists.');
      validateProjectSlug(command.slug);
      validateColor(command.color);
      return [
        {
          type: 'ProjectCreated',
          data: {
            projectId: command.projectId,
            name: normalizeName(command.name),
            slug: command.slug,
            color: command.color,
            ownerId: command.ownerId,
            apiKey: command.apiKey,
          },
        },
      ];
    }
    if (state.status !== 'live' || state.projectId === null) throw notFound();
    const projectId = state.projectId;
    switch (command.type) {
      case 'UpdateProject': {
        const events: ProjectEvent[] = [];
        if (command.name !== undefined) {
          const name = normalizeName(command.name);
          if (name !== state.name) events.push({ type: 'ProjectRenamed', data: { projectId, name } });
        }
        if (command.color !== undefined) {
          validateColor(command.color);
          if (command.color !== state.color)
            events.push({ type: 'ProjectRecolored', data: { projectId, color: command.color } });
        }
        if (command.slug !== undefined && command.slug !== state.slug) {
          validateProjectSlug(command.slug);
          events.push({
            type: 'ProjectSlugChanged',
            data: { projectId, from: state.slug, to: command.slug },
          });
        }
        return events;
      }
      case 'GrantMember':
        if (command.userId === state.ownerId || state.memberIds.includes(command.userId)) return [];
        return [{ type: 'ProjectMemberGranted', data: { projectId, userId: command.userId } }];
      case 'RevokeMember':
        if (!state.memberIds.includes(command.userId)) {
          throw new DomainError('member_not_found', 'That user is not a member of the project.');
        }
        return [{ type: 'ProjectMemberRevoked', data: { projectId, userId: command.userId } }];
      case 'RotateApiKey':
        return [{ type: 'ProjectApiKeyRotated', data: { projectId, apiKey: command.apiKey } }];
      case 'SetQuotas': {
        const quotas = { ...state.quotas, ...command.quotas };
        validateQuotas(quotas);
        if (QUOTA_NAMES.every((name) => quotas[name] === state.quotas[name])) return [];
        return [{ type: 'ProjectQuotasSet', data: { projectId, quotas } }];
      }
      case 'DeleteProject':
        if (command.confirm !== state.slug) {
          throw new DomainError(
            'confirmation_mismatch',
            'To delete the project, repeat its slug in "confirm".',
          );
        }
        return [{ type: 'ProjectDeleted', data: { projectId, slug: state.slug } }];
    }
  },

  evolve(state, event) {
    switch (event.type) {
      case 'ProjectCreated':
        return {
          status: 'live',
          projectId: event.data.projectId,
          name: event.data.name,
          slug: event.data.slug,
          color: event.data.color,
          ownerId: event.data.ownerId,
          memberIds: [],
          quotas: NO_OVERRIDES,
        };
      case 'ProjectRenamed':
        return { ...state, name: event.data.name };
      case 'ProjectRecolored':
        return { ...state, color: event.data.color };
      case 'ProjectSlugChanged':
        return { ...state, slug: event.data.to };
      case 'ProjectMemberGranted':
        return { ...state, memberIds: [...state.memberIds, event.data.userId] };
      case 'ProjectMemberRevoked':
        return { ...state, memberIds: state.memberIds.filter((id) => id !== event.data.userId) };
      case 'ProjectApiKeyRotated':
        return state;
      case 'ProjectQuotasSet':
        return { ...state, quotas: event.data.quotas };
      case 'ProjectDeleted':
        return { ...state, status: 'deleted' };
    }
  },
};
