import type { Collection, Doc } from './readStore.ts';

/** Upserts every document, in one go where the engine can (`upsertMany`), else one by one. */
export async function upsertAll<T extends Doc>(collection: Collection<T>, docs: readonly T[]): Promise<void> {
  if (docs.length === 0) return;
  if (collection.upsertMany) {
    await collection.upsertMany(docs);
    return;
  }
  for (const doc of docs) await collection.upsert(doc);
}
