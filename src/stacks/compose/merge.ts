import { isRecord } from './reader.js';

/*
 * Compose's merge rules for `extends` (and for several files given as one include): mappings are
 * merged key by key, `command`/`entrypoint`/`healthcheck.test` are replaced, environment, labels,
 * annotations, sysctls, extra_hosts, networks and depends_on are merged by key (their list forms
 * first turned into mappings), ulimits are replaced per limit, logging is replaced when the driver
 * changes, volumes are merged by target, and other sequences (ports, expose, dns, cap_add...) are
 * appended without duplicates. Works on raw (interpolated) data, before validation.
 */

const REPLACED = new Set(['command', 'entrypoint']);
/** Lists of "KEY=VALUE" (or "KEY") that Compose merges by key. */
const KEY_VALUE = new Set(['environment', 'labels', 'annotations', 'sysctls']);

function clone<T>(value: T): T {
  return structuredClone(value);
}

function keyValueMap(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const item of value) {
    const s = String(item);
    const eq = s.indexOf('=');
    if (eq < 0) out[s] = null;
    else out[s.slice(0, eq)] = s.slice(eq + 1);
  }
  return out;
}

function extraHostsMap(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const item of value) {
    const s = String(item);
    const sep = s.includes('=') ? s.indexOf('=') : s.indexOf(':');
    if (sep < 0) out[s] = null;
    else out[s.slice(0, sep)] = s.slice(sep + 1);
  }
  return out;
}

/** `[a, b]` -> `{a: null, b: null}` (networks) or `{a: {condition: service_started}}` (depends_on). */
function nameMap(value: unknown, empty: () => unknown): unknown {
  if (!Array.isArray(value)) return value;
  return Object.fromEntries(value.map((v) => [String(v), empty()]));
}

/** The container path of a service volume, short or long syntax. */
function volumeTarget(v: unknown): string {
  if (isRecord(v)) return String(v.target ?? JSON.stringify(v));
  const parts = String(v).split(':');
  // "SRC:TARGET[:MODE]" or "TARGET"; Windows drive letters do not occur on this server.
  return parts.length === 1 ? (parts[0] as string) : (parts[1] as string);
}

/** Appends `over` to `base`, one entry per key (a later entry replaces an earlier one in place). */
function uniqueBy(base: unknown[], over: unknown[], key: (v: unknown) => string): unknown[] {
  const out = new Map<string, unknown>();
  for (const v of [...base, ...over]) out.set(key(v), v);
  return [...out.values()];
}

function mergeSequence(field: string, base: unknown[], over: unknown[]): unknown[] {
  if (field === 'volumes') return uniqueBy(base, over, volumeTarget);
  return uniqueBy(base, over, (v) => (isRecord(v) ? JSON.stringify(v) : String(v)));
}

function normalise(field: string, value: unknown): unknown {
  if (KEY_VALUE.has(field)) return keyValueMap(value);
  if (field === 'extra_hosts') return extraHostsMap(value);
  if (field === 'networks') return nameMap(value, () => null);
  if (field === 'depends_on') return nameMap(value, () => ({ condition: 'service_started' }));
  if (field === 'env_file' && typeof value === 'string') return [value];
  if (field === 'build' && typeof value === 'string') return { context: value };
  return value;
}

/** Merges one field of a service. */
function mergeField(field: string, base: unknown, over: unknown): unknown {
  if (over === undefined) return clone(base);
  if (base === undefined || REPLACED.has(field)) return clone(over);
  const b = normalise(field, base);
  const o = normalise(field, over);
  if (field === 'logging' && isRecord(b) && isRecord(o)) {
    if (o.driver !== undefined && b.driver !== undefined && o.driver !== b.driver) return clone(o);
    return mergeMappings(b, o, (k, x, y) =>
      k === 'options' && isRecord(x) && isRecord(y) ? { ...x, ...y } : mergeDeep(x, y),
    );
  }
  if (field === 'ulimits' && isRecord(b) && isRecord(o)) return { ...clone(b), ...clone(o) };
  if (field === 'healthcheck' && isRecord(b) && isRecord(o)) {
    return mergeMappings(b, o, (k, x, y) => (k === 'test' ? clone(y) : mergeDeep(x, y)));
  }
  if (Array.isArray(b) && Array.isArray(o)) return mergeSequence(field, b, o);
  if (isRecord(b) && isRecord(o)) return mergeMappings(b, o, (_k, x, y) => mergeDeep(x, y));
  return clone(o);
}

function mergeDeep(base: unknown, over: unknown): unknown {
  // `net: null` under networks (or an empty mapping entry) adds nothing to what it extends.
  if (over === undefined || (over === null && isRecord(base))) return clone(base);
  if (isRecord(base) && isRecord(over)) return mergeMappings(base, over, (_k, x, y) => mergeDeep(x, y));
  if (Array.isArray(base) && Array.isArray(over)) return uniqueBy(base, over, (v) => JSON.stringify(v));
  return clone(over);
}

function mergeMappings(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  each: (key: string, base: unknown, over: unknown) => unknown,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(base), ...Object.keys(over)])) {
    out[key] = key in over ? (key in base ? each(key, base[key], over[key]) : clone(over[key])) : clone(base[key]);
  }
  return out;
}

/** `over` extends `base`: the service as Compose sees it after `extends`. */
export function mergeServices(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set([...Object.keys(base), ...Object.keys(over)])) {
    out[key] = mergeField(key, base[key], over[key]);
  }
  return out;
}
