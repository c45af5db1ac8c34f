import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { createMcpHandler, isLegacyRequest } from '@modelcontextprotocol/server';
import { createLegacySessions } from './legacySessions.js';
import { toNodeHandler } from '@modelcontextprotocol/node';
import type { Logger } from '../logger.js';
import type { McpServer } from '@modelcontextprotocol/server';

export interface HttpOptions {
  host: string;
  port: number;
  /** Bearer token every request to /mcp must carry. */
  token: string;
  /** Extra Host header names to accept (besides localhost and the bind address). */
  allowedHosts: string[];
  /** Extra Origin host names to accept (besides localhost). */
  allowedOrigins: string[];
  /** Largest request body, counted as it arrives (chunked bodies too). */
  maxBodyBytes: number;
  /** Most JSON-RPC messages in progress at once; each message of a batch counts. */
  maxConcurrent: number;
  /** Time allowed to receive the request headers. */
  headersTimeoutMs: number;
  /** Time allowed to receive the body once the headers are in. */
  bodyTimeoutMs: number;
  /** Time allowed to receive the whole request (headers and body); answering may take longer. */
  requestTimeoutMs: number;
}

export class HttpConfigError extends Error {}

const LEGACY_MAX_SESSIONS = 1000;
const LEGACY_IDLE_MS = 30 * 60_000;

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]', '::1'];

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.includes(host) || host.startsWith('127.');
}

/** Constant-time comparison of a presented bearer token with the configured one. */
export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  if (!m?.[1]) return false;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(m[1].trim()).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

function hostnameOf(hostHeader: string | undefined): string | undefined {
  if (!hostHeader) return undefined;
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(hostHeader.trim());
  return m?.[1]?.toLowerCase();
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function rpcError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  json(res, status, { jsonrpc: '2.0', error: { code: -32000, message }, id: null }, headers);
}

/**
 * How many slots a body takes: one per request or notification in it. Responses (a user's
 * answer to an elicitation the server asked during a call) take none, so that a call
 * waiting for its answer cannot starve the answer of a slot.
 */
function workOf(body: unknown): number {
  const items = Array.isArray(body) ? body : [body];
  return items.filter((m) => !(m && typeof m === 'object' && !('method' in m) && ('result' in m || 'error' in m)))
    .length;
}

function tooLarge(res: ServerResponse, max: number): void {
  rpcError(res, 413, `Request body larger than ${max} bytes`, { connection: 'close' });
}

function busy(res: ServerResponse): void {
  rpcError(res, 503, 'Too many concurrent requests; retry shortly', { 'retry-after': '1' });
}

/**
 * Reads a request body, counting bytes as they arrive whatever Content-Length said: past
 * `max` it stops reading ('too_large'), past the deadline it gives up ('timeout').
 */
export function readBody(
  req: IncomingMessage,
  max: number,
  timeoutMs: number,
): Promise<Buffer | 'too_large' | 'timeout' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (v: Buffer | 'too_large' | 'timeout' | 'aborted') => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onClose);
      if (typeof v === 'string') req.pause();
      resolve(v);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) return finish('too_large');
      chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks));
    const onAbort = () => finish('aborted');
    const onClose = () => {
      if (!req.complete) finish('aborted');
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onAbort);
    req.on('close', onClose);
  });
}

export interface RunningHttpServer {
  server: Server;
  url: string;
  close: () => Promise<void>;
}

/**
 * Serves MCP over Streamable HTTP at /mcp: current-spec clients through the SDK's
 * per-request handler, 2025-era clients through its stateless fallback. In front of it:
 * Host and Origin checks (DNS rebinding), bearer auth, a body-size limit counted as bytes
 * arrive, a concurrency limit in JSON-RPC messages (a batch counts each), and deadlines for
 * receiving headers and body so that stalled clients cannot hold slots.
 * /healthz answers without auth and without details.
 */
export async function startHttpServer(
  opts: HttpOptions,
  factory: () => McpServer,
  log: Logger,
): Promise<RunningHttpServer> {
  if (!opts.token)
    throw new HttpConfigError('HTTP transport needs a bearer token: set DOM_HTTP_TOKEN or pass --token-file FILE.');
  if (opts.token.length < 16) throw new HttpConfigError('the HTTP bearer token must be at least 16 characters long.');
  const bindName = isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host;
  const hosts = new Set([...LOOPBACK_NAMES, bindName.toLowerCase(), ...opts.allowedHosts.map((h) => h.toLowerCase())]);
  const origins = new Set([...LOOPBACK_NAMES, ...opts.allowedOrigins.map((h) => h.toLowerCase())]);

  // 2026-era requests: the SDK's per-request handler. 2025-era clients: sessions of our own,
  // so that what a client declared at initialize (elicitation) holds for its later calls.
  const onerror = (err: Error) => log.warn({ err: err.message }, 'mcp http error');
  const mcp = createMcpHandler(() => factory(), { legacy: 'reject', onerror, maxRequestBodySize: opts.maxBodyBytes });
  const legacy = createLegacySessions(factory, {
    maxBodyBytes: opts.maxBodyBytes,
    maxSessions: LEGACY_MAX_SESSIONS,
    idleMs: LEGACY_IDLE_MS,
  });
  const handle = toNodeHandler({
    fetch: async (request, options) => {
      // A session's traffic (including the user's answers to its questions) stays in its session.
      const session = request.headers.get('mcp-session-id');
      if (session && legacy.has(session)) return legacy.fetch(request, options);
      const isLegacy = await isLegacyRequest(request, options?.parsedBody, { maxRequestBodySize: opts.maxBodyBytes });
      return isLegacy ? legacy.fetch(request, options) : mcp.fetch(request, options);
    },
  });
  let inFlight = 0;
  let closing = false;
  const listening = new Set<ServerResponse>();

  // requestTimeout bounds receiving the request only: a long tool call may answer for minutes.
  // The check runs every second so that a stalled client is cut close to its deadline.
  const serverOptions = {
    headersTimeout: opts.headersTimeoutMs,
    requestTimeout: opts.requestTimeoutMs,
    connectionsCheckingInterval: 1000,
  };
  const server = createHttpServer(serverOptions, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && req.method === 'GET')
      return json(res, 200, { status: closing ? 'closing' : 'ok' });

    const host = hostnameOf(req.headers.host);
    if (!host || !hosts.has(host)) return rpcError(res, 403, 'Forbidden: Host header not allowed');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).hostname.toLowerCase();
      } catch {
        originHost = undefined;
      }
      if (!originHost || !(origins.has(originHost) || origins.has(`[${originHost}]`)))
        return rpcError(res, 403, 'Forbidden: Origin not allowed');
    }
    if (!tokenMatches(req.headers.authorization, opts.token)) {
      return rpcError(res, 401, 'Unauthorized: send Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer realm="docker-orchestration-mcp"',
      });
    }
    if (url.pathname !== '/mcp') return rpcError(res, 404, 'Not found: the MCP endpoint is /mcp');
    if (closing) return rpcError(res, 503, 'Server is shutting down');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > opts.maxBodyBytes) return tooLarge(res, opts.maxBodyBytes);
    const sessionId = req.headers['mcp-session-id'];
    if (req.method === 'GET' && typeof sessionId === 'string' && legacy.has(sessionId)) {
      // A session's one listening stream (the SDK allows one per session) does no work of its
      // own and stays open: it is bounded by the session count, not by --max-concurrent.
      listening.add(res);
      res.on('close', () => listening.delete(res));
      return void Promise.resolve(handle(req, res)).catch((err: unknown) => log.error({ err }, 'http handler failed'));
    }
    if (inFlight >= opts.maxConcurrent) return busy(res);

    // One slot while the body is read, then one per JSON-RPC message it carries.
    let weight = 1;
    let answered = false;
    inFlight++;
    res.on('close', () => {
      answered = true;
      inFlight -= weight;
      // While shutting down, a keep-alive socket that just finished its last call goes at once.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    void (async () => {
      let parsed: unknown;
      if (req.method === 'POST') {
        const body = await readBody(req, opts.maxBodyBytes, opts.bodyTimeoutMs);
        if (body === 'too_large') return tooLarge(res, opts.maxBodyBytes);
        if (body === 'timeout')
          return rpcError(res, 408, `Request body not received within ${opts.bodyTimeoutMs} ms`, {
            connection: 'close',
          });
        if (body === 'aborted') return;
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          return json(res, 400, {
            jsonrpc: '2.0',
            error: { code: -32700, message: 'Parse error: the body is not JSON' },
            id: null,
          });
        }
        const messages = workOf(parsed);
        if (messages > opts.maxConcurrent) {
          return rpcError(
            res,
            413,
            `A batch of ${messages} messages is more than this server runs at once (${opts.maxConcurrent}); send at most ${opts.maxConcurrent} per request`,
          );
        }
        if (answered) return;
        if (inFlight - 1 + messages > opts.maxConcurrent) return busy(res);
        inFlight += messages - 1;
        weight = messages;
      }
      await handle(req, res, parsed);
    })().catch((err: unknown) => {
      log.error({ err }, 'http handler failed');
      if (!res.headersSent) rpcError(res, 500, 'Internal error');
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const url = `http://${bindName}:${port}/mcp`;
  log.info({ transport: 'http', url }, 'server ready');

  return {
    server,
    url,
    close: async () => {
      closing = true;
      // Listening streams never end on their own: they must not hold the shutdown up.
      for (const res of listening) res.destroy();
      // Finish in-flight calls, then stop; idle keep-alive sockets are closed at once.
      await new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), 30_000);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      await mcp.close();
      await legacy.close();
    },
  };
}
