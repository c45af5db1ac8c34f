import { randomUUID } from 'node:crypto';
import {
  isInitializeRequest,
  WebStandardStreamableHTTPServerTransport,
  type McpHandlerRequestOptions,
  type McpServer,
} from '@modelcontextprotocol/server';

export interface LegacySessionOptions {
  maxBodyBytes: number;
  /** Most 2025-era sessions kept at once; the one idle longest goes to make room. */
  maxSessions: number;
  /** A session unused this long is closed. */
  idleMs: number;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport;
  server: McpServer;
  lastUsed: number;
}

function rpcError(status: number, message: string): Response {
  return new Response(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * 2025-era (initialize handshake) clients over Streamable HTTP, served with sessions: one
 * server instance per session keeps what the client declared at initialize (its elicitation
 * capability above all, so that a confirmation is asked of the user and not taken from
 * `confirm: true`), and the user's answer to an elicitation finds its way back to the call
 * that asked. The session's GET stream carries the server's questions.
 */
export function createLegacySessions(factory: () => McpServer, opts: LegacySessionOptions) {
  const sessions = new Map<string, Session>();

  const closeSession = (id: string) => {
    const s = sessions.get(id);
    if (!s) return;
    sessions.delete(id);
    s.transport.close().catch(() => undefined);
    s.server.close().catch(() => undefined);
  };

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [id, s] of sessions) if (now - s.lastUsed > opts.idleMs) closeSession(id);
    },
    Math.min(60_000, opts.idleMs),
  );
  sweep.unref();

  const makeRoom = () => {
    if (sessions.size < opts.maxSessions) return;
    let oldest: [string, Session] | undefined;
    for (const entry of sessions) if (!oldest || entry[1].lastUsed < oldest[1].lastUsed) oldest = entry;
    if (oldest) closeSession(oldest[0]);
  };

  async function fetch(request: Request, options?: McpHandlerRequestOptions): Promise<Response> {
    const method = request.method.toUpperCase();
    const sessionId = request.headers.get('mcp-session-id');
    if (sessionId) {
      const s = sessions.get(sessionId);
      if (!s) return rpcError(404, 'Session not found: it ended or expired; initialize again.');
      s.lastUsed = Date.now();
      if (method === 'DELETE') {
        const response = await s.transport.handleRequest(request, options);
        closeSession(sessionId);
        return response;
      }
      return s.transport.handleRequest(request, options);
    }
    const body = options?.parsedBody;
    const initializes =
      method === 'POST' &&
      (isInitializeRequest(body) || (Array.isArray(body) && body.some((m) => isInitializeRequest(m))));
    if (!initializes)
      return rpcError(400, 'Bad request: send initialize first, then the Mcp-Session-Id header it returns.');
    makeRoom();
    const server = factory();
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      maxRequestBodySize: opts.maxBodyBytes,
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server, lastUsed: Date.now() });
      },
      onsessionclosed: (id) => closeSession(id),
    });
    await server.connect(transport);
    const response = await transport.handleRequest(request, options);
    if (!transport.sessionId || !sessions.has(transport.sessionId)) {
      // The handshake failed: nothing to keep.
      transport.close().catch(() => undefined);
      server.close().catch(() => undefined);
    }
    return response;
  }

  return {
    fetch,
    has: (id: string) => sessions.has(id),
    close: async () => {
      clearInterval(sweep);
      for (const id of [...sessions.keys()]) closeSession(id);
    },
  };
}
