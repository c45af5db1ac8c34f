import { expect } from 'vitest';
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;

/** Servers started by tests label what they create with this instance (or one starting with it), so CI can clean up after a killed run. */
export const TEST_INSTANCE = 'dom-test';

export interface CallResult {
  isError?: boolean;
  content: { type: string; text?: string }[];
  structuredContent?: Record<string, unknown>;
  _meta?: Record<string, unknown>;
}

export interface TestClient {
  client: Client;
  call(
    name: string,
    args?: Record<string, unknown>,
    opts?: { onprogress?: (p: { progress: number; total?: number; message?: string }) => void },
  ): Promise<CallResult>;
  /** structuredContent of a call that must succeed. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  /** Asserts a tool error of `kind` whose text matches `pattern`; returns the text. */
  fails(name: string, args: Record<string, unknown>, kind: string, pattern: RegExp): Promise<string>;
  close(): Promise<void>;
  stderr(): string;
}

/** Spawns the built server over stdio with the SDK v2 Client, the way Claude Desktop does. */
export async function startClient(
  opts: {
    env?: Record<string, string>;
    args?: string[];
    elicit?: (message: string) => { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, unknown> };
  } = {},
): Promise<TestClient> {
  let stderr = '';
  const historyDir = mkdtempSync(join(tmpdir(), 'dom-test-history-'));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve', ...(opts.args ?? [])],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOM_LOG_LEVEL: 'warn',
      DOM_INSTANCE: TEST_INSTANCE,
      // Every toolset, so each test file reaches its tools; a test narrows with --toolsets.
      DOM_TOOLSETS: 'all',
      // Each test server keeps its own history: never the user's, and never one another's schema.
      DOM_HISTORY_PATH: join(historyDir, 'history.db'),
      ...(opts.env ?? {}),
    },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const client = new Client(
    { name: 'dom-integration-test', version: '1.0.0' },
    opts.elicit ? { capabilities: { elicitation: { form: {} } } } : undefined,
  );
  if (opts.elicit) {
    const answer = opts.elicit;
    client.setRequestHandler(
      'elicitation/create',
      async (req) => answer((req.params as { message: string }).message) as never,
    );
  }
  await client.connect(transport);
  const call: TestClient['call'] = async (name, args = {}, o = {}) =>
    (await client.callTool(
      { name, arguments: args },
      { timeout: 180_000, ...(o.onprogress ? { onprogress: o.onprogress } : {}) },
    )) as CallResult;
  return {
    client,
    call,
    async ok(name, args) {
      const r = await call(name, args);
      if (r.isError) throw new Error(`${name} failed: ${r.content[0]?.text}`);
      return r.structuredContent as never;
    },
    async fails(name, args, kind, pattern) {
      const r = await call(name, args);
      expect(r.isError, `${name} ${JSON.stringify(args).slice(0, 200)} should fail`).toBe(true);
      expect(errorKind(r)).toBe(kind);
      expect(errorText(r)).toMatch(pattern);
      return errorText(r);
    },
    async close() {
      await client.close();
      rmSync(historyDir, { recursive: true, force: true });
    },
    stderr: () => stderr,
  };
}

export function errorText(r: CallResult): string {
  return r.content.map((c) => c.text ?? '').join('\n');
}

export function errorKind(r: CallResult): string | undefined {
  return (r._meta?.['io.docker-orchestration-mcp/error'] as { kind?: string } | undefined)?.kind;
}

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}
