import type { ContainerExtras } from '../../docker/containerSpec.js';
import { parseMemory, parseRestart, type RestartPolicy } from '../../docker/specParsers.js';
import type { PathSegment } from './issues.js';
import { isRecord, type FieldReader } from './reader.js';

/*
 * Service keys that become container settings without touching the model's core fields:
 * expose, dns*, domainname, group_add, read_only, shm_size, tmpfs, ulimits, stdin_open, tty,
 * runtime, logging, mem_reservation, oom_score_adj, pids_limit, and deploy.restart_policy.
 */

type Path = readonly PathSegment[];

export const PULL_POLICIES = ['always', 'never', 'missing', 'if_not_present'] as const;
export type PullPolicy = 'always' | 'never' | 'missing';

const SIZE = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)b?\s*$/i;
const SIZE_UNIT: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/** "64m", "1gb", 67108864 -> bytes (any size, unlike memory limits). */
function sizeOf(value: unknown, path: Path, read: FieldReader): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  const m = typeof value === 'string' ? SIZE.exec(value) : null;
  if (!m) {
    read.add(path, 'expected a size like "64m" or "1g"');
    return undefined;
  }
  return Math.round(Number(m[1]) * (SIZE_UNIT[(m[2] ?? '').toLowerCase()] ?? 1));
}

function wholeNumber(value: unknown, path: Path, read: FieldReader, min: number, max: number): number | undefined {
  const n = typeof value === 'string' && /^\s*-?\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
  read.add(path, `expected a whole number from ${min} to ${max}`);
  return undefined;
}

/** `expose: ["80", "8000-8002", "53/udp"]` -> "80/tcp", "8000/tcp"... */
function exposeOf(value: unknown, path: Path, read: FieldReader): string[] {
  if (!Array.isArray(value)) {
    read.add(path, 'expected a list of ports ("80", "53/udp", "8000-8002")');
    return [];
  }
  const out: string[] = [];
  value.forEach((item, i) => {
    const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(String(item).trim());
    const from = Number(m?.[1]);
    const to = m?.[2] === undefined ? from : Number(m[2]);
    if (!m || from < 1 || to > 65535 || to < from || to - from > 1000) {
      read.add([...path, i], 'expected a container port or range like "80", "53/udp" or "8000-8002"');
      return;
    }
    for (let p = from; p <= to; p++) out.push(`${p}/${(m[3] ?? 'tcp').toLowerCase()}`);
  });
  return [...new Set(out)].sort();
}

/** `ulimits: {nofile: {soft: 1024, hard: 2048}, nproc: 65535}`. */
function ulimitsOf(value: unknown, path: Path, read: FieldReader): ContainerExtras['ulimits'] {
  const map = read.map(value, path);
  if (!map) return undefined;
  const out: NonNullable<ContainerExtras['ulimits']> = [];
  for (const [name, v] of Object.entries(map)) {
    const at = [...path, name];
    if (!/^[a-z]+$/.test(name)) {
      read.add(at, 'expected a ulimit name like nofile or nproc');
      continue;
    }
    if (isRecord(v)) {
      read.keys(v, at, ['soft', 'hard']);
      const soft = wholeNumber(v.soft, [...at, 'soft'], read, -1, Number.MAX_SAFE_INTEGER);
      const hard = wholeNumber(v.hard, [...at, 'hard'], read, -1, Number.MAX_SAFE_INTEGER);
      if (soft !== undefined && hard !== undefined) {
        if (hard !== -1 && soft > hard) read.add(at, 'soft must not be above hard');
        else out.push({ name, soft, hard });
      }
    } else {
      const n = wholeNumber(v, at, read, -1, Number.MAX_SAFE_INTEGER);
      if (n !== undefined) out.push({ name, soft: n, hard: n });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : 1));
}

/** `tmpfs: /run` or `["/run:size=64m"]` -> target -> options. */
function tmpfsOf(value: unknown, path: Path, read: FieldReader): Record<string, string> | undefined {
  const list = read.stringOrList(value, path);
  if (list === undefined) return undefined;
  const out: Record<string, string> = {};
  (typeof list === 'string' ? [list] : list).forEach((entry, i) => {
    const at = typeof list === 'string' ? path : [...path, i];
    const colon = entry.indexOf(':');
    const target = (colon < 0 ? entry : entry.slice(0, colon)).trim();
    if (!target.startsWith('/')) read.add(at, 'expected an absolute path in the container, optionally ":OPTIONS"');
    else out[target] = colon < 0 ? '' : entry.slice(colon + 1).trim();
  });
  return out;
}

function loggingOf(value: unknown, path: Path, read: FieldReader): ContainerExtras['logging'] {
  const map = read.map(value, path);
  if (!map) return undefined;
  read.keys(map, path, ['driver', 'options']);
  const driver =
    map.driver === undefined ? 'json-file' : read.string(map.driver, [...path, 'driver'], { nonEmpty: true });
  const options =
    map.options === undefined || map.options === null ? {} : read.stringMap(map.options, [...path, 'options']);
  return driver === undefined || options === undefined ? undefined : { driver: driver.trim(), options };
}

const STRING_LISTS = [
  ['dns', 'dns'],
  ['dns_search', 'dnsSearch'],
  ['dns_opt', 'dnsOptions'],
  ['group_add', 'groupAdd'],
] as const;

/** The container extras of one service; undefined when it sets none. */
export function extrasOf(svc: Record<string, unknown>, path: Path, read: FieldReader): ContainerExtras | undefined {
  const at = (k: string): Path => [...path, k];
  const x: ContainerExtras = {};
  if (svc.expose !== undefined) x.expose = exposeOf(svc.expose, at('expose'), read);
  for (const [key, field] of STRING_LISTS) {
    if (svc[key] === undefined) continue;
    const v = read.stringOrList(svc[key], at(key));
    if (v !== undefined) x[field] = typeof v === 'string' ? [v] : v;
  }
  if (svc.domainname !== undefined) {
    const d = read.string(svc.domainname, at('domainname'), { nonEmpty: true });
    if (d !== undefined) x.domainname = d;
  }
  for (const [key, field] of [
    ['read_only', 'readOnly'],
    ['stdin_open', 'stdinOpen'],
    ['tty', 'tty'],
  ] as const) {
    if (svc[key] === undefined) continue;
    const b = read.bool(svc[key], at(key));
    if (b !== undefined) x[field] = b;
  }
  if (svc.shm_size !== undefined) {
    const n = sizeOf(svc.shm_size, at('shm_size'), read);
    if (n !== undefined) x.shmSizeBytes = n;
  }
  if (svc.tmpfs !== undefined) {
    const t = tmpfsOf(svc.tmpfs, at('tmpfs'), read);
    if (t) x.tmpfs = t;
  }
  if (svc.ulimits !== undefined) {
    const u = ulimitsOf(svc.ulimits, at('ulimits'), read);
    if (u) x.ulimits = u;
  }
  if (svc.runtime !== undefined) {
    const r = read.string(svc.runtime, at('runtime'), { nonEmpty: true });
    if (r !== undefined) x.runtime = r.trim();
  }
  if (svc.logging !== undefined) {
    const l = loggingOf(svc.logging, at('logging'), read);
    if (l) x.logging = l;
  }
  if (svc.mem_reservation !== undefined) {
    const m = svc.mem_reservation;
    const bytes = read.attempt(at('mem_reservation'), () => parseMemory(m as string | number, 'mem_reservation'));
    if (bytes !== undefined) x.memoryReservationBytes = bytes;
  }
  if (svc.oom_score_adj !== undefined) {
    const n = wholeNumber(svc.oom_score_adj, at('oom_score_adj'), read, -1000, 1000);
    if (n !== undefined) x.oomScoreAdj = n;
  }
  if (svc.pids_limit !== undefined) {
    const n = wholeNumber(svc.pids_limit, at('pids_limit'), read, -1, Number.MAX_SAFE_INTEGER);
    if (n !== undefined) x.pidsLimit = n;
  }
  return Object.keys(x).length ? x : undefined;
}

/** Compose maps deploy.restart_policy onto the Engine's restart policy this way (and it wins over `restart`). */
const RESTART_CONDITIONS: Record<string, RestartPolicy['name']> = {
  none: 'no',
  no: 'no',
  'on-failure': 'on-failure',
  'unless-stopped': 'unless-stopped',
  any: 'always',
  always: 'always',
};

export function restartPolicyOf(value: unknown, path: Path, read: FieldReader): RestartPolicy | undefined {
  const map = read.map(value, path);
  if (!map) return undefined;
  read.keys(map, path, ['condition', 'max_attempts', 'delay', 'window']);
  const condition = map.condition === undefined ? 'any' : read.string(map.condition, [...path, 'condition']);
  if (condition === undefined) return undefined;
  const name = RESTART_CONDITIONS[condition.trim().toLowerCase()];
  if (!name) {
    read.add([...path, 'condition'], 'expected none, on-failure or any');
    return undefined;
  }
  const attempts =
    map.max_attempts === undefined ? undefined : read.int(map.max_attempts, [...path, 'max_attempts'], 0);
  // The Engine takes a retry count only with on-failure.
  return read.attempt(path, () =>
    parseRestart(name === 'on-failure' && attempts ? `${name}:${attempts}` : name, 'deploy.restart_policy'),
  );
}

/** pull_policy: always, never, missing (if_not_present is its old name). `build` belongs to building. */
export function pullPolicyOf(value: unknown, path: Path, read: FieldReader): PullPolicy | undefined {
  const p = read.string(value, path);
  if (p === undefined) return undefined;
  const v = p.trim().toLowerCase();
  if (v === 'if_not_present') return 'missing';
  if (v === 'always' || v === 'never' || v === 'missing') return v;
  read.add(path, `expected one of ${PULL_POLICIES.join(', ')}`);
  return undefined;
}
