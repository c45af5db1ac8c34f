import type { Config, PolicyConfig } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import type { Engine } from '../docker/engine.js';
import { containerSpecFor, type ComposeProject } from '../stacks/compose/index.js';
import { bindDevice, checkBindOverlaps } from './bindOverlap.js';
import { checkContainerSpec } from './containerPolicy.js';
import { checkVolume } from './hostAccess.js';
import { checkHostAccessOnEngine, EngineLookups } from './hostAccessEngine.js';
import { checkNetwork } from './networkPolicy.js';
import { checkRemoteBind, checkRemoteSpecBinds, enginePlace, SWARM_PLACE } from './remoteBinds.js';

/**
 * The host-access model for a Compose project: every active service as a container spec, and every
 * volume the stack would create (its driver and driver_opts), judged by the same rules as
 * deploy_container and create_volume.
 */

function serviceWhere(project: ComposeProject, service: string): string {
  return `stack "${project.name}" service "${service}"`;
}

/** The checks that need no Engine: each service's normalised spec (by name), and the project with volume options normalised (a bind device resolved). */
function checkStatic(
  policy: PolicyConfig,
  project: ComposeProject,
): { project: ComposeProject; specs: Map<string, ContainerSpec> } {
  const specs = new Map<string, ContainerSpec>();
  for (const service of project.services) {
    specs.set(
      service.name,
      checkContainerSpec(policy, containerSpecFor(project, service, 1), serviceWhere(project, service.name)),
    );
  }
  const volumes = project.volumes.map((v) => {
    if (v.external) return v;
    const decided = checkVolume(policy, v.driver, v.driverOpts, `stack "${project.name}" volume "${v.key}"`);
    return { ...v, driverOpts: decided.options };
  });
  const networks = project.networks.map((n) => {
    if (n.external) return n;
    const decided = checkNetwork(policy, n.driver, n.driverOpts, `stack "${project.name}" network "${n.key}"`);
    return n.driver === undefined
      ? { ...n, driverOpts: decided.options }
      : { ...n, driver: decided.driver, driverOpts: decided.options };
  });
  return { project: { ...project, volumes, networks }, specs };
}

/**
 * Both halves: the Engine half judges volumes that already exist under the names the services mount
 * (external ones, and ones created earlier by anyone) and containers shared with (`container:X`).
 * `swarm`: the services run on any node of the Swarm, so their binds (and bind volumes) are refused
 * as remote ones (src/policy/remoteBinds.ts).
 */
export async function vetStack(
  engine: Engine,
  config: Config,
  project: ComposeProject,
  signal?: AbortSignal,
  opts: { swarm?: boolean } = {},
): Promise<ComposeProject> {
  const checked = checkStatic(config.policy, project);
  const place = opts.swarm ? SWARM_PLACE : enginePlace(engine);
  for (const [service, spec] of checked.specs)
    checkRemoteSpecBinds(config.policy, place, spec, serviceWhere(project, service));
  for (const v of checked.project.volumes) {
    const device = v.external ? undefined : bindDevice(v.driver, v.driverOpts);
    if (device) checkRemoteBind(config.policy, place, device, `stack "${project.name}" volume "${v.key}"`);
  }
  const own = new Set(project.services.map((s) => containerSpecFor(project, s, 1).name as string));
  const lookups = new EngineLookups();
  for (const [service, spec] of checked.specs) {
    await checkHostAccessOnEngine(
      engine,
      config,
      withoutOwnReferences(spec, own),
      serviceWhere(project, service),
      signal,
      lookups,
    );
  }
  const stackVolumes = new Map<string, string>();
  for (const v of checked.project.volumes) {
    const device = v.external ? undefined : bindDevice(v.driver, v.driverOpts);
    if (device) stackVolumes.set(v.name, device);
  }
  const wanted = [...checked.specs].map(([service, spec]) => ({ where: serviceWhere(project, service), spec }));
  await checkBindOverlaps(engine, config, wanted, {
    excludeProject: project.name,
    stackVolumes,
    ...(signal ? { signal } : {}),
  });
  return checked.project;
}

/**
 * network_mode, pid and ipc "service:X" and volumes_from X name a container this deploy creates from
 * a spec judged above: the Engine half looks only at other containers (which may not exist yet otherwise).
 */
function withoutOwnReferences(spec: ContainerSpec, own: ReadonlySet<string>): ContainerSpec {
  const isOwn = (mode: string | undefined) =>
    mode?.startsWith('container:') === true && own.has(mode.slice('container:'.length));
  const networks = spec.networks.filter((n) => !isOwn(n.name));
  const volumesFrom = spec.security?.volumesFrom?.filter((v) => !own.has(v.split(':')[0] as string));
  const out: ContainerSpec = { ...spec, networks };
  if (spec.security) {
    const { pidMode, ipcMode, ...rest } = spec.security;
    out.security = {
      ...rest,
      ...(pidMode !== undefined && !isOwn(pidMode) ? { pidMode } : {}),
      ...(ipcMode !== undefined && !isOwn(ipcMode) ? { ipcMode } : {}),
      ...(volumesFrom ? { volumesFrom } : {}),
    };
  }
  return out;
}
