/**
 * Monaco, bundled (no CDN: the machine running m3m may have no internet) and set up once for the worker pages.
 * Only the worker pages import this module, so only they pay for the editor. Its language workers are built by
 * Vite as files of their own (the CSP allows `worker-src 'self' blob:`).
 */
import { loader } from '@monaco-editor/react';
import EditorWorker from 'monaco-esm/editor/editor.worker.js?worker';
import JsonWorker from 'monaco-esm/language/json/json.worker.js?worker';
import TsWorker from 'monaco-esm/language/typescript/ts.worker.js?worker';
import * as monaco from './monaco-slim';

// Each of Monaco's workers, built by Vite as a file of its own. Without this, the editor's own worker (diffs,
// links, word ranges) is named by a bare `new URL(…)` that Vite inlines as an unbundled data: module.
self.MonacoEnvironment = {
  getWorker(_moduleId: string, label: string) {
    if (label === 'typescript' || label === 'javascript') return new TsWorker();
    if (label === 'json') return new JsonWorker();
    return new EditorWorker();
  },
};

// @monaco-editor/react would fetch Monaco from a CDN; it gets this bundled one instead.
loader.config({ monaco: monaco as unknown as Parameters<typeof loader.config>[0]['monaco'] });

// Workers run in an isolate with ES2023 and the Runtime API, no DOM: the editor checks against exactly that.
const compilerOptions: monaco.typescript.CompilerOptions = {
  target: monaco.typescript.ScriptTarget.ES2020,
  module: monaco.typescript.ModuleKind.ESNext,
  moduleResolution: monaco.typescript.ModuleResolutionKind.NodeJs,
  lib: ['es2023'],
  strict: true,
  allowNonTsExtensions: true,
  noEmit: true,
  checkJs: true,
  allowJs: true,
};
monaco.typescript.typescriptDefaults.setCompilerOptions(compilerOptions);
monaco.typescript.javascriptDefaults.setCompilerOptions(compilerOptions);
monaco.typescript.javascriptDefaults.setDiagnosticsOptions({
  noSemanticValidation: false,
  noSyntaxValidation: false,
});

let runtimeLib: { source: string; disposables: { dispose(): void }[] } | null = null;

/** The project's `runtime.d.ts` as an extra library of both languages; replaced when it changes. */
export function setRuntimeLibrary(source: string) {
  if (runtimeLib?.source === source) return;
  for (const d of runtimeLib?.disposables ?? []) d.dispose();
  const path = 'file:///m3m/runtime.d.ts';
  runtimeLib = {
    source,
    disposables: [
      monaco.typescript.typescriptDefaults.addExtraLib(source, path),
      monaco.typescript.javascriptDefaults.addExtraLib(source, path),
    ],
  };
}

export { monaco };
