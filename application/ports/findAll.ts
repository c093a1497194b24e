import type { Collection, Doc, Filter, SortSpec } from './readStore.ts';

/** Every match, following cursors page by page (a `find` page is bounded). For small, bounded result sets. */
export async function findAll<T extends Doc>(
  collection: Collection<T>,
  filter: Filter = {},
  sort?: SortSpec,
): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | null = null;
  do {
    const page = await collection.find(filter, { ...(sort ? { sort } : {}), limit: 1000, cursor });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
