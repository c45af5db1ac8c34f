import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { DatabaseSync } from 'node:sqlite';
import type { CallResult } from '../integration/mcpClient.js';

/** The built server under test, over stdio, against the fault suite's Engine; killable by pid. */

export const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
export const FAULTS_INSTANCE = 'dom-test-faults';

export interface ServerUnderTest {
  pid: number;
  call(name: string, args: Record<string, unknown>, onMessage?: (message: string) => void): Promise<CallResult>;
  kill(): void;
  close(): Promise<void>;
  stderr(): string;
}

export async function startServer(
  dockerHost: string,
  historyPath: string,
  env: Record<string, string> = {},
): Promise<ServerUnderTest> {
  let stderr = '';
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'serve'],
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOCKER_HOST: dockerHost,
      DOM_HISTORY_PATH: historyPath,
      DOM_INSTANCE: FAULTS_INSTANCE,
      DOM_LOG_LEVEL: 'warn',
      DOM_ENGINE_TIMEOUT_MS: '10000',
      DOM_SELF_HEAL: '1',
      DOM_SELF_HEAL_BACKOFF_MS: '200',
      ...env,
    },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const client = new Client({ name: 'dom-fault-suite', version: '1.0.0' });
  await client.connect(transport);
  const pid = transport.pid;
  if (!pid) throw new Error('server did not start');
  let killed = false;
  return {
    pid,
    async call(name, args, onMessage) {
      return (await client.callTool(
        { name, arguments: args },
        {
          timeout: 300_000,
          ...(onMessage ? { onprogress: (p: { message?: string }) => p.message && onMessage(p.message) } : {}),
        },
      )) as CallResult;
    },
    kill() {
      killed = true;
      process.kill(pid, 'SIGKILL');
    },
    async close() {
      await client.close().catch(() => undefined);
      if (!killed) {
        try {
          process.kill(pid, 0);
          process.kill(pid, 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    },
    stderr: () => stderr,
  };
}

export interface HistoryRow {
  id: string;
  outcome: string;
  error: string | null;
  journal: string | null;
}

/** The deploy records of a stack, oldest first, read from the history file itself. */
export function stackHistory(path: string, stack: string): HistoryRow[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return db
      .prepare(
        "SELECT id, outcome, error, journal FROM deployments WHERE kind = 'deploy_stack' AND stack = ? ORDER BY started_at, id",
      )
      .all(stack) as unknown as HistoryRow[];
  } finally {
    db.close();
  }
}
