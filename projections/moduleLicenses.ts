import { userIdOfStream } from '../application/identity/streams.ts';
import { MODULE_LICENSES, type ModuleLicenseDoc } from '../application/modules/readModel.ts';
import { LICENSE_EVENT_TYPES, type LicenseEvent } from '../domain/licenses.ts';
import type { Projection } from './projection.ts';

/**
 * Every licence granted, with who granted it and when; a revoked one keeps `revokedAt`/`revokedBy` (the admin
 * list shows the history, `/me/module-licenses` only the active ones). A deleted user's licences leave with them;
 * so do the licences for a project that is deleted.
 */
export const moduleLicensesProjection: Projection = {
  name: 'module_licenses',
  version: 2,
  collections: {
    [MODULE_LICENSES]: [{ fields: ['userId'] }, { fields: ['moduleCode'] }, { fields: ['projectId'] }],
  },
  eventTypes: [...LICENSE_EVENT_TYPES, 'UserDeleted', 'ProjectDeleted'],
  async apply(recorded, view) {
    const licenses = view.collection<ModuleLicenseDoc>(MODULE_LICENSES);
    const at = recorded.metadata.timestamp;
    const by = recorded.metadata.actorId;
    if (recorded.type === 'ProjectDeleted') {
      await licenses.deleteMany({ projectId: (recorded.data as { projectId: string }).projectId });
      return;
    }
    if (recorded.type === 'UserDeleted') {
      const userId = userIdOfStream(recorded.streamId);
      if (userId) await licenses.deleteMany({ userId });
      return;
    }
    const event = { type: recorded.type, data: recorded.data } as LicenseEvent;
    switch (event.type) {
      case 'ModuleLicenseGranted': {
        const { licenseId, userId, moduleCode, scope, projectId } = event.data;
        await licenses.upsert({
          id: licenseId,
          userId,
          moduleCode,
          scope,
          projectId,
          grantedAt: at,
          grantedBy: by,
          revokedAt: null,
          revokedBy: null,
        });
        return;
      }
      case 'ModuleLicenseRevoked':
        await licenses.patch(event.data.licenseId, { $set: { revokedAt: at, revokedBy: by } });
        return;
    }
  },
};
