import type { CommandContext } from '../commands/commandContext.ts';
import type { CommandDeps } from '../commands/handleCommand.ts';
import { type Actor, actorId } from '../identity/actor.ts';
import type { ReadStore } from '../ports/readStore.ts';
import type { SecretCipher } from '../ports/secretCipher.ts';

/** What the project, goal and environment services run on. Queries read the read store, never the event store. */
export interface ProjectDeps extends CommandDeps {
  readStore: ReadStore;
}

export interface EnvironmentDeps extends ProjectDeps {
  cipher: SecretCipher;
}

/** Where a request comes from, beyond the actor: `source` and correlation for the event metadata. */
export type RequestOrigin = Partial<Omit<CommandContext, 'actorId'>>;

export function contextFor(actor: Actor | null, origin: RequestOrigin = {}): CommandContext {
  return {
    actorId: actor ? actorId(actor) : null,
    source: origin.source ?? 'api',
    ...(origin.correlationId ? { correlationId: origin.correlationId } : {}),
    ...(origin.causationId !== undefined ? { causationId: origin.causationId } : {}),
  };
}
