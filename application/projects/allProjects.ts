import type { Actor } from '../context.ts';
import { assertCanUseAdminRoutes } from '../identity/authorization.ts';
import { USERS, type UserView } from '../identity/userDirectory.ts';
import { findAll } from '../ports/findAll.ts';
import type { ProjectDeps } from './deps.ts';
import { type ProjectView, projectView } from './queries.ts';
import { PROJECTS, type ProjectDoc } from './readModel.ts';

export interface ProjectOwner {
  id: string;
  email: string;
  name: string;
}

/** A project in the admins' list: with who owns it (`null` when the CLI created it or the owner is gone). */
export interface AdminProjectView extends ProjectView {
  owner: ProjectOwner | null;
}

/** `GET /admin/projects`: every live project, by name, with its owner — global admins only. */
export async function listAllProjects(deps: ProjectDeps, actor: Actor): Promise<AdminProjectView[]> {
  assertCanUseAdminRoutes(actor);
  const docs = await findAll(deps.readStore.collection<ProjectDoc>(PROJECTS), {}, { name: 1 });
  const ownerIds = [...new Set(docs.flatMap((d) => (d.ownerId === null ? [] : [d.ownerId])))];
  const owners =
    ownerIds.length === 0
      ? []
      : await findAll(deps.readStore.collection<UserView>(USERS), { id: { $in: ownerIds } });
  const byId = new Map(owners.map((u) => [u.id, { id: u.id, email: u.email, name: u.name }]));
  return docs.map((doc) => ({
    ...projectView(doc, 'admin'),
    owner: doc.ownerId === null ? null : (byId.get(doc.ownerId) ?? null),
  }));
}
