import type { AvatarDeps } from '../../../application/identity/setAvatar.ts';
import type { ProjectGrantDeps } from '../../../application/identity/userCommands.ts';
import type { UserDirectory } from '../../../application/identity/userDirectory.ts';
import type { TokenService } from '../../../application/ports/tokenService.ts';
import type { StoreRateLimiter } from '../../auth/storeRateLimiter.ts';
import type { FileAvatarStore } from '../../files/avatarStore.ts';
import type { HttpAuth } from '../auth.ts';

/** What the identity routes run on, wired in `infrastructure/composition.ts`. */
export interface IdentityRouteDeps {
  commands: AvatarDeps & ProjectGrantDeps;
  directory: UserDirectory;
  tokens: TokenService;
  /** Failed sign-ins (per address and email) and wrong current passwords, across processes. */
  loginLimiter: StoreRateLimiter;
  /** Wrong `X-Api-Key` values per client address, across processes (`apiKeys.ts`). */
  apiKeyLimiter: StoreRateLimiter;
  auth: HttpAuth;
  avatarFiles: FileAvatarStore;
  /** Read-your-writes: resolves once the read models have caught up with `position` (null: nothing written). */
  waitFor(position: number | null): Promise<void>;
}
