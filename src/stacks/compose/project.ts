import { createHash, randomBytes } from 'node:crypto';
import type { ContainerSpec } from '../../docker/containerSpec.js';
import { ToolError } from '../../kernel/errors.js';
import { rememberSecretVariables } from '../../util/mask.js';
import {
  COMPOSE_CONFIG_HASH,
  COMPOSE_NETWORK,
  COMPOSE_NUMBER,
  COMPOSE_ONEOFF,
  COMPOSE_PROJECT,
  COMPOSE_SERVICE,
  COMPOSE_VERSION,
  COMPOSE_VOLUME,
  LABEL_MANAGED,
  LABEL_NETWORK_HASH,
} from '../../docker/labels.js';
import { buildGraph, findCycle, formatCycle, topologicalLevels } from './graph.js';
import { canonicalJson, serviceConfigHash } from './hash.js';
import { interpolateData, type InterpolationEnv } from './interpolate.js';
import { IssueCollector, formatPath, type KeyPath, type Locate, type PathSegment } from './issues.js';
import type {
  ComposeFile,
  ComposeProject,
  ComposeService,
  NetworkDefinition,
  ProjectNetwork,
  ProjectVolume,
  ServiceDefinition,
  VolumeDefinition,
} from './model.js';
import { loadDotEnvFile, parseComposeYaml, type ReadFile } from './parse.js';
import { isRecord } from './reader.js';
import { resolveIncludesAndExtends, type Origin } from './resolve.js';
import { validateComposeFile } from './validate.js';
import type { ServiceFile } from './fileSources.js';

/** The text a file mode was written as (`mode: 0440` loses its leading zero in YAML 1.2): read from the key's line. */
function modeTextOf(text: string, locate: Locate): (path: readonly PathSegment[]) => string | undefined {
  let lines: string[] | undefined;
  return (path) => {
    const line = locate(path);
    if (line === undefined) return undefined;
    lines ??= text.split('\n');
    return /\bmode\s*:\s*["']?([0-9a-zA-Z]+)/.exec(lines[line - 1] ?? '')?.[1];
  };
}

/** Used when the caller gives no contentKey: digests stay comparable within this process only. */
const PROCESS_CONTENT_KEY = randomBytes(32);

/** What the config hash knows of a service's secret and config files: where, how, and a keyed digest. */
function fileDigests(files: ServiceFile[] | undefined, key: Buffer | string): unknown[] | undefined {
  return files?.map((f) => ({
    kind: f.kind,
    target: f.target,
    mode: f.mode,
    uid: f.uid,
    gid: f.gid,
    digest: f.content.digest(key),
  }));
}

/** Compose's rule for project names. */
export const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
/** The Compose version written in labels: the docker-compose release whose `ps`/`down` we target. */
export const COMPOSE_VERSION_VALUE = '1.29.2';

export interface LoadProjectOptions {
  /** The Compose YAML. */
  text: string;
  /** Overrides the file's top-level `name`; one of the two is required. */
  projectName?: string;
  /** Variables for interpolation (and for `environment: [KEY]` without a value). */
  env?: InterpolationEnv;
  /** Enabled profiles; "*" enables all. Services without `profiles` are always active. */
  profiles?: readonly string[];
  /** The project directory: relative bind mounts, env_file and `.env` are resolved against it. */
  workingDir?: string;
  /** Reads env_file and `.env`; without it those cannot be used. */
  readFile?: ReadFile;
  /** Read `.env` in workingDir for interpolation (default true when readFile and workingDir are given); `env` wins over it. */
  dotEnv?: boolean;
  /**
   * The lowest interpolation source, below `.env` (the server's environment, when the operator
   * enables it). Precedence: `env` > `.env` > `fallbackEnv`.
   */
  fallbackEnv?: InterpolationEnv;
  /** The server's home folder: a `~` host path expands to it. */
  homeDir?: string;
  /** The main file's path, when the text came from a file (include/extends cycles and messages). */
  configFile?: string;
  /**
   * The most services a stack may define (the policy's containers per stack): a text with more is
   * refused right after parsing, before tens of thousands of services are validated one by one.
   */
  maxServices?: number;
  /**
   * Key of the digest of secret and config content in the config hash (HMAC-SHA256). Keep it stable
   * across deploys, or services with secrets are recreated; without it a per-process key is used.
   */
  contentKey?: Buffer | string;
  /**
   * The stack targets a Swarm: the Swarm-only keys (deploy.mode, placement, update_config...,
   * ports' mode) are accepted, and the project keeps each active service's definition as written
   * (interpolated, includes and extends resolved) in `sourceServices` for src/swarm to read.
   */
  swarm?: boolean;
}

/** ToolError details of a stack refused for its number of services. */
export const TOO_MANY_SERVICES = 'max-containers-per-stack';

/**
 * Compose text -> the project to deploy: parse (with lines), interpolate, validate the supported
 * subset, apply profiles, resolve Engine names and labels, hash each service and order services by
 * depends_on. Every problem is reported in one invalid_input ToolError (details.errors lists
 * {path, line, message}). Pure apart from `readFile`.
 */
export function loadProject(opts: LoadProjectOptions): ComposeProject {
  if (opts.projectName !== undefined) checkProjectName(opts.projectName);
  const parsed = parseComposeYaml(opts.text);
  checkServiceCount(parsed.data, opts.maxServices);
  let origins = new Map<string, Origin>();
  // Problems in what an include brought in are located in the file they came from.
  const locate = (path: KeyPath) => {
    const origin = typeof path[1] === 'string' ? origins.get(`${String(path[0])}.${path[1]}`) : undefined;
    return origin ? origin.locate(path) : parsed.locate(path);
  };
  const issues = new IssueCollector(locate);
  const warnings: string[] = [];

  const explicit = opts.env ?? {};
  const fallback = opts.fallbackEnv ?? {};
  const dotEnv =
    (opts.dotEnv ?? true) && opts.readFile && opts.workingDir !== undefined
      ? loadDotEnvFile(opts.workingDir, opts.readFile, explicit, fallback)
      : {};
  const env: InterpolationEnv = { ...fallback, ...dotEnv, ...explicit };
  rememberSecretVariables(opts.env);
  const interpolated = interpolateData(parsed.data, env, issues, warnings);
  issues.throwIfAny();

  const resolved = resolveIncludesAndExtends(interpolated, {
    issues,
    warnings,
    env,
    explicitEnv: explicit,
    fallbackEnv: fallback,
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
    ...(opts.workingDir !== undefined ? { workingDir: opts.workingDir } : {}),
    ...(opts.configFile !== undefined ? { configFile: opts.configFile } : {}),
  });
  origins = resolved.origins;
  issues.throwIfAny();
  const data = resolved.data;
  checkServiceCount(data, opts.maxServices);

  const file = validateComposeFile(data, {
    issues,
    env,
    modeText: modeTextOf(opts.text, parsed.locate),
    warnings,
    ...(opts.workingDir !== undefined ? { workingDir: opts.workingDir } : {}),
    ...(opts.readFile ? { readFile: opts.readFile } : {}),
    ...(opts.homeDir !== undefined ? { homeDir: opts.homeDir } : {}),
    ...(opts.swarm ? { swarm: true } : {}),
  });
  nameOrigins(issues, origins);
  const name = opts.projectName ?? file.name;
  if (name === undefined) issues.add([], 'a project name is required: give one or set the top-level "name"');
  else if (opts.projectName === undefined && !PROJECT_NAME.test(name)) issues.add(['name'], projectNameProblem(name));

  const cycle = findCycle(buildGraph(file.services));
  if (cycle) issues.add(['services', cycle[0] as string, 'depends_on'], `dependency cycle: ${formatCycle(cycle)}`);

  const { active, inactive } = splitByProfiles(file.services, opts.profiles ?? []);
  checkActiveDependencies(active, file.services, issues, warnings);
  noteAcceptedKeys(data, warnings);
  if (file.services.length > 0 && active.length === 0) {
    issues.add(['services'], `no service is active: enable one of the profiles ${listProfiles(file.services)}`);
  }
  issues.throwIfAny();

  const project = buildProject(
    name as string,
    file,
    active,
    inactive,
    opts.workingDir,
    warnings,
    opts.contentKey ?? PROCESS_CONTENT_KEY,
  );
  if (opts.swarm && isRecord(data) && isRecord(data.services)) {
    const sources = data.services;
    project.sourceServices = Object.fromEntries(
      active.map((s) => [s.name, isRecord(sources[s.name]) ? (sources[s.name] as Record<string, unknown>) : {}]),
    );
  }
  return project;
}

/** Issues about services, networks or volumes that came from an included file name that file. */
function nameOrigins(issues: IssueCollector, origins: ReadonlyMap<string, Origin>): void {
  if (origins.size === 0) return;
  for (const issue of issues.issues) {
    for (const [key, origin] of origins) {
      const prefix = formatPath(key.split('.'));
      if (issue.path === prefix || issue.path.startsWith(`${prefix}.`) || issue.path.startsWith(`${prefix}[`)) {
        issue.path = `${origin.file}: ${issue.path}`;
        break;
      }
    }
  }
}

/** Keys accepted for compatibility but not acted on, said once each. */
function noteAcceptedKeys(data: unknown, warnings: string[]): void {
  const services = isRecord(data) && isRecord(data.services) ? Object.entries(data.services) : [];
  const develop = services.filter(([, s]) => isRecord(s) && s.develop !== undefined).map(([n]) => n);
  if (develop.length)
    warnings.push(
      `develop (watch) is accepted but not acted on: files are not synced or rebuilt on change (services ${develop.join(', ')}).`,
    );
}

function checkServiceCount(data: unknown, max: number | undefined): void {
  if (max === undefined || !isRecord(data) || !isRecord(data.services)) return;
  const count = Object.keys(data.services).length;
  if (count <= max) return;
  throw new ToolError(
    'denied',
    `Refused by policy (max-containers-per-stack): the stack defines ${count} services, more than ${max}. Split it, or ask the operator to start the server with DOM_MAX_STACK_CONTAINERS=${count} or more.`,
    { rule: TOO_MANY_SERVICES, count, max },
  );
}

function projectNameProblem(name: string): string {
  return `invalid project name "${name}": use lowercase letters, digits, "_" and "-", starting with a letter or digit`;
}

function checkProjectName(name: string): void {
  if (!PROJECT_NAME.test(name)) throw new ToolError('invalid_input', `${projectNameProblem(name)}.`);
}

function isActive(service: ServiceDefinition, enabled: readonly string[]): boolean {
  return service.profiles.length === 0 || enabled.includes('*') || service.profiles.some((p) => enabled.includes(p));
}

function splitByProfiles(services: ServiceDefinition[], enabled: readonly string[]) {
  return {
    active: services.filter((s) => isActive(s, enabled)),
    inactive: services.filter((s) => !isActive(s, enabled)).map((s) => s.name),
  };
}

function listProfiles(services: ServiceDefinition[]): string {
  return [...new Set(services.flatMap((s) => s.profiles))].map((p) => `"${p}"`).join(', ');
}

/** A service may not depend on one that its profiles leave out (unless `required: false`: then the dependency is dropped). */
function checkActiveDependencies(
  active: ServiceDefinition[],
  all: ServiceDefinition[],
  issues: IssueCollector,
  warnings: string[],
): void {
  const names = new Set(active.map((s) => s.name));
  for (const service of active) {
    for (const dep of [...service.dependsOn]) {
      if (names.has(dep.service)) continue;
      if (dep.required === false) {
        service.dependsOn = service.dependsOn.filter((d) => d !== dep);
        warnings.push(
          `services.${service.name}.depends_on: "${dep.service}" is not active; skipped (required: false).`,
        );
        continue;
      }
      const profiles = all.find((s) => s.name === dep.service)?.profiles ?? [];
      issues.add(
        ['services', service.name, 'depends_on', dep.service],
        `depends on "${dep.service}", which is not active: enable one of its profiles (${profiles.join(', ')})`,
      );
    }
  }
}

function buildProject(
  project: string,
  file: ComposeFile,
  active: ServiceDefinition[],
  inactiveServices: string[],
  workingDir: string | undefined,
  warnings: string[],
  contentKey: Buffer | string,
): ComposeProject {
  const usedNetworks = new Set(active.flatMap((s) => s.networks.map((n) => n.key)));
  const usedVolumes = new Set(
    active.flatMap((s) => s.mounts.flatMap((m) => (m.type === 'volume' && m.source ? [m.source] : []))),
  );
  const declaredNetworks = new Map(file.networks.map((n) => [n.key, n]));
  const networks = [...usedNetworks].map((key) =>
    projectNetwork(project, declaredNetworks.get(key) ?? implicitNetwork(key)),
  );
  const volumes = file.volumes.filter((v) => usedVolumes.has(v.key)).map((v) => projectVolume(project, v));
  const networkNames = new Map(networks.map((n) => [n.key, n.name]));
  const volumeNames = new Map(volumes.map((v) => [v.key, v.name]));

  const linkAliases = aliasesFromLinks(active);
  const containerOf = (service: string) => {
    const def = active.find((s) => s.name === service);
    return containerNameFor(
      project,
      { name: service, ...(def?.containerName !== undefined ? { containerName: def.containerName } : {}) },
      1,
    );
  };
  const services = active.map((def) =>
    projectService(project, def, networkNames, volumeNames, { linkAliases, containerOf }, contentKey),
  );
  const result: ComposeProject = {
    name: project,
    services,
    inactiveServices,
    networks,
    volumes,
    levels: topologicalLevels(buildGraph(services)),
    warnings,
  };
  if (workingDir !== undefined) result.workingDir = workingDir;
  if (file.contentVariables) result.contentVariables = file.contentVariables;
  return result;
}

function implicitNetwork(key: string): NetworkDefinition {
  return { key, external: false, driverOpts: {}, internal: false, attachable: false, labels: {} };
}

function engineName(project: string, def: NetworkDefinition | VolumeDefinition): string {
  return def.name ?? (def.external ? def.key : `${project}_${def.key}`);
}

function projectNetwork(project: string, def: NetworkDefinition): ProjectNetwork {
  const net: ProjectNetwork = {
    key: def.key,
    name: engineName(project, def),
    external: def.external,
    driverOpts: def.driverOpts,
    internal: def.internal,
    attachable: def.attachable,
    labels: def.external ? {} : { ...def.labels, ...composeObjectLabels(project), [COMPOSE_NETWORK]: def.key },
  };
  if (def.driver !== undefined) net.driver = def.driver;
  if (def.ipam !== undefined) net.ipam = def.ipam;
  if (!def.external) net.labels[LABEL_NETWORK_HASH] = networkHash(net);
  return net;
}

/** What the Engine cannot change on an existing network; a change means a new network. */
export function networkHash(
  n: Pick<ProjectNetwork, 'driver' | 'driverOpts' | 'internal' | 'attachable' | 'ipam'>,
): string {
  const settings = {
    driver: n.driver ?? 'bridge',
    options: n.driverOpts,
    internal: n.internal,
    attachable: n.attachable,
    ipam: n.ipam ?? null,
  };
  return createHash('sha256').update(canonicalJson(settings)).digest('hex');
}

function projectVolume(project: string, def: VolumeDefinition): ProjectVolume {
  const vol: ProjectVolume = {
    key: def.key,
    name: engineName(project, def),
    external: def.external,
    driverOpts: def.driverOpts,
    labels: def.external ? {} : { ...def.labels, ...composeObjectLabels(project), [COMPOSE_VOLUME]: def.key },
  };
  if (def.driver !== undefined) vol.driver = def.driver;
  return vol;
}

function composeObjectLabels(project: string): Record<string, string> {
  return { [COMPOSE_PROJECT]: project, [COMPOSE_VERSION]: COMPOSE_VERSION_VALUE, [LABEL_MANAGED]: 'true' };
}

/** `links: ["db:database"]` in one service: "database" becomes an alias of db on the networks the two share. */
function aliasesFromLinks(active: ServiceDefinition[]): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  for (const s of active) {
    for (const link of s.links ?? []) {
      const target = active.find((t) => t.name === link.service);
      if (!target || link.alias === link.service) continue;
      for (const n of target.networks.filter((tn) => s.networks.some((sn) => sn.key === tn.key))) {
        const byNet = out.get(target.name) ?? new Map<string, string[]>();
        byNet.set(n.key, [...(byNet.get(n.key) ?? []), link.alias]);
        out.set(target.name, byNet);
      }
    }
  }
  return out;
}

interface ServiceRefs {
  linkAliases: ReadonlyMap<string, ReadonlyMap<string, string[]>>;
  /** The container another service's network_mode/volumes_from refers to: its first replica. */
  containerOf: (service: string) => string;
}

/** "service:X" -> "container:<X's first container>"; other modes as they are. */
function networkModeTarget(mode: string, refs: ServiceRefs): string {
  return mode.startsWith('service:') ? `container:${refs.containerOf(mode.slice('service:'.length))}` : mode;
}

/** "svc[:mode]" -> "<svc's first container>[:mode]"; "container:x[:mode]" -> "x[:mode]". */
function volumesFromTarget(entry: string, refs: ServiceRefs): string {
  const parts = entry.split(':');
  if (parts[0] === 'container') return parts.slice(1).join(':');
  return [refs.containerOf(parts[0] as string), ...parts.slice(1)].join(':');
}

function serviceNetworks(
  def: ServiceDefinition,
  networkNames: ReadonlyMap<string, string>,
  refs: ServiceRefs,
): ContainerSpec['networks'] {
  if (def.networkMode !== undefined) return [{ name: networkModeTarget(def.networkMode, refs), aliases: [] }];
  const linked = refs.linkAliases.get(def.name);
  return def.networks
    .map((n) => {
      // Compose makes the service name an alias on every network, so other services reach it by name.
      const net: ContainerSpec['networks'][number] = {
        name: networkNames.get(n.key) ?? n.key,
        aliases: [...new Set([def.name, ...n.aliases, ...(linked?.get(n.key) ?? [])])],
      };
      if (n.ipv4Address !== undefined) net.ipv4Address = n.ipv4Address;
      if (n.ipv6Address !== undefined) net.ipv6Address = n.ipv6Address;
      return net;
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function projectService(
  project: string,
  def: ServiceDefinition,
  networkNames: ReadonlyMap<string, string>,
  volumeNames: ReadonlyMap<string, string>,
  refs: ServiceRefs,
  contentKey: Buffer | string,
): ComposeService {
  const spec: ContainerSpec = {
    // Compose tags a built image PROJECT-SERVICE unless the service names it with `image:`.
    image: def.image || (def.build ? `${project}-${def.name}` : def.image),
    env: def.env,
    ports: def.ports,
    mounts: def.mounts.map((m) =>
      m.type === 'volume' && m.source ? { ...m, source: volumeNames.get(m.source) ?? m.source } : m,
    ),
    networks: serviceNetworks(def, networkNames, refs),
    labels: {
      ...def.labels,
      ...composeObjectLabels(project),
      [COMPOSE_SERVICE]: def.name,
      [COMPOSE_ONEOFF]: 'False',
    },
    extraHosts: def.extraHosts,
  };
  const optional = [
    'command',
    'entrypoint',
    'restart',
    'memoryBytes',
    'nanoCpus',
    'healthcheck',
    'hostname',
    'workingDir',
    'user',
    'init',
    'stopTimeoutSec',
    'stopSignal',
    'security',
  ] as const;
  for (const key of optional) {
    if (def[key] !== undefined) Object.assign(spec, { [key]: def[key] });
  }
  if (def.extra) spec.extra = def.extra;
  if (def.volumesFrom?.length)
    spec.security = { ...spec.security, volumesFrom: def.volumesFrom.map((v) => volumesFromTarget(v, refs)) };
  for (const prop of ['pidMode', 'ipcMode'] as const) {
    const mode = spec.security?.[prop];
    if (mode?.startsWith('service:')) spec.security = { ...spec.security, [prop]: networkModeTarget(mode, refs) };
  }
  const service: ComposeService = {
    name: def.name,
    replicas: def.replicas,
    dependsOn: def.dependsOn,
    spec,
    configHash: serviceConfigHash(spec, def.containerName, fileDigests(def.files, contentKey)),
  };
  if (def.containerName !== undefined) service.containerName = def.containerName;
  if (def.files) service.files = def.files;
  if (def.build !== undefined) service.build = def.build;
  if (def.pullPolicy !== undefined) service.pullPolicy = def.pullPolicy;
  if (def.platform !== undefined) service.platform = def.platform;
  return service;
}

/** `container_name` if set, else Compose's `${project}-${service}-${n}`. */
export function containerNameFor(
  project: string,
  service: Pick<ComposeService, 'name' | 'containerName'>,
  number: number,
): string {
  return service.containerName ?? `${project}-${service.name}-${number}`;
}

/** The full spec of replica `number` (1-based) of a service: its name and per-container labels added. */
export function containerSpecFor(
  project: ComposeProject,
  serviceOrName: string | ComposeService,
  number: number,
): ContainerSpec {
  // Callers walking every service pass the service itself: looking each one up is quadratic.
  const service =
    typeof serviceOrName === 'string' ? project.services.find((s) => s.name === serviceOrName) : serviceOrName;
  if (!service)
    throw new ToolError(
      'not_found',
      `Service "${String(serviceOrName)}" is not an active service of stack "${project.name}".`,
    );
  if (!Number.isInteger(number) || number < 1)
    throw new ToolError('invalid_input', `Container number must be a whole number >= 1, got ${number}.`);
  const spec = structuredClone(service.spec);
  spec.name = containerNameFor(project.name, service, number);
  spec.labels[COMPOSE_NUMBER] = String(number);
  spec.labels[COMPOSE_CONFIG_HASH] = service.configHash;
  return spec;
}
