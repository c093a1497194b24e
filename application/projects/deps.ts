import type { CommandDeps } from '../context.ts';
import type { ReadStore } from '../ports/readStore.ts';
import type { SecretCipher } from '../ports/secretCipher.ts';

/** What the project, goal and environment services run on. Queries read the read store, never the event store. */
export interface ProjectDeps extends CommandDeps {
  readStore: ReadStore;
}

export interface EnvironmentDeps extends ProjectDeps {
  cipher: SecretCipher;
}
