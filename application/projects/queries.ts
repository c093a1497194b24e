import type { Color } from '../../domain/colors.ts';
import { type Actor, isGlobalAdmin } from '../context.ts';
import { refuse } from '../errors.ts';
import { findAll } from '../ports/findAll.ts';
import { readModelMemo } from '../readModelMemo.ts';
import {
  type AccessibleProjects,
  canManageProject,
  canViewProject,
  type ProjectRelation,
  relationTo,
} from './accessPolicy.ts';
import { hashApiKey, looksLikeApiKey } from './apiKeys.ts';
import type { ProjectDeps } from './deps.ts';
import { PROJECT_ACCESS, PROJECTS, type ProjectAccessDoc, type ProjectDoc } from './readModel.ts';

/** A project as the API shows it: never the key's hash. */
export interface ProjectView {
  id: string;
  name: string;
  slug: string;
  color: Color;
  ownerId: string | null;
  memberIds: string[];
  apiKeyPrefix: string;
  apiKeyRotatedAt: string;
  createdAt: string;
  updatedAt: string;
  /** How the caller relates to it: what the UI may offer. */
  access: ProjectRelation;
}

export function projectView(doc: ProjectDoc, access: ProjectRelation): ProjectView {
  return {
    id: doc.id,
    name: doc.name,
    slug: doc.slug,
    color: doc.color as Color,
    ownerId: doc.ownerId,
    memberIds: doc.memberIds,
    apiKeyPrefix: doc.apiKeyPrefix,
    apiKeyRotatedAt: doc.apiKeyRotatedAt,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    access,
  };
}

/** The projects the actor owns, is a member of or was granted; `'all'` for global admins. */
export async function accessibleProjects(deps: ProjectDeps, actor: Actor): Promise<AccessibleProjects> {
  if (isGlobalAdmin(actor)) return 'all';
  if (actor.kind !== 'user') return new Set();
  const rows = await findAll(deps.readStore.collection<ProjectAccessDoc>(PROJECT_ACCESS), {
    userId: actor.userId,
  });
  return new Set([...rows.map((row) => row.projectId), ...actor.projectIds]);
}

export async function listProjects(deps: ProjectDeps, actor: Actor): Promise<ProjectView[]> {
  const accessible = await accessibleProjects(deps, actor);
  const projects = deps.readStore.collection<ProjectDoc>(PROJECTS);
  let docs: ProjectDoc[];
  if (accessible === 'all') docs = await findAll(projects, {}, { name: 1 });
  else if (accessible.size === 0) docs = [];
  else docs = await findAll(projects, { id: { $in: [...accessible] } }, { name: 1 });
  return docs.flatMap((doc) => {
    const relation = relationTo(actor, doc);
    return relation ? [projectView(doc, relation)] : [];
  });
}

const noSuchProject = () => refuse('project_not_found', 'The project does not exist.');

/** The project if the actor may see it; 404 otherwise, so that its existence is not revealed. */
export async function findVisibleProject(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
): Promise<ProjectDoc> {
  const doc = await deps.readStore.collection<ProjectDoc>(PROJECTS).get(projectId);
  if (!doc || !canViewProject(actor, doc)) throw noSuchProject();
  return doc;
}

/** The project if the actor may change it: 404 when they cannot see it, 403 when they only may look. */
export async function findManageableProject(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
): Promise<ProjectDoc> {
  const doc = await findVisibleProject(deps, actor, projectId);
  if (!canManageProject(actor, doc)) {
    throw refuse('not_project_manager', "Only the project's owner or a global admin may do this.");
  }
  return doc;
}

export async function getProject(deps: ProjectDeps, actor: Actor, projectId: string): Promise<ProjectView> {
  const doc = await findVisibleProject(deps, actor, projectId);
  return projectView(doc, relationTo(actor, doc)!);
}

/** The live project whose current API key this is, or `null`. */
export async function projectForApiKey(deps: ProjectDeps, key: string): Promise<ProjectDoc | null> {
  if (!looksLikeApiKey(key)) return null;
  const hash = hashApiKey(key);
  // The projects projection owns the model: its checkpoint says when the memo must be dropped (a rotated key).
  return readModelMemo<ProjectDoc>(deps.readStore, 'projects', 'apiKeyHash').get(hash, () =>
    deps.readStore.collection<ProjectDoc>(PROJECTS).findOne({ apiKeyHash: hash }),
  );
}
