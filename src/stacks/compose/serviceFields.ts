import { COMPOSE_CONFIG_HASH } from '../../docker/labels.js';
import { isIpAddress } from '../../docker/specParsers.js';
import type { FileSources } from './fileSources.js';
import type { InterpolationEnv } from './interpolate.js';
import type { PathSegment } from './issues.js';
import type { ReadFile } from './parse.js';
import { isRecord, type FieldReader } from './reader.js';

/** Service fields read the same way by the service validator and the build reader (buildKey.ts). */

type Path = readonly PathSegment[];

/** What a service may refer to, and how to reach files. */
export interface ServiceContext {
  read: FieldReader;
  /** The interpolation environment: `environment: [KEY]` without a value takes it from here. */
  env: InterpolationEnv;
  serviceNames: ReadonlySet<string>;
  networkKeys: ReadonlySet<string>;
  volumeKeys: ReadonlySet<string>;
  /** Directory that relative bind mounts and env_file paths are resolved against. */
  workingDir?: string;
  readFile?: ReadFile;
  /** Top-level secrets and configs. */
  fileSources?: FileSources;
  modeText?: (path: Path) => string | undefined;
  /** The server's home folder: a `~` host path expands to it (not to an interpolation variable). */
  homeDir?: string;
  /** Warnings for the caller (accepted keys that are not acted on). */
  warnings?: string[];
  /** The stack targets a Swarm: the Swarm-only deploy and port keys are accepted (and read by src/swarm). */
  swarm?: boolean;
}

const RESERVED_LABEL_PREFIXES = ['com.docker.compose.', 'io.docker-orchestration-mcp.'];

export function labelsOf(value: unknown, path: Path, read: FieldReader): Record<string, string> {
  const labels = read.keyValues(value, path) ?? {};
  const out: Record<string, string> = {};
  for (const [key, v] of Object.entries(labels)) {
    if (RESERVED_LABEL_PREFIXES.some((p) => key.startsWith(p)) || key === COMPOSE_CONFIG_HASH) {
      read.add([...path, key], `label "${key}" is reserved: it is set by the stack deployer`);
    } else out[key] = v ?? '';
  }
  return out;
}

/** `["host:ip"]`, `["host=ip"]` or `{host: ip}` -> sorted "host:ip". */
export function extraHostsOf(value: unknown, path: Path, read: FieldReader): string[] {
  const entries: [string, string | null, Path][] = [];
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const s = read.string(item, [...path, i]);
      if (s === undefined) return;
      const sep = s.includes('=') ? s.indexOf('=') : s.indexOf(':');
      entries.push(sep < 0 ? [s, null, [...path, i]] : [s.slice(0, sep), s.slice(sep + 1), [...path, i]]);
    });
  } else if (isRecord(value)) {
    for (const [host, ip] of Object.entries(value)) {
      entries.push([host, read.string(ip, [...path, host]) ?? null, [...path, host]]);
    }
  } else {
    read.add(path, 'expected a list of "HOST:IP" or a mapping of HOST: IP');
    return [];
  }
  const out: string[] = [];
  for (const [host, ip, at] of entries) {
    const addr = ip?.replace(/^\[(.*)\]$/, '$1');
    if (!host || !addr || (addr !== 'host-gateway' && !isIpAddress(addr))) {
      read.add(at, 'expected HOST:IP with an IP address or host-gateway');
    } else out.push(`${host}:${addr}`);
  }
  return out.sort();
}
