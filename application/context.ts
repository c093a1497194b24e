import { randomUUID } from 'node:crypto';
import type { EventSchemaRegistry } from './commands/eventSchemas.ts';
import type { Permission, Role } from './identity/permissions.ts';
import type { Clock } from './ports/clock.ts';
import type { EventMetadata, EventStore } from './ports/eventStore.ts';

/**
 * What every use case shares: the dependencies every command runs on, who asks (the `Actor`), through what
 * (the `RequestOrigin`), and how the two become the metadata of the events a command appends
 * (`eventMetadata`).
 */

/** What every command runs on: the event store, the event schemas (upcasting) and the clock. */
export interface CommandDeps {
  eventStore: EventStore;
  schemas: EventSchemaRegistry;
  clock: Clock;
}

/**
 * The authenticated caller of a command or query, as resolved from a token, an API key or the CLI.
 * Application services decide authorization from this alone.
 */
export type Actor =
  | {
      kind: 'user';
      userId: string;
      role: Role;
      permissions: readonly Permission[];
      /** Projects this user was granted explicitly (ownership and membership come from the projects). */
      projectIds: readonly string[];
    }
  /** The CLI run by whoever has access to the server's data: it acts as the system. */
  | { kind: 'system' };

export type UserActor = Actor & { kind: 'user' };

export function isGlobalAdmin(actor: Actor): boolean {
  return actor.kind === 'system' || actor.role === 'root' || actor.role === 'admin';
}

export function hasPermission(actor: Actor, permission: Permission): boolean {
  return isGlobalAdmin(actor) || (actor.kind === 'user' && actor.permissions.includes(permission));
}

/** `actorId` for event metadata. */
export function actorId(actor: Actor): string | null {
  return actor.kind === 'user' ? actor.userId : null;
}

/** Where a request comes from, beyond the actor: the source and the correlation for the event metadata. */
export interface RequestOrigin {
  /** `api`, `cli`, `worker:<id>` or `system`; `api` when absent. */
  source?: string;
  /** Ties together everything one request caused; a fresh one is made when absent. */
  correlationId?: string;
  /** The id of the event or request that caused this one. */
  causationId?: string | null;
  /** A worker's writes: the causation depth of the events they append (see `EventMetadata.depth`). */
  depth?: number;
  /** The HTTP request's id in the server's log (see `EventMetadata.requestId`). */
  requestId?: string;
}

/** The actor with the origin of the request, as one value (the identity use cases take it so). */
export interface Caller extends RequestOrigin {
  actor: Actor;
}

/** Who issues a command and in reaction to what: becomes the metadata of every event it appends. */
export interface CommandContext {
  actorId: string | null;
  /** `api`, `cli`, `worker:<id>` or `system`. */
  source: string;
  /** Ties together everything one request caused; a fresh one is made when absent. */
  correlationId?: string;
  /** The id of the event or request that caused this command. */
  causationId?: string | null;
  /** Causation depth of the events appended (a worker's writes only). */
  depth?: number;
  /** The HTTP request's id in the server's log. */
  requestId?: string;
}

/**
 * The metadata of the events a use case appends: every command of one use case shares its correlation id.
 * `null` is the project's API key or the system acting without a user.
 */
export function eventMetadata(
  actor: Actor | null,
  origin: RequestOrigin = {},
): CommandContext & { correlationId: string } {
  return {
    actorId: actor ? actorId(actor) : null,
    source: origin.source ?? 'api',
    correlationId: origin.correlationId ?? randomUUID(),
    ...(origin.causationId !== undefined ? { causationId: origin.causationId } : {}),
    ...(origin.depth !== undefined ? { depth: origin.depth } : {}),
    ...(origin.requestId !== undefined ? { requestId: origin.requestId } : {}),
  };
}

/** The metadata stored with one event a command appends: its context, its schema version and the time. */
export function storedMetadata(
  context: CommandContext & { correlationId: string },
  schemaVersion: number,
  at: Date,
): EventMetadata {
  return {
    actorId: context.actorId,
    correlationId: context.correlationId,
    causationId: context.causationId ?? null,
    source: context.source,
    schemaVersion,
    timestamp: at.toISOString(),
    ...(context.depth !== undefined && context.depth > 0 ? { depth: context.depth } : {}),
    ...(context.requestId !== undefined ? { requestId: context.requestId } : {}),
  };
}
