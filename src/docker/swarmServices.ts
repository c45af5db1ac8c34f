import type { EngineAuth } from './registryAuth.js';
import type Docker from 'dockerode';
import type { Engine } from './engine.js';
import { ToolError } from '../kernel/errors.js';

/**
 * Swarm services, tasks and overlay networks on a manager, for stacks deployed as services.
 * Every call has the Engine's deadline and the caller's AbortSignal; bodies go in `_body` only
 * (docker-modem would otherwise copy them, environment included, into the query string).
 */

export interface SwarmServiceInfo {
  id: string;
  name: string;
  version: number;
  labels: Record<string, string>;
  image: string;
  /** The raw ServiceSpec the Engine holds. */
  spec: Record<string, unknown>;
  previousImage?: string;
  replicas?: number;
  global: boolean;
  /** updating, paused, completed, rollback_started, rollback_paused, rollback_completed */
  updateState?: string;
  updateMessage?: string;
  updatedAt?: string;
}

export interface SwarmTask {
  id: string;
  serviceId: string;
  slot?: number;
  nodeId: string;
  desiredState: string;
  state: string;
  message: string;
  error?: string;
  image: string;
  containerId?: string;
  exitCode?: number;
  createdAt: string;
  updatedAt: string;
}

export interface SwarmNodeInfo {
  id: string;
  hostname: string;
  state: string;
  availability: string;
}

interface DialOptions {
  path: string;
  method: 'GET' | 'POST' | 'DELETE';
  query?: Record<string, unknown>;
  body?: unknown;
  statusCodes: Record<number, boolean | string>;
  /** Registry credentials, sent as X-Registry-Auth (never in the query or body). */
  auth?: EngineAuth;
}

function dial<T>(d: Docker, o: DialOptions, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    d.modem.dial(
      {
        path: o.path,
        method: o.method,
        options: { _query: o.query ?? {}, ...(o.body !== undefined ? { _body: o.body } : {}) },
        ...(o.auth ? { authconfig: o.auth } : {}),
        abortSignal: signal,
        statusCodes: o.statusCodes,
      } as never,
      (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as T)),
    );
  });
}

const READ_CODES = { 200: true, 404: 'not found', 500: 'server error', 503: 'node is not a swarm manager' };

/** GET of a list the Engine filters (`{label: [...]}`, `{name: [...]}`, ...): its raw rows. */
function listFiltered(
  engine: Engine,
  action: string,
  path: string,
  filters: Record<string, string[]>,
  target: string,
  signal?: AbortSignal,
): Promise<Record<string, unknown>[]> {
  return engine.call(
    action,
    (d, sig) =>
      dial<Record<string, unknown>[]>(
        d,
        { path, method: 'GET', query: { filters: JSON.stringify(filters) }, statusCodes: READ_CODES },
        sig,
      ),
    { target, ...(signal ? { signal } : {}) },
  );
}

function serviceTarget(name: string): string {
  return `service "${name}"`;
}

/** Whether the Engine is a Swarm manager: its node id, or undefined when it is not one. */
export async function swarmManagerState(
  engine: Engine,
  signal?: AbortSignal,
): Promise<{ manager: boolean; nodeId?: string; state: string }> {
  const info = await engine.call(
    'read Swarm state of',
    (d, sig) =>
      dial<{ Swarm?: { LocalNodeState?: string; ControlAvailable?: boolean; NodeID?: string } }>(
        d,
        { path: '/info', method: 'GET', statusCodes: { 200: true, 500: 'server error' } },
        sig,
      ),
    { target: 'the Engine', ...(signal ? { signal } : {}) },
  );
  const s = info.Swarm ?? {};
  return {
    manager: s.ControlAvailable === true,
    state: s.LocalNodeState ?? 'inactive',
    ...(s.NodeID ? { nodeId: s.NodeID } : {}),
  };
}

function toServiceInfo(raw: Record<string, unknown>): SwarmServiceInfo {
  const spec = (raw.Spec ?? {}) as Record<string, unknown>;
  const version = ((raw.Version ?? {}) as { Index?: number }).Index ?? 0;
  const task = (spec.TaskTemplate ?? {}) as { ContainerSpec?: { Image?: string } };
  const prev = (raw.PreviousSpec ?? undefined) as { TaskTemplate?: { ContainerSpec?: { Image?: string } } } | undefined;
  const mode = (spec.Mode ?? {}) as { Replicated?: { Replicas?: number }; Global?: unknown };
  const status = (raw.UpdateStatus ?? undefined) as
    { State?: string; Message?: string; CompletedAt?: string } | undefined;
  const out: SwarmServiceInfo = {
    id: String(raw.ID ?? ''),
    name: String(spec.Name ?? ''),
    version,
    labels: (spec.Labels ?? {}) as Record<string, string>,
    image: task.ContainerSpec?.Image ?? '',
    spec,
    global: mode.Global !== undefined,
  };
  if (prev?.TaskTemplate?.ContainerSpec?.Image) out.previousImage = prev.TaskTemplate.ContainerSpec.Image;
  if (mode.Replicated?.Replicas !== undefined) out.replicas = mode.Replicated.Replicas;
  if (status?.State) out.updateState = status.State;
  if (status?.Message) out.updateMessage = status.Message;
  if (typeof raw.UpdatedAt === 'string') out.updatedAt = raw.UpdatedAt;
  return out;
}

/** Services carrying `label` (KEY or KEY=VALUE). */
export async function listServicesByLabel(
  engine: Engine,
  label: string,
  signal?: AbortSignal,
): Promise<SwarmServiceInfo[]> {
  const raw = await listFiltered(engine, 'list services on', '/services?', { label: [label] }, 'the Swarm', signal);
  return raw.map(toServiceInfo);
}

export async function inspectService(
  engine: Engine,
  idOrName: string,
  signal?: AbortSignal,
): Promise<SwarmServiceInfo> {
  const raw = await engine.call(
    'inspect',
    (d, sig) =>
      dial<Record<string, unknown>>(
        d,
        { path: `/services/${encodeURIComponent(idOrName)}?`, method: 'GET', statusCodes: READ_CODES },
        sig,
      ),
    { target: serviceTarget(idOrName), ...(signal ? { signal } : {}) },
  );
  return toServiceInfo(raw);
}

/**
 * Creates a service; returns its id and the Engine's warnings (e.g. an image it could not resolve).
 * `auth` travels with the service like `docker stack deploy --with-registry-auth`: the nodes pull
 * with it.
 */
export async function createService(
  engine: Engine,
  spec: { Name: string },
  signal?: AbortSignal,
  auth?: EngineAuth,
): Promise<{ id: string; warnings: string[] }> {
  const res = await engine.call(
    'create',
    (d, sig) =>
      dial<{ ID?: string; Warnings?: string[] | null }>(
        d,
        {
          path: '/services/create?',
          method: 'POST',
          body: spec,
          ...(auth ? { auth } : {}),
          statusCodes: {
            201: true,
            200: true,
            400: 'bad parameter',
            403: 'network is not eligible',
            409: 'name conflicts with an existing object',
            500: 'server error',
            503: 'node is not a swarm manager',
          },
        },
        sig,
      ),
    {
      target: serviceTarget(spec.Name),
      conflict: `a service named "${spec.Name}" exists already`,
      ...(signal ? { signal } : {}),
    },
  );
  if (!res.ID) throw new ToolError('failed', `The Engine created service "${spec.Name}" but returned no id.`);
  return { id: res.ID, warnings: res.Warnings ?? [] };
}

/**
 * Updates a service at `version` (the Version.Index it was read at: a concurrent change makes the
 * Engine refuse, and the caller reads again). `rollback: true` asks Swarm to roll back to the
 * previous spec (the spec given is then the current one, as the Engine requires).
 */
export async function updateService(
  engine: Engine,
  id: string,
  version: number,
  spec: Record<string, unknown>,
  opts: { rollback?: boolean; signal?: AbortSignal; auth?: EngineAuth } = {},
): Promise<string[]> {
  const res = await engine.call(
    opts.rollback ? 'roll back' : 'update',
    (d, sig) =>
      dial<{ Warnings?: string[] | null }>(
        d,
        {
          path: `/services/${encodeURIComponent(id)}/update?`,
          method: 'POST',
          query: { version, ...(opts.rollback ? { rollback: 'previous' } : {}) },
          body: spec,
          ...(opts.auth ? { auth: opts.auth } : {}),
          statusCodes: {
            200: true,
            400: 'bad parameter',
            404: 'no such service',
            500: 'server error',
            503: 'node is not a swarm manager',
          },
        },
        sig,
      ),
    { target: serviceTarget(String(spec.Name ?? id)), ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  return res?.Warnings ?? [];
}

export async function removeService(engine: Engine, id: string, signal?: AbortSignal): Promise<void> {
  await engine.call(
    'remove',
    (d, sig) =>
      dial<unknown>(
        d,
        {
          path: `/services/${encodeURIComponent(id)}`,
          method: 'DELETE',
          statusCodes: { 200: true, 404: 'no such service', 500: 'server error', 503: 'node is not a swarm manager' },
        },
        sig,
      ),
    { target: serviceTarget(id), ...(signal ? { signal } : {}) },
  );
}

/** Tasks of services (by id or name). */
export async function listTasks(engine: Engine, services: string[], signal?: AbortSignal): Promise<SwarmTask[]> {
  if (services.length === 0) return [];
  const raw = await listFiltered(
    engine,
    'list tasks of',
    '/tasks?',
    { service: services },
    services.length === 1 ? serviceTarget(services[0] as string) : `${services.length} services`,
    signal,
  );
  return raw.map(toTask);
}

/**
 * Tasks carrying `label` (KEY=VALUE, e.g. a stack's namespace). Unlike the service filter this
 * still answers once the services are removed: the tasks stay until their nodes have shut them down.
 */
export async function listTasksByLabel(engine: Engine, label: string, signal?: AbortSignal): Promise<SwarmTask[]> {
  const raw = await listFiltered(engine, 'list tasks on', '/tasks?', { label: [label] }, 'the Swarm', signal);
  return raw.map(toTask);
}

function toTask(t: Record<string, unknown>): SwarmTask {
  const status = (t.Status ?? {}) as {
    State?: string;
    Message?: string;
    Err?: string;
    ContainerStatus?: { ContainerID?: string; ExitCode?: number };
  };
  const spec = (t.Spec ?? {}) as { ContainerSpec?: { Image?: string } };
  const task: SwarmTask = {
    id: String(t.ID ?? ''),
    serviceId: String(t.ServiceID ?? ''),
    nodeId: String(t.NodeID ?? ''),
    desiredState: String(t.DesiredState ?? ''),
    state: status.State ?? '',
    message: status.Message ?? '',
    image: spec.ContainerSpec?.Image ?? '',
    createdAt: String(t.CreatedAt ?? ''),
    updatedAt: String(t.UpdatedAt ?? ''),
  };
  if (typeof t.Slot === 'number') task.slot = t.Slot;
  if (status.Err) task.error = status.Err;
  if (status.ContainerStatus?.ContainerID) task.containerId = status.ContainerStatus.ContainerID;
  if (typeof status.ContainerStatus?.ExitCode === 'number') task.exitCode = status.ContainerStatus.ExitCode;
  return task;
}

export async function listNodes(engine: Engine, signal?: AbortSignal): Promise<SwarmNodeInfo[]> {
  const raw = await engine.call(
    'list nodes of',
    (d, sig) => dial<Record<string, unknown>[]>(d, { path: '/nodes', method: 'GET', statusCodes: READ_CODES }, sig),
    { target: 'the Swarm', ...(signal ? { signal } : {}) },
  );
  return raw.map((n) => {
    const desc = (n.Description ?? {}) as { Hostname?: string };
    const status = (n.Status ?? {}) as { State?: string };
    const spec = (n.Spec ?? {}) as { Availability?: string };
    return {
      id: String(n.ID ?? ''),
      hostname: desc.Hostname ?? String(n.ID ?? ''),
      state: status.State ?? 'unknown',
      availability: spec.Availability ?? 'unknown',
    };
  });
}

export interface OverlayNetworkInfo {
  id: string;
  name: string;
  driver: string;
  scope: string;
  labels: Record<string, string>;
}

/** Networks carrying `label` (KEY or KEY=VALUE). */
export async function listNetworksByLabel(
  engine: Engine,
  label: string,
  signal?: AbortSignal,
): Promise<OverlayNetworkInfo[]> {
  const raw = await listFiltered(engine, 'list networks on', '/networks?', { label: [label] }, 'the Swarm', signal);
  return raw.map(networkInfo);
}

function networkInfo(n: Record<string, unknown>): OverlayNetworkInfo {
  return {
    id: String(n.Id ?? ''),
    name: String(n.Name ?? ''),
    driver: String(n.Driver ?? ''),
    scope: String(n.Scope ?? ''),
    labels: (n.Labels ?? {}) as Record<string, string>,
  };
}

/** A network by exact name, or undefined. */
export async function findNetwork(
  engine: Engine,
  name: string,
  signal?: AbortSignal,
): Promise<OverlayNetworkInfo | undefined> {
  const raw = await listFiltered(engine, 'list networks on', '/networks?', { name: [name] }, 'the Swarm', signal);
  // The name filter matches substrings.
  const hit = raw.map(networkInfo).find((n) => n.name === name);
  return hit;
}

export async function createOverlayNetwork(
  engine: Engine,
  body: Record<string, unknown>,
  signal?: AbortSignal,
): Promise<string> {
  const name = String(body.Name);
  const res = await engine.call(
    'create',
    (d, sig) =>
      dial<{ Id?: string }>(
        d,
        {
          path: '/networks/create?',
          method: 'POST',
          body,
          statusCodes: {
            201: true,
            200: true,
            400: 'bad parameter',
            403: 'operation not supported for pre-defined networks',
            409: 'network name conflict',
            500: 'server error',
          },
        },
        sig,
      ),
    {
      target: `network "${name}"`,
      conflict: `a network named "${name}" exists already`,
      ...(signal ? { signal } : {}),
    },
  );
  return res.Id ?? '';
}

export async function removeNetwork(engine: Engine, id: string, signal?: AbortSignal): Promise<void> {
  await engine.call(
    'remove',
    (d, sig) =>
      dial<unknown>(
        d,
        {
          path: `/networks/${encodeURIComponent(id)}`,
          method: 'DELETE',
          statusCodes: {
            204: true,
            200: true,
            403: 'network has active endpoints',
            404: 'no such network',
            500: 'server error',
          },
        },
        sig,
      ),
    { target: `network "${id}"`, ...(signal ? { signal } : {}) },
  );
}

export type SwarmFileKind = 'secret' | 'config';

export interface SwarmFileObject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

const FILE_PATH: Record<SwarmFileKind, string> = { secret: '/secrets', config: '/configs' };

/** Swarm secrets or configs carrying `label` (KEY or KEY=VALUE); their content is never read. */
export async function listFileObjects(
  engine: Engine,
  kind: SwarmFileKind,
  label: string,
  signal?: AbortSignal,
): Promise<SwarmFileObject[]> {
  const raw = await listFiltered(
    engine,
    `list ${kind}s on`,
    `${FILE_PATH[kind]}?`,
    { label: [label] },
    'the Swarm',
    signal,
  );
  return raw.map((o) => {
    const spec = (o.Spec ?? {}) as { Name?: string; Labels?: Record<string, string> };
    return { id: String(o.ID ?? ''), name: spec.Name ?? '', labels: spec.Labels ?? {} };
  });
}

/** Creates a secret or config; the content goes in the body only (base64), never in a URL or a log. */
export async function createFileObject(
  engine: Engine,
  kind: SwarmFileKind,
  name: string,
  labels: Record<string, string>,
  data: Buffer,
  signal?: AbortSignal,
): Promise<string> {
  const res = await engine.call(
    'create',
    (d, sig) =>
      dial<{ ID?: string }>(
        d,
        {
          path: `${FILE_PATH[kind]}/create?`,
          method: 'POST',
          body: { Name: name, Labels: labels, Data: data.toString('base64') },
          statusCodes: {
            201: true,
            200: true,
            409: 'name conflicts with an existing object',
            500: 'server error',
            503: 'node is not a swarm manager',
          },
        },
        sig,
      ),
    {
      target: `${kind} "${name}"`,
      conflict: `a ${kind} named "${name}" exists already`,
      ...(signal ? { signal } : {}),
    },
  );
  if (!res.ID) throw new ToolError('failed', `The Engine created ${kind} "${name}" but returned no id.`);
  return res.ID;
}

export async function removeFileObject(
  engine: Engine,
  kind: SwarmFileKind,
  id: string,
  signal?: AbortSignal,
): Promise<void> {
  await engine.call(
    'remove',
    (d, sig) =>
      dial<unknown>(
        d,
        {
          path: `${FILE_PATH[kind]}/${encodeURIComponent(id)}`,
          method: 'DELETE',
          statusCodes: {
            204: true,
            200: true,
            400: 'in use',
            404: 'not found',
            500: 'server error',
            503: 'node is not a swarm manager',
          },
        },
        sig,
      ),
    { target: `${kind} "${id}"`, ...(signal ? { signal } : {}) },
  );
}
