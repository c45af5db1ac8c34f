import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { ToolError } from '../kernel/errors.js';
import type { Logger } from '../logger.js';
import { LATEST_VERSION, migrate, NotOurDatabaseError, SchemaTooNewError } from './migrations.js';
import {
  HistoryOpenError,
  type DeploymentEntry,
  type DeploymentHandle,
  type DeploymentStart,
  type HistoryPage,
  type HistoryPort,
  type HistoryQuery,
  type StepRecord,
  type TaskRecord,
  TASK_INTERRUPTED,
} from './port.js';
import { maskRecord, maskText } from '../util/mask.js';
import { immediate, openDatabase, pragma, sqliteErrorName, type DatabaseSync } from './sqlite.js';

/** The error text of a deployment found `running` when the history is opened and its writer is gone. */
export const INTERRUPTED_ERROR = 'server stopped before the deployment finished';

const HINT =
  'Move the file away (or restore a backup), or set DOM_HISTORY_PATH (--history-path) to another file; ":memory:" keeps no history.';

interface DeploymentRow {
  id: string;
  kind: DeploymentEntry['kind'];
  target: string;
  stack: string | null;
  source: string | null;
  who: string;
  inputs: string;
  plan: string | null;
  started_at: number;
  finished_at: number | null;
  duration_ms: number | null;
  outcome: DeploymentEntry['outcome'];
  error: string | null;
  engine: string | null;
}

interface StepRow {
  deployment_id: string;
  name: string;
  service: string | null;
  duration_ms: number;
  outcome: StepRecord['outcome'];
  error: string | null;
}

function json(value: unknown): string {
  return JSON.stringify(maskRecord(value ?? null)) ?? 'null';
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** How often a running deployment refreshes its heartbeat, and when a silent one counts as abandoned. */
export const HEARTBEAT_MS = 15_000;
const ABANDONED_MS = 4 * HEARTBEAT_MS;

/**
 * Is the writer of a `running` record still at work? On this host the pid answers (our own pid
 * means an earlier process of the same number, e.g. PID 1 in a recreated container); for another
 * host (a shared file, or a container with a new hostname) a heartbeat older than a minute does.
 */
function ownerAlive(r: { host: string; pid: number; heartbeat: number }, now: number): boolean {
  if (r.host !== hostname()) return now - r.heartbeat < ABANDONED_MS;
  if (r.pid === process.pid) return false;
  try {
    process.kill(r.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Cursor {
  t: number;
  id: string;
}

function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

function decodeCursor(raw: string): Cursor {
  try {
    const v = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as Partial<Cursor>;
    if (typeof v.t === 'number' && typeof v.id === 'string') return { t: v.t, id: v.id };
  } catch {
    /* fall through */
  }
  throw new ToolError(
    'invalid_input',
    'cursor is not one this server gave out: pass nextCursor from a previous answer, or omit it.',
  );
}

let seq = 0;
/** Sorts by creation time within a process: base36 ms, a counter, then randomness. */
function newId(ms: number): string {
  seq = (seq + 1) % 1296;
  return `${ms.toString(36).padStart(9, '0')}${seq.toString(36).padStart(2, '0')}${randomBytes(3).toString('hex')}`;
}

function describe(err: unknown): string {
  const e = err as { message?: string };
  if (e instanceof SchemaTooNewError) {
    return `it was written by a newer docker-orchestration-mcp (schema version ${e.found}; this version knows up to ${e.known}). Upgrade the server, or point DOM_HISTORY_PATH at another file.`;
  }
  if (e instanceof NotOurDatabaseError) return `${e.message}. ${HINT}`;
  switch (sqliteErrorName(err)) {
    case 'SQLITE_NOTADB':
      return `the file is not a SQLite database (or is encrypted). ${HINT}`;
    case 'SQLITE_CORRUPT':
    case 'SQLITE_CORRUPT_VTAB':
      return `the database file is corrupt (${e.message}). ${HINT}`;
    case 'SQLITE_CANTOPEN':
      return `it cannot be opened (${e.message}): check that the folder exists and is writable and the path is not a folder. ${HINT}`;
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_PERM':
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return `it is not writable (${e.message}). Fix the permissions, or set DOM_HISTORY_PATH to a writable file.`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `its folder cannot be created (${e.message}): a part of the path is a file. Set DOM_HISTORY_PATH to a path in a writable folder.`;
    case 'SQLITE_BUSY':
      return `it stayed locked by another process (${e.message}). Stop the other process or use another file.`;
    case undefined: // not an error with a code
    default:
      return `${e.message ?? String(err)}. ${HINT}`;
  }
}

/**
 * Opens (creating when missing) the deployment history at `path`: WAL journal, every write
 * in its own transaction committed with fsync (synchronous=FULL), so a finished record
 * survives the server being killed. Migrates the schema, checks the file's integrity and
 * that it can be written, and marks as failed the records a crashed server left running.
 * Throws HistoryOpenError with what to do when any of that fails.
 */
export function openSqliteHistory(path: string, log: Logger): HistoryPort {
  const file = resolve(path);
  let db: DatabaseSync | undefined;
  try {
    mkdirSync(dirname(file), { recursive: true });
    db = openDatabase(file);
    db.exec('PRAGMA busy_timeout = 5000');
    const mode = pragma(db, 'journal_mode = WAL');
    if (mode !== 'wal') log.warn({ path: file, mode }, 'history: WAL journal not available, using the default journal');
    db.exec('PRAGMA synchronous = FULL');
    db.exec('PRAGMA foreign_keys = ON');
    const check = pragma(db, 'quick_check');
    if (check !== 'ok') throw Object.assign(new Error(`integrity check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    const { from, to } = migrate(db);
    if (from !== to) log.info({ path: file, from, to }, 'history: schema migrated');
    recoverInterrupted(db, log);
  } catch (err) {
    try {
      db?.close();
    } catch {
      /* already failing */
    }
    if (err instanceof HistoryOpenError) throw err;
    throw new HistoryOpenError(file, describe(err), { cause: err });
  }
  log.debug({ path: file, schema: LATEST_VERSION }, 'history: opened');
  return sqliteHistory(db, log);
}

/** Marks `running` records whose writer is gone as failed; the write also proves the file is writable. */
function recoverInterrupted(db: DatabaseSync, log: Logger): void {
  const running = db
    .prepare(
      "SELECT id, owner_host AS host, owner_pid AS pid, heartbeat_at AS heartbeat FROM deployments WHERE outcome = 'running'",
    )
    .all() as unknown as { id: string; host: string; pid: number; heartbeat: number }[];
  const now = Date.now();
  const stale = running.filter((r) => !ownerAlive(r, now)).map((r) => r.id);
  const mark = db.prepare("UPDATE deployments SET outcome = 'failed', error = ? WHERE id = ? AND outcome = 'running'");
  // An immediate transaction takes the write lock: on a read-only file this fails now, at startup.
  immediate(db, () => {
    for (const id of stale) mark.run(INTERRUPTED_ERROR, id);
  });
  if (stale.length)
    log.warn({ count: stale.length, ids: stale }, `history: marked deployments as failed: ${INTERRUPTED_ERROR}`);
  recoverInterruptedTasks(db, log);
}

/** Tasks left working (or waiting for input) by a server that is gone fail as interrupted. */
function recoverInterruptedTasks(db: DatabaseSync, log: Logger): void {
  const open = db
    .prepare(
      "SELECT id, owner_host AS host, owner_pid AS pid, updated_at AS heartbeat FROM tasks WHERE status IN ('working', 'input_required')",
    )
    .all() as unknown as { id: string; host: string; pid: number; heartbeat: number }[];
  const now = Date.now();
  const stale = open.filter((r) => !ownerAlive(r, now)).map((r) => r.id);
  if (!stale.length) return;
  const mark = db.prepare(
    "UPDATE tasks SET status = 'failed', status_message = 'interrupted', error = ?, updated_at = ? WHERE id = ? AND status IN ('working', 'input_required')",
  );
  immediate(db, () => {
    for (const id of stale) mark.run(JSON.stringify(TASK_INTERRUPTED), now, id);
  });
  log.warn({ count: stale.length, ids: stale }, 'history: marked tasks as failed: interrupted');
}

interface TaskRow {
  id: string;
  tool: string;
  status: TaskRecord['status'];
  status_message: string | null;
  result: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  ttl_ms: number | null;
}

function toTask(r: TaskRow): TaskRecord {
  const t: TaskRecord = {
    id: r.id,
    tool: r.tool,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ttlMs: r.ttl_ms,
  };
  if (r.status_message !== null) t.statusMessage = r.status_message;
  if (r.result !== null) t.result = parseJson(r.result);
  if (r.error !== null) t.error = parseJson(r.error) as TaskRecord['error'];
  return t;
}

function sqliteHistory(db: DatabaseSync, log: Logger): HistoryPort {
  const host = hostname();
  const insert = db.prepare(
    `INSERT INTO deployments (id, kind, target, stack, source, who, inputs, plan, started_at, outcome, owner_host, owner_pid, heartbeat_at, engine)
     VALUES (@id, @kind, @target, @stack, @source, @who, @inputs, @plan, @started_at, 'running', @host, @pid, @started_at, @engine)`,
  );
  const insertStep = db.prepare(
    `INSERT INTO steps (deployment_id, seq, name, service, duration_ms, outcome, error)
     VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM steps WHERE deployment_id = ?), ?, ?, ?, ?, ?)`,
  );
  const updatePlan = db.prepare('UPDATE deployments SET plan = ? WHERE id = ?');
  const beat = db.prepare("UPDATE deployments SET heartbeat_at = ? WHERE id = ? AND outcome = 'running'");
  const finish = db.prepare(
    "UPDATE deployments SET outcome = ?, error = ?, finished_at = ?, duration_ms = ? WHERE id = ? AND outcome = 'running'",
  );
  const writeJournal = db.prepare('UPDATE deployments SET journal = ? WHERE id = ?');
  const selectJournals = db.prepare(
    'SELECT id, COALESCE(stack, target) AS stack, outcome, journal, engine FROM deployments WHERE journal IS NOT NULL AND (? IS NULL OR stack = ?) ORDER BY started_at',
  );
  const settle = db.prepare(
    `UPDATE deployments SET journal = ?,
       error = CASE WHEN error IS NULL OR error = '' THEN ? ELSE error || char(10) || ? END,
       outcome = CASE WHEN outcome = 'running' THEN ? ELSE outcome END,
       finished_at = COALESCE(finished_at, ?)
     WHERE id = ?`,
  );
  const upsertTask = db.prepare(
    `INSERT INTO tasks (id, tool, status, status_message, result, error, created_at, updated_at, ttl_ms, owner_host, owner_pid)
     VALUES (@id, @tool, @status, @status_message, @result, @error, @created_at, @updated_at, @ttl_ms, @host, @pid)
     ON CONFLICT (id) DO UPDATE SET status = excluded.status, status_message = excluded.status_message, result = excluded.result,
       error = excluded.error, updated_at = excluded.updated_at`,
  );
  const selectTask = db.prepare('SELECT * FROM tasks WHERE id = ?');
  let closed = false;
  const heartbeats = new Set<NodeJS.Timeout>();

  /** History must never break the work it records: a failed write is logged loudly, not thrown. */
  const write = (what: string, id: string, fn: () => void): void => {
    if (closed) {
      log.error({ id, what }, 'history: write after close was dropped');
      return;
    }
    try {
      immediate(db, fn);
    } catch (err) {
      log.error({ err, id, what }, 'history: could not record');
    }
  };

  return {
    begin(start: DeploymentStart): DeploymentHandle {
      const started = Date.now();
      const id = newId(started);
      write('begin', id, () =>
        insert.run({
          id,
          kind: start.kind,
          target: start.target,
          stack: start.stack ?? null,
          source: start.source ?? null,
          who: start.who,
          inputs: json(start.inputs),
          plan: start.plan === undefined ? null : json(start.plan),
          started_at: started,
          host,
          pid: process.pid,
          engine: start.engine ?? null,
        }),
      );
      let done = false;
      const heartbeat = setInterval(() => write('heartbeat', id, () => beat.run(Date.now(), id)), HEARTBEAT_MS);
      heartbeat.unref();
      heartbeats.add(heartbeat);
      return {
        id,
        step(s) {
          write('step', id, () =>
            insertStep.run(
              id,
              id,
              s.name,
              s.service ?? null,
              Math.round(s.durationMs),
              s.outcome,
              s.error === undefined ? null : maskText(s.error),
            ),
          );
        },
        setPlan(plan) {
          write('plan', id, () => updatePlan.run(json(plan), id));
        },
        finish(outcome, error) {
          if (done) return;
          done = true;
          clearInterval(heartbeat);
          heartbeats.delete(heartbeat);
          const now = Date.now();
          write('finish', id, () =>
            finish.run(outcome, error === undefined ? null : maskText(error), now, now - started, id),
          );
        },
        journal(state) {
          write('journal', id, () =>
            writeJournal.run(state === null || state === undefined ? null : JSON.stringify(state), id),
          );
        },
      };
    },

    list(q: HistoryQuery): HistoryPage {
      const where: string[] = [];
      const params: (string | number)[] = [];
      const eq = (column: string, value: string | undefined): void => {
        if (value === undefined) return;
        where.push(`${column} = ?`);
        params.push(value);
      };
      eq('id', q.id);
      eq('stack', q.stack);
      eq('target', q.target);
      eq('kind', q.kind);
      eq('outcome', q.outcome);
      if (q.sinceMs !== undefined) {
        where.push('started_at >= ?');
        params.push(q.sinceMs);
      }
      if (q.cursor) {
        const c = decodeCursor(q.cursor);
        where.push('(started_at < ? OR (started_at = ? AND id < ?))');
        params.push(c.t, c.t, c.id);
      }
      const limit = Math.max(1, Math.floor(q.limit));
      const rows = db
        .prepare(
          `SELECT * FROM deployments ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY started_at DESC, id DESC LIMIT ?`,
        )
        .all(...params, limit + 1) as unknown as DeploymentRow[];
      const more = rows.length > limit;
      const page = rows.slice(0, limit);
      const steps = new Map<string, StepRecord[]>();
      if (page.length) {
        const stepRows = db
          .prepare(
            `SELECT * FROM steps WHERE deployment_id IN (${page.map(() => '?').join(',')}) ORDER BY deployment_id, seq`,
          )
          .all(...page.map((r) => r.id)) as unknown as StepRow[];
        for (const s of stepRows) {
          const step: StepRecord = { name: s.name, durationMs: s.duration_ms, outcome: s.outcome };
          if (s.service !== null) step.service = s.service;
          if (s.error !== null) step.error = s.error;
          const list = steps.get(s.deployment_id) ?? [];
          list.push(step);
          steps.set(s.deployment_id, list);
        }
      }
      const entries = page.map((r) => toEntry(r, steps.get(r.id) ?? []));
      const last = page.at(-1);
      return more && last ? { entries, nextCursor: encodeCursor({ t: last.started_at, id: last.id }) } : { entries };
    },

    openJournals(stack) {
      const rows = selectJournals.all(stack ?? null, stack ?? null) as unknown as {
        id: string;
        stack: string;
        outcome: DeploymentEntry['outcome'];
        journal: string;
        engine: string | null;
      }[];
      return rows.map((r) => ({
        id: r.id,
        stack: r.stack,
        outcome: r.outcome,
        journal: parseJson(r.journal),
        ...(r.engine === null ? {} : { engine: r.engine }),
      }));
    },

    settleJournal(id, outcome, note, keepJournal) {
      const keep = keepJournal === null || keepJournal === undefined ? null : JSON.stringify(keepJournal);
      write('settle journal', id, () => settle.run(keep, note, note, outcome, Date.now(), id));
    },

    saveTask(t: TaskRecord) {
      write('task', t.id, () =>
        upsertTask.run({
          id: t.id,
          tool: t.tool,
          status: t.status,
          status_message: t.statusMessage === undefined ? null : maskText(t.statusMessage),
          result: t.result === undefined ? null : json(t.result),
          error: t.error === undefined ? null : json(t.error),
          created_at: t.createdAt,
          updated_at: t.updatedAt,
          ttl_ms: t.ttlMs,
          host,
          pid: process.pid,
        }),
      );
    },

    getTask(id: string) {
      if (closed) return undefined;
      const row = selectTask.get(id) as unknown as TaskRow | undefined;
      return row && toTask(row);
    },

    close() {
      if (closed) return;
      closed = true;
      for (const h of heartbeats) clearInterval(h);
      try {
        db.close();
      } catch (err) {
        log.warn({ err }, 'history: error on close');
      }
    },
  };
}

function toEntry(r: DeploymentRow, steps: StepRecord[]): DeploymentEntry {
  const e: DeploymentEntry = {
    id: r.id,
    kind: r.kind,
    target: r.target,
    who: r.who,
    inputs: parseJson(r.inputs),
    startedAt: new Date(r.started_at).toISOString(),
    outcome: r.outcome,
    steps,
  };
  if (r.stack !== null) e.stack = r.stack;
  if (r.engine !== null) e.engine = r.engine;
  if (r.source !== null) e.source = r.source;
  if (r.plan !== null) e.plan = parseJson(r.plan);
  if (r.finished_at !== null) e.finishedAt = new Date(r.finished_at).toISOString();
  if (r.duration_ms !== null) e.durationMs = r.duration_ms;
  if (r.error !== null) e.error = r.error;
  return e;
}
