import type { ProjectDeps } from '../projects/deps.ts';
import type { UserExists } from '../projects/members.ts';
import type { ModuleCatalog } from './catalog.ts';

/** What the module and licence services run on: the project services' deps plus the catalogue. */
export interface ModuleDeps extends ProjectDeps {
  modules: ModuleCatalog;
}

/** Granting a licence also checks that its user exists (wired to the users read model). */
export interface LicenseDeps extends ModuleDeps {
  userExists: UserExists;
}

/** What deciding "is this module on in this project" needs: the read model, the clock, the catalogue. */
export type ModuleGateDeps = Pick<ModuleDeps, 'readStore' | 'clock' | 'modules'>;
