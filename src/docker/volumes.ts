import type Docker from 'dockerode';
import type { Engine } from './engine.js';
import { ToolError } from '../kernel/errors.js';
import { COMPOSE_PROJECT, isManaged } from './labels.js';
import { knownDrivers } from './networks.js';
import { assertObjectRef } from './refs.js';

/** Named volumes on the Engine: create/list/remove and which containers use each. */

export function volumeTarget(name: string): string {
  return `volume "${name}"`;
}

/** Docker's rule for volume names (at least two characters). */
export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function assertVolumeName(name: string): void {
  if (!VOLUME_NAME.test(name) || name.length > 255) {
    throw new ToolError(
      'invalid_input',
      `Invalid volume name "${name}": use at least two characters of letters, digits, "_", "." or "-", starting with a letter or digit.`,
    );
  }
}

export interface VolumeSpec {
  name: string;
  driver: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export interface VolumeUser {
  name: string;
  state: string;
}

export interface VolumeRow {
  name: string;
  driver: string;
  scope: string;
  created?: string;
  managed: boolean;
  stack?: string;
  /** Containers (running or not) that mount it, at most 20 names. */
  usedBy: string[];
  usedByCount: number;
}

export async function inspectVolume(
  engine: Engine,
  name: string,
  signal?: AbortSignal,
): Promise<Docker.VolumeInspectInfo> {
  assertObjectRef(name, 'volume');
  return engine.call('inspect', (d) => d.getVolume(name).inspect(), { target: volumeTarget(name), signal });
}

async function volumeExists(engine: Engine, name: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await inspectVolume(engine, name, signal);
    return true;
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return false;
    throw err;
  }
}

/** Refuses a driver the Engine does not have (plugins list only what is installed). */
export async function assertVolumeDriver(
  engine: Engine,
  volume: string,
  driver: string,
  signal?: AbortSignal,
): Promise<void> {
  const drivers = await knownDrivers(engine, 'Volume', signal);
  if (drivers.length && !drivers.includes(driver)) {
    throw new ToolError(
      'invalid_input',
      `Cannot create volume "${volume}": unknown volume driver "${driver}". This Engine has: ${drivers.join(', ')}.`,
    );
  }
}

export async function createVolume(
  engine: Engine,
  spec: VolumeSpec,
  signal?: AbortSignal,
): Promise<Docker.VolumeInspectInfo> {
  assertVolumeName(spec.name);
  // The Engine answers "created" for a name that exists (and ignores the new options): say so instead.
  if (await volumeExists(engine, spec.name, signal)) {
    throw new ToolError(
      'conflict',
      `A volume named "${spec.name}" already exists: choose another name, or use the existing one (list_volumes).`,
    );
  }
  await assertVolumeDriver(engine, spec.name, spec.driver, signal);
  const body = { Name: spec.name, Driver: spec.driver, DriverOpts: spec.driverOpts, Labels: spec.labels };
  try {
    await engine.call(
      'create',
      (d) => d.createVolume({ _query: {}, _body: body } as unknown as Docker.VolumeCreateOptions),
      {
        target: volumeTarget(spec.name),
        signal,
      },
    );
  } catch (err) {
    if (err instanceof ToolError && /plugin/i.test(err.message) && /not found/i.test(err.message)) {
      throw new ToolError(
        'invalid_input',
        `Cannot create volume "${spec.name}": unknown volume driver "${spec.driver}". Use "local", or install the driver plugin first.`,
      );
    }
    throw err;
  }
  return inspectVolume(engine, spec.name, signal);
}

function containerName(c: Docker.ContainerInfo): string {
  return (c.Names?.[0] ?? c.Id).replace(/^\//, '');
}

/** Containers, running or stopped, that mount the named volume. */
export async function volumeUsers(engine: Engine, name: string, signal?: AbortSignal): Promise<VolumeUser[]> {
  const list = await engine.call(
    'list containers',
    (d) => d.listContainers({ all: true, filters: { volume: [name] } }),
    { signal },
  );
  return list
    .filter((c) => (c.Mounts ?? []).some((m) => m.Name === name))
    .map((c) => ({ name: containerName(c), state: c.State }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const MAX_NAMES = 20;

/** Compact row. Pure. */
export function volumeRow(v: Docker.VolumeInspectInfo & { CreatedAt?: string }, users: string[]): VolumeRow {
  const labels = v.Labels ?? {};
  const row: VolumeRow = {
    name: v.Name,
    driver: v.Driver,
    scope: v.Scope,
    managed: isManaged(labels),
    usedBy: [...users].sort().slice(0, MAX_NAMES),
    usedByCount: users.length,
  };
  if (v.CreatedAt) row.created = v.CreatedAt;
  if (labels[COMPOSE_PROJECT]) row.stack = labels[COMPOSE_PROJECT];
  return row;
}

export interface VolumeFilters {
  name?: string[];
  driver?: string;
  label?: string[];
  dangling?: boolean;
  stack?: string;
}

export async function listVolumes(engine: Engine, f: VolumeFilters, signal?: AbortSignal): Promise<VolumeRow[]> {
  const filters: Record<string, string[]> = {};
  if (f.name?.length) filters.name = f.name;
  if (f.driver) filters.driver = [f.driver];
  if (f.dangling !== undefined) filters.dangling = [String(f.dangling)];
  const labels = [...(f.label ?? [])];
  if (f.stack) labels.push(`${COMPOSE_PROJECT}=${f.stack}`);
  if (labels.length) filters.label = labels;
  const [vols, containers] = await Promise.all([
    engine.call('list volumes', (d) => d.listVolumes({ filters }), { signal }),
    engine.call('list containers', (d) => d.listContainers({ all: true }), { signal }),
  ]);
  const users = new Map<string, string[]>();
  for (const c of containers) {
    for (const m of c.Mounts ?? []) {
      if (!m.Name) continue;
      users.set(m.Name, [...(users.get(m.Name) ?? []), containerName(c)]);
    }
  }
  return (vols.Volumes ?? [])
    .map((v) => volumeRow(v, users.get(v.Name) ?? []))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export async function removeVolume(engine: Engine, name: string, signal?: AbortSignal): Promise<void> {
  await engine.call('remove', (d) => d.getVolume(name).remove(), {
    target: volumeTarget(name),
    signal,
    conflict: 'it is in use by a container: remove that container first',
  });
}
