import { LABEL_NETWORK_HASH } from '../../docker/labels.js';
import { ToolError } from '../../kernel/errors.js';
import { removalLevels } from './graph.js';
import type { ComposeProject, ComposeService } from './model.js';
import { containerNameFor } from './project.js';

/** What runs now for the project, as the caller found it by the project label. */
export interface ActualContainer {
  id: string;
  name: string;
  service: string;
  /** From the container-number label. */
  number: number;
  /** From the config-hash label; undefined if it has none. */
  configHash?: string;
  /** The Engine's State: created, running, paused, restarting, removing, exited, dead. */
  state: string;
}

export interface ActualState {
  containers: readonly ActualContainer[];
  /** configHash: the network-hash label, when we created it. */
  networks: readonly { name: string; id: string; configHash?: string }[];
  volumes: readonly { name: string }[];
}

export interface PlanOptions {
  /** Remove the project's named volumes that the file no longer uses (default: keep them). */
  removeOrphanVolumes?: boolean;
}

/**
 * create: does not exist; keep: exists and is right; external: declared external, must exist and
 * is never created or removed; remove: the project's object that the file no longer uses.
 */
export interface ResourceAction {
  action: 'create' | 'keep' | 'external' | 'remove';
  /** The Engine name. */
  name: string;
  /** The key in the file; absent for objects the file no longer has. */
  key?: string;
  id?: string;
  reason: string;
}

/**
 * create: a replica that does not exist; recreate: exists with another config (removed, then
 * created again under the same name); start: unchanged but not running; keep: unchanged and
 * running; remove: its service left the file or it is above the replica count.
 */
export interface ContainerAction {
  action: 'create' | 'recreate' | 'start' | 'keep' | 'remove';
  service: string;
  number: number;
  name: string;
  /** The existing container, for every action but create. */
  id?: string;
  reason: string;
}

export interface Plan {
  project: string;
  networks: ResourceAction[];
  volumes: ResourceAction[];
  /**
   * Removals first (so a renamed service can take over its ports), then the active services level
   * by level in start order, replicas in number order.
   */
  containers: ContainerAction[];
  /** Start levels of the active services (see topologicalLevels); apply goes level by level. */
  levels: string[][];
  /** The same levels reversed, for stopping and removing. */
  removalLevels: string[][];
  /** False when applying the plan would change nothing. */
  changes: boolean;
  summary: Record<ContainerAction['action'], number>;
}

/** States in which a container with the right config needs nothing. */
const RUNNING_STATES = new Set(['running', 'restarting']);
/** States `start` brings back; any other non-running state (paused, dead, removing) means recreate. */
const STARTABLE_STATES = new Set(['created', 'exited']);

/**
 * Compares the project with what runs and lists what to do with every object. Pure.
 *
 * A service is recreated only when its own config hash changed. Recreating a service does not
 * recreate the services that depend on it: their containers keep running and reach the new
 * container through the network alias (the service name), as with `docker compose up`.
 */
export function planDeployment(project: ComposeProject, actual: ActualState, options: PlanOptions = {}): Plan {
  checkNetworksUnchanged(project, actual);
  const networks = planResources(project.networks, actual.networks, 'network', false);
  const volumes = planResources(project.volumes, actual.volumes, 'volume', options.removeOrphanVolumes === true);
  const containers = planContainers(project, actual.containers);
  const summary = { create: 0, recreate: 0, start: 0, keep: 0, remove: 0 };
  for (const c of containers) summary[c.action]++;
  const changes =
    containers.some((c) => c.action !== 'keep') ||
    [...networks, ...volumes].some((r) => r.action === 'create' || r.action === 'remove');
  return {
    project: project.name,
    networks,
    volumes,
    containers,
    levels: project.levels,
    removalLevels: removalLevels(project.levels),
    changes,
    summary,
  };
}

/**
 * The Engine cannot change a network's driver, options or ipam in place. Compose v2 recreates such
 * a network (every container on it stops); here the deploy is refused with what to do, before
 * anything changes, rather than keeping a network that no longer matches the file.
 */
function checkNetworksUnchanged(project: ComposeProject, actual: ActualState): void {
  const existing = new Map(actual.networks.map((n) => [n.name, n]));
  const changed = project.networks.filter((n) => {
    const had = existing.get(n.name)?.configHash;
    const want = n.labels[LABEL_NETWORK_HASH];
    return !n.external && had !== undefined && want !== undefined && had !== want;
  });
  if (!changed.length) return;
  throw new ToolError(
    'conflict',
    `Stack "${project.name}": ${changed.map((n) => `network "${n.name}" (networks.${n.key})`).join(', ')} exists with other settings (driver, driver_opts, internal, attachable or ipam) than the file now gives, and a network cannot be changed in place. Nothing was changed. Remove the stack (remove_stack; named volumes are kept) and deploy again, or give the network another name.`,
    { networks: changed.map((n) => n.name) },
  );
}

function planResources(
  desired: readonly { key: string; name: string; external: boolean }[],
  existing: readonly { name: string; id?: string }[],
  kind: 'network' | 'volume',
  removeOrphans: boolean,
): ResourceAction[] {
  const byName = new Map(existing.map((e) => [e.name, e]));
  const actions: ResourceAction[] = desired.map((d): ResourceAction => {
    if (d.external)
      return {
        action: 'external',
        name: d.name,
        key: d.key,
        reason: `external ${kind}: must exist, never created or removed`,
      };
    const found = byName.get(d.name);
    if (!found) return { action: 'create', name: d.name, key: d.key, reason: `${kind} does not exist` };
    return withId({ action: 'keep', name: d.name, key: d.key, reason: `${kind} exists` }, found.id);
  });
  const wanted = new Set(desired.map((d) => d.name));
  for (const e of existing) {
    if (wanted.has(e.name)) continue;
    // Named volumes hold data: they outlive the services that used them unless removal is asked for.
    const remove = kind === 'network' || removeOrphans;
    const reason = remove
      ? `no longer used by the stack`
      : `no longer used by the stack; kept because volumes are only removed on request`;
    actions.push(withId({ action: remove ? 'remove' : 'keep', name: e.name, reason }, e.id));
  }
  return actions;
}

function withId(action: ResourceAction, id: string | undefined): ResourceAction {
  return id === undefined ? action : { ...action, id };
}

function planContainers(project: ComposeProject, existing: readonly ActualContainer[]): ContainerAction[] {
  const services = new Map(project.services.map((s) => [s.name, s]));
  const inactive = new Set(project.inactiveServices);
  const removals: ContainerAction[] = [];
  const kept = new Map<string, ActualContainer>();
  const leftAlone: ContainerAction[] = [];

  // Of two containers claiming the same number, the running one is kept.
  const byNumberRunningFirst = (a: ActualContainer, b: ActualContainer) =>
    (a.service < b.service ? -1 : a.service > b.service ? 1 : 0) ||
    a.number - b.number ||
    Number(b.state === 'running') - Number(a.state === 'running');
  for (const c of [...existing].sort(byNumberRunningFirst)) {
    const base = { service: c.service, number: c.number, name: c.name, id: c.id };
    const service = services.get(c.service);
    if (!service) {
      // Services switched off by profiles are still in the file: Compose leaves their containers alone.
      if (inactive.has(c.service))
        leftAlone.push({
          ...base,
          action: 'keep',
          reason: 'service not enabled by the selected profiles; left as it is',
        });
      else removals.push({ ...base, action: 'remove', reason: 'service no longer in the file' });
    } else if (!Number.isInteger(c.number) || c.number < 1 || c.number > service.replicas) {
      removals.push({
        ...base,
        action: 'remove',
        reason: `scaled down to ${service.replicas} replica${service.replicas === 1 ? '' : 's'}`,
      });
    } else if (kept.has(`${c.service}#${c.number}`)) {
      removals.push({ ...base, action: 'remove', reason: `duplicate container number ${c.number}` });
    } else kept.set(`${c.service}#${c.number}`, c);
  }

  const ordered = project.levels.flat().map((name) => services.get(name) as ComposeService);
  const replaced = new Set<string>();
  const desired = ordered.flatMap((service) =>
    Array.from({ length: service.replicas }, (_, i) => {
      const action = followShared(
        service,
        planReplica(project.name, service, i + 1, kept.get(`${service.name}#${i + 1}`)),
        replaced,
      );
      if (action.action === 'create' || action.action === 'recreate') replaced.add(action.name);
      return action;
    }),
  );
  return [...removals, ...desired, ...leftAlone];
}

/**
 * A container in another's network namespace (network_mode service:X) or with its volumes
 * (volumes_from) holds on to the old one: when X's container is replaced, it is recreated too,
 * as Compose does. Dependencies come first in `levels`, so X's action is known here.
 */
function followShared(
  service: ComposeService,
  action: ContainerAction,
  replaced: ReadonlySet<string>,
): ContainerAction {
  if (action.action !== 'keep' && action.action !== 'start') return action;
  const shared = [
    ...service.spec.networks
      .filter((n) => n.name.startsWith('container:'))
      .map((n) => n.name.slice('container:'.length)),
    ...(service.spec.security?.volumesFrom ?? []).map((v) => v.split(':')[0] as string),
    ...[service.spec.security?.pidMode, service.spec.security?.ipcMode]
      .filter((m): m is string => m?.startsWith('container:') === true)
      .map((m) => m.slice('container:'.length)),
  ].find((name) => replaced.has(name));
  return shared === undefined
    ? action
    : { ...action, action: 'recreate', reason: `shares the namespace or volumes of ${shared}, which is replaced` };
}

function planReplica(
  project: string,
  service: ComposeService,
  number: number,
  current: ActualContainer | undefined,
): ContainerAction {
  const name = containerNameFor(project, service, number);
  if (!current) return { action: 'create', service: service.name, number, name, reason: 'container does not exist' };
  const base = { service: service.name, number, name, id: current.id };
  if (current.configHash !== service.configHash) return { ...base, action: 'recreate', reason: 'config changed' };
  if (current.name !== name)
    return { ...base, action: 'recreate', reason: `container name changed from ${current.name}` };
  if (RUNNING_STATES.has(current.state)) return { ...base, action: 'keep', reason: 'unchanged and running' };
  if (STARTABLE_STATES.has(current.state))
    return { ...base, action: 'start', reason: `unchanged but not running (${current.state})` };
  return { ...base, action: 'recreate', reason: `container is ${current.state}` };
}
