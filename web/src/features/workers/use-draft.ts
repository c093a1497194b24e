import { useCallback, useEffect, useRef, useState } from 'react';
import { type Language, useSaveDraft, type Worker } from './queries';

export type DraftStatus = 'saved' | 'unsaved' | 'saving' | 'failed';

const SAVE_AFTER_MS = 800;
const storageKey = (workerId: string) => `m3m.draft.${workerId}`;

/** What a new worker starts with: a `run` handler typed by the Runtime API. */
export function starterSource(language: Language): string {
  if (language === 'typescript') {
    return `export default {
  async run(input) {
    m3m.log.info('run with', input);
    return { ok: true, input };
  },
} satisfies m3m.Worker;
`;
  }
  return `/** @type {m3m.Worker} */
export default {
  async run(input) {
    m3m.log.info('run with', input);
    return { ok: true, input };
  },
};
`;
}

function readLocal(workerId: string): string | null {
  try {
    return localStorage.getItem(storageKey(workerId));
  } catch {
    return null;
  }
}

function writeLocal(workerId: string, source: string | null) {
  try {
    if (source === null) localStorage.removeItem(storageKey(workerId));
    else localStorage.setItem(storageKey(workerId), source);
  } catch {
    // A full or blocked storage only loses the reload safety net; the server draft is still saved.
  }
}

/**
 * The editor's text and its way to the server: every change is kept in localStorage at once (a reload within
 * the debounce loses nothing) and saved as the worker's draft after a pause; `saved` once the server has it.
 */
export function useDraft(
  worker: Worker | undefined,
  projectId: string,
  canSave: boolean,
  /** The active version's source when there is no draft (a deploy through the API); undefined while loading. */
  deployedSource: string | null | undefined,
) {
  const workerId = worker?.id ?? '';
  const save = useSaveDraft(projectId, workerId);
  const [text, setTextState] = useState<string | null>(null);
  const [status, setStatus] = useState<DraftStatus>('saved');
  const latest = useRef('');
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const saveRef = useRef(save.mutateAsync);
  saveRef.current = save.mutateAsync;

  const persist = useCallback(async () => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    const source = latest.current;
    setStatus('saving');
    try {
      await saveRef.current(source);
      if (latest.current === source) {
        writeLocal(workerId, null);
        setStatus('saved');
      } else {
        setStatus('unsaved');
      }
    } catch (error) {
      setStatus('failed');
      throw error;
    }
  }, [workerId]);

  const schedule = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void persist().catch(() => {}), SAVE_AFTER_MS);
  }, [persist]);

  // Once per worker: the local copy (unsaved before a reload), else the server's draft, else a starter.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the worker's identity decides where to start.
  useEffect(() => {
    if (!worker || (worker.draftSource === null && deployedSource === undefined)) return;
    const local = canSave ? readLocal(worker.id) : null;
    const initial =
      local ?? worker.draftSource ?? deployedSource ?? (canSave ? starterSource(worker.language) : '');
    latest.current = initial;
    setTextState(initial);
    if (canSave && initial !== worker.draftSource) {
      setStatus('unsaved');
      schedule();
    } else {
      setStatus('saved');
    }
  }, [worker?.id, canSave, deployedSource === undefined]);

  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);

  const setText = useCallback(
    (next: string) => {
      if (next === latest.current || !canSave) return;
      latest.current = next;
      setTextState(next);
      writeLocal(workerId, next);
      setStatus('unsaved');
      schedule();
    },
    [workerId, schedule, canSave],
  );

  /** Saves now (before a deploy or a dry run); resolves when the server has the text. */
  const flush = useCallback(async () => {
    if (status === 'saved' && !timer.current) return latest.current;
    await persist();
    return latest.current;
  }, [persist, status]);

  return { text, setText, status, flush };
}

export type Draft = ReturnType<typeof useDraft>;
