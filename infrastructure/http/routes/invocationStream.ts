import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type InvocationRecord, invocationsAfter } from '../../../application/runtime/invocations.ts';
import { findVisibleWorker } from '../../../application/workers/access.ts';
import { BEARER_SECURITY, type HttpRoutes, problems } from '../routeKit.ts';
import { WorkerParams, type WorkerRouteDeps } from './workerSchemas.ts';

/**
 * A worker's invocations as they happen, as Server-Sent Events: each new record from the in-process feed,
 * a heartbeat comment meanwhile. A client that reconnects with `Last-Event-ID` (the id of the last record it
 * received) first gets the stored records it missed, in order, then the live ones, none twice. Every open
 * stream ends when the server closes.
 *
 * The viewer's access is checked again every `accessCheckMs` (token still valid: user not blocked, password not
 * changed; project and worker still visible: still a member) and before a record is sent once that much time has
 * passed since the last check. When access is gone the stream sends a final `closed` event with the reason and
 * ends: a removed member or a blocked user never sees more than one interval's records.
 */
export function invocationStreamRoutes(deps: WorkerRouteDeps): HttpRoutes {
  const { auth } = deps;
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const accessCheckMs = deps.streamAccessCheckMs ?? 2_000;
  /** Open invocation streams, ended when the server closes. */
  const streams = new Set<() => void>();

  return (app) => {
    app.addHook('onRequest', auth.authenticate);
    app.addHook('preClose', async () => {
      for (const end of [...streams]) end();
    });

    app.get(
      '/projects/:id/workers/:workerId/invocations/stream',
      {
        schema: {
          operationId: 'streamWorkerInvocations',
          tags: ['workers'],
          summary: "Follow the worker's invocations live (Server-Sent Events)",
          description:
            "A `text/event-stream`: each new invocation record as an `invocation` event (`data` is the record as JSON, `id` its id), a comment line as heartbeat every 15 s. Ends when the server stops. Reconnecting with the header `Last-Event-ID: <id of the last record received>` first sends the records stored since (up to 1,000, oldest first), then continues live without a gap or a repeat; an unknown or expired id resumes live only. The viewer's access is checked again every 2 s: once it is gone (removed from the project, blocked, password changed, worker deleted) a final `closed` event (`data`: `{ code, reason }`) ends the stream.",
          security: BEARER_SECURITY,
          params: WorkerParams,
          headers: z.object({ 'last-event-id': z.string().max(200).optional() }),
          response: { 200: z.string().describe('text/event-stream'), ...problems(400, 401, 404) },
        },
      },
      async (request, reply) => {
        const { id, workerId } = request.params;
        await findVisibleWorker(deps.app, auth.actorOf(request), id, workerId);
        await follow(request, reply, workerId, request.headers['last-event-id'], async () => {
          await auth.authenticate(request);
          await findVisibleWorker(deps.app, auth.actorOf(request), id, workerId);
        });
      },
    );

    async function follow(
      request: FastifyRequest,
      reply: FastifyReply,
      workerId: string,
      lastEventId: string | undefined,
      checkAccess: () => Promise<void>,
    ): Promise<void> {
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 3000\n: following invocations\n\n');
      let ended = false;
      const end = () => {
        if (ended) return;
        ended = true;
        clearInterval(heartbeat);
        clearInterval(recheck);
        subscription.unsubscribe();
        streams.delete(end);
        if (!res.writableEnded) res.end();
      };
      let checkedAt = Date.now();
      /** Records and checks in order: a record waits for a due check, and nothing is sent after a failed one. */
      let queue = Promise.resolve();
      const check = async () => {
        try {
          await checkAccess();
          checkedAt = Date.now();
        } catch (error) {
          const { code, message } = error as { code?: unknown; message?: unknown };
          const reason = { code: typeof code === 'string' ? code : 'forbidden', reason: String(message) };
          if (!ended) res.write(`event: closed\ndata: ${JSON.stringify(reason)}\n\n`);
          end();
        }
      };
      const enqueue = (work: () => Promise<void> | void) => {
        queue = queue.then(work).catch((err: unknown) => {
          request.log.error({ err }, 'invocation stream failed');
          end();
        });
      };
      const send = (record: InvocationRecord) =>
        enqueue(async () => {
          if (Date.now() - checkedAt >= accessCheckMs) await check();
          if (ended) return;
          res.write(`event: invocation\nid: ${record.id}\ndata: ${JSON.stringify(record)}\n\n`);
        });
      // Live records are held back while the missed ones are read: a record is stored before it is published,
      // so each one is in the stored page, among the held ones, or both (then sent once).
      let held: InvocationRecord[] | null = lastEventId ? [] : null;
      const subscription = deps.app.feed.follow({ workerId }).subscribe({
        next: (record) => {
          if (held) held.push(record);
          else send(record);
        },
        complete: end,
      });
      const heartbeat = setInterval(
        () => res.write(`: heartbeat ${new Date().toISOString()}\n\n`),
        heartbeatMs,
      );
      heartbeat.unref();
      const recheck = setInterval(() => enqueue(check), accessCheckMs);
      recheck.unref();
      streams.add(end);
      request.raw.on('close', end);
      res.on('error', end);
      if (!lastEventId || !held) return;
      const sent = new Set<string>();
      try {
        for (const record of await invocationsAfter(deps.app.readStore, workerId, lastEventId)) {
          if (ended) return;
          sent.add(record.id);
          send(record);
        }
      } finally {
        const waiting = held;
        held = null;
        for (const record of waiting) if (!ended && !sent.has(record.id)) send(record);
      }
    }
  };
}
