import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, sleeperArgs, TEST_LABEL } from './engine.js';
import { CLI, startClient, uniqueName, type CallResult } from './mcpClient.js';

const run = uniqueName('history');
const labels = { [TEST_LABEL]: run };
const dir = mkdtempSync(join(tmpdir(), 'dom-history-it-'));

afterAll(async () => {
  await cleanupByLabel(run);
  rmSync(dir, { recursive: true, force: true });
});

interface Step {
  name: string;
  durationMs: number;
  outcome: string;
  error?: string;
}
interface Entry {
  id: string;
  kind: string;
  target: string;
  source?: string;
  who: string;
  startedAt: string;
  durationMs?: number;
  outcome: string;
  error?: string;
  steps: Step[];
  inputs?: Record<string, unknown>;
}

const sleeper = (name: string, extra: Record<string, unknown> = {}) => sleeperArgs(name, labels, extra);

function stepNames(e: Entry | undefined): string[] {
  return (e?.steps ?? []).map((s) => `${s.name}:${s.outcome}`);
}

/** Resolves once no process has this pid any more (killed and reaped). */
async function gone(pid: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${pid} is still there`);
}

describe('deployment history over MCP, persisted across server processes', () => {
  it('lists deploys, a failed deploy and a removal, with durations and steps, from a new server process', async () => {
    const env = { DOM_HISTORY_PATH: join(dir, 'a', 'history.db') };
    const ok = uniqueName('hist-ok');
    const bad = uniqueName('hist-bad');
    const first = await startClient({ env });
    try {
      await first.ok('deploy_container', sleeper(ok, { env: { DB_PASSWORD: 'hunter2', MODE: 'test' } }));
      const failed = await first.call(
        'deploy_container',
        sleeper(bad, {
          healthcheck: { test: 'exit 1', interval: '1s', timeout: '1s', retries: 1 },
          wait: 'healthy',
          timeout: 30,
        }),
      );
      expect(failed.isError).toBe(true);
      expect(
        (await first.ok<{ done: boolean }>('remove_container', { id: ok, force: true, confirm: false })).done,
      ).toBe(false);
      await first.ok('remove_container', { id: ok, force: true, confirm: true });
    } finally {
      await first.close();
    }

    const second = await startClient({ env });
    try {
      const { entries } = await second.ok<{ entries: Entry[] }>('get_deployment_history', {});
      expect(entries.map((e) => `${e.kind} ${e.target} ${e.outcome}`)).toEqual([
        `remove_container ${ok} succeeded`,
        `remove_container ${ok} not_confirmed`,
        `deploy_container ${bad} failed`,
        `deploy_container ${ok} succeeded`,
      ]);
      const [removed, asked, failedDeploy, deployed] = entries as [Entry, Entry, Entry, Entry];
      for (const e of entries) {
        expect(e.who).toBe('dom-integration-test/1.0.0');
        expect(e.source).toBe('container');
        expect(e.durationMs).toBeGreaterThanOrEqual(0);
        expect(e).not.toHaveProperty('inputs');
        for (const s of e.steps) expect(s.durationMs).toBeGreaterThanOrEqual(0);
      }
      expect(stepNames(deployed)).toEqual([`pull ${BUSYBOX}:ok`, 'create:ok', 'start:ok', 'wait running:ok']);
      expect(stepNames(failedDeploy)).toEqual([
        `pull ${BUSYBOX}:ok`,
        'create:ok',
        'start:ok',
        'wait healthy:failed',
        'remove (rollback):ok',
      ]);
      expect(failedDeploy.error).toMatch(/did not become healthy: healthcheck failed/);
      expect(failedDeploy.durationMs).toBeGreaterThanOrEqual(
        failedDeploy.steps.find((s) => s.name === 'wait healthy')?.durationMs ?? 0,
      );
      expect(stepNames(removed)).toEqual(['remove:ok']);
      expect(asked.steps).toEqual([]);
      expect(asked.error).toMatch(/^Not confirmed; nothing changed/);
      expect(Date.parse(removed.startedAt)).toBeGreaterThanOrEqual(Date.parse(deployed.startedAt));

      const one = await second.ok<{ entries: Entry[] }>('get_deployment_history', { id: deployed.id });
      expect(one.entries[0]?.inputs).toMatchObject({ name: ok, env: { DB_PASSWORD: '******', MODE: 'test' } });
      const text = (await second.call('get_deployment_history', { id: deployed.id })).content[0]?.text ?? '';
      expect(text).not.toContain('hunter2');

      const onlyFailed = await second.ok<{ entries: Entry[] }>('get_deployment_history', {
        outcome: 'failed',
        since: '1h',
      });
      expect(onlyFailed.entries.map((e) => e.target)).toEqual([bad]);
      const byTarget = await second.ok<{ entries: Entry[] }>('get_deployment_history', {
        target: ok,
        kind: 'deploy_container',
      });
      expect(byTarget.entries.map((e) => e.id)).toEqual([deployed.id]);
      const paged = await second.ok<{ entries: Entry[]; nextCursor?: string }>('get_deployment_history', { limit: 2 });
      expect(paged.entries).toHaveLength(2);
      const rest = await second.ok<{ entries: Entry[]; nextCursor?: string }>('get_deployment_history', {
        limit: 2,
        cursor: paged.nextCursor,
      });
      expect(rest.entries.map((e) => e.id)).toEqual([failedDeploy.id, deployed.id]);
      expect(rest.nextCursor).toBeUndefined();
    } finally {
      await second.close();
    }
  });

  it('loses no finished record when the server is killed with SIGKILL during a deploy', async () => {
    const env = { DOM_HISTORY_PATH: join(dir, 'b', 'history.db') };
    const done = uniqueName('hist-done');
    const slow = uniqueName('hist-slow');
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'serve'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DOM_LOG_LEVEL: 'warn',
        DOM_INSTANCE: 'dom-test',
        ...env,
      },
      stderr: 'pipe',
    });
    const client = new Client({ name: 'dom-integration-test', version: '1.0.0' });
    await client.connect(transport);
    const pid = transport.pid;
    expect(pid).toBeGreaterThan(0);

    const finished = (await client.callTool({ name: 'deploy_container', arguments: sleeper(done) })) as CallResult;
    expect(finished.isError).toBeFalsy();

    // A deploy that waits for a healthcheck whose first run is a minute away: it will still be waiting when we kill.
    let waiting!: () => void;
    const isWaiting = new Promise<void>((r) => (waiting = r));
    const pending = client
      .callTool(
        {
          name: 'deploy_container',
          arguments: sleeper(slow, {
            healthcheck: { test: 'true', interval: '60s', start_period: '60s' },
            wait: 'healthy',
            timeout: 300,
          }),
        },
        {
          timeout: 120_000,
          onprogress: (p) => {
            if (p.message?.startsWith('waiting for')) waiting();
          },
        },
      )
      .then(
        () => 'answered',
        () => 'connection lost',
      );
    await isWaiting;
    process.kill(pid as number, 'SIGKILL');
    expect(await pending).toBe('connection lost');
    await client.close().catch(() => undefined);
    await gone(pid as number);

    const next = await startClient({ env });
    try {
      const { entries } = await next.ok<{ entries: Entry[] }>('get_deployment_history', {});
      expect(entries.map((e) => `${e.target} ${e.outcome}`)).toEqual([`${slow} failed`, `${done} succeeded`]);
      const [interrupted, ok] = entries as [Entry, Entry];
      expect(interrupted.error).toBe('server stopped before the deployment finished');
      expect(stepNames(interrupted)).toEqual([`pull ${BUSYBOX}:ok`, 'create:ok', 'start:ok']);
      expect(stepNames(ok)).toEqual([`pull ${BUSYBOX}:ok`, 'create:ok', 'start:ok', 'wait running:ok']);
      expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    } finally {
      await next.close();
    }
  });

  it('refuses to start on a history file that is not a database, with exit code 2 and what to do', async () => {
    const file = join(dir, 'notes.db');
    writeFileSync(file, 'not a database\n'.repeat(100));
    const r = spawnSync(process.execPath, [CLI, 'serve'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', DOM_HISTORY_PATH: file },
      input: '',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`cannot open the deployment history at ${file}`);
    expect(r.stderr).toContain('DOM_HISTORY_PATH');
  });
});
