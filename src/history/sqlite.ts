import { createRequire } from 'node:module';
import type * as NodeSqlite from 'node:sqlite';
import type { DatabaseSync } from 'node:sqlite';

export type { DatabaseSync } from 'node:sqlite';

type SqliteModule = typeof NodeSqlite;

let loaded: SqliteModule | undefined;

/**
 * Node's built-in SQLite (no native addon to build at install). Node 22 prints an
 * ExperimentalWarning when the module loads; stdio clients show stderr to users, so that one
 * warning is dropped while the module loads, and every other warning still goes through.
 * Loaded on first use, not at import, so the filter is in place before the module runs.
 */
function sqlite(): SqliteModule {
  if (loaded) return loaded;
  const emitWarning = process.emitWarning;
  process.emitWarning = function (this: NodeJS.Process, warning: string | Error, ...rest: unknown[]): void {
    const type = typeof rest[0] === 'string' ? rest[0] : (rest[0] as { type?: string } | undefined)?.type;
    const text = typeof warning === 'string' ? warning : warning.message;
    if (type === 'ExperimentalWarning' && text.startsWith('SQLite is an experimental feature')) return;
    (emitWarning as (...args: unknown[]) => void).call(this, warning, ...rest);
  } as typeof process.emitWarning;
  try {
    loaded = createRequire(import.meta.url)('node:sqlite') as SqliteModule;
  } finally {
    process.emitWarning = emitWarning;
  }
  return loaded;
}

/** Opens (creating when missing) a SQLite file; ":memory:" for an in-memory database. */
export function openDatabase(path: string, options: { readOnly?: boolean } = {}): DatabaseSync {
  const { DatabaseSync } = sqlite();
  return new DatabaseSync(path, { readOnly: options.readOnly ?? false });
}

/** The first column of a PRAGMA's answer (`journal_mode`, `quick_check`, ...), or undefined. */
export function pragma(db: DatabaseSync, statement: string): unknown {
  const row = db.prepare(`PRAGMA ${statement}`).get();
  return row ? Object.values(row)[0] : undefined;
}

/**
 * Runs `fn` in a BEGIN IMMEDIATE transaction: the write lock is taken at once (so a read-only
 * file or a competing writer fails here, not half-way), committed when `fn` returns, rolled
 * back when it throws.
 */
export function immediate<T>(db: DatabaseSync, fn: () => T): T {
  db.exec('BEGIN IMMEDIATE');
  let result: T;
  try {
    result = fn();
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch {
      /* SQLite already rolled back (e.g. on SQLITE_FULL); keep the first error */
    }
    throw err;
  }
  db.exec('COMMIT');
  return result;
}

/** SQLite's primary result codes that the history explains to users, by name. */
const RESULT_CODES: Record<number, string> = {
  3: 'SQLITE_PERM',
  5: 'SQLITE_BUSY',
  8: 'SQLITE_READONLY',
  11: 'SQLITE_CORRUPT',
  14: 'SQLITE_CANTOPEN',
  26: 'SQLITE_NOTADB',
};

/**
 * The name of a SQLite error (`SQLITE_NOTADB`, ...) from node:sqlite's numeric `errcode`
 * (extended codes carry the primary one in the low byte); other errors keep their `code`.
 */
export function sqliteErrorName(err: unknown): string | undefined {
  const e = err as { code?: unknown; errcode?: unknown };
  if (e?.code === 'ERR_SQLITE_ERROR' && typeof e.errcode === 'number')
    return RESULT_CODES[e.errcode & 0xff] ?? `SQLITE_ERROR_${e.errcode}`;
  return typeof e?.code === 'string' ? e.code : undefined;
}
