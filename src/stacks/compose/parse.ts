import { posix } from 'node:path';
import {
  LineCounter,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  parseDocument,
  visit,
  type Document,
  type YAMLError,
} from 'yaml';
import { ToolError } from '../../kernel/errors.js';
import { interpolateString, InterpolationError, type InterpolationEnv } from './interpolate.js';
import { rememberSecretVariables } from '../../util/mask.js';
import { composeError, type ComposeIssue, type KeyPath, type Locate } from './issues.js';

/** The YAML as plain data, plus a way to find the line of any key path in it. */
export interface ParsedYaml {
  data: unknown;
  locate: Locate;
}

/** Guards against alias bombs ("billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/** Deeper than any Compose file needs; keeps the recursive walks of later stages off the stack limit. */
const MAX_DEPTH = 64;

/**
 * An anchor used inside itself (`services: &a {b: *a}`) makes toJS return a cycle, and every
 * later walk would recurse until the stack overflows: refuse it here, with the nesting depth.
 */
function assertFinite(value: unknown, ancestors: Set<object>, depth: number): void {
  if (!value || typeof value !== 'object') return;
  if (ancestors.has(value))
    throw new ToolError(
      'invalid_input',
      'Invalid YAML: an alias refers to a mapping or list that contains it; a Compose file cannot be recursive.',
    );
  if (depth > MAX_DEPTH)
    throw new ToolError('invalid_input', `Invalid YAML: nested more than ${MAX_DEPTH} levels deep.`);
  ancestors.add(value);
  for (const v of value instanceof Map ? value.values() : Object.values(value)) assertFinite(v, ancestors, depth + 1);
  ancestors.delete(value);
}

/**
 * Parses one YAML document, keeping positions so later errors can name lines.
 * Merge keys (`<<: *anchor`) are honoured as Compose does. Invalid YAML throws invalid_input
 * listing every syntax error with its line.
 */
export function parseComposeYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // The library's own uniqueKeys check is quadratic in the keys of a mapping (minutes for a 1 MB file).
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false });
  const problems = [
    ...doc.errors.map((e) => ({ offset: e.pos[0], message: yamlProblem(e.code) })),
    ...duplicateKeys(doc),
  ];
  if (problems.length > 0) {
    const issues: ComposeIssue[] = problems.map((p) => {
      const pos = lineCounter.linePos(p.offset);
      return { path: '', line: pos.line, message: `${p.message} (column ${pos.col})` };
    });
    throw composeError(issues, 'Invalid YAML');
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    assertFinite(data, new Set(), 0);
  } catch (err) {
    if (err instanceof ToolError) throw err;
    throw new ToolError('invalid_input', `Invalid YAML: ${(err as Error).message}`);
  }
  const index = pairIndex();
  return { data, locate: (path) => locateLine(doc, lineCounter, path, index) };
}

/**
 * The YAML library's messages may quote the source (a tag, an escape, a block header), and the
 * source may be a file the model should not see: describe the problem by its code instead.
 */
const YAML_PROBLEMS: Partial<Record<YAMLError['code'], string>> = {
  ALIAS_PROPS: 'an alias cannot have an anchor or tag',
  BAD_ALIAS: 'an alias refers to an anchor that is not defined before it',
  BAD_DIRECTIVE: 'invalid directive',
  BAD_DQ_ESCAPE: 'invalid escape sequence in a double-quoted string',
  BAD_INDENT: 'bad indentation',
  BAD_PROP_ORDER: 'anchors and tags must come after the "?", ":" or "-" indicator',
  BAD_SCALAR_START: 'a plain value cannot start with this character: quote it',
  BLOCK_AS_IMPLICIT_KEY: 'a block value cannot be a key',
  BLOCK_IN_FLOW: 'block values are not allowed inside [ ] or { }',
  DUPLICATE_KEY: 'duplicate key',
  MISSING_CHAR: 'a character is missing here (a ":", "," or closing quote or bracket)',
  MULTILINE_IMPLICIT_KEY: 'a key spans several lines (missing ":" or quotes?)',
  MULTIPLE_ANCHORS: 'a node has more than one anchor',
  MULTIPLE_DOCS: 'more than one YAML document: give one',
  MULTIPLE_TAGS: 'a node has more than one tag',
  NON_STRING_KEY: 'keys must be strings',
  RESOURCE_EXHAUSTION: 'nested too deeply',
  TAB_AS_INDENT: 'tabs cannot indent YAML: use spaces',
  TAG_RESOLVE_FAILED: 'unknown tag',
  UNEXPECTED_TOKEN: 'unexpected token',
  BAD_COLLECTION_TYPE: 'a tag does not fit its collection',
};

function yamlProblem(code: YAMLError['code']): string {
  return YAML_PROBLEMS[code] ?? `YAML syntax error (${code})`;
}

/** Keys repeated within one mapping (merge keys aside), each with its offset; one pass per mapping. */
function duplicateKeys(doc: Document): { offset: number; message: string }[] {
  const found: { offset: number; message: string }[] = [];
  visit(doc, {
    Map(_, map) {
      const seen = new Set<string>();
      for (const pair of map.items) {
        const key = keyOf(pair.key);
        if (key === undefined || key === '<<') continue;
        if (seen.has(key)) found.push({ offset: startOf(pair.key) ?? 0, message: yamlProblem('DUPLICATE_KEY') });
        seen.add(key);
      }
    },
  });
  return found;
}

function keyOf(node: unknown): string | undefined {
  if (isScalar(node)) return String(node.value);
  return typeof node === 'string' || typeof node === 'number' ? String(node) : undefined;
}

function startOf(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}

/** Pairs of a mapping by key, built once per mapping: a file with many problems locates each one. */
type PairIndex = (map: { items: { key: unknown }[] }) => Map<string, { key: unknown; value: unknown }>;

function pairIndex(): PairIndex {
  const cache = new WeakMap<object, Map<string, { key: unknown; value: unknown }>>();
  return (map) => {
    let byKey = cache.get(map);
    if (!byKey) {
      byKey = new Map();
      for (const pair of map.items as { key: unknown; value: unknown }[]) {
        const key = keyOf(pair.key);
        if (key !== undefined && !byKey.has(key)) byKey.set(key, pair);
      }
      cache.set(map, byKey);
    }
    return byKey;
  };
}

/**
 * The line of the deepest node along `path` that exists: for a mapping entry the line of its
 * key, for a sequence item the line of the item. Keys that came from a merge (`<<`) are not in
 * the source under that mapping, so they resolve to the mapping's own line.
 */
function locateLine(doc: Document, lineCounter: LineCounter, path: KeyPath, index: PairIndex): number | undefined {
  let node: unknown = doc.contents;
  let offset = startOf(node);
  for (const seg of path) {
    if (isAlias(node)) node = node.resolve(doc);
    if (isMap(node)) {
      const pair = index(node).get(String(seg));
      if (!pair) break;
      offset = startOf(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number') {
      const item: unknown = node.items[seg];
      if (item === undefined) break;
      offset = startOf(item) ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/** Reads a text file; returns undefined when it does not exist. Injected so this library stays pure. `what` names it in errors. */
export type ReadFile = (path: string, what: string) => string | undefined;

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

function unquoteDouble(body: string): string {
  return body.replace(/\\(["\\nrt$])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c);
}

/**
 * Parses a `.env` / env_file text: `KEY=VALUE` lines, `#` comments, blank lines, an optional
 * `export ` prefix, 'single' (literal) and "double" (\n, \", \\ escapes) quoted values, and
 * ` # comments` after unquoted values. Throws invalid_input naming the line.
 * With `env`, unquoted and double-quoted values are interpolated as Compose does: `${VAR:-x}`
 * looks in `env` first, then in the lines above; 'single-quoted' values stay literal.
 */
export function parseDotEnv(
  text: string,
  source = '.env',
  env?: InterpolationEnv,
  fallback: InterpolationEnv = {},
): Record<string, string> {
  const values: Record<string, string> = {};
  const expand = (value: string, where: string): string => {
    if (!env || !value.includes('$')) return value;
    try {
      // As in Compose's dotenv, a "$" that starts no variable stays literal ("pa$" is not an error).
      const escaped = value.replace(/\$(?![{$A-Za-z_])/g, '$$$$');
      return interpolateString(escaped, { ...fallback, ...values, ...env });
    } catch (err) {
      if (err instanceof InterpolationError) throw new ToolError('invalid_input', `${where}: ${err.message}`);
      throw err;
    }
  };
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const body = line.startsWith('export ') ? line.slice(7).trimStart() : line;
    const eq = body.indexOf('=');
    const key = (eq < 0 ? body : body.slice(0, eq)).trim();
    const where = `${source} line ${index + 1}`;
    if (eq < 0 || !ENV_KEY.test(key)) {
      // The line itself is not quoted: an env file may hold secrets (or not be an env file at all).
      throw new ToolError('invalid_input', `${where}: expected NAME=VALUE (a variable name, "=" and the value).`);
    }
    const rest = body.slice(eq + 1).trim();
    const quote = rest[0];
    if (quote === '"' || quote === "'") {
      const end = quote === "'" ? rest.indexOf("'", 1) : closingDoubleQuote(rest);
      if (end < 0) throw new ToolError('invalid_input', `${where}: unterminated ${quote} quote.`);
      const inner = rest.slice(1, end);
      values[key] = quote === '"' ? expand(unquoteDouble(inner), where) : inner;
    } else {
      values[key] = expand(rest.replace(/\s+#.*$/, ''), where);
    }
  });
  rememberSecretVariables(values);
  return values;
}

function closingDoubleQuote(s: string): number {
  for (let i = 1; i < s.length; i++) {
    if (s[i] === '\\') i++;
    else if (s[i] === '"') return i;
  }
  return -1;
}

/**
 * The `.env` file beside a Compose file, or {} if there is none. Its values are interpolated:
 * a reference looks in `env` (the explicit variables), then the lines above, then `fallback`.
 */
export function loadDotEnvFile(
  projectDir: string,
  readFile: ReadFile,
  env: InterpolationEnv = {},
  fallback: InterpolationEnv = {},
  name = '.env',
): Record<string, string> {
  const path = posix.resolve(projectDir, name);
  const text = readFile(path, name === '.env' ? '.env file' : 'env_file');
  return text === undefined ? {} : parseDotEnv(text, path, env, fallback);
}
