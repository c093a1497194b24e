/**
 * The Monaco editors of the worker and data pages, in one lazily loaded chunk (`monaco.ts` sets Monaco up when
 * this module is first imported).
 */
import { DiffEditor, Editor, type OnMount } from '@monaco-editor/react';
import { useEffect, useRef } from 'react';
import { useTheme } from '@/app/theme';
import { Skeleton } from '@/components/ui/skeleton';
import { registerStringCompletions } from './completions';
import { monaco } from './monaco';
import type { StringCompletions } from './string-arguments';

export { setRuntimeLibrary } from './monaco';

export interface SourceMarker {
  line: number;
  column: number;
  message: string;
}

const MARKER_OWNER = 'm3m-deploy';

const baseOptions: monaco.editor.IStandaloneEditorConstructionOptions = {
  minimap: { enabled: false },
  fontSize: 13,
  tabSize: 2,
  scrollBeyondLastLine: false,
  automaticLayout: true,
  fixedOverflowWidgets: true,
  padding: { top: 12, bottom: 12 },
  renderLineHighlight: 'line',
};

function useMonacoTheme() {
  return useTheme().resolved === 'dark' ? 'vs-dark' : 'light';
}

/** The worker's source: TypeScript or JavaScript, checked against the project's runtime.d.ts as one types. */
export function CodeEditor({
  path,
  language,
  value,
  onChange,
  marker,
  onSave,
  readOnly = false,
  height = '60vh',
  completions,
}: {
  /** One model per worker and language (`file:///workers/<id>.ts`), so each keeps its own undo history. */
  path: string;
  language: 'typescript' | 'javascript';
  value: string;
  onChange: (value: string) => void;
  /** A refused deploy's position, shown as an error marker until the source changes. */
  marker: SourceMarker | null;
  onSave?: () => void;
  readOnly?: boolean;
  height?: string;
  /** The project's variable names and goal slugs, offered inside `m3m.env.get("…")` / `m3m.goals.increment("…")`. */
  completions?: StringCompletions | undefined;
}) {
  const editorRef = useRef<monaco.editor.IStandaloneCodeEditor | null>(null);
  const saveRef = useRef(onSave);
  saveRef.current = onSave;
  const completionsRef = useRef(completions);
  completionsRef.current = completions;

  useEffect(() => {
    const provider = registerStringCompletions(language, path, () => completionsRef.current);
    return () => provider.dispose();
  }, [language, path]);

  useEffect(() => {
    const model = editorRef.current?.getModel();
    if (!model) return;
    monaco.editor.setModelMarkers(
      model,
      MARKER_OWNER,
      marker
        ? [
            {
              severity: monaco.MarkerSeverity.Error,
              message: marker.message,
              startLineNumber: marker.line,
              startColumn: marker.column,
              endLineNumber: marker.line,
              endColumn: Math.max(marker.column + 1, model.getLineMaxColumn(marker.line)),
            },
          ]
        : [],
    );
    if (marker) editorRef.current?.revealLineInCenterIfOutsideViewport(marker.line);
  }, [marker]);

  const onMount: OnMount = (editor) => {
    editorRef.current = editor;
    editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => saveRef.current?.());
  };

  return (
    <div className="overflow-hidden rounded-lg border" data-testid="code-editor">
      <Editor
        height={height}
        path={path}
        language={language}
        value={value}
        theme={useMonacoTheme()}
        onChange={(next) => onChange(next ?? '')}
        onMount={onMount}
        loading={<Skeleton className="h-full w-full" />}
        options={{ ...baseOptions, readOnly }}
      />
    </div>
  );
}

/** A deployed version (left) against the draft (right), read-only. */
export function DiffView({
  original,
  modified,
  language,
  keyPath,
}: {
  original: string;
  modified: string;
  language: 'typescript' | 'javascript';
  /** Distinct per worker and version, so each diff has models of its own. */
  keyPath: string;
}) {
  const originalPath = `file:///diff/${keyPath}/original`;
  const modifiedPath = `file:///diff/${keyPath}/modified`;
  // The diff editor must be disposed before its models: the wrapper keeps them (keepCurrent…), and they are
  // disposed here once the editor has gone, on the next tick.
  useEffect(
    () => () => {
      setTimeout(() => {
        for (const path of [originalPath, modifiedPath])
          monaco.editor.getModel(monaco.Uri.parse(path))?.dispose();
      }, 0);
    },
    [originalPath, modifiedPath],
  );
  return (
    <div className="overflow-hidden rounded-lg border" data-testid="diff-editor">
      <DiffEditor
        height="55vh"
        original={original}
        modified={modified}
        language={language}
        originalModelPath={originalPath}
        modifiedModelPath={modifiedPath}
        keepCurrentOriginalModel
        keepCurrentModifiedModel
        theme={useMonacoTheme()}
        loading={<Skeleton className="h-full w-full" />}
        options={{
          ...baseOptions,
          readOnly: true,
          renderSideBySide: true,
          useInlineViewWhenSpaceIsLimited: true,
        }}
      />
    </div>
  );
}

/** JSON with Monaco's own validation (run input, a model's schema, a document). */
export function JsonEditor({
  path,
  value,
  onChange,
  readOnly = false,
  height = '180px',
  label,
}: {
  path: string;
  value: string;
  onChange?: (value: string) => void;
  readOnly?: boolean;
  height?: string;
  label: string;
}) {
  return (
    <div className="overflow-hidden rounded-lg border" data-testid="json-editor">
      <Editor
        height={height}
        path={path}
        language="json"
        value={value}
        theme={useMonacoTheme()}
        onChange={(next) => onChange?.(next ?? '')}
        loading={<Skeleton className="h-full w-full" />}
        options={{ ...baseOptions, readOnly, lineNumbers: 'off', folding: true, ariaLabel: label }}
      />
    </div>
  );
}
