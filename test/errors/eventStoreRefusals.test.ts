import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppendTooLargeError,
  type EventStore,
  StreamDeletedError,
} from '../../application/ports/eventStore.ts';
import { send } from '../kit/http.ts';
import { createProject } from '../kit/projects.ts';
import { startTestServer, type TestServer } from '../kit/server.ts';

/**
 * The event store adapters' own refusals (KurrentDB's deleted streams and over-large appends) had no code in the
 * error catalogue, so a route that met one answered 500 `internal_error`. The real server and SQLite store here; the
 * store's `append` is made to fail the way the KurrentDB adapter does (kurrentMapping.ts), since no KurrentDB runs
 * on these machines.
 */
describe('event store refusals through the HTTP API', () => {
  let server: TestServer;
  let token: string;
  let projectId: string;
  let append: EventStore['append'];

  beforeAll(async () => {
    server = await startTestServer({ triggers: false, webhooks: false });
    token = await server.signInAsRoot();
    projectId = (await createProject(server, token, 'refused')).id;
    append = server.m3m.eventStore.append;
  });
  afterAll(async () => {
    if (server) server.m3m.eventStore.append = append;
    await server?.close();
  });

  const failAppendsWith = (error: (streamId: string) => Error) => {
    server.m3m.eventStore.append = (streamId) => Promise.reject(error(streamId));
  };
  const rename = () =>
    send(server, 'PATCH', `/api/v1/projects/${projectId}`, { token, body: { name: 'Renamed' } });

  it('a stream deleted in the store is 410 stream_deleted, not a 500', async () => {
    failAppendsWith((streamId) => new StreamDeletedError(streamId));
    const answer = await rename();
    server.m3m.eventStore.append = append;
    expect(answer.status).toBe(410);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.json).toMatchObject({ status: 410, code: 'stream_deleted' });
    expect((answer.json as { detail: string }).detail).not.toContain(projectId); // no internal stream name
  });

  it('an append the store refuses as too large is 413 append_too_large, not a 500', async () => {
    failAppendsWith(
      (streamId) => new AppendTooLargeError(streamId, 'Maximum Append Size of 1048576 Exceeded'),
    );
    const answer = await rename();
    server.m3m.eventStore.append = append;
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ status: 413, code: 'append_too_large' });
    // The store works again: the same change goes through.
    expect((await rename()).status).toBe(200);
  });
});
