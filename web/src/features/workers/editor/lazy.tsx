import { lazy } from 'react';

/** Monaco is its own chunk: the worker page shows its header and tabs while the editor loads. */
const editors = () => import('./monaco-editors');
export const LazyCodeEditor = lazy(async () => ({ default: (await editors()).CodeEditor }));
export const LazyDiffView = lazy(async () => ({ default: (await editors()).DiffView }));
export const LazyJsonEditor = lazy(async () => ({ default: (await editors()).JsonEditor }));
export const loadEditorHelpers = editors;
