import { timingSafeEqual, createHash } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { createMcpHandler } from '@modelcontextprotocol/server';
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
  maxBodyBytes: number;
  maxConcurrent: number;
}

export class HttpConfigError extends Error {}

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

export interface RunningHttpServer {
  server: Server;
  url: string;
  close: () => Promise<void>;
}

/**
 * Serves MCP over Streamable HTTP at /mcp: current-spec clients through the SDK's
 * per-request handler, 2025-era clients through its stateless fallback. In front of it:
 * Host and Origin checks (DNS rebinding), bearer auth, body-size and concurrency limits.
 * /healthz answers without auth and without details.
 */
export async function startHttpServer(opts: HttpOptions, factory: () => McpServer, log: Logger): Promise<RunningHttpServer> {
  if (!opts.token) throw new HttpConfigError('HTTP transport needs a bearer token: set DOM_HTTP_TOKEN or pass --token-file FILE.');
  if (opts.token.length < 16) throw new HttpConfigError('the HTTP bearer token must be at least 16 characters long.');
  const bindName = isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host;
  const hosts = new Set([...LOOPBACK_NAMES, bindName.toLowerCase(), ...opts.allowedHosts.map((h) => h.toLowerCase())]);
  const origins = new Set([...LOOPBACK_NAMES, ...opts.allowedOrigins.map((h) => h.toLowerCase())]);

  const mcp = createMcpHandler(() => factory(), { onerror: (err) => log.warn({ err: err.message }, 'mcp http error') });
  const handle = toNodeHandler(mcp);
  let inFlight = 0;
  let closing = false;

  const server = createHttpServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/healthz' && req.method === 'GET') return json(res, 200, { status: closing ? 'closing' : 'ok' });

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
      if (!originHost || !(origins.has(originHost) || origins.has(`[${originHost}]`))) return rpcError(res, 403, 'Forbidden: Origin not allowed');
    }
    if (!tokenMatches(req.headers.authorization, opts.token)) {
      return rpcError(res, 401, 'Unauthorized: send Authorization: Bearer <token>', { 'www-authenticate': 'Bearer realm="docker-orchestration-mcp"' });
    }
    if (url.pathname !== '/mcp') return rpcError(res, 404, 'Not found: the MCP endpoint is /mcp');
    if (closing) return rpcError(res, 503, 'Server is shutting down');
    const length = Number(req.headers['content-length'] ?? 0);
    if (length > opts.maxBodyBytes) return rpcError(res, 413, `Request body larger than ${opts.maxBodyBytes} bytes`);
    if (inFlight >= opts.maxConcurrent) return rpcError(res, 503, 'Too many concurrent requests; retry shortly', { 'retry-after': '1' });

    inFlight++;
    res.on('close', () => {
      inFlight--;
      // While shutting down, a keep-alive socket that just finished its last call goes at once.
      if (closing) setImmediate(() => server.closeIdleConnections());
    });
    Promise.resolve(handle(req, res)).catch((err: unknown) => {
      log.error({ err }, 'http handler failed');
      if (!res.headersSent) rpcError(res, 500, 'Internal error');
    });
  });
  server.requestTimeout = 0; // long tool calls (stack deploys) stream progress; no fixed cap here
  server.headersTimeout = 30_000;

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
    },
  };
}
