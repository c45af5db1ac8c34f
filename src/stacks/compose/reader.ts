import { isToolError } from '../../kernel/errors.js';
import { closestKey } from './keys.js';
import type { IssueCollector, PathSegment } from './issues.js';

type Path = readonly PathSegment[];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** What a value is, never what it says: a Compose file read from disk may be any file. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `a string (${value.length} characters)`;
  return `a ${typeof value}`;
}

const SHOWN_KEY_CHARS = 40;

/** A key as named in a message, cut short: it came from the file. */
export function keyName(key: string): string {
  return JSON.stringify(key.length > SHOWN_KEY_CHARS ? `${key.slice(0, SHOWN_KEY_CHARS)}…` : key);
}

/**
 * Typed access to parsed YAML values. Every reader reports a problem to the collector and
 * returns undefined instead of throwing, so validation goes on and finds all the problems.
 */
export class FieldReader {
  constructor(readonly issues: IssueCollector) {}

  add(path: Path, message: string): void {
    this.issues.add(path, message);
  }

  /** A mapping; null (an empty YAML entry) counts as an empty mapping. */
  map(value: unknown, path: Path): Record<string, unknown> | undefined {
    if (value === null || value === undefined) return {};
    if (isRecord(value)) return value;
    this.add(path, `expected a mapping, got ${describe(value)}`);
    return undefined;
  }

  /**
   * Refuses every key that is not supported, by name: keys Compose defines but we do not
   * support are "not supported", anything else is "unknown" (with a spelling hint). Extension
   * keys (`x-...`) are Compose's way to carry data Compose itself ignores, so they pass.
   */
  keys(
    obj: Record<string, unknown>,
    path: Path,
    supported: readonly string[],
    unsupported: readonly string[] = [],
    hints: Readonly<Record<string, string>> = {},
  ): void {
    for (const key of Object.keys(obj)) {
      if (supported.includes(key) || key.startsWith('x-')) continue;
      if (unsupported.includes(key)) {
        const hint = hints[key];
        this.add([...path, key], `${keyName(key)} is not supported${hint ? `: ${hint}` : ''}`);
      } else {
        const hint = closestKey(key, supported);
        this.add([...path, key], `unknown key ${keyName(key)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
      }
    }
  }

  /** A string; numbers (and, with `booleans`, booleans) are accepted and turned into strings. */
  string(
    value: unknown,
    path: Path,
    opts: { numbers?: boolean; booleans?: boolean; nonEmpty?: boolean } = {},
  ): string | undefined {
    let s: string | undefined;
    if (typeof value === 'string') s = value;
    else if (opts.numbers && typeof value === 'number') s = String(value);
    else if (opts.booleans && typeof value === 'boolean') s = String(value);
    if (s === undefined) {
      this.add(path, `expected a string, got ${describe(value)}`);
      return undefined;
    }
    if (opts.nonEmpty && !s.trim()) {
      this.add(path, 'must not be empty');
      return undefined;
    }
    return s;
  }

  /** A string or a list of strings (numbers allowed as list items, as in commands). */
  stringOrList(value: unknown, path: Path): string | string[] | undefined {
    if (typeof value === 'string') return value;
    return this.list(value, path);
  }

  list(value: unknown, path: Path): string[] | undefined {
    if (!Array.isArray(value)) {
      this.add(path, `expected a list, got ${describe(value)}`);
      return undefined;
    }
    const out: string[] = [];
    let ok = true;
    value.forEach((item, i) => {
      const s = this.string(item, [...path, i], { numbers: true });
      if (s === undefined) ok = false;
      else out.push(s);
    });
    return ok ? out : undefined;
  }

  bool(value: unknown, path: Path): boolean | undefined {
    if (typeof value === 'boolean') return value;
    if (value === 'true' || value === 'false') return value === 'true';
    this.add(path, `expected true or false, got ${describe(value)}`);
    return undefined;
  }

  /** A whole number >= min; numeric strings (e.g. from interpolation) are accepted. */
  int(value: unknown, path: Path, min: number): number | undefined {
    const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof n === 'number' && Number.isInteger(n) && n >= min) return n;
    this.add(path, `expected a whole number >= ${min}, got ${describe(value)}`);
    return undefined;
  }

  /**
   * `KEY: value` mapping or `["KEY=value", "KEY"]` list. A key without a value maps to null.
   * Scalar values become strings.
   */
  keyValues(value: unknown, path: Path, separator = '='): Record<string, string | null> | undefined {
    const out: Record<string, string | null> = {};
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        const s = this.string(item, [...path, i]);
        if (s === undefined) return;
        const at = s.indexOf(separator);
        const key = at < 0 ? s : s.slice(0, at);
        if (!key) this.add([...path, i], `expected KEY${separator}VALUE: the key is empty`);
        else out[key] = at < 0 ? null : s.slice(at + 1);
      });
      return out;
    }
    if (isRecord(value)) {
      for (const [key, v] of Object.entries(value)) {
        if (v === null) out[key] = null;
        else {
          const s = this.string(v, [...path, key], { numbers: true, booleans: true });
          if (s !== undefined) out[key] = s;
        }
      }
      return out;
    }
    this.add(path, `expected a mapping or a list of "KEY${separator}VALUE", got ${describe(value)}`);
    return undefined;
  }

  /** Like keyValues, where every key needs a value. */
  stringMap(value: unknown, path: Path): Record<string, string> | undefined {
    const kv = this.keyValues(value, path);
    if (!kv) return undefined;
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(kv)) {
      if (v === null) this.add([...path, k], `"${k}" needs a value`);
      else out[k] = v;
    }
    return out;
  }

  /** Runs one of the shared spec parsers, turning its invalid_input error into an issue at `path`. */
  attempt<T>(path: Path, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (err) {
      if (!isToolError(err)) throw err;
      this.add(path, err.message);
      return undefined;
    }
  }
}
