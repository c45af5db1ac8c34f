import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { ToolError } from '../kernel/errors.js';
import type { Engine } from './engine.js';
import type { EngineAuth } from './registryAuth.js';
import { assertObjectRef } from './refs.js';
import { readSplitOutput, type SplitOutput } from './streams.js';

/**
 * Swarm cluster calls on a manager's Engine: swarm info, nodes, services, tasks and service
 * logs. Each call has a deadline (the engine's, or the caller's) and honours the caller's
 * AbortSignal. The raw shapes below are the parts of the Engine's answers this server reads.
 */

export interface RawSwarmInfo {
  NodeID?: string;
  NodeAddr?: string;
  LocalNodeState?: string;
  ControlAvailable?: boolean;
  Error?: string;
  Nodes?: number;
  Managers?: number;
  Cluster?: { ID?: string };
}

export interface RawNode {
  ID: string;
  Version: { Index: number };
  Spec: { Name?: string; Role: string; Availability: string; Labels?: Record<string, string> };
  Description?: { Hostname?: string; Engine?: { EngineVersion?: string } };
  Status: { State: string; Message?: string; Addr?: string };
  ManagerStatus?: { Leader?: boolean; Reachability?: string; Addr?: string };
}

export interface RawHealthcheck {
  Test?: string[];
}

export interface RawServiceSpec {
  Name: string;
  Labels?: Record<string, string>;
  TaskTemplate: {
    ContainerSpec?: { Image?: string; Healthcheck?: RawHealthcheck; [k: string]: unknown };
    ForceUpdate?: number;
    [k: string]: unknown;
  };
  Mode?: { Replicated?: { Replicas?: number }; Global?: object; ReplicatedJob?: object; GlobalJob?: object };
  UpdateConfig?: { FailureAction?: string; Monitor?: number; [k: string]: unknown };
  [k: string]: unknown;
}

export interface RawService {
  ID: string;
  Version: { Index: number };
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec: RawServiceSpec;
  PreviousSpec?: RawServiceSpec;
  UpdateStatus?: { State?: string; StartedAt?: string; CompletedAt?: string; Message?: string };
  ServiceStatus?: { RunningTasks?: number; DesiredTasks?: number; CompletedTasks?: number };
  Endpoint?: { Ports?: { Protocol?: string; TargetPort?: number; PublishedPort?: number; PublishMode?: string }[] };
}

export interface RawTask {
  ID: string;
  ServiceID: string;
  NodeID?: string;
  Slot?: number;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: { ContainerSpec?: { Image?: string } };
  Status: {
    Timestamp?: string;
    State: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  DesiredState: string;
}

const SWARM_REF = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Service and node names or ids go into URL paths: the Swarm name alphabet only. */
export function assertSwarmRef(ref: string, what: 'service' | 'node'): void {
  if (!SWARM_REF.test(ref) || ref.length > 256) assertObjectRef(ref, what);
}

interface Dial {
  method: 'GET' | 'POST';
  path: string;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  auth?: EngineAuth;
  stream?: boolean;
}

/** One request through dockerode's modem, so query and body are exactly what we say. */
function dial<T>(d: Docker, sig: AbortSignal, r: Dial): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    d.modem.dial(
      {
        path: `${r.path}?`,
        method: r.method,
        options: { _query: r.query ?? {}, ...(r.body === undefined ? {} : { _body: r.body }) },
        ...(r.auth ? { authconfig: r.auth } : {}),
        isStream: r.stream ?? false,
        abortSignal: sig,
        statusCodes: {
          200: true,
          201: true,
          304: true,
          400: 'bad parameter',
          403: 'operation not allowed',
          404: 'no such object',
          409: 'conflict',
          500: 'server error',
          503: 'node is not part of a swarm',
        },
      } as never,
      (err: unknown, res: unknown) => (err ? reject(err) : resolve(res as T)),
    );
  });
}

/** What a 503 from a Swarm endpoint means: this Engine cannot answer cluster questions. */
function notManagerText(): string {
  return 'this Engine is not a Swarm manager (not in a swarm, or a worker): point DOCKER_HOST at a manager node of the cluster';
}

function call<T>(
  engine: Engine,
  action: string,
  target: string | undefined,
  r: Dial,
  opts: { signal?: AbortSignal | undefined; timeoutMs?: number; notFound?: string; conflict?: string } = {},
): Promise<T> {
  return engine
    .call(action, (d, sig) => dial<T>(d, sig, r), {
      ...(target ? { target } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.notFound ? { notFound: opts.notFound } : {}),
      ...(opts.conflict ? { conflict: opts.conflict } : {}),
    })
    .catch((err: unknown) => {
      // 503 "This node is not a swarm manager" arrives as "failed": say what to do instead.
      if (err instanceof ToolError && /not a swarm manager|not part of a swarm|swarm mode/i.test(err.message)) {
        throw new ToolError('conflict', `Cannot ${action}${target ? ` ${target}` : ''}: ${notManagerText()}.`);
      }
      throw err;
    });
}

export async function swarmInfo(engine: Engine, signal?: AbortSignal): Promise<RawSwarmInfo> {
  const info = await call<{ Swarm?: RawSwarmInfo }>(
    engine,
    'read swarm info',
    undefined,
    {
      method: 'GET',
      path: '/info',
    },
    { signal },
  );
  return info.Swarm ?? {};
}

/** Throws `conflict` unless the Engine is an active Swarm manager; returns its swarm info. */
export async function requireManager(engine: Engine, signal?: AbortSignal): Promise<RawSwarmInfo> {
  const s = await swarmInfo(engine, signal);
  if (s.LocalNodeState !== 'active' || !s.ControlAvailable) {
    const state = s.LocalNodeState || 'inactive';
    throw new ToolError(
      'conflict',
      `This Engine is not a Swarm manager (swarm state: ${state}${s.LocalNodeState === 'active' ? ', worker node' : ''}${s.Error ? `, error: ${s.Error}` : ''}): the swarm tools need DOCKER_HOST pointing at a manager of the cluster (\`docker swarm init\` makes one).`,
    );
  }
  return s;
}

export function listNodes(engine: Engine, signal?: AbortSignal): Promise<RawNode[]> {
  return call<RawNode[]>(engine, 'list nodes', undefined, { method: 'GET', path: '/nodes' }, { signal });
}

export function inspectNode(engine: Engine, ref: string, signal?: AbortSignal): Promise<RawNode> {
  assertSwarmRef(ref, 'node');
  return call<RawNode>(
    engine,
    'inspect',
    `node "${ref}"`,
    { method: 'GET', path: `/nodes/${encodeURIComponent(ref)}` },
    { signal, notFound: `no node "${ref}" in the cluster (get_cluster_status lists them)` },
  );
}

/** Sets a node's availability (active, pause, drain); the spec's version guards against a concurrent change. */
export async function updateNodeAvailability(
  engine: Engine,
  node: RawNode,
  availability: 'active' | 'pause' | 'drain',
  signal?: AbortSignal,
): Promise<void> {
  await call<unknown>(
    engine,
    'update',
    `node "${node.Description?.Hostname ?? node.ID}"`,
    {
      method: 'POST',
      path: `/nodes/${encodeURIComponent(node.ID)}/update`,
      query: { version: node.Version.Index },
      body: { ...node.Spec, Availability: availability },
    },
    { signal, conflict: 'the node changed meanwhile (update out of sequence): try again' },
  );
}

export function listServices(
  engine: Engine,
  filters: { label?: string[]; name?: string[] } = {},
  signal?: AbortSignal,
): Promise<RawService[]> {
  const f: Record<string, string[]> = {};
  if (filters.label?.length) f.label = filters.label;
  if (filters.name?.length) f.name = filters.name;
  return call<RawService[]>(
    engine,
    'list services',
    undefined,
    { method: 'GET', path: '/services', query: { status: true, filters: JSON.stringify(f) } },
    { signal },
  );
}

export function inspectService(engine: Engine, ref: string, signal?: AbortSignal): Promise<RawService> {
  assertSwarmRef(ref, 'service');
  return call<RawService>(
    engine,
    'inspect',
    `service "${ref}"`,
    { method: 'GET', path: `/services/${encodeURIComponent(ref)}`, query: { insertDefaults: false } },
    { signal, notFound: `no service "${ref}" (list_services lists them)` },
  );
}

/**
 * Updates a service to `spec` (or rolls it back to its previous spec with `rollback`). The
 * version guards against a concurrent change; registry credentials travel like
 * `docker service update --with-registry-auth`. Returns the Engine's warnings.
 */
export async function updateService(
  engine: Engine,
  svc: RawService,
  spec: RawServiceSpec,
  opts: { rollback?: boolean; auth?: EngineAuth; signal?: AbortSignal } = {},
): Promise<string[]> {
  const query: Record<string, string | number> = { version: svc.Version.Index };
  if (opts.rollback) query.rollback = 'previous';
  const res = await call<{ Warnings?: string[] | null }>(
    engine,
    opts.rollback ? 'roll back' : 'update',
    `service "${svc.Spec.Name}"`,
    {
      method: 'POST',
      path: `/services/${encodeURIComponent(svc.ID)}/update`,
      query,
      body: spec,
      ...(opts.auth ? { auth: opts.auth } : {}),
    },
    {
      signal: opts.signal,
      conflict: 'the service changed meanwhile (update out of sequence): try again',
    },
  );
  return res?.Warnings ?? [];
}

export function listTasks(
  engine: Engine,
  filters: { service?: string; node?: string; desiredState?: string } = {},
  signal?: AbortSignal,
): Promise<RawTask[]> {
  const f: Record<string, string[]> = {};
  if (filters.service) f.service = [filters.service];
  if (filters.node) f.node = [filters.node];
  if (filters.desiredState) f['desired-state'] = [filters.desiredState];
  return call<RawTask[]>(
    engine,
    'list tasks',
    undefined,
    { method: 'GET', path: '/tasks', query: { filters: JSON.stringify(f) } },
    { signal },
  );
}

export interface ServiceLogOptions {
  tail: number;
  since?: number;
  timestamps: boolean;
  stdout: boolean;
  stderr: boolean;
  maxBytes: number;
  /** After this long the read stops with what arrived (a node that is down keeps the stream open). */
  settleMs: number;
}

/**
 * Logs of every task of a service (the manager gathers them from the nodes), read as a
 * stream into bounded tails. Each line is prefixed with its node, service and task ids
 * (`details`). A node that is down would hold the stream open: after `settleMs` the read
 * ends with what arrived (`partial`).
 */
export function readServiceLogs(
  engine: Engine,
  svc: RawService,
  o: ServiceLogOptions,
  signal?: AbortSignal,
): Promise<SplitOutput & { partial: boolean }> {
  const query: Record<string, string | number | boolean> = {
    stdout: o.stdout,
    stderr: o.stderr,
    timestamps: o.timestamps,
    follow: false,
    details: true,
    tail: String(o.tail),
  };
  if (o.since !== undefined) query.since = o.since;
  const tty = Boolean(svc.Spec.TaskTemplate.ContainerSpec?.['TTY']);
  return engine.call(
    'read logs of',
    async (d, sig) => {
      const stream = await dial<Readable>(d, sig, {
        method: 'GET',
        path: `/services/${encodeURIComponent(svc.ID)}/logs`,
        query,
        stream: true,
      });
      let partial = false;
      const settle = setTimeout(() => {
        partial = true;
        stream.destroy();
      }, o.settleMs);
      try {
        const out = await readSplitOutput(stream, tty, o.maxBytes, sig);
        return { ...out, partial };
      } finally {
        clearTimeout(settle);
      }
    },
    { target: `service "${svc.Spec.Name}"`, timeoutMs: o.settleMs + engine.timeoutMs, ...(signal ? { signal } : {}) },
  );
}
