import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, pragma } from '../../../src/history/sqlite.js';
import {
  APPLICATION_ID,
  LATEST_VERSION,
  migrate,
  MIGRATIONS,
  type Migration,
} from '../../../src/history/migrations.js';
import { HistoryOpenError } from '../../../src/history/port.js';
import { openSqliteHistory } from '../../../src/history/sqliteHistory.js';
import { silent, tempDir } from './helpers.js';

describe('history migrations', () => {
  it('are numbered 1, 2, 3, ... in order', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(LATEST_VERSION).toBe(MIGRATIONS.length);
  });

  it('create the schema on an empty database, once', () => {
    const db = openDatabase(':memory:');
    expect(migrate(db)).toEqual({ from: 0, to: LATEST_VERSION });
    expect(migrate(db)).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION });
    const versions = db.prepare('SELECT version FROM schema_version ORDER BY version').all() as { version: number }[];
    expect(versions.map((v) => v.version)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(pragma(db, 'application_id')).toBe(APPLICATION_ID);
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'deployments'").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(indexes).toEqual(
      expect.arrayContaining(['deployments_started', 'deployments_stack', 'deployments_outcome']),
    );
  });

  it('apply only the new ones to an existing database and keep its rows', () => {
    const file = join(tempDir(), 'h.db');
    const h = openSqliteHistory(file, silent);
    h.begin({ kind: 'deploy_container', target: 'web', who: 't', inputs: {} }).finish('succeeded');
    h.close();
    const next: Migration = {
      version: LATEST_VERSION + 1,
      description: 'a note column',
      sql: 'ALTER TABLE deployments ADD COLUMN note TEXT',
    };
    const db = openDatabase(file);
    expect(migrate(db, [...MIGRATIONS, next])).toEqual({ from: LATEST_VERSION, to: LATEST_VERSION + 1 });
    expect(db.prepare('SELECT target, note FROM deployments').all()).toEqual([{ target: 'web', note: null }]);
    db.close();
  });

  it('refuse a schema newer than this code knows, with what to do', () => {
    const file = join(tempDir(), 'h.db');
    openSqliteHistory(file, silent).close();
    const db = openDatabase(file);
    db.prepare(
      "INSERT INTO schema_version (version, description, applied_at) VALUES (?, 'from the future', '2030-01-01')",
    ).run(LATEST_VERSION + 1);
    db.close();
    let err: unknown;
    try {
      openSqliteHistory(file, silent);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(HistoryOpenError);
    expect((err as Error).message).toContain(file);
    expect((err as Error).message).toContain(
      `newer docker-orchestration-mcp (schema version ${LATEST_VERSION + 1}; this version knows up to ${LATEST_VERSION})`,
    );
    expect((err as Error).message).toContain('DOM_HISTORY_PATH');
  });

  it('refuse a SQLite database that belongs to something else', () => {
    const file = join(tempDir(), 'other.db');
    const db = openDatabase(file);
    db.exec('CREATE TABLE cookies (name TEXT)');
    db.close();
    expect(() => openSqliteHistory(file, silent)).toThrow(/not a deployment history/);
    // ...and leave it as it was.
    const again = openDatabase(file);
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'cookies' }]);
    again.close();
  });

  it('refuse a file that is not a database', () => {
    const file = join(tempDir(), 'notes.db');
    writeFileSync(file, 'these are my notes, not a database\n'.repeat(20));
    expect(() => openSqliteHistory(file, silent)).toThrow(HistoryOpenError);
    expect(() => openSqliteHistory(file, silent)).toThrow(/not a SQLite database.*DOM_HISTORY_PATH/s);
  });
});
