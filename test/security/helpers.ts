import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI, freePort, TEST_INSTANCE, type CallResult } from '../integration/mcpClient.js';

export const TOKEN = 'security-test-token-0123456789';

export interface HttpServer {
  port: number;
  url: string;
  child: ChildProcess;
  stderr: () => string;
  stop: () => Promise<void>;
}

/** Starts the built server with the HTTP transport on a free loopback port and waits for /healthz. */
export async function startHttpServer(args: string[] = [], env: Record<string, string> = {}): Promise<HttpServer> {
  const port = await freePort();
  let err = '';
  const child = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', String(port), ...args], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOM_HTTP_TOKEN: TOKEN,
      DOM_LOG_LEVEL: 'warn',
      DOM_INSTANCE: TEST_INSTANCE,
      DOM_HISTORY_PATH: ':memory:',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  for (let i = 0; i < 150; i++) {
    const up = await fetch(`http://127.0.0.1:${port}/healthz`)
      .then((r) => r.ok)
      .catch(() => false);
    if (up) {
      return {
        port,
        url: `http://127.0.0.1:${port}/mcp`,
        child,
        stderr: () => err,
        stop: async () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
          if (child.exitCode === null) child.kill('SIGKILL');
        },
      };
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  throw new Error(`HTTP server did not start: ${err}`);
}

export type Era = '2025' | '2026';
export type ElicitReply = { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };

export interface AnyClient {
  call(name: string, args: Record<string, unknown>): Promise<CallResult>;
  asked: string[];
  close(): Promise<void>;
}

/**
 * An SDK v2 client over stdio or HTTP, in the 2025 era (initialize) or 2026 era (server/discover), declaring elicitation when `reply` is given and answering every question with it.
 */
export async function connectClient(
  where: { stdio: { env?: Record<string, string>; args?: string[] } } | { http: string },
  era: Era,
  reply?: () => ElicitReply,
): Promise<AnyClient> {
  const asked: string[] = [];
  const options: Record<string, unknown> = {};
  if (reply) options.capabilities = { elicitation: { form: {} } };
  if (era === '2026') options.versionNegotiation = { mode: { pin: '2026-07-28' } };
  const client = new Client({ name: `security-${era}`, version: '1.0.0' }, options as never);
  if (reply) {
    client.setRequestHandler('elicitation/create', async (req) => {
      asked.push((req.params as { message: string }).message);
      return reply() as never;
    });
  }
  if ('stdio' in where) {
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'serve', ...(where.stdio.args ?? [])],
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '/root',
          DOM_LOG_LEVEL: 'warn',
          DOM_INSTANCE: TEST_INSTANCE,
          DOM_HISTORY_PATH: ':memory:',
          ...(where.stdio.env ?? {}),
        },
        stderr: 'pipe',
      }),
    );
  } else {
    await client.connect(
      new StreamableHTTPClientTransport(new URL(where.http), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
  }
  return {
    asked,
    call: async (name, args) => (await client.callTool({ name, arguments: args }, { timeout: 120_000 })) as CallResult,
    close: () => client.close(),
  };
}

export function textOf(r: CallResult): string {
  return r.content.map((c) => c.text ?? '').join('\n');
}
