import type { Config } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { inspectContainer } from '../docker/containers.js';
import type { ContainerHostConfig, ContainerInspect, VolumeInspect } from '../docker/queries.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import type { MountMapping, SecuritySettings } from '../docker/specParsers.js';
import { inspectVolume } from '../docker/volumes.js';
import { inspectNetwork } from '../docker/networks.js';
import { checkHostAccess, checkVolume, containerReferences, refuse } from './hostAccess.js';
import { bindDevice, checkBindOverlaps } from './bindOverlap.js';
import { checkRemoteBind, checkRemoteSpecBinds, enginePlace } from './remoteBinds.js';
import { checkContainerSpec } from './containerPolicy.js';
import { assertInScope } from './scope.js';

/**
 * The host-access routes that only the Engine can tell about, judged with the rules of
 * hostAccess.ts: a named volume that already exists (its driver and options, whoever created it),
 * and another container whose namespaces (`container:X`) or mounts (volumes_from) a container
 * would share: X must pass the same model, as if it were being created now.
 */

const MAX_DEPTH = 4;

type NetworkInspect = Awaited<ReturnType<typeof inspectNetwork>>;

/**
 * Engine answers shared by the checks of one stack's services: each network is inspected once
 * however many services join it (a stack of thousands of services on one network made thousands
 * of identical calls).
 */
export class EngineLookups {
  private readonly networks = new Map<string, Promise<NetworkInspect | undefined>>();

  network(engine: Engine, name: string, signal?: AbortSignal): Promise<NetworkInspect | undefined> {
    let found = this.networks.get(name);
    if (!found) {
      found = inspectNetwork(engine, name, signal).catch((err: unknown) => {
        // A network the deploy creates itself does not exist yet; a bad name fails at create.
        if (err instanceof ToolError && (err.kind === 'not_found' || err.kind === 'invalid_input')) return undefined;
        throw err;
      });
      this.networks.set(name, found);
    }
    return found;
  }
}

async function existingVolume(engine: Engine, name: string, signal?: AbortSignal): Promise<VolumeInspect | undefined> {
  try {
    return await inspectVolume(engine, name, signal);
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return undefined;
    throw err;
  }
}

/** An existing volume a container would mount: judged by what the Engine says it is. */
export async function checkExistingVolume(
  engine: Engine,
  config: Config,
  name: string,
  where: string,
  signal?: AbortSignal,
): Promise<void> {
  const v = await existingVolume(engine, name, signal);
  if (!v) return;
  const options = (v.Options ?? {}) as Record<string, string>;
  const decided = checkVolume(config.policy, v.Driver, options, `${where}: existing volume "${name}"`);
  const device = bindDevice(decided.driver, decided.options);
  if (device) checkRemoteBind(config.policy, enginePlace(engine), device, `${where}: existing volume "${name}"`);
}

/** What another container has, as a spec the model can judge. Pure. */
export function specOfContainer(c: ContainerInspect): ContainerSpec {
  const hc = c.HostConfig as ContainerHostConfig & {
    DeviceCgroupRules?: string[];
    MaskedPaths?: string[] | null;
    UsernsMode?: string;
    VolumesFrom?: string[] | null;
  };
  const mounts: MountMapping[] = (c.Mounts ?? []).flatMap((m): MountMapping[] => {
    if (m.Type === 'bind') return [{ type: 'bind', source: m.Source, target: m.Destination, readOnly: !m.RW }];
    if (m.Type === 'volume' && m.Name)
      return [{ type: 'volume', source: m.Name, target: m.Destination, readOnly: !m.RW }];
    return [];
  });
  const security: SecuritySettings = {};
  if (hc.Privileged) security.privileged = true;
  if (hc.CapAdd?.length) security.capAdd = hc.CapAdd;
  if (hc.Devices?.length)
    security.devices = hc.Devices.map(
      (d: { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }) => ({
        pathOnHost: d.PathOnHost,
        pathInContainer: d.PathInContainer,
        permissions: d.CgroupPermissions,
      }),
    );
  if (hc.DeviceCgroupRules?.length) security.deviceCgroupRules = hc.DeviceCgroupRules;
  // CgroupnsMode is left out: the Engine fills in its default ("host" on cgroup v1), so inspect cannot tell a request from it.
  for (const [prop, value] of [
    ['pidMode', hc.PidMode],
    ['ipcMode', hc.IpcMode],
    ['utsMode', hc.UTSMode],
    ['usernsMode', hc.UsernsMode],
  ] as const) {
    if (value) security[prop] = value;
  }
  if (hc.SecurityOpt?.length) security.securityOpt = hc.SecurityOpt;
  // The Engine fills in its default masked paths at create; an empty list means systempaths=unconfined.
  if (Array.isArray(hc.MaskedPaths) && hc.MaskedPaths.length === 0 && !hc.Privileged)
    security.systemPathsUnconfined = true;
  if (hc.Sysctls && Object.keys(hc.Sysctls).length) security.sysctls = hc.Sysctls;
  if (hc.CgroupParent) security.cgroupParent = hc.CgroupParent;
  if (hc.VolumesFrom?.length) security.volumesFrom = hc.VolumesFrom;
  const network = hc.NetworkMode;
  const spec: ContainerSpec = {
    image: c.Config.Image,
    env: {},
    ports: [],
    mounts,
    networks: network ? [{ name: network, aliases: [] }] : [],
    labels: c.Config.Labels ?? {},
    extraHosts: [],
  };
  if (Object.keys(security).length) spec.security = security;
  return spec;
}

async function checkReferencedContainer(
  engine: Engine,
  config: Config,
  ref: string,
  via: string,
  where: string,
  depth: number,
  signal?: AbortSignal,
): Promise<void> {
  let c: ContainerInspect;
  try {
    c = await inspectContainer(engine, ref, signal);
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found')
      throw new ToolError('not_found', `${where}: ${via} names container "${ref}", which does not exist.`);
    throw err;
  }
  const name = c.Name.replace(/^\//, '');
  const at = `${where}: ${via} shares with container "${name}", which`;
  assertInScope(config, c.Config.Labels, `container "${name}" (named by ${via} in ${where})`);
  if (depth >= MAX_DEPTH) {
    refuse(
      'shared-container',
      `${where}: ${via} leads through more than ${MAX_DEPTH} containers sharing namespaces or volumes`,
      'fewer levels of container:/volumes_from',
    );
  }
  try {
    const spec = checkHostAccess(config.policy, specOfContainer(c), `container "${name}"`);
    await checkSpecOnEngine(engine, config, spec, `container "${name}"`, depth + 1, signal, new EngineLookups());
  } catch (err) {
    if (err instanceof ToolError && (err.kind === 'denied' || err.kind === 'invalid_input')) {
      const details = err.kind === 'denied' && err.details ? err.details : { rule: 'shared-container' };
      throw new ToolError('denied', `${at} has host access of its own. ${err.message}`, details);
    }
    throw err;
  }
}

async function checkSpecOnEngine(
  engine: Engine,
  config: Config,
  spec: ContainerSpec,
  where: string,
  depth: number,
  signal: AbortSignal | undefined,
  lookups: EngineLookups,
): Promise<void> {
  checkRemoteSpecBinds(config.policy, enginePlace(engine), spec, where);
  for (const m of spec.mounts) {
    if (m.type === 'volume' && m.source) await checkExistingVolume(engine, config, m.source, where, signal);
  }
  for (const r of containerReferences(spec))
    await checkReferencedContainer(engine, config, r.ref, r.via, where, depth, signal);
  if (!config.policy.allowHostNetwork)
    for (const n of spec.networks) await checkNetworkIsNotHost(engine, lookups, n.name, where, signal);
}

/** A network named another way (its id, an id prefix) may still be the host's: judged by its driver. */
async function checkNetworkIsNotHost(
  engine: Engine,
  lookups: EngineLookups,
  name: string,
  where: string,
  signal?: AbortSignal,
): Promise<void> {
  const net = await lookups.network(engine, name, signal);
  if (net?.Driver === 'host')
    refuse(
      'host-network',
      `${where}: network "${name}" is the host's network (driver host) and shares its network namespace with the container`,
      'DOM_ALLOW_HOST_NETWORK=1',
    );
}

/**
 * The Engine half of the model, for a spec that already passed checkHostAccess (and is normalised):
 * existing named volumes, `container:X` namespaces and volumes_from. Throws `denied` like the rest.
 */
export async function checkHostAccessOnEngine(
  engine: Engine,
  config: Config,
  spec: ContainerSpec,
  where: string,
  signal?: AbortSignal,
  lookups: EngineLookups = new EngineLookups(),
): Promise<void> {
  await checkSpecOnEngine(engine, config, spec, where, 0, signal, lookups);
}

/** The whole container policy (images, host access, then the Engine half): the normalised spec to create, or a `denied` error. */
export async function vetContainerSpec(
  engine: Engine,
  config: Config,
  spec: ContainerSpec,
  where: string,
  signal?: AbortSignal,
): Promise<ContainerSpec> {
  const n = checkContainerSpec(config.policy, spec, where);
  await checkHostAccessOnEngine(engine, config, n, where, signal);
  await checkBindOverlaps(engine, config, [{ where, spec: n }], {
    ...(n.name ? { excludeName: n.name } : {}),
    ...(signal ? { signal } : {}),
  });
  return n;
}

/**
 * An existing container about to be (re)started by a tool: binds are mounted again at every start,
 * so a folder swapped for a symlink since the container was created would reach the host now. The
 * container is judged as it is today by the same model. (Restarts the Engine makes by itself, by
 * restart policy, do not pass here.)
 */
export async function vetExistingContainer(
  engine: Engine,
  config: Config,
  c: ContainerInspect,
  signal?: AbortSignal,
): Promise<void> {
  const where = `container "${c.Name.replace(/^\//, '')}"`;
  const spec = checkHostAccess(config.policy, specOfContainer(c), where);
  await checkSpecOnEngine(engine, config, spec, where, 0, signal, new EngineLookups());
}
