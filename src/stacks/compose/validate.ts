import { isIP } from 'node:net';
import type { InterpolationEnv } from './interpolate.js';
import type { IssueCollector, PathSegment } from './issues.js';
import * as K from './keys.js';
import type { ComposeFile, NetworkDefinition, NetworkIpam, ServiceDefinition, VolumeDefinition } from './model.js';
import type { ReadFile } from './parse.js';
import { FieldReader } from './reader.js';
import { readFileSources } from './fileSources.js';
import { resolveHostPath, validateService } from './validateService.js';

export interface ValidateOptions {
  issues: IssueCollector;
  env: InterpolationEnv;
  workingDir?: string;
  readFile?: ReadFile;
  /** How a file mode was written in the source, by key path (see fileSources.ts). */
  modeText?: (path: readonly PathSegment[]) => string | undefined;
  homeDir?: string;
  warnings?: string[];
  /** The stack targets a Swarm (see ServiceContext.swarm). */
  swarm?: boolean;
}

/**
 * Checks interpolated Compose data against the supported subset and types it. Every problem is
 * added to `opts.issues`; the result is only meaningful when no issue was added.
 */
export function validateComposeFile(data: unknown, opts: ValidateOptions): ComposeFile {
  const read = new FieldReader(opts.issues);
  const file: ComposeFile = { services: [], networks: [], volumes: [] };
  if (data === null || data === undefined) {
    read.add([], 'the Compose file is empty');
    return file;
  }
  const top = read.map(data, []);
  if (!top) return file;
  read.keys(
    top,
    [],
    [...K.TOP_LEVEL_KEYS, ...K.TOP_LEVEL_KEYS_MORE, ...K.FILE_SOURCE_SECTIONS],
    K.TOP_LEVEL_UNSUPPORTED,
    K.UNSUPPORTED_HINTS_MORE,
  );
  if (top.name !== undefined) {
    const name = read.string(top.name, ['name'], { nonEmpty: true });
    if (name !== undefined) file.name = name;
  }
  // `version` is obsolete in Compose and only accepted for compatibility.

  file.networks = definitions(top.networks, 'networks', read, networkOf);
  file.volumes = definitions(top.volumes, 'volumes', read, volumeOf);

  const services = top.services === undefined ? undefined : read.map(top.services, ['services']);
  if (!services || Object.keys(services).length === 0) {
    if (services) read.add(['services'], 'at least one service is required');
    else if (top.services === undefined) read.add([], '"services" is required');
    return file;
  }
  const ctx = {
    read,
    env: opts.env,
    serviceNames: new Set(Object.keys(services)),
    networkKeys: new Set(file.networks.map((n) => n.key)),
    volumeKeys: new Set(file.volumes.map((v) => v.key)),
    ...(opts.workingDir !== undefined ? { workingDir: opts.workingDir } : {}),
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
    ...(opts.modeText ? { modeText: opts.modeText } : {}),
    fileSources: readFileSources(top, {
      read,
      env: opts.env,
      resolvePath: (p: string) => resolveHostPath(p, opts),
      ...(opts.readFile ? { readFile: opts.readFile } : {}),
    }),
    ...(opts.homeDir !== undefined ? { homeDir: opts.homeDir } : {}),
    ...(opts.warnings ? { warnings: opts.warnings } : {}),
    ...(opts.swarm ? { swarm: true } : {}),
  };
  if (ctx.fileSources.variables.length > 0) file.contentVariables = ctx.fileSources.variables;
  file.services = Object.entries(services)
    .map(([name, raw]) => validateService(name, raw, ctx))
    .filter((s): s is ServiceDefinition => s !== undefined);
  return file;
}

function definitions<T>(
  value: unknown,
  section: 'networks' | 'volumes',
  read: FieldReader,
  parse: (key: string, raw: Record<string, unknown>, read: FieldReader) => T,
): T[] {
  if (value === undefined) return [];
  const entries = read.map(value, [section]);
  if (!entries) return [];
  return Object.entries(entries).flatMap(([key, raw]) => {
    const cfg = read.map(raw, [section, key]);
    return cfg ? [parse(key, cfg, read)] : [];
  });
}

/** `external: true` or the older `external: {name: x}`; reports keys that cannot go with it. */
function externalOf(
  section: string,
  key: string,
  cfg: Record<string, unknown>,
  read: FieldReader,
): { external: boolean; name?: string } {
  const at = [section, key, 'external'];
  if (cfg.external === undefined) return { external: false };
  let external: boolean | undefined;
  let name: string | undefined;
  if (cfg.external !== null && typeof cfg.external === 'object' && !Array.isArray(cfg.external)) {
    const legacy = cfg.external as Record<string, unknown>;
    read.keys(legacy, at, ['name']);
    external = true;
    if (legacy.name !== undefined) name = read.string(legacy.name, [...at, 'name'], { nonEmpty: true });
  } else external = read.bool(cfg.external, at);
  if (external) {
    for (const other of Object.keys(cfg)) {
      if (other !== 'external' && other !== 'name' && !other.startsWith('x-')) {
        read.add(
          [section, key, other],
          `"${other}" cannot be combined with external: an external ${section.slice(0, -1)} is used as it is`,
        );
      }
    }
  }
  return name === undefined ? { external: external ?? false } : { external: external ?? false, name };
}

function networkOf(key: string, cfg: Record<string, unknown>, read: FieldReader): NetworkDefinition {
  const path = ['networks', key];
  read.keys(cfg, path, [...K.NETWORK_KEYS, ...K.NETWORK_KEYS_MORE], K.NETWORK_UNSUPPORTED);
  const ext = externalOf('networks', key, cfg, read);
  const net: NetworkDefinition = {
    key,
    external: ext.external,
    driverOpts: {},
    internal: false,
    attachable: false,
    labels: {},
  };
  common(net, cfg, path, read, ext.name);
  for (const flag of ['internal', 'attachable'] as const) {
    if (cfg[flag] !== undefined) net[flag] = read.bool(cfg[flag], [...path, flag]) ?? false;
  }
  if (cfg.ipam !== undefined) {
    const ipam = ipamOf(cfg.ipam, [...path, 'ipam'], read);
    if (ipam) net.ipam = ipam;
  }
  return net;
}

function volumeOf(key: string, cfg: Record<string, unknown>, read: FieldReader): VolumeDefinition {
  const path = ['volumes', key];
  read.keys(cfg, path, K.VOLUME_KEYS);
  const ext = externalOf('volumes', key, cfg, read);
  const vol: VolumeDefinition = { key, external: ext.external, driverOpts: {}, labels: {} };
  common(vol, cfg, path, read, ext.name);
  return vol;
}

/** name, driver, driver_opts and labels, which networks and volumes share. */
function common(
  def: NetworkDefinition | VolumeDefinition,
  cfg: Record<string, unknown>,
  path: string[],
  read: FieldReader,
  legacyExternalName: string | undefined,
): void {
  const name =
    cfg.name === undefined ? legacyExternalName : read.string(cfg.name, [...path, 'name'], { nonEmpty: true });
  if (name !== undefined) def.name = name;
  if (cfg.driver !== undefined) {
    const driver = read.string(cfg.driver, [...path, 'driver'], { nonEmpty: true });
    if (driver !== undefined) def.driver = driver;
  }
  if (cfg.driver_opts !== undefined) def.driverOpts = read.stringMap(cfg.driver_opts, [...path, 'driver_opts']) ?? {};
  if (cfg.labels !== undefined) def.labels = read.stringMap(cfg.labels, [...path, 'labels']) ?? {};
}

/** `ipam: {driver, config: [{subnet, gateway, ip_range, aux_addresses}], options}`. */
function ipamOf(value: unknown, path: string[], read: FieldReader): NetworkIpam | undefined {
  const cfg = read.map(value, path);
  if (!cfg) return undefined;
  read.keys(cfg, path, K.IPAM_KEYS);
  const ipam: NetworkIpam = { config: [] };
  if (cfg.driver !== undefined) {
    const driver = read.string(cfg.driver, [...path, 'driver'], { nonEmpty: true });
    if (driver !== undefined) ipam.driver = driver;
  }
  if (cfg.options !== undefined && cfg.options !== null) {
    const options = read.stringMap(cfg.options, [...path, 'options']);
    if (options) ipam.options = options;
  }
  if (cfg.config === undefined || cfg.config === null) return ipam;
  if (!Array.isArray(cfg.config)) {
    read.add([...path, 'config'], 'expected a list of {subnet, gateway, ip_range}');
    return ipam;
  }
  cfg.config.forEach((entry: unknown, i) => {
    const at = [...path, 'config', String(i)];
    const c = read.map(entry, at);
    if (!c) return;
    read.keys(c, at, K.IPAM_CONFIG_KEYS);
    const pool: NetworkIpam['config'][number] = {};
    for (const [key, prop, kind] of [
      ['subnet', 'subnet', 'cidr'],
      ['ip_range', 'ipRange', 'cidr'],
      ['gateway', 'gateway', 'ip'],
    ] as const) {
      if (c[key] === undefined) continue;
      const v = read.string(c[key], [...at, key], { nonEmpty: true })?.trim();
      if (v === undefined) continue;
      if (kind === 'ip' ? isIP(v) === 0 : !isCidr(v))
        read.add([...at, key], kind === 'ip' ? 'expected an IP address' : 'expected a subnet like 172.28.0.0/16');
      else pool[prop] = v;
    }
    if (c.aux_addresses !== undefined) {
      const aux = read.stringMap(c.aux_addresses, [...at, 'aux_addresses']);
      if (aux) pool.auxAddresses = aux;
    }
    ipam.config.push(pool);
  });
  return ipam;
}

function isCidr(v: string): boolean {
  const [ip = '', bits, ...rest] = v.split('/');
  const version = isIP(ip);
  const n = Number(bits);
  return (
    rest.length === 0 && version !== 0 && bits !== undefined && /^\d+$/.test(bits) && n <= (version === 4 ? 32 : 128)
  );
}
