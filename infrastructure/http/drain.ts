import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

export interface DrainOptions {
  /** The most a drain waits for requests in flight before it closes what is left. Default 10 s. */
  timeoutMs?: number;
  /** A keep-alive connection with no request for this long is closed; a busier one gets `Connection: close`. */
  idleGraceMs?: number;
}

/**
 * A graceful stop for SIGTERM under load. Closing idle keep-alive connections at once (what `server.close()`
 * does) resets a connection whose next request is already on its way, and a client cannot know whether that
 * POST was committed: under load one stop reset 33 requests. So the drain
 * 1. stops accepting connections (a new one is refused: the client knows nothing was sent),
 * 2. lets every request in flight finish, answering it and any request that still arrives on an open
 *    connection with `Connection: close`, so the client opens no further request on it,
 * 3. closes a connection once it has had no request in flight for `idleGraceMs`,
 * 4. after `timeoutMs` closes whatever is left.
 * Attach it before the server accepts its first connection.
 */
export function connectionDrainer(server: HttpServer) {
  const sockets = new Map<Socket, { inFlight: number; lastActive: number }>();
  let draining = false;

  server.on('connection', (socket: Socket) => {
    sockets.set(socket, { inFlight: 0, lastActive: Date.now() });
    socket.once('close', () => sockets.delete(socket));
  });
  // First of the request listeners: the header is set before Fastify can answer.
  server.prependListener('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = sockets.get(request.socket);
    if (draining && !response.headersSent) response.setHeader('connection', 'close');
    if (!state) return;
    state.inFlight += 1;
    response.once('close', () => {
      state.inFlight -= 1;
      state.lastActive = Date.now();
    });
  });

  return {
    async drain({ timeoutMs = 10_000, idleGraceMs = 300 }: DrainOptions = {}): Promise<{ forced: number }> {
      draining = true;
      const deadline = Date.now() + timeoutMs;
      // net.Server's own close: stop listening without http.Server's closing of idle connections. Its callback
      // comes once every connection has ended (each client closes after a response saying `Connection: close`);
      // waited for at most `timeoutMs`, so a client that keeps an idle keep-alive connection open forever
      // cannot hold the stop (the loop below then closes what is left).
      const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      while (sockets.size > 0 && Date.now() < deadline) {
        const now = Date.now();
        for (const [socket, state] of sockets) {
          if (state.inFlight === 0 && now - state.lastActive >= idleGraceMs) socket.end();
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      const forced = sockets.size;
      for (const socket of sockets.keys()) socket.destroy();
      return { forced };
    },
  };
}
