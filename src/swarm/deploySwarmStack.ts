import type { EngineAuth } from '../docker/registryAuth.js';
import type { Logger } from 'pino';
import type { Engine } from '../docker/engine.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { ToolError } from '../kernel/errors.js';
import type { ComposeProject, ComposeService } from '../stacks/compose/index.js';
import {
  createFileObject,
  createOverlayNetwork,
  listFileObjects,
  type SwarmFileKind,
  createService,
  findNetwork,
  inspectService,
  listNodes,
  listServicesByLabel,
  listTasks,
  removeNetwork,
  removeFileObject,
  removeService,
  swarmManagerState,
  updateService,
  type SwarmServiceInfo,
  type SwarmTask,
} from '../docker/swarmServices.js';
import { readSwarmDeploys } from './deployConfig.js';
import { STACK_NAMESPACE } from './cluster.js';
import {
  LABEL_SWARM_HASH,
  toOverlayNetwork,
  toServiceSpec,
  swarmFileName,
  type OverlayNetworkSpec,
  type SwarmFileRef,
  type ServiceSpec,
} from './serviceSpec.js';

/**
 * A Compose stack on a Swarm, as `docker stack deploy` does it through the Engine API: overlay
 * networks, then one service per Compose service; a plan first (create / update / keep / remove
 * by the spec hash label), then convergence: every service's tasks running on their nodes (a
 * task with a healthcheck is running only once healthy), bounded by the timeout. A failed update
 * is rolled back by Swarm itself (failure_action rollback, our default); a first deploy that does
 * not converge has the services it created removed. The answer names failing tasks and nodes.
 */

export interface SwarmDeployPorts {
  engine: Engine;
  log: Logger;
  signal: AbortSignal;
  progress: (current: number, total?: number, message?: string) => void;
  /** The policy's last word on a spec (normalised, default limits): what the service runs. */
  finishSpec: (spec: ContainerSpec) => ContainerSpec;
  /** Throws when an existing object may not be changed by this server (ownership scope). */
  assertInScope: (labels: Record<string, string>, what: string) => void;
  /** Registry credentials for an image (server-side configuration only), sent with the service. */
  registryAuth?: (image: string) => EngineAuth | undefined;
}

export interface SwarmDeployInput {
  project: ComposeProject;
  /** Our labels on every service and network (managed, instance, source). */
  labels: Record<string, string>;
  instanceLabel: string;
  /** Key of the content digests that name secrets and configs (stable across deploys). */
  contentKey: Buffer | string;
  dryRun: boolean;
  wait: 'healthy' | 'running' | 'none';
  timeoutMs: number;
}

export interface SwarmPlanRow {
  action: 'create' | 'update' | 'keep' | 'remove';
  service: string;
  name: string;
  reason: string;
}

export interface SwarmNetworkRow {
  action: 'create' | 'keep' | 'external';
  name: string;
  reason: string;
}

export interface SwarmServiceResult {
  service: string;
  name: string;
  condition: 'running' | 'healthy' | 'removed' | 'not waited';
  image: string;
  mode: 'replicated' | 'global';
  replicas: number;
  running: number;
  nodes: string[];
  readyMs?: number;
}

export interface SwarmFileRow {
  action: 'create' | 'keep';
  kind: 'secret' | 'config';
  name: string;
  reason: string;
}

export interface SwarmDeployResult {
  plan: { services: SwarmPlanRow[]; networks: SwarmNetworkRow[]; files: SwarmFileRow[]; changes: boolean };
  services?: SwarmServiceResult[];
  timeToReadyMs?: number;
  durationMs?: number;
  warnings: string[];
}

const POLL_MS = 500;
/** After an update is rolled back, how long to wait for the old tasks to be healthy again. */
const ROLLBACK_SETTLE_MS = 120_000;

interface Desired {
  service: string;
  spec: ServiceSpec;
  hash: string;
}

function authFor(ports: SwarmDeployPorts, spec: unknown): EngineAuth | undefined {
  const image = (spec as { TaskTemplate?: { ContainerSpec?: { Image?: string } } }).TaskTemplate?.ContainerSpec?.Image;
  return image && ports.registryAuth ? ports.registryAuth(image) : undefined;
}

export async function deploySwarmStack(input: SwarmDeployInput, ports: SwarmDeployPorts): Promise<SwarmDeployResult> {
  const { engine, signal } = ports;
  const { project } = input;
  const started = Date.now();
  const state = await swarmManagerState(engine, signal);
  if (!state.manager) {
    throw new ToolError(
      'invalid_input',
      `Cannot deploy stack "${project.name}" as Swarm services: the Engine is not a Swarm manager (Swarm state "${state.state}"). Deploy with target "engine", or point the server at a manager.`,
    );
  }
  // Each node creates a task's volume itself with the local driver and no options: a driver or
  // options in the file would be dropped without a word, so they are refused by name.
  for (const v of project.volumes)
    if (!v.external && ((v.driver && v.driver !== 'local') || Object.keys(v.driverOpts).length))
      throw new ToolError(
        'invalid_input',
        `volume "${v.key}": driver and driver_opts are not carried to the nodes of a Swarm (each node makes the volume with the local driver); leave them out, create the volume on each node and mark it external, or deploy to a single Engine.`,
      );
  const warnings: string[] = [];
  const deploys = readSwarmDeploys(project.sourceServices ?? {});
  // Secrets and configs: one Swarm object per key and content (named by its keyed digest).
  const fileObjects = new Map<string, { kind: SwarmFileKind; key: string; name: string; data: Buffer }>();
  const refsOf = (service: ComposeService): SwarmFileRef[] =>
    (service.files ?? []).map((f) => {
      const name = swarmFileName(project.name, f.source, f.content.digest(input.contentKey));
      fileObjects.set(`${f.kind}:${name}`, { kind: f.kind, key: f.source, name, data: f.content.bytes() });
      return { kind: f.kind, name, target: f.target, uid: f.uid, gid: f.gid, mode: f.mode };
    });
  const desired: Desired[] = project.services.map((service) => {
    const deploy = deploys.get(service.name);
    if (!deploy) throw new ToolError('failed', `No Swarm settings were read for service "${service.name}".`);
    // A port meant for one address (often 127.0.0.1) would be open on every address of every node.
    if (deploy.droppedHostIps.length)
      throw new ToolError(
        'invalid_input',
        `service ${service.name}: a Swarm cannot publish a port on one address; ${deploy.droppedHostIps.join(', ')} would be published on every address of every node. Drop the address (publish on all addresses, knowingly) or deploy to a single Engine.`,
      );
    if (service.dependsOn.length)
      warnings.push(`service ${service.name}: depends_on is not ordered on a Swarm (as with docker stack deploy).`);
    const spec = toServiceSpec(project, service, ports.finishSpec(service.spec), deploy, input.labels, refsOf(service));
    return { service: service.name, spec, hash: spec.Labels[LABEL_SWARM_HASH] as string };
  });
  const networks = project.networks.map((n) => toOverlayNetwork(project, n, input.instanceLabel));

  const existing = await listServicesByLabel(engine, `${STACK_NAMESPACE}=${project.name}`, signal);
  const byName = new Map(existing.map((s) => [s.name, s]));
  const rows: SwarmPlanRow[] = desired.map((d) => planRow(d, byName.get(d.spec.Name)));
  const wanted = new Set(desired.map((d) => d.spec.Name));
  for (const s of existing) {
    if (!wanted.has(s.name))
      rows.push({
        action: 'remove',
        service: s.name.slice(project.name.length + 1),
        name: s.name,
        reason: 'no longer in the file',
      });
  }
  for (const row of rows) {
    const current = byName.get(row.name);
    if (current && row.action !== 'keep')
      ports.assertInScope(current.labels, `service "${row.name}" of stack "${project.name}"`);
  }
  const networkRows = await planNetworks(engine, networks, signal);
  const haveFiles = new Map<string, string>();
  for (const kind of ['secret', 'config'] as const) {
    if (![...fileObjects.values()].some((f) => f.kind === kind)) continue;
    for (const o of await listFileObjects(engine, kind, `${STACK_NAMESPACE}=${project.name}`, signal))
      haveFiles.set(`${kind}:${o.name}`, o.id);
  }
  const fileRows: SwarmFileRow[] = [...fileObjects.entries()].map(([k, f]) => ({
    action: haveFiles.has(k) ? 'keep' : 'create',
    kind: f.kind,
    name: f.name,
    reason: haveFiles.has(k) ? 'same content exists' : `new ${f.kind} content for "${f.key}"`,
  }));
  const changes =
    rows.some((r) => r.action !== 'keep') ||
    networkRows.some((n) => n.action === 'create') ||
    fileRows.some((f) => f.action === 'create');
  const plan = { services: rows, networks: networkRows, files: fileRows, changes };
  if (input.dryRun) return { plan, warnings };

  const total =
    networkRows.filter((n) => n.action === 'create').length + rows.filter((r) => r.action !== 'keep').length;
  let step = 0;
  const createdNetworks: string[] = [];
  const createdServices: string[] = [];
  const updated = new Map<string, SwarmServiceInfo>();
  for (const n of networks) {
    if (networkRows.find((r) => r.name === n.name)?.action !== 'create') continue;
    ports.progress(++step, total, `creating overlay network ${n.name}`);
    createdNetworks.push(await createOverlayNetwork(engine, n.body, signal));
  }
  const fileLabels = { ...input.labels, [STACK_NAMESPACE]: project.name };
  for (const [k, f] of fileObjects) {
    if (haveFiles.has(k)) continue;
    haveFiles.set(k, await createFileObject(engine, f.kind, f.name, fileLabels, f.data, signal));
  }
  for (const d of desired) {
    const c = d.spec.TaskTemplate.ContainerSpec as {
      Secrets?: { SecretName: string; SecretID: string }[];
      Configs?: { ConfigName: string; ConfigID: string }[];
    };
    for (const r of c.Secrets ?? []) r.SecretID = haveFiles.get(`secret:${r.SecretName}`) ?? '';
    for (const r of c.Configs ?? []) r.ConfigID = haveFiles.get(`config:${r.ConfigName}`) ?? '';
  }
  try {
    for (const d of desired) {
      const row = rows.find((r) => r.name === d.spec.Name) as SwarmPlanRow;
      if (row.action === 'create') {
        ports.progress(++step, total, `creating service ${d.spec.Name}`);
        const res = await createService(engine, d.spec, signal, authFor(ports, d.spec));
        createdServices.push(res.id);
        warnings.push(...res.warnings.map((w) => `service ${d.spec.Name}: ${w}`));
      } else if (row.action === 'update') {
        const current = byName.get(d.spec.Name) as SwarmServiceInfo;
        ports.progress(++step, total, `updating service ${d.spec.Name}`);
        const auth = authFor(ports, d.spec);
        const w = await updateService(engine, current.id, current.version, d.spec as never, {
          signal,
          ...(auth ? { auth } : {}),
        });
        warnings.push(...w.map((x) => `service ${d.spec.Name}: ${x}`));
        updated.set(d.spec.Name, current);
      }
    }
  } catch (err) {
    await undoCreated(engine, createdServices, createdNetworks, ports.log);
    throw err;
  }

  const result = await converge(input, ports, desired, updated, createdServices, createdNetworks, started);
  for (const row of rows.filter((r) => r.action === 'remove')) {
    ports.progress(++step, total, `removing service ${row.name}`);
    const current = byName.get(row.name) as SwarmServiceInfo;
    await removeService(engine, current.id, signal);
    result.push({
      service: row.service,
      name: row.name,
      condition: 'removed',
      image: current.image,
      mode: current.global ? 'global' : 'replicated',
      replicas: 0,
      running: 0,
      nodes: [],
    });
  }
  // Secrets and configs of the stack that no service uses any more (older content): best effort.
  for (const kind of ['secret', 'config'] as const) {
    for (const o of await listFileObjects(engine, kind, `${STACK_NAMESPACE}=${project.name}`, signal)) {
      if (fileObjects.has(`${kind}:${o.name}`)) continue;
      await removeFileObject(engine, kind, o.id, signal).catch((err: unknown) =>
        ports.log.debug({ err, name: o.name }, `${kind} still in use; kept`),
      );
    }
  }
  const readyMs = result.map((r) => r.readyMs ?? 0);
  return {
    plan,
    services: result,
    timeToReadyMs: readyMs.length ? Math.max(...readyMs) : 0,
    durationMs: Date.now() - started,
    warnings,
  };
}

function planRow(d: Desired, current: SwarmServiceInfo | undefined): SwarmPlanRow {
  const base = { service: d.service, name: d.spec.Name };
  if (!current) return { ...base, action: 'create', reason: 'new service' };
  if (current.labels[LABEL_SWARM_HASH] === d.hash)
    return { ...base, action: 'keep', reason: 'unchanged (same spec hash)' };
  const image = d.spec.TaskTemplate.ContainerSpec.Image as string;
  const reason =
    current.image.split('@')[0] !== image
      ? `image ${current.image.split('@')[0]} -> ${image}`
      : current.labels[LABEL_SWARM_HASH]
        ? 'configuration changed (spec hash differs)'
        : 'not deployed by this server (no spec hash): taken over';
  return { ...base, action: 'update', reason };
}

async function planNetworks(
  engine: Engine,
  networks: OverlayNetworkSpec[],
  signal: AbortSignal,
): Promise<SwarmNetworkRow[]> {
  const rows: SwarmNetworkRow[] = [];
  for (const n of networks) {
    const found = await findNetwork(engine, n.name, signal);
    if (n.external) {
      if (!found)
        throw new ToolError(
          'not_found',
          `External network "${n.name}" does not exist on the Swarm: create it first (overlay).`,
        );
      rows.push({ action: 'external', name: n.name, reason: 'external: used as it is' });
    } else if (!found) rows.push({ action: 'create', name: n.name, reason: 'new overlay network' });
    else if (found.scope !== 'swarm')
      throw new ToolError(
        'conflict',
        `Network "${n.name}" exists with driver ${found.driver} (scope ${found.scope}), which cannot span Swarm nodes: remove it or give the stack's network another name.`,
      );
    else rows.push({ action: 'keep', name: n.name, reason: 'exists' });
  }
  return rows;
}

async function undoCreated(engine: Engine, services: string[], networks: string[], log: Logger): Promise<void> {
  for (const id of services)
    await removeService(engine, id).catch((err: unknown) => log.warn({ err, id }, 'could not remove a service'));
  // A network is in use until the removed services' tasks are gone.
  for (const id of networks) {
    for (let i = 0; i < 30; i++) {
      const ok = await removeNetwork(engine, id).then(
        () => true,
        (err: unknown) => (err instanceof ToolError && err.kind === 'not_found' ? true : false),
      );
      if (ok) break;
      await sleep(1000);
    }
  }
}

/** Running tasks of one service (desired running, state running), with their nodes. */
function runningTasks(tasks: SwarmTask[], serviceId: string): SwarmTask[] {
  return tasks.filter((t) => t.serviceId === serviceId && t.desiredState === 'running' && t.state === 'running');
}

async function converge(
  input: SwarmDeployInput,
  ports: SwarmDeployPorts,
  desired: Desired[],
  updated: Map<string, SwarmServiceInfo>,
  createdServices: string[],
  createdNetworks: string[],
  started: number,
): Promise<SwarmServiceResult[]> {
  const { engine, signal } = ports;
  const deadline = started + input.timeoutMs;
  const nodes = new Map((await listNodes(engine, signal)).map((n) => [n.id, n]));
  const readyAt = new Map<string, number>();
  /** Swarm's reason for a rollback (said while it runs; "rollback completed" replaces it after). */
  const whyRolledBack = new Map<string, string>();
  const condition = input.wait === 'none' ? 'not waited' : input.wait === 'healthy' ? 'healthy' : 'running';
  let services: SwarmServiceInfo[];
  let tasks: SwarmTask[];
  const hostOf = (id: string) => nodes.get(id)?.hostname ?? id.slice(0, 12);

  for (;;) {
    services = await Promise.all(desired.map((d) => inspectService(engine, d.spec.Name, signal)));
    tasks = await listTasks(
      engine,
      services.map((s) => s.id),
      signal,
    );
    if (input.wait === 'none') break;
    let pending = 0;
    for (const s of services) {
      if ((s.updateState === 'rollback_started' || s.updateState === 'paused') && s.updateMessage)
        whyRolledBack.set(s.name, s.updateMessage);
      const rolledBack = s.updateState === 'rollback_completed' || s.updateState === 'rollback_paused';
      if (updated.has(s.name) && (rolledBack || s.updateState === 'paused')) {
        const wantedImage = desired.find((d) => d.spec.Name === s.name)?.spec.TaskTemplate.ContainerSpec
          .Image as string;
        await failedUpdate(
          ports,
          s,
          updated.get(s.name) as SwarmServiceInfo,
          wantedImage,
          tasks,
          hostOf,
          whyRolledBack.get(s.name),
        );
      }
      if (isConverged(s, tasks, nodes.size)) {
        if (!readyAt.has(s.name)) {
          readyAt.set(s.name, Date.now() - started);
          ports.progress(readyAt.size, desired.length, `service ${s.name}: ${condition}`);
        }
      } else {
        readyAt.delete(s.name);
        pending++;
      }
    }
    if (pending === 0) break;
    const late = services.filter((s) => !readyAt.has(s.name));
    // No registry is reachable (or the image is not in it): Swarm would retry forever.
    const missing = missingImages(late, tasks, hostOf);
    if (missing.length) {
      await giveUp(
        late,
        'failed',
        `Stack "${input.project.name}" cannot start: ${missing.join('; ')}. Load the image on those nodes (docker save IMAGE | docker -H NODE load) or push it to a registry every node can pull from.`,
      );
    }
    if (signal.aborted || Date.now() > deadline) {
      const detail = late.map((s) => describeService(s, tasks, hostOf)).join('; ');
      await giveUp(
        late,
        signal.aborted ? 'failed' : 'timeout',
        `Stack "${input.project.name}" did not converge within ${Math.round(input.timeoutMs / 1000)} s: ${detail}.`,
      );
    }
    await sleep(POLL_MS, signal);
  }
  /** An update in progress goes back to the previous spec; services this deploy created go. */
  async function giveUp(late: SwarmServiceInfo[], kind: 'failed' | 'timeout', message: string): Promise<never> {
    for (const s of late) {
      const before = updated.get(s.name);
      if (before)
        await updateService(engine, s.id, s.version, before.spec, { rollback: true }).catch((err: unknown) =>
          ports.log.warn({ err, service: s.name }, 'could not roll back'),
        );
    }
    await undoCreated(engine, createdServices, createdNetworks, ports.log);
    const undone = [
      ...(updated.size ? ['updated services rolled back to their previous spec'] : []),
      ...(createdServices.length ? ['services this deploy created removed'] : []),
    ];
    throw new ToolError(kind, `${message}${undone.length ? ` ${undone.join('; ')}.` : ''}`);
  }
  return services.map((s) => {
    const d = desired.find((x) => x.spec.Name === s.name) as Desired;
    const running = runningTasks(tasks, s.id);
    const r: SwarmServiceResult = {
      service: d.service,
      name: s.name,
      condition,
      image: s.image.split('@')[0] as string,
      mode: s.global ? 'global' : 'replicated',
      replicas: s.global ? running.length : (s.replicas ?? 0),
      running: running.length,
      nodes: [...new Set(running.map((t) => hostOf(t.nodeId)))].sort(),
    };
    const at = readyAt.get(s.name);
    if (at !== undefined) r.readyMs = at;
    return r;
  });
}

/** "image X is not on node1, node2 (service S)" for tasks the nodes rejected for a missing image. */
function missingImages(services: SwarmServiceInfo[], tasks: SwarmTask[], hostOf: (id: string) => string): string[] {
  const out: string[] = [];
  for (const s of services) {
    const nodes = new Set(
      tasks
        .filter((t) => t.serviceId === s.id && t.image === s.image && /no such image/i.test(t.error ?? ''))
        .map((t) => hostOf(t.nodeId)),
    );
    if (nodes.size)
      out.push(`image ${s.image} is not on ${[...nodes].sort().join(', ')} (service ${s.name}, "No such image")`);
  }
  return out;
}

/** Every task that should run runs (replicated: as many as asked), and no update is under way. */
function isConverged(s: SwarmServiceInfo, tasks: SwarmTask[], nodeCount: number): boolean {
  if (s.updateState === 'updating' || s.updateState === 'rollback_started') return false;
  const mine = tasks.filter((t) => t.serviceId === s.id && t.desiredState === 'running');
  const running = mine.filter((t) => t.state === 'running');
  // Tasks of the current spec only: an old task still running does not count.
  const image = s.image;
  if (running.some((t) => t.image !== image)) return false;
  if (s.global) return running.length > 0 && running.length === mine.length && running.length <= nodeCount;
  return running.length === (s.replicas ?? 0);
}

function hasHealthcheck(s: SwarmServiceInfo): boolean {
  const c = (s.spec.TaskTemplate as { ContainerSpec?: { Healthcheck?: { Test?: string[] } } } | undefined)
    ?.ContainerSpec;
  const test = c?.Healthcheck?.Test;
  return Array.isArray(test) && test.length > 0 && test[0] !== 'NONE';
}

/** Failed tasks of a service (newest first, bounded), with node, state and error. */
function failingTasks(
  s: SwarmServiceInfo,
  tasks: SwarmTask[],
  image: string | undefined,
  hostOf: (id: string) => string,
) {
  return tasks
    .filter(
      (t) =>
        t.serviceId === s.id &&
        (image === undefined || t.image === image) &&
        (['failed', 'rejected'].includes(t.state) ||
          (t.desiredState === 'shutdown' && (t.error || (t.exitCode ?? 0) !== 0 || image !== undefined))),
    )
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))
    .slice(0, 6)
    .map((t) => ({
      task: `${s.name}.${t.slot ?? t.nodeId.slice(0, 6)}.${t.id.slice(0, 12)}`,
      node: hostOf(t.nodeId),
      state: t.state,
      // Engine 28 stops a task that fails its healthcheck; it then ends "complete" with no error.
      error:
        t.error ||
        (t.state === 'complete' || t.state === 'shutdown'
          ? `stopped before it was running${hasHealthcheck(s) ? ' (it never passed its healthcheck)' : ''}, exit code ${t.exitCode ?? 'unknown'}`
          : t.message || 'unknown'),
    }));
}

function describeService(s: SwarmServiceInfo, tasks: SwarmTask[], hostOf: (id: string) => string): string {
  const running = runningTasks(tasks, s.id).length;
  const want = s.global ? 'one per node' : String(s.replicas ?? 0);
  const failing = failingTasks(s, tasks, s.image, hostOf);
  const pending = tasks
    .filter((t) => t.serviceId === s.id && t.desiredState === 'running' && t.state !== 'running')
    .slice(0, 3)
    .map((t) => `task ${t.id.slice(0, 12)} on ${hostOf(t.nodeId)} ${t.state}${t.error ? ` (${t.error})` : ''}`);
  return `service ${s.name}: ${running} of ${want} running${s.updateState ? `, update ${s.updateState}` : ''}${
    failing.length
      ? `; failing: ${failing.map((f) => `${f.task} on ${f.node} (${f.state}: ${f.error})`).join(', ')}`
      : ''
  }${pending.length ? `; ${pending.join(', ')}` : ''}`;
}

/**
 * Swarm rolled the update back (failure_action rollback) or paused it (pause): a paused one is
 * rolled back here. Waits (bounded) until the previous spec runs again, then fails naming the
 * tasks that failed and their nodes.
 */
async function failedUpdate(
  ports: SwarmDeployPorts,
  s: SwarmServiceInfo,
  before: SwarmServiceInfo,
  failedImage: string,
  tasksNow: SwarmTask[],
  hostOf: (id: string) => string,
  why: string | undefined,
): Promise<never> {
  const { engine, signal } = ports;
  const failing = failingTasks(s, tasksNow, failedImage, hostOf);
  let current: SwarmServiceInfo;
  if (s.updateState === 'paused') {
    ports.progress(0, undefined, `service ${s.name}: update paused on failure; rolling back`);
    await updateService(engine, s.id, s.version, s.spec, { rollback: true, signal });
  } else ports.progress(0, undefined, `service ${s.name}: update failed; Swarm rolled it back`);
  const until = Date.now() + ROLLBACK_SETTLE_MS;
  let tasks: SwarmTask[];
  for (;;) {
    current = await inspectService(engine, s.id, signal);
    tasks = await listTasks(engine, [s.id], signal);
    if (current.updateState !== 'rollback_started' && isConverged(current, tasks, Number.MAX_SAFE_INTEGER)) break;
    if (Date.now() > until || signal.aborted) break;
    await sleep(POLL_MS, signal);
  }
  const running = runningTasks(tasks, s.id);
  const healthy = isConverged(current, tasks, Number.MAX_SAFE_INTEGER);
  const beforeImage = before.image.split('@')[0];
  const failed = failing.length ? failing : failingTasks(current, tasks, undefined, hostOf);
  const list = failed.map((f) => `${f.task} on ${f.node} (${f.state}: ${f.error})`).join('; ');
  const nodesOf = [...new Set(failed.map((f) => f.node))].join(', ');
  throw new ToolError(
    'failed',
    `Update of service ${s.name} failed and was rolled back by Swarm (${why ?? s.updateMessage ?? 'no reason given'}). Failing tasks: ${list || 'none recorded'}${nodesOf ? ` (nodes ${nodesOf})` : ''}. The service is back on ${beforeImage}: ${running.length} of ${current.global ? running.length : (current.replicas ?? 0)} replicas ${healthy ? 'running (healthy where a healthcheck exists)' : 'running so far'}.`,
    {
      service: s.name,
      rolledBackTo: beforeImage,
      failingTasks: failed,
      running: running.length,
      nodes: [...new Set(running.map((t) => hostOf(t.nodeId)))].sort(),
    },
  );
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
