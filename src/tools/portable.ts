import { z } from 'zod';
import { parseCommand } from '../docker/specParsers.js';

/**
 * Argument shapes that every client and model converter accepts (OpenAI strict mode, Gemini,
 * LangChain): one JSON type per argument, no unions, no free-form maps. The published JSON
 * Schema is the inner shape of each `z.preprocess` (zod renders a preprocess by its output in
 * `io: 'input'`), while the preprocess keeps accepting the older unambiguous forms (maps, a
 * command string, port numbers and objects) without advertising them.
 */

type Ctx = z.core.$RefinementCtx;

function primitive(v: unknown): v is string | number | boolean {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** {"K": "v"} (older map form) -> ["K=v"]; anything else is left for the list schema to judge. */
function mapToList(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const entries = Object.entries(v);
  if (!entries.every(([, x]) => primitive(x))) return v;
  return entries.map(([k, x]) => `${k}=${String(x)}`);
}

export interface KeyValueOptions {
  /** Longest key and value. */
  maxKey?: number;
  maxValue?: number;
  maxItems?: number;
}

/**
 * A string map published as a list of "KEY=VALUE" strings (Docker's `-e`/`--label` and Compose's
 * list syntax). Parsed into a record; the older object form is still accepted.
 */
export function keyValueList({ maxKey = 256, maxValue = 32_768, maxItems = 256 }: KeyValueOptions = {}) {
  const schema = z
    .preprocess(mapToList, z.array(z.string().max(maxKey + 1 + maxValue)).max(maxItems))
    .transform((list, ctx) => {
      const out: Record<string, string> = {};
      list.forEach((entry, i) => {
        const eq = entry.indexOf('=');
        const key = eq < 0 ? entry : entry.slice(0, eq);
        if (eq <= 0 || key.length > maxKey || key.includes('\0')) {
          ctx.addIssue({
            code: 'custom',
            path: [i],
            message: `expected "KEY=VALUE" with a non-empty KEY of at most ${maxKey} characters, got ${JSON.stringify(entry.slice(0, 80))}`,
          });
          return;
        }
        out[key] = entry.slice(eq + 1);
      });
      return out;
    });
  KEY_VALUE_LISTS.add(schema);
  return schema;
}

/** Every schema keyValueList made (the fuzz generator builds "KEY=VALUE" strings for them). */
export const KEY_VALUE_LISTS = new WeakSet<object>();

/** A command published as an array of strings; a string (the older form) is split as a shell would. */
export function commandList(maxItems = 256, maxChars = 8192) {
  return z.preprocess(
    (v: unknown, ctx: Ctx) => {
      if (typeof v !== 'string') return v;
      try {
        return parseCommand(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message, input: v });
        return z.NEVER;
      }
    },
    z.array(z.string().max(maxChars)).max(maxItems),
  );
}

function hostIpPart(ip: unknown): string {
  return typeof ip === 'string' && ip ? (ip.includes(':') ? `[${ip}]:` : `${ip}:`) : '';
}

/** 80 or {target, published, host_ip, protocol} (older forms) -> Compose short syntax. */
function portToShort(v: unknown): unknown {
  if (typeof v === 'number') return String(v);
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const known = new Set(['target', 'published', 'host_ip', 'protocol']);
  if (!Object.keys(o).every((k) => known.has(k)) || !(typeof o.target === 'number' || typeof o.target === 'string'))
    return v;
  const published = o.published === undefined || o.published === '' ? '' : String(o.published);
  const ip = hostIpPart(o.host_ip);
  const head = ip || published ? `${ip}${published}:` : '';
  return `${head}${String(o.target)}${typeof o.protocol === 'string' && o.protocol ? `/${o.protocol}` : ''}`;
}

/** Published ports as Compose short syntax strings. */
export function portList(maxItems = 100) {
  return z.preprocess(
    (v: unknown) => (Array.isArray(v) ? v.map(portToShort) : v),
    z.array(z.string().max(128)).max(maxItems),
  );
}

/** {type, source, target, read_only} (older form) -> "SOURCE:TARGET[:ro]" when short syntax can say it. */
function volumeToShort(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const o = v as Record<string, unknown>;
  const known = new Set(['type', 'source', 'target', 'read_only']);
  if (!Object.keys(o).every((k) => known.has(k)) || typeof o.target !== 'string') return v;
  if (o.type !== undefined && o.type !== 'volume' && o.type !== 'bind') return v;
  const ro = o.read_only === true ? ':ro' : '';
  if (typeof o.source !== 'string' || !o.source) return o.type === 'bind' || ro ? v : o.target;
  // A bind source must read as a path; a relative one gets "./" so it is not taken for a volume name.
  const source =
    o.type === 'bind' && !/^(\/|\.\/|\.\.\/|~)/.test(o.source) && o.source !== '.' && o.source !== '..'
      ? `./${o.source}`
      : o.source;
  return `${source}:${o.target}${ro}`;
}

/** Mounts as Compose short syntax strings. */
export function volumeList(maxItems = 100) {
  return z.preprocess(
    (v: unknown, ctx: Ctx) => {
      if (!Array.isArray(v)) return v;
      const out = v.map(volumeToShort);
      out.forEach((item, i) => {
        if (item === null || typeof item !== 'object') return;
        // An object short syntax cannot say (bind.propagation, tmpfs, ...): refused by name, never dropped.
        const extra = Object.keys(item).filter((k) => !['type', 'source', 'target', 'read_only'].includes(k));
        const why = extra.length
          ? `option ${extra.join(', ')} is not supported`
          : 'this mount has no short syntax (tmpfs: use a stack)';
        ctx.addIssue({ code: 'custom', path: [i], message: `expected "SOURCE:TARGET[:ro]"; ${why}`, input: item });
      });
      return out;
    },
    z.array(z.string().max(4096)).max(maxItems),
  );
}

/** A string argument that used to take a number too (durations, times, sizes): the number becomes `${n}${unit}`. */
export function stringFromNumber(unit = '') {
  return z.preprocess(
    (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${v}${unit}` : v),
    z.string().max(64),
  );
}

/** A number argument that used to take a numeric string too. */
export function numberFromString(inner: z.ZodNumber) {
  return z.preprocess(
    (v: unknown) => (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v),
    inner,
  );
}
