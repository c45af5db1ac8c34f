import { immediate, pragma, type DatabaseSync } from './sqlite.js';

/**
 * The history's schema, as ordered migrations. Each runs once, in its own transaction, and
 * records its version in `schema_version`; a database whose highest version is above the
 * last one here was written by a newer server and is refused (never downgraded).
 *
 * Append new migrations; never edit or reorder released ones.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/** "DOMH": marks the SQLite file as ours (PRAGMA application_id). */
export const APPLICATION_ID = 0x444f4d48;

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'deployments and their steps',
    sql: `
      CREATE TABLE deployments (
        id          TEXT PRIMARY KEY,
        kind        TEXT NOT NULL,
        target      TEXT NOT NULL,
        stack       TEXT,
        source      TEXT,
        who         TEXT NOT NULL,
        inputs      TEXT NOT NULL,            -- JSON, secrets masked
        plan        TEXT,                     -- JSON, secrets masked
        started_at  INTEGER NOT NULL,         -- ms since epoch
        finished_at INTEGER,
        duration_ms INTEGER,
        outcome     TEXT NOT NULL,
        error       TEXT,
        owner_host  TEXT NOT NULL,            -- the process that records it, to tell
        owner_pid   INTEGER NOT NULL,         -- a crashed writer from a live one
        heartbeat_at INTEGER NOT NULL         -- ms; refreshed while running
      );
      CREATE INDEX deployments_started ON deployments (started_at DESC, id DESC);
      CREATE INDEX deployments_stack ON deployments (stack, started_at DESC, id DESC);
      CREATE INDEX deployments_outcome ON deployments (outcome, started_at DESC, id DESC);
      CREATE INDEX deployments_target ON deployments (target, started_at DESC, id DESC);

      CREATE TABLE steps (
        deployment_id TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
        seq           INTEGER NOT NULL,
        name          TEXT NOT NULL,
        service       TEXT,
        duration_ms   INTEGER NOT NULL,
        outcome       TEXT NOT NULL,
        error         TEXT,
        PRIMARY KEY (deployment_id, seq)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'in-flight journal of stack deploys',
    // The changes a deploy intends, written before it makes them; NULL once the deploy (or its
    // reconciliation) has left the Engine whole.
    sql: `
      ALTER TABLE deployments ADD COLUMN journal TEXT;
      CREATE INDEX deployments_journal ON deployments (stack) WHERE journal IS NOT NULL;
    `,
  },
  {
    version: 3,
    description: 'tool calls run as MCP tasks',
    sql: `
      CREATE TABLE tasks (
        id              TEXT PRIMARY KEY,
        tool            TEXT NOT NULL,
        status          TEXT NOT NULL,        -- working | input_required | completed | failed | cancelled
        status_message  TEXT,
        result          TEXT,                 -- JSON CallToolResult once completed
        error           TEXT,                 -- JSON {code, message, data?} once failed
        created_at      INTEGER NOT NULL,     -- ms since epoch
        updated_at      INTEGER NOT NULL,
        ttl_ms          INTEGER,
        owner_host      TEXT NOT NULL,
        owner_pid       INTEGER NOT NULL
      );
      CREATE INDEX tasks_created ON tasks (created_at DESC);
    `,
  },
  {
    version: 4,
    description: 'the Engine each deployment ran on',
    // NULL in older rows: they ran on the only Engine there was, read as the default one.
    sql: `ALTER TABLE deployments ADD COLUMN engine TEXT;`,
  },
];

export const LATEST_VERSION = MIGRATIONS.at(-1)?.version ?? 0;

export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`schema version ${found} is newer than this server knows (${known})`);
  }
}

export class NotOurDatabaseError extends Error {}

function currentVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_version').get() as unknown as { v: number | null };
  return row.v ?? 0;
}

/**
 * Brings the schema up to date. Safe when two servers open the same file at once: the work
 * happens under an immediate (write-locked) transaction that re-reads the version.
 * Returns the versions before and after.
 */
export function migrate(db: DatabaseSync, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const known = migrations.at(-1)?.version ?? 0;
  return immediate(db, () => {
    const hasVersionTable =
      db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'").get() !== undefined;
    if (!hasVersionTable) {
      const appId = pragma(db, 'application_id') as number;
      const tables = db.prepare("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table'").get() as unknown as {
        n: number;
      };
      if (tables.n > 0 || (appId !== 0 && appId !== APPLICATION_ID)) {
        throw new NotOurDatabaseError(
          'it is a SQLite database, but not a deployment history (it has other tables and no schema_version)',
        );
      }
      db.exec(
        'CREATE TABLE schema_version (version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at TEXT NOT NULL)',
      );
      db.exec(`PRAGMA application_id = ${APPLICATION_ID}`);
    }
    const from = currentVersion(db);
    if (from > known) throw new SchemaTooNewError(from, known);
    const record = db.prepare('INSERT INTO schema_version (version, description, applied_at) VALUES (?, ?, ?)');
    for (const m of migrations) {
      if (m.version <= from) continue;
      db.exec(m.sql);
      record.run(m.version, m.description, new Date().toISOString());
    }
    return { from, to: Math.max(from, known) };
  });
}
