import type { ModuleGateDeps } from '../modules/deps.ts';
import type { EnvironmentDeps } from '../projects/deps.ts';

/** What the webhook use cases run on: the project deps with the secrets cipher, the module gate, settings. */
export interface WebhookDeps extends EnvironmentDeps, ModuleGateDeps {
  /** `M3M_WEBHOOKS_ALLOW_HTTP`: endpoints may have `http:` URLs (development). */
  allowHttp: boolean;
}
