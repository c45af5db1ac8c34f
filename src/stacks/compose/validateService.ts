import { isIP } from 'node:net';
import { posix } from 'node:path';
import { ToolError, isToolError } from '../../kernel/errors.js';
import {
  parseCommand,
  parseCpus,
  parseDuration,
  parseHealthcheck,
  parseMemory,
  parsePort,
  parseRestart,
  parseSecurity,
  parseVolume,
  type HealthcheckInput,
  type SecurityInput,
  type SecuritySettings,
  type PortObject,
  type VolumeObject,
} from '../../docker/specParsers.js';
import { formatPath, type PathSegment } from './issues.js';
import * as K from './keys.js';
import {
  DEPENDS_CONDITIONS,
  type DependsCondition,
  type ServiceDefinition,
  type ServiceDependency,
  type ServiceNetworkRef,
} from './model.js';
import { parseDotEnv } from './parse.js';
import { isRecord, type FieldReader } from './reader.js';
import { serviceFilesOf } from './fileSources.js';
import { buildOf, pullPolicyOf } from './buildKey.js';
import { extrasOf, restartPolicyOf } from './validateExtras.js';
import { extraHostsOf, labelsOf, type ServiceContext } from './serviceFields.js';

export type { ServiceContext } from './serviceFields.js';

type Path = readonly PathSegment[];

export const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
/** Label prefixes Compose and this server write themselves. */

/** Validates one entry under `services` into a ServiceDefinition; undefined if it is unusable. */
export function validateService(name: string, raw: unknown, ctx: ServiceContext): ServiceDefinition | undefined {
  const { read } = ctx;
  const path = ['services', name];
  if (!SERVICE_NAME.test(name)) read.add(path, `invalid service name "${name}": use letters, digits, "_", "." or "-"`);
  const svc = read.map(raw, path);
  if (!svc) return undefined;
  read.keys(svc, path, [...K.SERVICE_KEYS, ...K.SERVICE_KEYS_MORE], K.SERVICE_UNSUPPORTED, {
    ...K.SERVICE_UNSUPPORTED_HINTS,
    ...K.UNSUPPORTED_HINTS_MORE,
  });

  const at = (key: string): Path => [...path, key];
  const image = svc.image === undefined ? undefined : read.string(svc.image, at('image'), { nonEmpty: true });
  if (svc.image === undefined && svc.build === undefined) {
    read.add(
      path,
      '"image" or "build" is required: add "image: NAME" naming an image the Engine has (or can pull), or "build:" with the folder to build it from',
    );
  }

  const def: ServiceDefinition = {
    name,
    image: image ?? '',
    env: {},
    ports: [],
    mounts: [],
    networks: [],
    dependsOn: [],
    replicas: 1,
    labels: {},
    extraHosts: [],
    profiles: [],
  };
  if (svc.command !== undefined) def.command = commandOf(svc.command, at('command'), read);
  if (svc.entrypoint !== undefined) def.entrypoint = commandOf(svc.entrypoint, at('entrypoint'), read);
  def.env = environmentOf(svc, path, ctx);
  if (svc.ports !== undefined) def.ports = portsOf(svc.ports, at('ports'), read, ctx.swarm);
  if (svc.volumes !== undefined) def.mounts = mountsOf(svc.volumes, at('volumes'), ctx);
  if (svc.network_mode !== undefined) {
    assign(def, 'networkMode', networkModeOf(svc.network_mode, at('network_mode'), ctx));
    if (svc.networks !== undefined)
      read.add(at('network_mode'), 'cannot be combined with "networks": give one of the two');
  } else
    def.networks =
      svc.networks === undefined ? [{ key: 'default', aliases: [] }] : networksOf(svc.networks, at('networks'), ctx);
  if (svc.depends_on !== undefined) def.dependsOn = dependsOnOf(name, svc.depends_on, at('depends_on'), ctx);
  if (svc.healthcheck !== undefined)
    assign(def, 'healthcheck', healthcheckOf(svc.healthcheck, at('healthcheck'), read));
  if (svc.restart !== undefined) {
    const r = read.string(svc.restart, at('restart'));
    if (r !== undefined)
      assign(
        def,
        'restart',
        read.attempt(at('restart'), () => parseRestart(r)),
      );
  }
  const reserved = applyResources(def, svc, path, read, ctx.swarm);
  if (isRecord(svc.deploy) && svc.deploy.restart_policy !== undefined) {
    // As in Compose, deploy.restart_policy wins over `restart`.
    assign(def, 'restart', restartPolicyOf(svc.deploy.restart_policy, [...path, 'deploy', 'restart_policy'], read));
  }
  assign(def, 'extra', extrasOf(svc, path, read));
  if (Object.keys(reserved).length) def.extra = { ...def.extra, ...reserved };
  if (def.replicas > 1 && def.networks.some((n) => n.ipv4Address !== undefined || n.ipv6Address !== undefined)) {
    read.add(
      at('networks'),
      `a fixed ipv4_address/ipv6_address cannot be used with ${def.replicas} replicas: addresses are unique`,
    );
  }
  if (svc.platform !== undefined)
    assign(def, 'platform', read.string(svc.platform, at('platform'), { nonEmpty: true }));
  if (svc.volumes_from !== undefined)
    assign(def, 'volumesFrom', volumesFromOf(svc.volumes_from, at('volumes_from'), ctx));
  if (svc.links !== undefined) assign(def, 'links', linksOf(name, svc.links, at('links'), ctx));
  if (svc.external_links !== undefined && read.list(svc.external_links, at('external_links'))) {
    ctx.warnings?.push(
      `services.${name}.external_links: not applied; reach those containers by joining a shared (external) network instead.`,
    );
  }
  if (svc.annotations !== undefined && read.keyValues(svc.annotations, at('annotations'))) {
    ctx.warnings?.push(
      `services.${name}.annotations: not applied (the Engine API this server targets has no container annotations).`,
    );
  }
  if (svc.attach !== undefined) read.bool(svc.attach, at('attach'));
  // Compose starts what a service links to, shares a network or volumes with, before it.
  const implicit = [
    ...(def.links ?? []).map((l) => l.service),
    ...(def.networkMode?.startsWith('service:') ? [def.networkMode.slice('service:'.length)] : []),
    ...(def.volumesFrom ?? []).filter((v) => !v.startsWith('container:')).map((v) => v.split(':')[0] as string),
  ];
  for (const service of implicit) {
    if (service !== name && !def.dependsOn.some((d) => d.service === service))
      def.dependsOn.push({ service, condition: 'service_started' });
  }
  if (svc.develop !== undefined) read.map(svc.develop, at('develop'));
  if (svc.labels !== undefined) def.labels = labelsOf(svc.labels, at('labels'), read);
  if (svc.container_name !== undefined) {
    const n = read.string(svc.container_name, at('container_name'));
    if (n !== undefined && !CONTAINER_NAME.test(n)) read.add(at('container_name'), `invalid container name "${n}"`);
    else if (n !== undefined && def.replicas > 1)
      read.add(at('container_name'), `cannot be used with ${def.replicas} replicas: container names are unique`);
    else assign(def, 'containerName', n);
  }
  for (const [key, field] of [
    ['hostname', 'hostname'],
    ['working_dir', 'workingDir'],
    ['user', 'user'],
    ['stop_signal', 'stopSignal'],
  ] as const) {
    if (svc[key] !== undefined) assign(def, field, read.string(svc[key], at(key), { numbers: true, nonEmpty: true }));
  }
  if (svc.working_dir !== undefined && def.workingDir !== undefined && !def.workingDir.startsWith('/')) {
    read.add(at('working_dir'), 'must be an absolute path in the container');
  }
  if (svc.init !== undefined) assign(def, 'init', read.bool(svc.init, at('init')));
  if (svc.stop_grace_period !== undefined) {
    const grace = svc.stop_grace_period as string | number;
    const ms = read.attempt(at('stop_grace_period'), () => parseDuration(grace, 'stop_grace_period'));
    if (ms !== undefined) def.stopTimeoutSec = Math.ceil(ms / 1000);
  }
  if (svc.extra_hosts !== undefined) def.extraHosts = extraHostsOf(svc.extra_hosts, at('extra_hosts'), read);
  if (svc.profiles !== undefined) def.profiles = read.list(svc.profiles, at('profiles')) ?? [];
  assign(def, 'security', securityOf(svc, path, read));
  // `pid`/`ipc: service:X` join X's namespace as network_mode does: X's first container, started before.
  for (const [key, prop] of [
    ['pid', 'pidMode'],
    ['ipc', 'ipcMode'],
  ] as const) {
    const m = /^service\s*:\s*(.+)$/i.exec(def.security?.[prop] ?? '');
    if (!m || !def.security) continue;
    const target = (m[1] as string).trim();
    if (!ctx.serviceNames.has(target)) {
      read.add(at(key), `unknown service "${target}"`);
      continue;
    }
    def.security[prop] = `service:${target}`;
    if (target !== name && !def.dependsOn.some((d) => d.service === target))
      def.dependsOn.push({ service: target, condition: 'service_started' });
  }
  const sources = ctx.fileSources ?? { secrets: new Map(), configs: new Map(), variables: [] };
  const files = [
    ...(svc.secrets === undefined
      ? []
      : serviceFilesOf('secret', svc.secrets, at('secrets'), read, sources, ctx.modeText)),
    ...(svc.configs === undefined
      ? []
      : serviceFilesOf('config', svc.configs, at('configs'), read, sources, ctx.modeText)),
  ];
  if (files.length > 0) def.files = files;
  if (svc.build !== undefined) assign(def, 'build', buildOf(svc.build, at('build'), ctx, def.platform));
  if (svc.pull_policy !== undefined) assign(def, 'pullPolicy', pullPolicyOf(svc.pull_policy, at('pull_policy'), read));
  return def;
}

/** Sets an optional field only when the reader produced a value. */
function assign<T, F extends keyof T>(target: T, field: F, value: T[F] | undefined): void {
  if (value !== undefined) target[field] = value;
}

function commandOf(value: unknown, path: Path, read: FieldReader): string[] | undefined {
  const cmd = read.stringOrList(value, path);
  return cmd === undefined ? undefined : read.attempt(path, () => parseCommand(cmd, path.at(-1) as string));
}

function environmentOf(svc: Record<string, unknown>, path: Path, ctx: ServiceContext): Record<string, string> {
  const env: Record<string, string> = {};
  if (svc.env_file !== undefined) {
    for (const { file, required, at } of envFilesOf(svc.env_file, [...path, 'env_file'], ctx.read)) {
      Object.assign(env, readEnvFile(file, at, ctx, required));
    }
  }
  if (svc.environment !== undefined) {
    const values = ctx.read.keyValues(svc.environment, [...path, 'environment']) ?? {};
    for (const [key, value] of Object.entries(values)) {
      // `KEY` alone passes the variable through from the environment; unset means left out.
      const resolved = value ?? ctx.env[key];
      if (resolved !== undefined) env[key] = resolved;
    }
  }
  return env;
}

/** `env_file: a.env`, `[a.env, b.env]` or `[{path: a.env, required: false}]`. */
function envFilesOf(value: unknown, path: Path, read: FieldReader): { file: string; required: boolean; at: Path }[] {
  if (typeof value === 'string') return [{ file: value, required: true, at: path }];
  if (!Array.isArray(value)) {
    read.add(path, 'expected a path, a list of paths, or a list of {path, required}');
    return [];
  }
  return value.flatMap((item: unknown, i) => {
    const at = [...path, i];
    if (typeof item === 'string') return [{ file: item, required: true, at }];
    const entry = read.map(item, at);
    if (!entry) return [];
    read.keys(entry, at, K.ENV_FILE_KEYS);
    const file = read.string(entry.path, [...at, 'path'], { nonEmpty: true });
    const required = entry.required === undefined ? true : read.bool(entry.required, [...at, 'required']);
    if (entry.format !== undefined && entry.format !== 'raw') read.string(entry.format, [...at, 'format']);
    return file === undefined || required === undefined ? [] : [{ file, required, at }];
  });
}

function readEnvFile(file: string, path: Path, ctx: ServiceContext, required = true): Record<string, string> {
  if (!ctx.readFile) {
    ctx.read.add(path, `cannot read env_file "${file}": this Compose source has no file access (give it as a file)`);
    return {};
  }
  const full = ctx.read.attempt(path, () => resolveHostPath(file, ctx));
  if (full === undefined) {
    if (file === '~' || file.startsWith('~/')) return {};
    ctx.read.add(path, `cannot resolve "${file}": relative paths need the project directory`);
    return {};
  }
  const text = ctx.readFile(full, 'env_file');
  if (text === undefined) {
    if (required)
      ctx.read.add(
        path,
        `env_file "${full}" not found: create it, or mark it optional with {path: ..., required: false}`,
      );
    return {};
  }
  // Values may refer to variables of the interpolation environment and to earlier lines, as in Compose.
  return ctx.read.attempt(path, () => parseDotEnv(text, full, ctx.env)) ?? {};
}

/** Absolute paths as they are; `~/` from HOME; relative ones against the project directory. */
export function resolveHostPath(
  p: string,
  ctx: Pick<ServiceContext, 'env' | 'workingDir' | 'homeDir'>,
): string | undefined {
  if (p.startsWith('/')) return posix.normalize(p);
  if (p === '~' || p.startsWith('~/')) {
    const home = ctx.homeDir;
    if (!home)
      throw new ToolError(
        'invalid_input',
        `cannot expand "~" in "${p}": it means the server's home folder, which is not known here; give an absolute path`,
      );
    return posix.join(home, p.slice(1));
  }
  return ctx.workingDir === undefined ? undefined : posix.resolve(ctx.workingDir, p);
}

function portsOf(value: unknown, path: Path, read: FieldReader, swarm = false) {
  if (!Array.isArray(value)) {
    read.add(path, 'expected a list of ports');
    return [];
  }
  return value.flatMap((item: unknown, i) => {
    const at = [...path, i];
    if (isRecord(item))
      read.keys(
        item,
        at,
        swarm ? [...K.PORT_KEYS, ...K.SWARM_PORT_KEYS] : K.PORT_KEYS,
        swarm ? K.PORT_UNSUPPORTED.filter((k) => k !== 'mode') : K.PORT_UNSUPPORTED,
      );
    else if (typeof item !== 'string' && typeof item !== 'number') {
      read.add(at, 'expected "HOST:CONTAINER", a port number or a mapping with target');
      return [];
    }
    const port = read.attempt(at, () => parsePort(item as string | number | PortObject));
    return port ? [port] : [];
  });
}

function mountsOf(value: unknown, path: Path, ctx: ServiceContext) {
  const { read } = ctx;
  if (!Array.isArray(value)) {
    read.add(path, 'expected a list of volumes');
    return [];
  }
  return value.flatMap((item: unknown, i) => {
    const at = [...path, i];
    if (isRecord(item)) read.keys(item, at, K.SERVICE_VOLUME_KEYS, K.SERVICE_VOLUME_UNSUPPORTED);
    else if (typeof item !== 'string') {
      read.add(at, 'expected "SOURCE:TARGET[:ro]" or a mapping with type, source, target');
      return [];
    }
    const resolveBind = (p: string) => {
      const full = resolveHostPath(p, ctx);
      if (full === undefined)
        throw new ToolError(
          'invalid_input',
          `cannot resolve bind source "${p}": relative paths need the project directory`,
        );
      return full;
    };
    const mount = read.attempt(at, () => parseVolume(item as string | VolumeObject, 'volume', resolveBind));
    if (!mount) return [];
    if (mount.type === 'volume' && mount.source !== undefined && !ctx.volumeKeys.has(mount.source)) {
      read.add(at, `volume "${mount.source}" is not declared under the top-level "volumes"`);
      return [];
    }
    // Compose cleans the target as a path ("/data/" -> "/data"); the same container either way.
    if (mount.target.length > 1 && mount.target.startsWith('/'))
      mount.target = posix.normalize(mount.target).replace(/(.)\/+$/, '$1');
    return [mount];
  });
}

function networksOf(value: unknown, path: Path, ctx: ServiceContext): ServiceNetworkRef[] {
  const { read } = ctx;
  const refs: ServiceNetworkRef[] = [];
  const add = (key: string, aliases: string[], at: Path) => {
    if (key !== 'default' && !ctx.networkKeys.has(key))
      read.add(at, `network "${key}" is not declared under the top-level "networks"`);
    else refs.push({ key, aliases });
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const key = read.string(item, [...path, i]);
      if (key !== undefined) add(key, [], [...path, i]);
    });
  } else if (isRecord(value)) {
    for (const [key, cfg] of Object.entries(value)) {
      const at = [...path, key];
      const opts = read.map(cfg, at);
      if (!opts) continue;
      read.keys(opts, at, [...K.SERVICE_NETWORK_KEYS, ...K.SERVICE_NETWORK_KEYS_MORE], K.SERVICE_NETWORK_UNSUPPORTED);
      const aliases = opts.aliases === undefined ? [] : (read.list(opts.aliases, [...at, 'aliases']) ?? []);
      add(key, aliases, at);
      const ref = refs.at(-1);
      if (ref?.key !== key) continue;
      for (const [field, prop, version] of [
        ['ipv4_address', 'ipv4Address', 4],
        ['ipv6_address', 'ipv6Address', 6],
      ] as const) {
        if (opts[field] === undefined) continue;
        const ip = read.string(opts[field], [...at, field], { nonEmpty: true });
        if (ip !== undefined && isIP(ip.trim()) !== version)
          read.add([...at, field], `expected an IPv${version} address`);
        else if (ip !== undefined) ref[prop] = ip.trim();
      }
    }
  } else read.add(path, 'expected a list of network names or a mapping of networks');
  return refs;
}

function dependsOnOf(self: string, value: unknown, path: Path, ctx: ServiceContext): ServiceDependency[] {
  const { read } = ctx;
  const deps: ServiceDependency[] = [];
  const add = (service: string, condition: DependsCondition, at: Path, required = true) => {
    if (service === self) read.add(at, `dependency cycle: ${self} -> ${self}`);
    else if (!ctx.serviceNames.has(service)) {
      if (required) read.add(at, `unknown service "${service}": define it, or mark the dependency "required: false"`);
      else ctx.warnings?.push(`services.${self}.depends_on: "${service}" is not defined; skipped (required: false).`);
    } else deps.push(required ? { service, condition } : { service, condition, required });
  };
  if (Array.isArray(value)) {
    value.forEach((item, i) => {
      const service = read.string(item, [...path, i]);
      if (service !== undefined) add(service, 'service_started', [...path, i]);
    });
  } else if (isRecord(value)) {
    for (const [service, cfg] of Object.entries(value)) {
      const at = [...path, service];
      const opts = read.map(cfg, at);
      if (!opts) continue;
      read.keys(opts, at, [...K.DEPENDS_ON_KEYS, ...K.DEPENDS_ON_KEYS_MORE], K.DEPENDS_ON_UNSUPPORTED);
      const condition = opts.condition ?? 'service_started';
      // `restart` asks Compose to restart this service when the dependency is restarted by hand; deploys recreate dependants already.
      if (opts.restart !== undefined) read.bool(opts.restart, [...at, 'restart']);
      const required = opts.required === undefined ? true : read.bool(opts.required, [...at, 'required']);
      if (!DEPENDS_CONDITIONS.includes(condition as DependsCondition)) {
        read.add([...at, 'condition'], `expected one of ${DEPENDS_CONDITIONS.join(', ')}`);
      } else add(service, condition as DependsCondition, at, required ?? true);
    }
  } else read.add(path, 'expected a list of service names or a mapping of service: {condition}');
  return deps;
}

function healthcheckOf(value: unknown, path: Path, read: FieldReader) {
  const hc = read.map(value, path);
  if (!hc) return undefined;
  read.keys(hc, path, K.HEALTHCHECK_KEYS, K.HEALTHCHECK_UNSUPPORTED);
  const input: HealthcheckInput = {};
  if (hc.disable !== undefined) assign(input, 'disable', read.bool(hc.disable, [...path, 'disable']));
  if (hc.test !== undefined) assign(input, 'test', read.stringOrList(hc.test, [...path, 'test']));
  if (hc.retries !== undefined) assign(input, 'retries', read.int(hc.retries, [...path, 'retries'], 0));
  for (const key of ['interval', 'timeout', 'start_period'] as const) {
    const v = hc[key];
    if (v === undefined) continue;
    if (typeof v === 'string' || typeof v === 'number') input[key] = v;
    else read.add([...path, key], 'expected a duration like "10s" or "1m30s"');
  }
  if (!input.disable && input.test === undefined) {
    read.add(path, '"test" is required unless "disable: true"');
    return undefined;
  }
  try {
    return parseHealthcheck(input);
  } catch (err) {
    if (!isToolError(err)) throw err;
    // The parser names the field ("healthcheck.interval"); point the issue at that key.
    const field = /healthcheck\.(\w+)/.exec(err.message)?.[1];
    read.add(field ? [...path, field] : path, err.message);
    return undefined;
  }
}

/**
 * deploy.replicas, deploy.resources.limits and the older mem_limit / cpus; returns what goes with
 * the container's other settings: limits.pids and reservations.memory (as Compose maps them).
 */
function applyResources(
  def: ServiceDefinition,
  svc: Record<string, unknown>,
  path: Path,
  read: FieldReader,
  swarm = false,
): { pidsLimit?: number; memoryReservationBytes?: number } {
  let memory: unknown = svc.mem_limit;
  let cpus: unknown = svc.cpus;
  const extra: { pidsLimit?: number; memoryReservationBytes?: number } = {};
  if (svc.deploy !== undefined) {
    const at = [...path, 'deploy'];
    const deploy = read.map(svc.deploy, at) ?? {};
    if (swarm) read.keys(deploy, at, [...K.DEPLOY_KEYS, ...K.DEPLOY_KEYS_MORE, ...K.SWARM_DEPLOY_KEYS], []);
    else read.keys(deploy, at, [...K.DEPLOY_KEYS, ...K.DEPLOY_KEYS_MORE], K.DEPLOY_UNSUPPORTED);
    if (deploy.replicas !== undefined) assign(def, 'replicas', read.int(deploy.replicas, [...at, 'replicas'], 1));
    const resources = deploy.resources === undefined ? {} : (read.map(deploy.resources, [...at, 'resources']) ?? {});
    read.keys(resources, [...at, 'resources'], K.RESOURCES_KEYS, K.RESOURCES_UNSUPPORTED);
    const limitsPath = [...at, 'resources', 'limits'];
    const limits = resources.limits === undefined ? {} : (read.map(resources.limits, limitsPath) ?? {});
    read.keys(limits, limitsPath, K.LIMITS_KEYS, K.LIMITS_UNSUPPORTED);
    if (limits.memory !== undefined) {
      if (memory !== undefined)
        read.add([...limitsPath, 'memory'], 'set either mem_limit or deploy.resources.limits.memory, not both');
      memory = limits.memory;
    }
    if (limits.cpus !== undefined) {
      if (cpus !== undefined)
        read.add([...limitsPath, 'cpus'], 'set either cpus or deploy.resources.limits.cpus, not both');
      cpus = limits.cpus;
    }
    if (limits.pids !== undefined) {
      if (svc.pids_limit !== undefined)
        read.add([...limitsPath, 'pids'], 'set either pids_limit or deploy.resources.limits.pids, not both');
      else assign(extra, 'pidsLimit', read.int(limits.pids, [...limitsPath, 'pids'], -1));
    }
    const reservedPath = [...at, 'resources', 'reservations'];
    const reservations =
      resources.reservations === undefined ? {} : (read.map(resources.reservations, reservedPath) ?? {});
    read.keys(reservations, reservedPath, K.RESERVATIONS_KEYS, K.RESERVATIONS_UNSUPPORTED, K.RESERVATIONS_HINTS);
    if (reservations.memory !== undefined) {
      const m = reservations.memory as string | number;
      if (svc.mem_reservation !== undefined)
        read.add(
          [...reservedPath, 'memory'],
          'set either mem_reservation or deploy.resources.reservations.memory, not both',
        );
      else
        assign(
          extra,
          'memoryReservationBytes',
          read.attempt([...reservedPath, 'memory'], () => parseMemory(m, 'memory')),
        );
    }
    // A CPU reservation only steers Swarm's scheduler; Compose ignores it on one Engine, and so do we.
    if (reservations.cpus !== undefined)
      read.attempt([...reservedPath, 'cpus'], () => parseCpus(reservations.cpus as string | number));
  }
  const where = (key: string, limitsKey: string): Path =>
    svc[key] !== undefined ? [...path, key] : [...path, 'deploy', 'resources', 'limits', limitsKey];
  if (memory !== undefined)
    assign(
      def,
      'memoryBytes',
      read.attempt(where('mem_limit', 'memory'), () => parseMemory(memory as string | number)),
    );
  if (cpus !== undefined)
    assign(
      def,
      'nanoCpus',
      read.attempt(where('cpus', 'cpus'), () => parseCpus(cpus as string | number)),
    );
  if (extra.memoryReservationBytes !== undefined && def.memoryBytes !== undefined)
    if (extra.memoryReservationBytes > def.memoryBytes)
      read.add(
        [...path, 'deploy', 'resources', 'reservations', 'memory'],
        'must not exceed the memory limit (the Engine refuses a reservation above the limit)',
      );
  return extra;
}

/** privileged, cap_add, cap_drop, devices, pid, ipc, uts, userns_mode, security_opt: read here, vetted by the container policy. */
function securityOf(svc: Record<string, unknown>, path: Path, read: FieldReader): SecuritySettings | undefined {
  const at = (k: string): Path => [...path, k];
  const input: SecurityInput = {};
  if (svc.privileged !== undefined) assign(input, 'privileged', read.bool(svc.privileged, at('privileged')));
  for (const key of ['cap_add', 'cap_drop', 'devices', 'security_opt'] as const) {
    if (svc[key] !== undefined) assign(input, key, read.list(svc[key], at(key)));
  }
  for (const key of ['pid', 'ipc', 'uts', 'userns_mode'] as const) {
    if (svc[key] !== undefined) assign(input, key, read.string(svc[key], at(key), { nonEmpty: true }));
  }
  if (svc.sysctls !== undefined) assign(input, 'sysctls', read.stringMap(svc.sysctls, at('sysctls')));
  return read.attempt(path, () => parseSecurity(input, formatPath(path)));
}

/** `network_mode`: none, host, bridge, `service:NAME` (a service of this file) or `container:NAME`; the policy judges host and container:. */
function networkModeOf(value: unknown, path: Path, ctx: ServiceContext): string | undefined {
  const raw = ctx.read.string(value, path, { nonEmpty: true });
  if (raw === undefined) return undefined;
  const v = raw.trim();
  const lower = v.toLowerCase();
  if (lower === 'none' || lower === 'host' || lower === 'bridge') return lower;
  const m = /^(service|container):\s*([a-zA-Z0-9][a-zA-Z0-9_.-]*)$/i.exec(v);
  if (!m) {
    ctx.read.add(
      path,
      'expected none, host, bridge, "service:NAME" or "container:NAME" (to join networks, use "networks")',
    );
    return undefined;
  }
  const kind = (m[1] as string).toLowerCase();
  if (kind === 'service' && !ctx.serviceNames.has(m[2] as string)) {
    ctx.read.add(path, `unknown service "${m[2]}"`);
    return undefined;
  }
  return `${kind}:${m[2]}`;
}

/** `volumes_from: [svc, "svc:ro", "container:name:rw"]`. A bare name is a service of this file. */
function volumesFromOf(value: unknown, path: Path, ctx: ServiceContext): string[] | undefined {
  const list = ctx.read.list(value, path);
  if (!list) return undefined;
  return list.flatMap((entry, i) => {
    const parts = entry.trim().split(':');
    const isContainer = parts[0] === 'container';
    const ref = isContainer ? parts[1] : parts[0];
    const mode = isContainer ? parts[2] : parts[1];
    if (!ref || parts.length > (isContainer ? 3 : 2) || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
      ctx.read.add([...path, i], 'expected "SERVICE[:ro|:rw]" or "container:NAME[:ro|:rw]"');
      return [];
    }
    if (!isContainer && !ctx.serviceNames.has(ref)) {
      ctx.read.add(
        [...path, i],
        `unknown service "${ref}": name a service of this file, or "container:NAME" for another container`,
      );
      return [];
    }
    return [entry.trim()];
  });
}

/** `links: [db, "db:database"]`: Compose makes the alias resolve to the service; it also orders startup. */
function linksOf(
  self: string,
  value: unknown,
  path: Path,
  ctx: ServiceContext,
): { service: string; alias: string }[] | undefined {
  const list = ctx.read.list(value, path);
  if (!list) return undefined;
  return list.flatMap((entry, i) => {
    const [service = '', alias = service, ...rest] = entry.trim().split(':');
    if (rest.length || !SERVICE_NAME.test(alias)) {
      ctx.read.add([...path, i], 'expected "SERVICE" or "SERVICE:ALIAS"');
      return [];
    }
    if (!ctx.serviceNames.has(service) || service === self) {
      ctx.read.add(
        [...path, i],
        `unknown service "${service}": links name another service of this file (for other containers, use a shared network)`,
      );
      return [];
    }
    return [{ service, alias }];
  });
}
