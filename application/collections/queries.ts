import { createHash } from 'node:crypto';
import { validateModelName } from '../../domain/dataModel.ts';
import type { Actor } from '../context.ts';
import { refusals, refuse } from '../errors.ts';
import { findAll } from '../ports/findAll.ts';
import type { Doc, Filter, Page, ReadStore, SortSpec } from '../ports/readStore.ts';
import type { ProjectDeps } from '../projects/deps.ts';
import { findVisibleProject } from '../projects/queries.ts';
import { checkFilter, checkSort, modelCollection } from '../runtime/models.ts';
import { DATA_MODELS, type DataModelDoc, dataModelId } from './readModel.ts';

/**
 * A project's data as whoever sees the project reads it: its collections (those workers wrote and those with a
 * model), their documents, and the models.
 */

export interface CollectionView {
  name: string;
  documents: number;
  /** The collection has a model (a JSON Schema its writes must match). */
  hasModel: boolean;
}

const collectionPrefix = (projectId: string) => modelCollection(projectId, 'x').slice(0, -1);

export async function projectModels(readStore: ReadStore, projectId: string): Promise<DataModelDoc[]> {
  return findAll(readStore.collection<DataModelDoc>(DATA_MODELS), { projectId }, { name: 1 });
}

export async function listCollections(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
): Promise<CollectionView[]> {
  await findVisibleProject(deps, actor, projectId);
  const prefix = collectionPrefix(projectId);
  const stored = (await deps.readStore.listCollections())
    .filter((name) => name.startsWith(prefix))
    .map((name) => name.slice(prefix.length));
  const models = new Set((await projectModels(deps.readStore, projectId)).map((m) => m.name));
  const names = [...new Set([...stored, ...models])].sort();
  return Promise.all(
    names.map(async (name) => ({
      name,
      documents: await deps.readStore.collection(modelCollection(projectId, name)).count(),
      hasModel: models.has(name),
    })),
  );
}

export interface DocumentQuery {
  /** A worker's filter as JSON: `{"status":"open","total":{"$gt":10}}`. */
  filter?: string | undefined;
  /** A field path, `-` in front for descending. */
  sort?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

function parseFilter(text: string | undefined): Filter {
  if (text === undefined || text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw refuse('invalid_filter', 'The filter is not JSON: e.g. {"status":"open"}.');
  }
  try {
    return checkFilter(parsed);
  } catch (error) {
    throw refuse('invalid_filter', `The filter is not usable: ${(error as Error).message}.`);
  }
}

function parseSort(text: string | undefined): SortSpec | undefined {
  if (text === undefined || text === '') return undefined;
  const field = text.startsWith('-') ? text.slice(1) : text;
  try {
    return checkSort({ [field]: text.startsWith('-') ? -1 : 1 });
  } catch (error) {
    throw refuse('invalid_sort', `The sort is not usable: ${(error as Error).message}.`);
  }
}

/**
 * The cursors this list hands out name the query they belong to: a cursor is only good for the filter and sort
 * that made it (another query's would page through the wrong documents), and a forged one is refused.
 */
function queryKey(filter: Filter, sort: SortSpec | undefined): string {
  return createHash('sha256')
    .update(JSON.stringify([filter, sort ?? null]))
    .digest('base64url')
    .slice(0, 16);
}

function wrapCursor(key: string, cursor: string | null): string | null {
  return cursor === null ? null : Buffer.from(JSON.stringify({ q: key, c: cursor })).toString('base64url');
}

function unwrapCursor(key: string, cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === '') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  const { q, c } = (parsed ?? {}) as { q?: unknown; c?: unknown };
  if (q !== key || typeof c !== 'string') {
    throw refuse(
      'invalid_cursor',
      'The cursor is not one this list gave for this filter and sort.',
      'cursor',
    );
  }
  return c;
}

export async function listDocuments(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  name: string,
  query: DocumentQuery,
): Promise<Page<Doc>> {
  await findVisibleProject(deps, actor, projectId);
  refusals(() => validateModelName(name));
  const filter = parseFilter(query.filter);
  const sort = parseSort(query.sort);
  const key = queryKey(filter, sort);
  const cursor = unwrapCursor(key, query.cursor);
  const page = await refusals(() =>
    deps.readStore.collection(modelCollection(projectId, name)).find(filter, {
      ...(sort ? { sort } : {}),
      limit: Math.min(100, Math.max(1, query.limit ?? 20)),
      cursor,
    }),
  );
  return { items: page.items, nextCursor: wrapCursor(key, page.nextCursor) };
}

export async function getDocument(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  name: string,
  documentId: string,
): Promise<Doc> {
  await findVisibleProject(deps, actor, projectId);
  refusals(() => validateModelName(name));
  const doc = await deps.readStore.collection(modelCollection(projectId, name)).get(documentId);
  if (!doc) throw refuse('document_not_found', `The collection "${name}" has no document "${documentId}".`);
  return doc;
}

export async function getModel(
  deps: ProjectDeps,
  actor: Actor,
  projectId: string,
  name: string,
): Promise<DataModelDoc> {
  await findVisibleProject(deps, actor, projectId);
  refusals(() => validateModelName(name));
  const model = await deps.readStore.collection<DataModelDoc>(DATA_MODELS).get(dataModelId(projectId, name));
  if (!model) throw refuse('model_not_found', `The collection "${name}" has no model.`);
  return model;
}
