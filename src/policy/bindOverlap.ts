import type { Config } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import type { Engine } from '../docker/engine.js';
import { COMPOSE_PROJECT } from '../docker/labels.js';
import { listAllContainers, listAllVolumes, type ContainerSummary } from '../docker/queries.js';
import { refuse } from './hostAccess.js';
import { hostPath, isUnder, lexicalPath, resolvedPath } from './hostPaths.js';
import { classifyVolume } from './volumeOptions.js';

/**
 * Overlapping binds. The Engine mounts a bind source again at every start, including the starts its
 * restart policy makes with no tool call the server could check. A container that can write a folder
 * holding another container's bind source (or a component of it) can swap that source for a symlink
 * to /etc, and the other container gets the host's /etc at its next start. So, at create time, a bind
 * source may not lie strictly inside a folder some other container binds writable, and a writable bind
 * may not strictly contain another container's bind source (nor another bind of its own container).
 * Two containers binding the very same folder is fine: neither can replace the mount point itself.
 */

export interface HostBind {
  /** The host path, as the Engine was (or will be) given it. */
  source: string;
  writable: boolean;
  /** Who mounts it, for the message ("container \"web\""). */
  owner: string;
}

/** The forms of a path to compare: as written and as resolved today (a planted symlink shows in one of them). */
function forms(p: string): string[] {
  const lexical = lexicalPath(p);
  return [...new Set([lexical, resolvedPath(lexical)])];
}

function strictlyInside(a: string, b: string): boolean {
  return forms(a).some((x) => forms(b).some((y) => x !== y && isUnder(x, y)));
}

/** Why bind `a` of one container and bind `b` of another must not coexist, or undefined. */
export function overlapProblem(a: HostBind, b: HostBind): string | undefined {
  if (strictlyInside(a.source, b.source) && b.writable)
    return `${a.source} (${a.owner}) lies inside ${b.source}, which ${b.owner} binds writable and could swap for a symlink`;
  if (strictlyInside(b.source, a.source) && a.writable)
    return `${a.source} (${a.owner}, writable) contains ${b.source}, bound by ${b.owner}, which it could swap for a symlink`;
  return undefined;
}

/** A writable bind of one container containing another of its own: the container can swap that source. */
export function ownOverlapProblem(binds: readonly HostBind[]): string | undefined {
  for (const a of binds) {
    for (const b of binds) {
      if (a !== b && a.writable && strictlyInside(b.source, a.source))
        return `${a.source} (${a.owner}, writable) contains its own bind source ${b.source}, which it could swap for a symlink`;
    }
  }
  return undefined;
}

const SETTING = 'DOM_ALLOW_OVERLAPPING_BINDS=1';

function refuseOverlap(where: string, why: string): never {
  refuse(
    'overlapping-bind',
    `${where}: ${why}; the next start (a restart policy needs no tool call) would mount what the symlink points at`,
    SETTING,
  );
}

/** The bind device of a local volume with o=bind, or undefined. */
export function bindDevice(
  driver: string | undefined,
  options: Record<string, string> | null | undefined,
): string | undefined {
  try {
    const a = classifyVolume(driver, options, 'volume');
    return a.kind === 'bind' ? a.device : undefined;
  } catch {
    return undefined;
  }
}

/** Bind sources of a spec: its bind mounts and the named volumes that bind a device (`volumeDevices` by name). */
export function bindsOfSpec(
  spec: ContainerSpec,
  owner: string,
  volumeDevices: ReadonlyMap<string, string>,
): HostBind[] {
  return spec.mounts.flatMap((m): HostBind[] => {
    if (m.type === 'bind' && m.source) return [{ source: m.source, writable: !m.readOnly, owner }];
    const device = m.type === 'volume' && m.source ? volumeDevices.get(m.source) : undefined;
    return device ? [{ source: device, writable: !m.readOnly, owner }] : [];
  });
}

interface EngineBinds {
  binds: HostBind[];
  volumeDevices: Map<string, string>;
}

/** Every bind of every container on the Engine (one container list, one volume list when needed). */
async function engineBinds(
  engine: Engine,
  exclude: (c: ContainerSummary) => boolean,
  signal?: AbortSignal,
): Promise<EngineBinds> {
  const containers = await listAllContainers(engine, signal);
  const volumes = await listAllVolumes(engine, signal);
  const volumeDevices = new Map<string, string>();
  for (const v of volumes) {
    const device = bindDevice(v.Driver, v.Options as Record<string, string> | null);
    if (device?.startsWith('/')) volumeDevices.set(v.Name, hostPath(device, `volume "${v.Name}"`).resolved);
  }
  const binds: HostBind[] = [];
  for (const c of containers) {
    if (exclude(c)) continue;
    const owner = `container "${(c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '')}"`;
    for (const m of c.Mounts ?? []) {
      if (m.Type === 'bind' && m.Source) binds.push({ source: m.Source, writable: m.RW, owner });
      const device = m.Type === 'volume' && m.Name ? volumeDevices.get(m.Name) : undefined;
      if (device) binds.push({ source: device, writable: m.RW, owner });
    }
  }
  return { binds, volumeDevices };
}

export interface NewContainer {
  where: string;
  spec: ContainerSpec;
}

/**
 * Refuses new containers (one deploy, or the services of one stack) whose binds overlap each other's
 * or those of containers already on the Engine. `stackVolumes` are bind devices a stack declares;
 * `excludeName`/`excludeProject` leave out containers this deploy replaces.
 */
export async function checkBindOverlaps(
  engine: Engine,
  config: Config,
  wanted: readonly NewContainer[],
  opts: {
    excludeName?: string;
    excludeProject?: string;
    stackVolumes?: ReadonlyMap<string, string>;
    signal?: AbortSignal;
  } = {},
): Promise<void> {
  if (config.policy.allowOverlappingBinds) return;
  const hasBinds =
    wanted.some((w) => w.spec.mounts.some((m) => m.type === 'bind')) || (opts.stackVolumes?.size ?? 0) > 0;
  const mountsVolumes = wanted.some((w) => w.spec.mounts.some((m) => m.type === 'volume'));
  if (!hasBinds && !mountsVolumes) return;
  const existing = await engineBinds(
    engine,
    (c) =>
      (opts.excludeName !== undefined && (c.Names ?? []).includes(`/${opts.excludeName}`)) ||
      (opts.excludeProject !== undefined && c.Labels?.[COMPOSE_PROJECT] === opts.excludeProject),
    opts.signal,
  );
  const devices = new Map([...existing.volumeDevices, ...(opts.stackVolumes ?? [])]);
  const news = wanted.map((w) => ({ where: w.where, binds: bindsOfSpec(w.spec, w.where, devices) }));
  for (const n of news) {
    const own = ownOverlapProblem(n.binds);
    if (own) refuseOverlap(n.where, own);
    for (const b of n.binds) {
      for (const e of existing.binds) {
        const why = overlapProblem(b, e);
        if (why) refuseOverlap(n.where, why);
      }
      for (const other of news) {
        if (other === n) continue;
        for (const o of other.binds) {
          const why = overlapProblem(b, o);
          if (why) refuseOverlap(n.where, why);
        }
      }
    }
  }
}

/** A new bind volume's device against every container's binds (it will be mounted; judged writable). */
export async function checkVolumeDeviceOverlap(
  engine: Engine,
  config: Config,
  device: string,
  where: string,
  signal?: AbortSignal,
): Promise<void> {
  if (config.policy.allowOverlappingBinds) return;
  const existing = await engineBinds(engine, () => false, signal);
  const mine: HostBind = { source: device, writable: false, owner: where };
  for (const e of existing.binds) {
    const why = overlapProblem(mine, e);
    if (why) refuseOverlap(where, why);
  }
}
