import { useEffect, useRef, useState } from 'react';
import { session } from '@/api/auth';
import type { Invocation } from './queries';

export type StreamState = 'connecting' | 'live' | 'paused' | 'reconnecting' | 'closed';

interface SseMessage {
  event: string;
  id: string | null;
  data: string;
}

/** Splits a text/event-stream into messages (fields `event`, `id`, `data`; comment lines are heartbeats). */
export function parseSse(buffer: string): { messages: SseMessage[]; rest: string } {
  const messages: SseMessage[] = [];
  const blocks = buffer.split(/\r?\n\r?\n/);
  const rest = blocks.pop() ?? '';
  for (const block of blocks) {
    let event = 'message';
    let id: string | null = null;
    const data: string[] = [];
    for (const line of block.split(/\r?\n/)) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') event = value;
      else if (field === 'id') id = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0 || id !== null) messages.push({ event, id, data: data.join('\n') });
  }
  return { messages, rest };
}

const BACKOFF_MS = [1000, 2000, 5000];
const KEEP = 200;

/**
 * The worker's invocations live. EventSource cannot send the bearer token, so this reads the stream with
 * fetch; after a dropped connection (or a pause) it reconnects with `Last-Event-ID`, and the server first sends
 * what was missed, so no record is lost or repeated. `seed` (the latest stored records) fills the list first
 * and gives the first resume point.
 */
export function useInvocationStream(
  projectId: string,
  workerId: string,
  seed: readonly Invocation[] | undefined,
  paused: boolean,
) {
  const [records, setRecords] = useState<Invocation[]>([]);
  const [state, setState] = useState<StreamState>('connecting');
  const [closedReason, setClosedReason] = useState<string | null>(null);
  const lastId = useRef<string | null>(null);
  const seeded = useRef(false);

  useEffect(() => {
    if (!seed || seeded.current) return;
    seeded.current = true;
    setRecords((current) => merge(current, seed));
    if (seed[0] && !lastId.current) lastId.current = seed[0].id;
  }, [seed]);

  const ready = seed !== undefined;
  useEffect(() => {
    if (!ready) return;
    if (paused) {
      setState('paused');
      return;
    }
    const abort = new AbortController();
    let attempt = 0;
    let stopped = false;

    const connect = async () => {
      while (!stopped) {
        setState(attempt === 0 ? 'connecting' : 'reconnecting');
        try {
          const headers: Record<string, string> = { accept: 'text/event-stream' };
          const token = session.get()?.token;
          if (token) headers.authorization = `Bearer ${token}`;
          if (lastId.current) headers['last-event-id'] = lastId.current;
          const response = await fetch(
            `/api/v1/projects/${encodeURIComponent(projectId)}/workers/${encodeURIComponent(workerId)}/invocations/stream`,
            { headers, signal: abort.signal },
          );
          if (!response.ok || !response.body) {
            if (response.status === 401 || response.status === 403 || response.status === 404) {
              setState('closed');
              return;
            }
            throw new Error(`HTTP ${response.status}`);
          }
          setState('live');
          attempt = 0;
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseSse(buffer + value);
            buffer = parsed.rest;
            for (const message of parsed.messages) {
              if (message.event === 'closed') {
                stopped = true;
                setClosedReason(message.data);
                setState('closed');
                return;
              }
              if (message.event !== 'invocation') continue;
              const record = JSON.parse(message.data) as Invocation;
              if (message.id) lastId.current = message.id;
              setRecords((current) => merge(current, [record]));
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        if (stopped || abort.signal.aborted) return;
        setState('reconnecting');
        await new Promise((resolve) =>
          setTimeout(resolve, BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)]),
        );
        attempt++;
      }
    };
    void connect();
    return () => {
      stopped = true;
      abort.abort();
    };
  }, [projectId, workerId, paused, ready]);

  return { records, state, closedReason };
}

/** Newest first, each record once (a resume never repeats one, but the seed and the stream may overlap). */
function merge(current: readonly Invocation[], incoming: readonly Invocation[]): Invocation[] {
  const byId = new Map(current.map((r) => [r.id, r]));
  for (const r of incoming) byId.set(r.id, r);
  return [...byId.values()]
    .sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0))
    .slice(0, KEEP);
}
