import {
  PROJECT_ACCESS,
  PROJECTS,
  type ProjectAccessDoc,
  type ProjectDoc,
  projectAccessId,
} from '../application/projects/readModel.ts';
import { PROJECT_EVENT_TYPES, type ProjectEvent } from '../domain/project.ts';
import type { Projection } from './projection.ts';

/**
 * Live projects (a deleted one leaves), and who has access to which through ownership or membership. The key
 * check looks projects up by `apiKeyHash`; a rotation replaces it, so the old key stops matching at once.
 */
export const projectsProjection: Projection = {
  name: 'projects',
  version: 1,
  collections: {
    [PROJECTS]: [{ fields: ['slug'] }, { fields: ['apiKeyHash'] }, { fields: ['name'] }],
    [PROJECT_ACCESS]: [{ fields: ['userId'] }, { fields: ['projectId'] }],
  },
  eventTypes: PROJECT_EVENT_TYPES,
  async apply(recorded, view) {
    const event = { type: recorded.type, data: recorded.data } as ProjectEvent;
    const at = recorded.metadata.timestamp;
    const projects = view.collection<ProjectDoc>(PROJECTS);
    const access = view.collection<ProjectAccessDoc>(PROJECT_ACCESS);
    const { projectId } = event.data;
    switch (event.type) {
      case 'ProjectCreated': {
        const { name, slug, color, ownerId, apiKey } = event.data;
        await projects.upsert({
          id: projectId,
          name,
          slug,
          color,
          ownerId,
          memberIds: [],
          apiKeyHash: apiKey.hash,
          apiKeyPrefix: apiKey.prefix,
          apiKeyRotatedAt: at,
          createdAt: at,
          updatedAt: at,
        });
        if (ownerId !== null) {
          await access.upsert({
            id: projectAccessId(projectId, ownerId),
            projectId,
            userId: ownerId,
            relation: 'owner',
          });
        }
        return;
      }
      case 'ProjectRenamed':
        await projects.patch(projectId, { $set: { name: event.data.name, updatedAt: at } });
        return;
      case 'ProjectRecolored':
        await projects.patch(projectId, { $set: { color: event.data.color, updatedAt: at } });
        return;
      case 'ProjectSlugChanged':
        await projects.patch(projectId, { $set: { slug: event.data.to, updatedAt: at } });
        return;
      case 'ProjectMemberGranted':
      case 'ProjectMemberRevoked': {
        const doc = await projects.get(projectId);
        if (!doc) return;
        const { userId } = event.data;
        const others = doc.memberIds.filter((id) => id !== userId);
        const granted = event.type === 'ProjectMemberGranted';
        await projects.patch(projectId, {
          $set: { memberIds: granted ? [...others, userId] : others, updatedAt: at },
        });
        const id = projectAccessId(projectId, userId);
        if (granted) await access.upsert({ id, projectId, userId, relation: 'member' });
        else await access.delete(id);
        return;
      }
      case 'ProjectApiKeyRotated':
        await projects.patch(projectId, {
          $set: {
            apiKeyHash: event.data.apiKey.hash,
            apiKeyPrefix: event.data.apiKey.prefix,
            apiKeyRotatedAt: at,
            updatedAt: at,
          },
        });
        return;
      case 'ProjectQuotasSet':
        await projects.patch(projectId, { $set: { quotas: event.data.quotas, updatedAt: at } });
        return;
      case 'ProjectDeleted':
        await projects.delete(projectId);
        await access.deleteMany({ projectId });
        return;
    }
  },
};
