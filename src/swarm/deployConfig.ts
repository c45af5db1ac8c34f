import { IssueCollector, type PathSegment } from '../stacks/compose/issues.js';
import { FieldReader, isRecord } from '../stacks/compose/reader.js';
import { parseCpus, parseDuration, parseMemory, parsePort, type PortObject } from '../docker/specParsers.js';

/**
 * The Swarm half of a Compose service: `deploy` (mode, placement, restart_policy, update_config,
 * rollback_config, endpoint_mode, labels, reservations) and the published ports with their mode,
 * read from the service as written (ComposeProject.sourceServices). Pure. Durations are
 * nanoseconds, as the Engine's ServiceSpec takes them.
 */

export interface UpdatePolicy {
  parallelism?: number;
  delayNs?: number;
  failureAction?: 'continue' | 'rollback' | 'pause';
  monitorNs?: number;
  maxFailureRatio?: number;
  order?: 'stop-first' | 'start-first';
}

export interface SwarmRestartPolicy {
  condition: 'none' | 'on-failure' | 'any';
  delayNs?: number;
  maxAttempts?: number;
  windowNs?: number;
}

export interface SwarmPort {
  target: number;
  published?: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  mode: 'ingress' | 'host';
}

export interface SwarmDeploy {
  mode: 'replicated' | 'global';
  placement: { constraints: string[]; preferences: string[]; maxReplicas?: number };
  restartPolicy?: SwarmRestartPolicy;
  update?: UpdatePolicy;
  rollback?: UpdatePolicy;
  endpointMode?: 'vip' | 'dnsrr';
  /** deploy.labels: on the service (not its containers). */
  labels: Record<string, string>;
  reservations?: { nanoCpus?: number; memoryBytes?: number };
  pidsLimit?: number;
  ports: SwarmPort[];
  /** Ports given with a host address, which a Swarm cannot bind (published on every address). */
  droppedHostIps: string[];
}

const UPDATE_KEYS = ['parallelism', 'delay', 'failure_action', 'monitor', 'max_failure_ratio', 'order'] as const;
const RESTART_KEYS = ['condition', 'delay', 'max_attempts', 'window'] as const;
const PLACEMENT_KEYS = ['constraints', 'preferences', 'max_replicas_per_node'] as const;
/** Compose's `restart:` values as a Swarm restart condition (as `docker stack deploy` converts them). */
const RESTART_CONDITION: Record<string, SwarmRestartPolicy['condition']> = {
  no: 'none',
  always: 'any',
  'unless-stopped': 'any',
  'on-failure': 'on-failure',
};

type Path = readonly PathSegment[];

/** Reads every active service's Swarm settings; one invalid_input error lists every problem. */
export function readSwarmDeploys(sources: Record<string, Record<string, unknown>>): Map<string, SwarmDeploy> {
  const issues = new IssueCollector();
  const read = new FieldReader(issues);
  const out = new Map<string, SwarmDeploy>();
  for (const [name, svc] of Object.entries(sources)) out.set(name, readService(svc, ['services', name], read));
  issues.throwIfAny('The Compose file cannot be deployed on a Swarm');
  return out;
}

function readService(svc: Record<string, unknown>, path: Path, read: FieldReader): SwarmDeploy {
  const out: SwarmDeploy = {
    mode: 'replicated',
    placement: { constraints: [], preferences: [] },
    labels: {},
    ports: [],
    droppedHostIps: [],
  };
  for (const key of ['container_name', 'build', 'network_mode', 'volumes_from', 'privileged', 'devices'] as const) {
    if (svc[key] !== undefined)
      read.add([...path, key], `${key} is not supported on a Swarm (docker stack ignores or refuses it too)`);
  }
  const deploy = isRecord(svc.deploy) ? svc.deploy : {};
  const at = [...path, 'deploy'];
  if (deploy.mode !== undefined) {
    const mode = read.string(deploy.mode, [...at, 'mode']);
    if (mode === 'replicated' || mode === 'global') out.mode = mode;
    else if (mode !== undefined) read.add([...at, 'mode'], `expected replicated or global, got "${mode}"`);
    if (out.mode === 'global' && deploy.replicas !== undefined)
      read.add([...at, 'replicas'], 'a global service runs one task per node: leave replicas out');
  }
  if (deploy.placement !== undefined) readPlacement(deploy.placement, [...at, 'placement'], read, out);
  const restartAt = [...at, 'restart_policy'];
  if (deploy.restart_policy !== undefined) out.restartPolicy = readRestart(deploy.restart_policy, restartAt, read);
  else if (typeof svc.restart === 'string') {
    const name = svc.restart.split(':')[0] ?? '';
    const condition = RESTART_CONDITION[name];
    if (condition) out.restartPolicy = { condition };
  }
  if (deploy.update_config !== undefined) out.update = readUpdate(deploy.update_config, [...at, 'update_config'], read);
  if (deploy.rollback_config !== undefined)
    out.rollback = readUpdate(deploy.rollback_config, [...at, 'rollback_config'], read);
  if (deploy.endpoint_mode !== undefined) {
    const m = read.string(deploy.endpoint_mode, [...at, 'endpoint_mode']);
    if (m === 'vip' || m === 'dnsrr') out.endpointMode = m;
    else if (m !== undefined) read.add([...at, 'endpoint_mode'], `expected vip or dnsrr, got "${m}"`);
  }
  if (deploy.labels !== undefined) out.labels = labelsOf(deploy.labels, [...at, 'labels'], read);
  const resources = isRecord(deploy.resources) ? deploy.resources : {};
  if (resources.reservations !== undefined) {
    const rAt = [...at, 'resources', 'reservations'];
    const r = read.map(resources.reservations, rAt) ?? {};
    read.keys(r, rAt, ['cpus', 'memory'], ['devices', 'generic_resources']);
    const reservations: { nanoCpus?: number; memoryBytes?: number } = {};
    if (r.cpus !== undefined) {
      const v = read.attempt([...rAt, 'cpus'], () => parseCpus(r.cpus as string | number));
      if (v !== undefined) reservations.nanoCpus = v;
    }
    if (r.memory !== undefined) {
      const v = read.attempt([...rAt, 'memory'], () => parseMemory(r.memory as string | number));
      if (v !== undefined) reservations.memoryBytes = v;
    }
    out.reservations = reservations;
  }
  const limits = isRecord(resources.limits) ? resources.limits : {};
  if (limits.pids !== undefined) {
    const v = read.int(limits.pids, [...at, 'resources', 'limits', 'pids'], 1);
    if (v !== undefined) out.pidsLimit = v;
  }
  if (Array.isArray(svc.ports)) readPorts(svc.ports, [...path, 'ports'], read, out);
  if (out.endpointMode === 'dnsrr' && out.ports.some((p) => p.mode === 'ingress')) {
    read.add(
      [...path, 'ports'],
      'endpoint_mode dnsrr cannot publish through the routing mesh: give the ports "mode: host" (long syntax)',
    );
  }
  return out;
}

function readPlacement(value: unknown, at: Path, read: FieldReader, out: SwarmDeploy): void {
  const p = read.map(value, at) ?? {};
  read.keys(p, at, PLACEMENT_KEYS);
  if (p.constraints !== undefined) {
    const list = read.list(p.constraints, [...at, 'constraints']) ?? [];
    list.forEach((c, i) => {
      if (!/^\s*[\w.-]+(\.[\w.-]+)*\s*(==|!=)\s*\S.*$/.test(c))
        read.add(
          [...at, 'constraints', i],
          `expected "node.role==manager" style (KEY==VALUE or KEY!=VALUE), got "${c}"`,
        );
      else out.placement.constraints.push(c.trim());
    });
  }
  if (p.preferences !== undefined) {
    if (!Array.isArray(p.preferences)) read.add([...at, 'preferences'], 'expected a list of {spread: LABEL}');
    else
      p.preferences.forEach((pref: unknown, i) => {
        const pAt = [...at, 'preferences', i];
        const m = read.map(pref, pAt) ?? {};
        read.keys(m, pAt, ['spread']);
        const spread =
          m.spread === undefined ? undefined : read.string(m.spread, [...pAt, 'spread'], { nonEmpty: true });
        if (spread !== undefined) out.placement.preferences.push(spread);
        else if (m.spread === undefined) read.add(pAt, 'expected {spread: node.labels.LABEL}');
      });
  }
  if (p.max_replicas_per_node !== undefined) {
    const v = read.int(p.max_replicas_per_node, [...at, 'max_replicas_per_node'], 1);
    if (v !== undefined) out.placement.maxReplicas = v;
  }
}

function duration(value: unknown, at: Path, read: FieldReader): number | undefined {
  const ms = read.attempt(at, () => parseDuration(value as string | number, String(at[at.length - 1])));
  return ms === undefined ? undefined : Math.round(ms * 1_000_000);
}

function readRestart(value: unknown, at: Path, read: FieldReader): SwarmRestartPolicy | undefined {
  const r = read.map(value, at) ?? {};
  read.keys(r, at, RESTART_KEYS);
  const out: SwarmRestartPolicy = { condition: 'any' };
  if (r.condition !== undefined) {
    const c = read.string(r.condition, [...at, 'condition']);
    if (c === 'none' || c === 'on-failure' || c === 'any') out.condition = c;
    else if (c !== undefined) read.add([...at, 'condition'], `expected none, on-failure or any, got "${c}"`);
  }
  if (r.delay !== undefined) assignDefined(out, 'delayNs', duration(r.delay, [...at, 'delay'], read));
  if (r.window !== undefined) assignDefined(out, 'windowNs', duration(r.window, [...at, 'window'], read));
  if (r.max_attempts !== undefined)
    assignDefined(out, 'maxAttempts', read.int(r.max_attempts, [...at, 'max_attempts'], 0));
  return out;
}

function readUpdate(value: unknown, at: Path, read: FieldReader): UpdatePolicy {
  const u = read.map(value, at) ?? {};
  read.keys(u, at, UPDATE_KEYS);
  const out: UpdatePolicy = {};
  if (u.parallelism !== undefined)
    assignDefined(out, 'parallelism', read.int(u.parallelism, [...at, 'parallelism'], 0));
  if (u.delay !== undefined) assignDefined(out, 'delayNs', duration(u.delay, [...at, 'delay'], read));
  if (u.monitor !== undefined) assignDefined(out, 'monitorNs', duration(u.monitor, [...at, 'monitor'], read));
  if (u.failure_action !== undefined) {
    const a = read.string(u.failure_action, [...at, 'failure_action']);
    if (a === 'continue' || a === 'rollback' || a === 'pause') out.failureAction = a;
    else if (a !== undefined) read.add([...at, 'failure_action'], `expected continue, rollback or pause, got "${a}"`);
  }
  if (u.order !== undefined) {
    const o = read.string(u.order, [...at, 'order']);
    if (o === 'stop-first' || o === 'start-first') out.order = o;
    else if (o !== undefined) read.add([...at, 'order'], `expected stop-first or start-first, got "${o}"`);
  }
  if (u.max_failure_ratio !== undefined) {
    const r = Number(u.max_failure_ratio);
    if (typeof u.max_failure_ratio === 'boolean' || !Number.isFinite(r) || r < 0 || r > 1)
      read.add([...at, 'max_failure_ratio'], 'expected a number from 0 to 1');
    else out.maxFailureRatio = r;
  }
  return out;
}

function labelsOf(value: unknown, at: Path, read: FieldReader): Record<string, string> {
  const labels = read.keyValues(value, at) ?? {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (k.startsWith('com.docker.stack.') || k.startsWith('io.docker-orchestration-mcp.'))
      read.add([...at, k], `label "${k}" is reserved: it is set by the stack deployer`);
    else out[k] = v ?? '';
  }
  return out;
}

function readPorts(ports: unknown[], at: Path, read: FieldReader, out: SwarmDeploy): void {
  ports.forEach((item, i) => {
    let mode: SwarmPort['mode'] = 'ingress';
    if (isRecord(item) && item.mode !== undefined) {
      const m = read.string(item.mode, [...at, i, 'mode']);
      if (m === 'host' || m === 'ingress') mode = m;
      else if (m !== undefined) read.add([...at, i, 'mode'], `expected host or ingress, got "${m}"`);
    }
    // The Compose validator has reported a bad port already.
    let parsed;
    try {
      parsed = parsePort(item as string | number | PortObject);
    } catch {
      return;
    }
    if (parsed.hostIp) out.droppedHostIps.push(`${parsed.hostIp}:${parsed.hostPort ?? ''}:${parsed.containerPort}`);
    const port: SwarmPort = { target: parsed.containerPort, protocol: parsed.protocol as SwarmPort['protocol'], mode };
    if (parsed.hostPort !== undefined) port.published = parsed.hostPort;
    out.ports.push(port);
  });
}

function assignDefined<T extends object, K extends keyof T>(obj: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) obj[key] = value;
}
