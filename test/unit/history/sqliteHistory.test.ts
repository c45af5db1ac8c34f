import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { openDatabase, pragma } from '../../../src/history/sqlite.js';
import { ToolError } from '../../../src/kernel/errors.js';
import { HistoryOpenError, memoryHistory, type DeploymentEntry, type HistoryPort } from '../../../src/history/port.js';
import { HEARTBEAT_MS, INTERRUPTED_ERROR, openSqliteHistory } from '../../../src/history/sqliteHistory.js';
import { silent, tempDir } from './helpers.js';

afterEach(() => {
  vi.restoreAllMocks();
});

function open(file = join(tempDir(), 'h.db')): { h: HistoryPort; file: string } {
  return { h: openSqliteHistory(file, silent), file };
}

function openError(path: string): HistoryOpenError {
  try {
    openSqliteHistory(path, silent).close();
  } catch (err) {
    if (err instanceof HistoryOpenError) return err;
    throw err;
  }
  throw new Error(`opening ${path} did not fail`);
}

describe('sqlite history: records', () => {
  it('keeps a deployment with its steps, plan, outcome and duration across reopen', () => {
    const { h, file } = open();
    const d = h.begin({
      kind: 'deploy_stack',
      target: 'shop',
      stack: 'shop',
      source: 'template:web-stack',
      who: 'claude/1.0',
      inputs: { name: 'shop' },
    });
    d.setPlan({ create: ['web', 'db'] });
    d.step({ name: 'create db', service: 'db', durationMs: 120, outcome: 'ok' });
    d.step({ name: 'wait healthy web', service: 'web', durationMs: 3000, outcome: 'failed', error: 'unhealthy' });
    d.finish('failed', 'web did not become healthy');
    d.finish('succeeded'); // a second finish changes nothing
    h.close();

    const again = openSqliteHistory(file, silent);
    const [e] = again.list({ limit: 10 }).entries as [DeploymentEntry];
    again.close();
    expect(e).toMatchObject({
      id: d.id,
      kind: 'deploy_stack',
      target: 'shop',
      stack: 'shop',
      source: 'template:web-stack',
      who: 'claude/1.0',
      inputs: { name: 'shop' },
      plan: { create: ['web', 'db'] },
      outcome: 'failed',
      error: 'web did not become healthy',
      steps: [
        { name: 'create db', service: 'db', durationMs: 120, outcome: 'ok' },
        { name: 'wait healthy web', service: 'web', durationMs: 3000, outcome: 'failed', error: 'unhealthy' },
      ],
    });
    expect(e.durationMs).toBeGreaterThanOrEqual(0);
    expect(Date.parse(e.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(e.startedAt));
  });

  it('writes in WAL mode with a durable commit per write', () => {
    const { h, file } = open();
    h.begin({ kind: 'heal', target: 'x', who: 't', inputs: {} });
    // Another connection sees the row at once: it was committed, not buffered.
    const db = openDatabase(file, { readOnly: true });
    expect(pragma(db, 'journal_mode')).toBe('wal');
    expect(db.prepare("SELECT COUNT(*) AS n FROM deployments WHERE outcome = 'running'").get()).toEqual({ n: 1 });
    db.close();
    h.close();
  });

  it('never throws from a write that fails (the work it records goes on)', () => {
    const { h } = open();
    const d = h.begin({ kind: 'deploy_container', target: 'a', who: 't', inputs: {} });
    h.close();
    expect(() => d.step({ name: 'start', durationMs: 1, outcome: 'ok' })).not.toThrow();
    expect(() => d.finish('succeeded')).not.toThrow();
  });
});

describe('sqlite history: masking', () => {
  it('masks secrets in inputs and plan at any depth, whatever the caller did', () => {
    const { h } = open();
    const d = h.begin({
      kind: 'deploy_container',
      target: 'db',
      who: 't',
      inputs: {
        image: 'postgres:15',
        env: { POSTGRES_PASSWORD: 'hunter2', POSTGRES_USER: 'app', DATABASE_URL: 'postgres://app:hunter2@db/app' },
        nested: { deeper: [{ api_key: 'k-123', note: 'fine' }], token: { anything: 'x' } },
        command: ['run', 'GITHUB_TOKEN=ghp_abc', 'MODE=fast'],
      },
    });
    d.setPlan({
      services: { db: { environment: ['DB_SECRET=s3cr3t', 'TZ=UTC'], labels: { 'traefik.auth': 'basic:pw' } } },
    });
    d.finish('succeeded');
    const [e] = h.list({ limit: 1 }).entries as [DeploymentEntry];
    h.close();
    expect(e.inputs).toEqual({
      image: 'postgres:15',
      env: { POSTGRES_PASSWORD: '******', POSTGRES_USER: 'app', DATABASE_URL: 'postgres://app:******@db/app' },
      nested: { deeper: [{ api_key: '******', note: 'fine' }], token: '******' },
      command: ['run', 'GITHUB_TOKEN=******', 'MODE=fast'],
    });
    expect(e.plan).toEqual({
      services: { db: { environment: ['DB_SECRET=******', 'TZ=UTC'], labels: { 'traefik.auth': '******' } } },
    });
    expect(JSON.stringify(e)).not.toMatch(/hunter2|k-123|ghp_abc|s3cr3t|basic:pw/);
  });
});

describe('sqlite history: listing', () => {
  /** 25 deployments; several share a start millisecond so the id has to break ties. */
  function seed(h: HistoryPort): string[] {
    const now = vi.spyOn(Date, 'now');
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      now.mockReturnValue(1_700_000_000_000 + Math.floor(i / 3) * 1000);
      const d = h.begin({
        kind: i % 5 === 0 ? 'remove_stack' : 'deploy_stack',
        target: `s${i % 2}`,
        stack: `s${i % 2}`,
        who: 't',
        inputs: { i },
      });
      d.step({ name: 'create', durationMs: i, outcome: 'ok' });
      d.finish(i % 4 === 0 ? 'failed' : 'succeeded');
      ids.push(d.id);
    }
    now.mockRestore();
    return ids;
  }

  it('pages newest first by (started_at, id) without gaps or repeats, even when rows are added meanwhile', () => {
    const { h } = open();
    const ids = seed(h);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = h.list({ limit: 7, ...(cursor ? { cursor } : {}) });
      seen.push(...page.entries.map((e) => e.id));
      for (const e of page.entries) expect(e.steps).toHaveLength(1);
      cursor = page.nextCursor;
      if (pages++ === 0) h.begin({ kind: 'heal', target: 'late', who: 't', inputs: {} }).finish('succeeded');
    } while (cursor);
    expect(pages).toBe(4);
    expect(seen).toEqual([...ids].reverse());
    expect(h.list({ limit: 1 }).entries[0]?.target).toBe('late');
    h.close();
  });

  it('filters by id, stack, target, kind, outcome and start time', () => {
    const { h } = open();
    const ids = seed(h);
    const count = (q: Parameters<HistoryPort['list']>[0]) => h.list(q).entries.length;
    expect(count({ limit: 100, stack: 's0' })).toBe(13);
    expect(count({ limit: 100, target: 's1' })).toBe(12);
    expect(count({ limit: 100, kind: 'remove_stack' })).toBe(5);
    expect(count({ limit: 100, outcome: 'failed' })).toBe(7);
    expect(count({ limit: 100, outcome: 'failed', kind: 'remove_stack' })).toBe(2);
    expect(count({ limit: 100, sinceMs: 1_700_000_000_000 + 7000 })).toBe(4);
    expect(h.list({ limit: 100, id: ids[3] as string }).entries.map((e) => e.id)).toEqual([ids[3]]);
    expect(count({ limit: 100, id: 'nope' })).toBe(0);
    h.close();
  });

  it('answers a cursor it did not give out with invalid_input', () => {
    const { h } = open();
    expect(() => h.list({ limit: 5, cursor: 'garbage' })).toThrow(ToolError);
    h.close();
  });

  it('memoryHistory filters by id too', () => {
    const m = memoryHistory();
    const a = m.begin({ kind: 'heal', target: 'a', who: 't', inputs: {} });
    m.begin({ kind: 'heal', target: 'b', who: 't', inputs: {} });
    expect(m.list({ limit: 10, id: a.id }).entries.map((e) => e.target)).toEqual(['a']);
  });
});

describe('sqlite history: opening', () => {
  it('creates missing folders', () => {
    const file = join(tempDir(), 'a', 'b', 'history.db');
    openSqliteHistory(file, silent).close();
    expect(statSync(file).isFile()).toBe(true);
  });

  it('refuses a corrupt database with a clear error naming the path', () => {
    const { h, file } = open();
    for (let i = 0; i < 200; i++)
      h.begin({ kind: 'heal', target: `c${i}`, who: 't', inputs: { pad: 'x'.repeat(200) } }).finish('succeeded');
    h.close();
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(8 * 4096);
    // Scribble over the pages after the first few (table and index b-trees), leaving the header intact.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(4 * 4096, 0xa5), 0, 4 * 4096, 4 * 4096);
    closeSync(fd);
    const err = openError(file);
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/corrupt|not a SQLite database/);
    expect(err.message).toContain('DOM_HISTORY_PATH');
  });

  it('refuses a path it cannot create or write', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    const under = openError(join(dir, 'file', 'history.db'));
    expect(under.message).toContain(join(dir, 'file', 'history.db'));
    expect(under.message).toMatch(/folder cannot be created.*DOM_HISTORY_PATH/s);

    mkdirSync(join(dir, 'folder.db'));
    expect(openError(join(dir, 'folder.db')).message).toMatch(/cannot be opened.*DOM_HISTORY_PATH/s);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a read-only folder (as a non-root user)', () => {
    const dir = join(tempDir(), 'ro');
    mkdirSync(dir);
    chmodSync(dir, 0o500);
    try {
      expect(openError(join(dir, 'history.db')).message).toMatch(/not writable|cannot be opened/);
    } finally {
      chmodSync(dir, 0o700);
    }
  });
});

describe('sqlite history: deployments left running', () => {
  function runningRow(file: string, id: string, host: string, pid: number, heartbeat = Date.now()): void {
    const db = openDatabase(file);
    db.prepare(
      `INSERT INTO deployments (id, kind, target, who, inputs, started_at, outcome, owner_host, owner_pid, heartbeat_at)
       VALUES (?, 'deploy_container', ?, 't', '{}', ?, 'running', ?, ?, ?)`,
    ).run(id, id, heartbeat, host, pid, heartbeat);
    db.close();
  }

  function outcomes(file: string): Record<string, string | undefined> {
    const h = openSqliteHistory(file, silent);
    const out = Object.fromEntries(
      h.list({ limit: 100 }).entries.map((e) => [e.id, `${e.outcome}${e.error ? `: ${e.error}` : ''}`]),
    );
    h.close();
    return out;
  }

  it('marks as failed the records of a process that is gone, and says so', () => {
    const { h, file } = open();
    h.begin({ kind: 'deploy_container', target: 'mine', who: 't', inputs: {} }).step({
      name: 'pull',
      durationMs: 5,
      outcome: 'ok',
    });
    h.close();
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    runningRow(file, 'dead-owner', hostname(), dead);
    const byId = outcomes(file);
    expect(byId['dead-owner']).toBe(`failed: ${INTERRUPTED_ERROR}`);
    // Our own pid on an earlier record is an earlier process with the same number.
    expect(Object.values(byId)).toEqual([`failed: ${INTERRUPTED_ERROR}`, `failed: ${INTERRUPTED_ERROR}`]);
  });

  it('leaves alone the records of a live process on this host, and of another host that still beats', async () => {
    const { h, file } = open();
    h.close();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      runningRow(file, 'live-owner', hostname(), child.pid as number);
      runningRow(file, 'other-host-fresh', 'elsewhere', 1);
      runningRow(file, 'other-host-silent', 'elsewhere', 1, Date.now() - 5 * HEARTBEAT_MS);
      expect(outcomes(file)).toEqual({
        'live-owner': 'running',
        'other-host-fresh': 'running',
        'other-host-silent': `failed: ${INTERRUPTED_ERROR}`,
      });
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
    expect(outcomes(file)['live-owner']).toBe(`failed: ${INTERRUPTED_ERROR}`);
  });
});
