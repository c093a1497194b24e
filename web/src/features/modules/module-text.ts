import type { TFunction } from 'i18next';
import type { CatalogModule } from '@/api/types';

/**
 * The catalogue's names and descriptions are the server's (English) words; for the modules m3m ships, the UI
 * has its own in each language. A plugin's module keeps the words its author gave.
 */
export function moduleText(t: TFunction, module: Pick<CatalogModule, 'code' | 'name' | 'description'>) {
  const key = `modules.catalog.${module.code}`;
  return {
    name: t(`${key}.name` as never, { defaultValue: module.name }) as string,
    description: t(`${key}.description` as never, { defaultValue: module.description }) as string,
  };
}
