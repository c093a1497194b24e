import { dataModel, dataModelStream, type JsonSchema, validateModelName } from '../../domain/dataModel.ts';
import { handleCommand } from '../commands/handleCommand.ts';
import { type Actor, eventMetadata, type RequestOrigin } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findManageableProject } from '../projects/queries.ts';
import { deleteModelDocument, modelCollection } from '../runtime/models.ts';
import { modelSchemaProblem } from './schemaValidation.ts';

/**
 * Changing a project's data (owner or global admin): defining or removing a collection's model — recorded as
 * events — and deleting a document a worker stored (worker data is primary data, not events).
 */

export async function defineModel(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  name: string,
  schema: JsonSchema,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await findManageableProject(deps, actor, projectId);
  refusals(() => validateModelName(name));
  const problem = modelSchemaProblem(schema);
  if (problem !== null) throw refuse('invalid_model_schema', `The schema is not usable: ${problem}.`);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      dataModelStream(projectId),
      dataModel,
      { type: 'DefineDataModel', projectId, name, schema },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position };
  });
}

/** The collection's documents stay; only its model goes (writes are no longer checked). */
export async function removeModel(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  name: string,
  origin?: RequestOrigin,
): Promise<{ position: number | null }> {
  await findManageableProject(deps, actor, projectId);
  return refusals(async () => {
    const outcome = await handleCommand(
      deps,
      dataModelStream(projectId),
      dataModel,
      { type: 'RemoveDataModel', projectId, name },
      eventMetadata(actor, origin),
    );
    return { position: outcome.position };
  });
}

export async function deleteDocument(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  name: string,
  documentId: string,
): Promise<void> {
  await findManageableProject(deps, actor, projectId);
  refusals(() => validateModelName(name));
  const deleted = await deleteModelDocument(
    deps.readStore,
    projectId,
    modelCollection(projectId, name),
    documentId,
  );
  if (!deleted)
    throw refuse('document_not_found', `The collection "${name}" has no document "${documentId}".`);
}
