import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { request } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
export const PEERS_DIR = new URL('../.peers/', import.meta.url).pathname;

/** Environment of our server in every bench: no history file, quiet logs. */
export function serverEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    DOM_HISTORY_PATH: ':memory:',
    DOM_LOG_LEVEL: 'warn',
    ...extra,
  };
  if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
  return env;
}

export interface CallAnswer {
  isError?: boolean;
  content?: { type: string; text?: string }[];
  structuredContent?: unknown;
}

/** One MCP connection, whatever the SDK line and transport behind it. */
export interface Conn {
  label: string;
  pid: number | undefined;
  call(name: string, args: Record<string, unknown>): Promise<CallAnswer>;
  listTools(): Promise<string[]>;
  close(): Promise<void>;
  stderr(): string;
}

const CALL_TIMEOUT = { timeout: 600_000 };

/** Our built server over stdio, SDK v2 client (as the integration tests do). */
export async function ourStdio(extraEnv: Record<string, string> = {}): Promise<Conn> {
  let err = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve'],
    env: serverEnv(extraEnv),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()).length > 100_000 && (err = err.slice(-50_000)));
  const client = new Client({ name: 'dom-bench', version: '1.0.0' });
  await client.connect(transport);
  return {
    label: 'ours (stdio)',
    pid: transport.pid ?? undefined,
    call: async (name, args) => (await client.callTool({ name, arguments: args }, CALL_TIMEOUT)) as CallAnswer,
    listTools: async () => (await client.listTools()).tools.map((t) => t.name),
    close: () => client.close(),
    stderr: () => err,
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no free port'))));
    });
  });
}

function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.end();
  });
}

/** Our built server over Streamable HTTP on 127.0.0.1, SDK v2 client. */
export async function ourHttp(): Promise<Conn> {
  const port = await freePort();
  const token = randomBytes(16).toString('hex');
  let err = '';
  const child: ChildProcess = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', String(port)], {
    env: serverEnv({ DOM_HTTP_TOKEN: token }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  let up = false;
  for (let i = 0; i < 200 && !up; i++) {
    if (child.exitCode !== null) break;
    up = (await healthz(port)) === 200;
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  if (!up) {
    child.kill('SIGTERM');
    throw new Error(`HTTP server did not start: ${err.slice(-500)}`);
  }
  const client = new Client({ name: 'dom-bench-http', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return {
    label: 'ours (HTTP)',
    pid: child.pid,
    call: async (name, args) => (await client.callTool({ name, arguments: args }, CALL_TIMEOUT)) as CallAnswer,
    listTools: async () => (await client.listTools()).tools.map((t) => t.name),
    close: async () => {
      await client.close().catch(() => undefined);
      child.kill('SIGTERM');
    },
    stderr: () => err,
  };
}

export interface PeerDef {
  id: string;
  pkg: string;
  entry: string;
  listTool: string;
  listArgs: Record<string, unknown>;
  how: string;
}

export const PEERS: PeerDef[] = [
  {
    id: 'docker-mcp',
    pkg: 'docker-mcp@1.0.0',
    entry: 'docker-mcp/dist/index.js',
    listTool: 'docker_container_list',
    listArgs: { all: true },
    how: 'dockerode',
  },
  {
    id: '@0xshariq/docker-mcp-server',
    pkg: '@0xshariq/docker-mcp-server@2.0.4',
    entry: '@0xshariq/docker-mcp-server/dist/index.js',
    listTool: 'docker-containers',
    listArgs: { all: true },
    how: 'docker CLI',
  },
];

export function peerEntry(p: PeerDef): string {
  return `${PEERS_DIR}node_modules/${p.entry}`;
}

export function peerInstalled(p: PeerDef): boolean {
  return existsSync(peerEntry(p));
}

export function peerVersion(p: PeerDef): string {
  try {
    const dir = peerEntry(p).replace(/\/dist\/index\.js$/, '');
    return (JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

/** A peer server over stdio with the SDK v1 client (what they were written against). */
export async function peerStdio(p: PeerDef): Promise<Conn> {
  let err = '';
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' };
  if (process.env.DOCKER_HOST) env.DOCKER_HOST = process.env.DOCKER_HOST;
  const transport = new V1StdioTransport({ command: process.execPath, args: [peerEntry(p)], env, stderr: 'pipe' });
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()).length > 100_000 && (err = err.slice(-50_000)));
  const client = new V1Client({ name: 'dom-bench', version: '1.0.0' });
  await client.connect(transport);
  return {
    label: p.id,
    pid: transport.pid ?? undefined,
    call: async (name, args) =>
      (await client.callTool({ name, arguments: args }, undefined, CALL_TIMEOUT)) as CallAnswer,
    listTools: async () => (await client.listTools()).tools.map((t) => t.name),
    close: () => client.close(),
    stderr: () => err,
  };
}

/** Fails loudly when a tool call reports an error, so broken variants do not look fast. */
export async function mustCall(c: Conn, name: string, args: Record<string, unknown>): Promise<CallAnswer> {
  const r = await c.call(name, args);
  if (r.isError)
    throw new Error(
      `${c.label} ${name}: ${(r.content ?? [])
        .map((x) => x.text ?? '')
        .join(' ')
        .slice(0, 300)}`,
    );
  return r;
}

export function rssKb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

export function hwmKb(pid: number | undefined): number | undefined {
  if (!pid) return undefined;
  try {
    const m = /VmHWM:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}
