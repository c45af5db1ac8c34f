import type Docker from 'dockerode';
import type { Engine } from './engine.js';
import { inspectContainer } from './containers.js';
import { containerRow, type ContainerRow } from './projections.js';
import { ToolError } from '../kernel/errors.js';

/**
 * The Engine calls the stacks domain needs that the per-object modules (containers.ts,
 * networks.ts, volumes.ts, images.ts) do not offer, and the projections it works on: the domain
 * never sees dockerode's types. Every call has the Engine's deadline and honours `signal`.
 */

/** A container as listed: what stacks plan, lock and report on. */
export interface ListedContainer {
  /** Full id. */
  id: string;
  /** Without the leading "/"; "" when the Engine gave none. */
  name: string;
  labels: Record<string, string>;
  state: string;
  image: string;
  /** Seconds since the epoch. */
  created: number;
  /** The compact row (short id, ports, health from the status line). */
  row: ContainerRow;
}

export interface ListedNetwork {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface ListedVolume {
  name: string;
  labels: Record<string, string>;
}

/** Engine objects that carry every one of `labels` ("key" or "key=value"). */
export interface LabelledObjects {
  containers: ListedContainer[];
  networks: ListedNetwork[];
  volumes: ListedVolume[];
}

function listedContainer(c: Docker.ContainerInfo): ListedContainer {
  return {
    id: c.Id,
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    labels: c.Labels ?? {},
    state: c.State,
    image: c.Image,
    created: c.Created,
    row: containerRow(c),
  };
}

/** Containers (running or not) carrying every label in `labels`. */
export async function listContainersByLabel(
  engine: Engine,
  labels: string[],
  opts: { signal?: AbortSignal; what?: string; target?: string } = {},
): Promise<ListedContainer[]> {
  const list = await engine.call(
    opts.what ?? 'list containers',
    (d) => d.listContainers({ all: true, filters: { label: labels } }),
    { signal: opts.signal, ...(opts.target ? { target: opts.target } : {}) },
  );
  return list.map(listedContainer);
}

export async function listNetworksByLabel(
  engine: Engine,
  labels: string[],
  opts: { signal?: AbortSignal; what?: string; target?: string } = {},
): Promise<ListedNetwork[]> {
  const list = await engine.call(opts.what ?? 'list networks', (d) => d.listNetworks({ filters: { label: labels } }), {
    signal: opts.signal,
    ...(opts.target ? { target: opts.target } : {}),
  });
  return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
}

export async function listVolumesByLabel(
  engine: Engine,
  labels: string[],
  opts: { signal?: AbortSignal; what?: string; target?: string } = {},
): Promise<ListedVolume[]> {
  const list = await engine.call(opts.what ?? 'list volumes', (d) => d.listVolumes({ filters: { label: labels } }), {
    signal: opts.signal,
    ...(opts.target ? { target: opts.target } : {}),
  });
  return (list.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
}

/** Containers, networks and volumes carrying every label in `labels`, listed in parallel. */
export async function listLabelledObjects(
  engine: Engine,
  labels: string[],
  opts: { signal?: AbortSignal; what?: string; target?: string } = {},
): Promise<LabelledObjects> {
  const of = (kind: string) => ({ ...opts, what: `list ${kind}${opts.what ? ` of ${opts.what}` : ''}` });
  const [containers, networks, volumes] = await Promise.all([
    listContainersByLabel(engine, labels, of('containers')),
    listNetworksByLabel(engine, labels, of('networks')),
    listVolumesByLabel(engine, labels, of('volumes')),
  ]);
  return { containers, networks, volumes };
}

/** A network as a Compose file declares it, in the Engine's terms. */
export interface StackNetworkSpec {
  name: string;
  driver: string;
  internal?: boolean;
  attachable?: boolean;
  driverOpts?: Record<string, string>;
  labels: Record<string, string>;
  ipam?: StackNetworkIpam;
}

/** A network's address management, as Compose's ipam block gives it. */
export interface StackNetworkIpam {
  driver?: string;
  config: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }[];
  options?: Record<string, string>;
}

/** Compose's ipam block in the Engine's shape. Pure. */
export function ipamBody(ipam: StackNetworkIpam): Record<string, unknown> {
  return {
    Driver: ipam.driver ?? 'default',
    Config: ipam.config.map((c) => ({
      ...(c.subnet ? { Subnet: c.subnet } : {}),
      ...(c.gateway ? { Gateway: c.gateway } : {}),
      ...(c.ipRange ? { IPRange: c.ipRange } : {}),
      ...(c.auxAddresses ? { AuxiliaryAddresses: c.auxAddresses } : {}),
    })),
    Options: ipam.options ?? {},
  };
}

/**
 * Creates a stack's network as planned: no driver lookup first (the plan already decided), and
 * CheckDuplicate so an older Engine refuses a second network of the same name.
 */
export async function createStackNetwork(engine: Engine, spec: StackNetworkSpec, signal?: AbortSignal): Promise<void> {
  await engine.call(
    'create network',
    (d) =>
      d.createNetwork({
        Name: spec.name,
        Driver: spec.driver,
        Internal: spec.internal,
        Attachable: spec.attachable,
        Options: spec.driverOpts,
        Labels: spec.labels,
        CheckDuplicate: true,
        ...(spec.ipam ? { IPAM: ipamBody(spec.ipam) } : {}),
      }),
    { target: `network "${spec.name}"`, signal },
  );
}

export interface StackVolumeSpec {
  name: string;
  driver: string;
  driverOpts?: Record<string, string>;
  labels: Record<string, string>;
}

/** Creates a stack's volume as planned (the plan creates only volumes that are absent). */
export async function createStackVolume(engine: Engine, spec: StackVolumeSpec, signal?: AbortSignal): Promise<void> {
  await engine.call(
    'create volume',
    (d) =>
      d.createVolume({
        Name: spec.name,
        Driver: spec.driver,
        DriverOpts: spec.driverOpts,
        Labels: spec.labels,
      }),
    { target: `volume "${spec.name}"`, signal },
  );
}

export async function renameContainer(
  engine: Engine,
  id: string,
  name: string,
  opts: { signal?: AbortSignal; target?: string } = {},
): Promise<void> {
  await engine.call('rename', (d) => d.getContainer(id).rename({ name }), {
    target: opts.target ?? `container "${id}"`,
    signal: opts.signal,
  });
}

/**
 * Stops a container with its own stop timeout (the one it was created with), allowing the
 * Engine `graceMs` beyond the usual deadline for it.
 */
export async function stopContainerGracefully(
  engine: Engine,
  id: string,
  opts: { graceMs: number; signal?: AbortSignal; target?: string },
): Promise<void> {
  await engine.call('stop', (d) => d.getContainer(id).stop(), {
    target: opts.target ?? `container "${id}"`,
    timeoutMs: engine.timeoutMs + opts.graceMs,
    signal: opts.signal,
  });
}

/** Whether the Engine answers within `timeoutMs`. */
export async function pingEngine(engine: Engine, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  await engine.call('ping', (d) => d.ping(), { timeoutMs, signal });
}

/** The Engine's operating system and architecture, as it reports them ("linux", "x86_64"). */
export async function enginePlatform(engine: Engine, signal?: AbortSignal): Promise<{ os: string; arch: string }> {
  const v = (await engine.call('read the Engine version', (d) => d.version(), { signal })) as {
    Os?: string;
    Arch?: string;
  };
  return { os: v.Os ?? '', arch: v.Arch ?? '' };
}

/** An image's labels, or undefined when the Engine has no such image. */
export async function imageLabels(
  engine: Engine,
  ref: string,
  signal?: AbortSignal,
): Promise<Record<string, string> | undefined> {
  try {
    const img = await engine.call('inspect image', (d) => d.getImage(ref).inspect(), { target: ref, signal });
    return img.Config?.Labels ?? {};
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return undefined;
    throw err;
  }
}

/** An image as listed: enough to pick one to create a never-started container from. */
export interface ListedImage {
  /** Full id (sha256:...). */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  size: number;
  labels: Record<string, string>;
}

export async function listImageSummaries(engine: Engine, signal?: AbortSignal): Promise<ListedImage[]> {
  const images = await engine.call('list images', (d) => d.listImages(), { signal });
  return images.map((i) => ({
    id: i.Id,
    repoTags: i.RepoTags ?? [],
    repoDigests: i.RepoDigests ?? [],
    size: i.Size,
    labels: i.Labels ?? {},
  }));
}

/**
 * Creates a container that is never started (no network, an entrypoint that does not exist):
 * a name held on the Engine, used as a lock. A taken name is a `conflict` with message `held`.
 */
export async function createPlaceholderContainer(
  engine: Engine,
  spec: { name: string; image: string; labels: Record<string, string> },
  opts: { signal?: AbortSignal; target?: string } = {},
): Promise<string> {
  const created = await engine.call(
    'create lock',
    (d) =>
      d.createContainer({
        name: spec.name,
        Image: spec.image,
        Entrypoint: ['/lock-is-never-started'],
        Cmd: [],
        Labels: spec.labels,
        HostConfig: { NetworkMode: 'none' },
        NetworkDisabled: true,
      }),
    { signal: opts.signal, target: opts.target ?? `container "${spec.name}"`, conflict: 'held' },
  );
  return created.id;
}

/** A container's id and its configured labels, or undefined when there is none by that name or id. */
export async function findContainerLabels(
  engine: Engine,
  ref: string,
  opts: { signal?: AbortSignal; target?: string; action?: string } = {},
): Promise<{ id: string; labels: Record<string, string> } | undefined> {
  try {
    const c = await engine.call(opts.action ?? 'inspect', (d) => d.getContainer(ref).inspect(), {
      signal: opts.signal,
      target: opts.target ?? `container "${ref}"`,
    });
    return { id: c.Id, labels: c.Config?.Labels ?? {} };
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return undefined;
    throw err;
  }
}

/** Force-removes a container; one already gone counts as removed. */
export async function forceRemoveContainer(
  engine: Engine,
  id: string,
  opts: { volumes?: boolean; signal?: AbortSignal; target?: string; action?: string } = {},
): Promise<void> {
  await engine
    .call(opts.action ?? 'remove', (d) => d.getContainer(id).remove({ force: true, v: opts.volumes ?? false }), {
      target: opts.target ?? `container "${id}"`,
      signal: opts.signal,
    })
    .catch((err: unknown) => {
      if (!(err instanceof ToolError && err.kind === 'not_found')) throw err;
    });
}

/** A container's state, as stacks wait on, verify and report it. */
export interface ContainerStateView {
  id: string;
  /** Without the leading "/". */
  name: string;
  running: boolean;
  /** created, running, paused, restarting, removing, exited, dead */
  status: string;
  exitCode: number;
  /** The Engine's error for the last start, "" when none. */
  error: string;
  startedAt: string;
  restartCount: number;
  /** Health status when the container has a healthcheck. */
  health?: string;
  /** Output of the last healthcheck run. */
  lastHealthOutput?: string;
}

export async function containerState(engine: Engine, id: string, signal?: AbortSignal): Promise<ContainerStateView> {
  const c = await inspectContainer(engine, id, signal);
  const st = c.State;
  const view: ContainerStateView = {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    running: st.Running,
    status: st.Status,
    exitCode: st.ExitCode,
    error: st.Error ?? '',
    startedAt: st.StartedAt ?? '',
    restartCount: c.RestartCount ?? 0,
  };
  if (st.Health?.Status) view.health = st.Health.Status;
  const last = st.Health?.Log?.at(-1);
  if (last) view.lastHealthOutput = last.Output;
  return view;
}
