import { ToolError } from '../kernel/errors.js';
import { parseDuration } from '../util/duration.js';

/** Pure parsers for the Docker/Compose short syntaxes shared by deploy_container and stacks. */

// Durations are a kernel helper (util/time.ts needs them too); re-exported beside the other parsers.
export { parseDuration };

export type Protocol = 'tcp' | 'udp' | 'sctp';

export interface PortMapping {
  containerPort: number;
  protocol: Protocol;
  hostIp?: string;
  /** undefined: the Engine picks a free host port. */
  hostPort?: number;
}

export interface PortObject {
  target: number;
  published?: number | string;
  host_ip?: string;
  protocol?: string;
}

function bad(field: string, value: unknown, expected: string): never {
  throw new ToolError('invalid_input', `Invalid ${field} ${JSON.stringify(value)}: expected ${expected}.`);
}

function portNumber(field: string, raw: string | number, whole: unknown): number {
  const n = typeof raw === 'number' ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) bad(field, whole, 'a port number from 1 to 65535');
  return n;
}

function protocolOf(field: string, raw: string | undefined, whole: unknown): Protocol {
  const p = (raw ?? 'tcp').toLowerCase();
  if (p !== 'tcp' && p !== 'udp' && p !== 'sctp') bad(field, whole, 'protocol tcp, udp or sctp');
  return p;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIpAddress(s: string): boolean {
  return IPV4.test(s) || (/^[0-9a-fA-F:]+$/.test(s) && s.includes(':'));
}

/**
 * Parses "80", "8080:80", "127.0.0.1:8080:80/tcp", "127.0.0.1::80", "[::1]:8080:80",
 * or an object {target, published, host_ip, protocol}. Ranges are not supported.
 */
export function parsePort(input: string | number | PortObject, field = 'port'): PortMapping {
  if (typeof input === 'number') return { containerPort: portNumber(field, input, input), protocol: 'tcp' };
  if (typeof input === 'object' && input !== null) {
    const m: PortMapping = {
      containerPort: portNumber(field, input.target, input),
      protocol: protocolOf(field, input.protocol, input),
    };
    if (input.published !== undefined && input.published !== '') m.hostPort = portNumber(field, input.published, input);
    if (input.host_ip) {
      if (!isIpAddress(input.host_ip)) bad(field, input, 'host_ip to be an IP address');
      m.hostIp = input.host_ip;
    }
    return m;
  }
  if (typeof input !== 'string' || !input.trim())
    bad(field, input, '"CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER[/proto]"');
  let rest = input.trim();
  let proto: string | undefined;
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  let hostIp: string | undefined;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    hostIp = v6[1];
    rest = v6[2] ?? '';
  }
  const parts = rest.split(':');
  if (parts.length > 3 || (hostIp && parts.length !== 2))
    bad(field, input, '"CONTAINER", "HOST:CONTAINER" or "IP:HOST:CONTAINER[/proto]"');
  if (parts.length === 3) hostIp = parts.shift();
  if (hostIp !== undefined && !isIpAddress(hostIp)) bad(field, input, 'the host part to be an IP address');
  const containerRaw = parts.pop() ?? '';
  const hostRaw = parts.pop();
  if (containerRaw.includes('-') || hostRaw?.includes('-'))
    bad(field, input, 'single ports (ranges are not supported)');
  const m: PortMapping = {
    containerPort: portNumber(field, containerRaw, input),
    protocol: protocolOf(field, proto, input),
  };
  if (hostRaw !== undefined && hostRaw !== '') m.hostPort = portNumber(field, hostRaw, input);
  if (hostIp) m.hostIp = hostIp;
  return m;
}

export interface MountMapping {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name or host path; undefined for an anonymous volume or tmpfs. */
  source?: string;
  target: string;
  readOnly: boolean;
}

export interface VolumeObject {
  type?: string;
  source?: string;
  target: string;
  read_only?: boolean;
}

const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

function isHostPath(s: string): boolean {
  return s.startsWith('/') || s.startsWith('./') || s.startsWith('../') || s === '.' || s === '..' || s.startsWith('~');
}

function checkTarget(field: string, target: string | undefined, whole: unknown): string {
  if (!target || !target.startsWith('/')) bad(field, whole, 'an absolute container path as target');
  return target;
}

/**
 * Parses "data:/var/lib/x", "./dir:/x:ro", "/abs:/x:rw", "/anon" or an object
 * {type, source, target, read_only}. Relative host paths are resolved by `resolveBind`.
 */
export function parseVolume(
  input: string | VolumeObject,
  field = 'volume',
  resolveBind: (p: string) => string = (p) => p,
): MountMapping {
  if (typeof input === 'object' && input !== null) {
    const type = (input.type ?? (input.source && isHostPath(input.source) ? 'bind' : 'volume')) as string;
    if (type !== 'volume' && type !== 'bind' && type !== 'tmpfs') bad(field, input, 'type volume, bind or tmpfs');
    const target = checkTarget(field, input.target, input);
    const m: MountMapping = { type, target, readOnly: input.read_only === true };
    if (type === 'bind') {
      if (!input.source) bad(field, input, 'a source path for a bind mount');
      m.source = resolveBind(input.source);
    } else if (type === 'volume' && input.source) {
      if (!VOLUME_NAME.test(input.source)) bad(field, input, 'a volume name of letters, digits, "_", "." or "-"');
      m.source = input.source;
    }
    return m;
  }
  if (typeof input !== 'string' || !input.trim()) bad(field, input, '"NAME:/path", "./host:/path[:ro]" or "/path"');
  const parts = input.trim().split(':');
  if (parts.length === 1) return { type: 'volume', target: checkTarget(field, parts[0], input), readOnly: false };
  if (parts.length > 3) bad(field, input, '"SOURCE:TARGET[:MODE]"');
  const [source = '', targetRaw, mode] = parts;
  const target = checkTarget(field, targetRaw, input);
  let readOnly = false;
  if (mode !== undefined) {
    const flags = mode.split(',');
    for (const f of flags) {
      // Propagation (shared/slave) and SELinux relabelling (z/Z) reach back into the host: not supported, never dropped silently.
      if (['z', 'Z', 'rprivate', 'private', 'rshared', 'shared', 'rslave', 'slave'].includes(f)) {
        bad(
          field,
          input,
          `mode ro or rw ("${f}" is not supported: mount propagation and SELinux relabelling act on the host)`,
        );
      }
      if (!['ro', 'rw', 'nocopy'].includes(f)) bad(field, input, 'mode ro or rw');
    }
    readOnly = flags.includes('ro');
  }
  if (!source) bad(field, input, 'a source before ":"');
  if (isHostPath(source)) return { type: 'bind', source: resolveBind(source), target, readOnly };
  if (!VOLUME_NAME.test(source))
    bad(field, input, 'a volume name of letters, digits, "_", "." or "-", or a host path starting with / or ./');
  return { type: 'volume', source, target, readOnly };
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1024,
  kb: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
};

/** "256m", "1g", "512k", 1048576 -> bytes. */
export function parseMemory(input: string | number, field = 'memory'): number {
  if (typeof input === 'number') {
    if (!Number.isInteger(input) || input < 4 * 1024 * 1024) bad(field, input, 'at least 4 MiB, e.g. "256m"');
    return input;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?b?)\s*$/i.exec(String(input));
  if (!m) bad(field, input, 'a size like "256m", "1g" or "512k"');
  const bytes = Math.round(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? NaN));
  if (!Number.isFinite(bytes) || bytes < 4 * 1024 * 1024) bad(field, input, 'at least 4 MiB, e.g. "256m"');
  return bytes;
}

/** 0.5 or "0.5" CPUs -> NanoCPUs. */
export function parseCpus(input: string | number, field = 'cpus'): number {
  const n = typeof input === 'number' ? input : Number(input);
  if (!Number.isFinite(n) || n <= 0 || n > 1024) bad(field, input, 'a positive number of CPUs like 0.5');
  return Math.round(n * 1e9);
}

export interface RestartPolicy {
  name: 'no' | 'always' | 'unless-stopped' | 'on-failure';
  maximumRetryCount?: number;
}

/** "no" | "always" | "unless-stopped" | "on-failure[:N]". */
export function parseRestart(input: string, field = 'restart'): RestartPolicy {
  const m = /^(no|always|unless-stopped|on-failure)(?::(\d+))?$/.exec(String(input).trim());
  if (!m || (m[2] !== undefined && m[1] !== 'on-failure'))
    bad(field, input, 'no, always, unless-stopped or on-failure[:N]');
  const p: RestartPolicy = { name: m[1] as RestartPolicy['name'] };
  if (m[2] !== undefined) p.maximumRetryCount = Number(m[2]);
  return p;
}

/**
 * Splits a command string the way a POSIX shell splits words (quotes and backslashes),
 * without expanding anything. An array is returned as is.
 */
export function parseCommand(input: string | string[], field = 'command'): string[] {
  if (Array.isArray(input)) {
    if (!input.every((a) => typeof a === 'string')) bad(field, input, 'an array of strings');
    return input;
  }
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < input.length; i++) {
    const c = input[i] as string;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < input.length && '"\\$`'.includes(input[i + 1] as string))
        cur += input[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < input.length) {
      cur += input[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote) bad(field, input, 'balanced quotes');
  if (inWord) words.push(cur);
  return words;
}

export interface HealthcheckInput {
  test?: string | string[];
  interval?: string | number;
  timeout?: string | number;
  retries?: number;
  start_period?: string | number;
  disable?: boolean;
}

/** The Engine's HealthConfig (durations in nanoseconds). */
export interface EngineHealthcheck {
  Test: string[];
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

/** Compose-style healthcheck -> Engine HealthConfig. A string test runs through the shell. */
export function parseHealthcheck(input: HealthcheckInput, field = 'healthcheck'): EngineHealthcheck {
  if (input.disable) return { Test: ['NONE'] };
  const t = input.test;
  let test: string[];
  if (typeof t === 'string') {
    if (!t.trim()) bad(`${field}.test`, t, 'a command');
    test = ['CMD-SHELL', t];
  } else if (Array.isArray(t) && t.length > 0) {
    const head = t[0];
    if (head === 'NONE') test = ['NONE'];
    else if (head === 'CMD' || head === 'CMD-SHELL') {
      if (t.length < 2) bad(`${field}.test`, t, 'a command after CMD / CMD-SHELL');
      test = t;
    } else test = ['CMD', ...t];
  } else bad(`${field}.test`, t, 'a string or ["CMD", ...] / ["CMD-SHELL", "..."]');
  const hc: EngineHealthcheck = { Test: test };
  const ns = (v: string | number | undefined, f: string) =>
    v === undefined ? undefined : Math.round(parseDuration(v, `${field}.${f}`) * 1e6);
  const interval = ns(input.interval, 'interval');
  const timeout = ns(input.timeout, 'timeout');
  const start = ns(input.start_period, 'start_period');
  for (const [f, v] of [
    ['interval', interval],
    ['timeout', timeout],
  ] as const) {
    if (v !== undefined && v < 1e6) bad(`${field}.${f}`, v, 'at least 1ms');
  }
  if (interval !== undefined) hc.Interval = interval;
  if (timeout !== undefined) hc.Timeout = timeout;
  if (start !== undefined) hc.StartPeriod = start;
  if (input.retries !== undefined) {
    if (!Number.isInteger(input.retries) || input.retries < 0)
      bad(`${field}.retries`, input.retries, 'a whole number >= 0');
    hc.Retries = input.retries;
  }
  return hc;
}

/** Settings that widen what a container may do on the host; the container policy vets them. */
export interface SecuritySettings {
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  devices?: DeviceMapping[];
  /** "host" or "container:NAME" share a namespace; checked by the policy. */
  pidMode?: string;
  ipcMode?: string;
  utsMode?: string;
  usernsMode?: string;
  /** "host" or "private" cgroup namespace. */
  cgroupnsMode?: string;
  securityOpt?: string[];
  /** systempaths=unconfined: no masked or read-only /proc and /sys paths. */
  systemPathsUnconfined?: boolean;
  sysctls?: Record<string, string>;
  cgroupParent?: string;
  /** "NAME[:ro|:rw]": every mount of another container. */
  volumesFrom?: string[];
  deviceCgroupRules?: string[];
}

export interface DeviceMapping {
  pathOnHost: string;
  pathInContainer: string;
  permissions: string;
}

export interface SecurityInput {
  privileged?: boolean;
  cap_add?: string[];
  cap_drop?: string[];
  devices?: string[];
  pid?: string;
  ipc?: string;
  uts?: string;
  userns_mode?: string;
  cgroupns?: string;
  security_opt?: string[];
  sysctls?: Record<string, string | number>;
  cgroup_parent?: string;
  volumes_from?: string[];
  device_cgroup_rules?: string[];
}

/** "/dev/x", "/dev/x:/dev/y", "/dev/x:/dev/y:rwm". */
export function parseDevice(input: string, field = 'devices'): DeviceMapping {
  const parts = String(input).split(':');
  const [host, inContainer = host, perms = 'rwm'] = parts;
  if (parts.length > 3 || !host?.startsWith('/') || !inContainer?.startsWith('/') || !/^[rwm]{1,3}$/.test(perms)) {
    bad(field, input, '"/dev/HOST[:/dev/CONTAINER[:rwm]]"');
  }
  return { pathOnHost: host, pathInContainer: inContainer, permissions: perms };
}

/** Capability names as the Engine takes them: upper case, without the CAP_ prefix. */
export function normalizeCapability(cap: string): string {
  return String(cap).trim().toUpperCase().replace(/^CAP_/, '');
}

/** Compose-style security settings -> SecuritySettings; undefined when none is given. */
export function parseSecurity(input: SecurityInput, field = ''): SecuritySettings | undefined {
  const at = (f: string) => (field ? `${field}.${f}` : f);
  const out: SecuritySettings = {};
  if (input.privileged !== undefined) out.privileged = input.privileged;
  if (input.cap_add?.length) out.capAdd = input.cap_add.map(normalizeCapability);
  if (input.cap_drop?.length) out.capDrop = input.cap_drop.map(normalizeCapability);
  if (input.devices?.length) out.devices = input.devices.map((d, i) => parseDevice(d, `${at('devices')}[${i}]`));
  for (const [key, prop] of [
    ['pid', 'pidMode'],
    ['ipc', 'ipcMode'],
    ['uts', 'utsMode'],
    ['userns_mode', 'usernsMode'],
    ['cgroupns', 'cgroupnsMode'],
  ] as const) {
    const v = input[key]?.trim();
    if (v === undefined) continue;
    if (!/^[a-zA-Z0-9:_.-]{1,200}$/.test(v)) bad(at(key), v, '"host", "private", "shareable" or "container:NAME"');
    out[prop] = v;
  }
  if (input.security_opt?.length) out.securityOpt = input.security_opt;
  if (input.sysctls && Object.keys(input.sysctls).length)
    out.sysctls = Object.fromEntries(Object.entries(input.sysctls).map(([k, v]) => [k, String(v)]));
  if (input.cgroup_parent !== undefined) out.cgroupParent = input.cgroup_parent;
  if (input.volumes_from?.length) out.volumesFrom = input.volumes_from;
  if (input.device_cgroup_rules?.length) out.deviceCgroupRules = input.device_cgroup_rules;
  return Object.keys(out).length ? out : undefined;
}
