import { isManaged } from '../docker/labels.js';
import type { RawNode, RawService, RawSwarmInfo, RawTask } from '../docker/swarmCluster.js';

/**
 * Compact views of a Swarm cluster (nodes, quorum, services, tasks) from what a manager's
 * Engine reports, and the plain-words reading of task failures. Pure: no Engine calls.
 */

/** The label `docker stack deploy` puts on the services of a stack. */
export const STACK_NAMESPACE = 'com.docker.stack.namespace';

export interface NodeView {
  id: string;
  hostname: string;
  role: string;
  availability: string;
  /** ready, down, unknown, disconnected */
  state: string;
  message?: string;
  address?: string;
  engineVersion: string;
  /** Managers only: leader, and whether the other managers reach it. */
  manager?: { leader: boolean; reachability: string; address?: string };
}

export function nodeView(n: RawNode): NodeView {
  const v: NodeView = {
    id: n.ID.slice(0, 12),
    hostname: n.Description?.Hostname ?? n.Spec.Name ?? n.ID.slice(0, 12),
    role: n.Spec.Role,
    availability: n.Spec.Availability,
    state: n.Status.State,
    engineVersion: n.Description?.Engine?.EngineVersion ?? '',
  };
  if (n.Status.Message) v.message = n.Status.Message;
  if (n.Status.Addr) v.address = n.Status.Addr;
  if (n.ManagerStatus) {
    v.manager = {
      leader: n.ManagerStatus.Leader ?? false,
      reachability: n.ManagerStatus.Reachability ?? 'unknown',
    };
    if (n.ManagerStatus.Addr) v.manager.address = n.ManagerStatus.Addr;
  }
  return v;
}

export interface Quorum {
  managers: number;
  reachable: number;
  /** Managers that must be reachable for the cluster to accept changes (a Raft majority). */
  needed: number;
  hasQuorum: boolean;
  /** How many more managers may be lost without losing quorum. */
  faultTolerance: number;
}

export function quorumOf(nodes: NodeView[]): Quorum {
  const managers = nodes.filter((n) => n.manager);
  const reachable = managers.filter((n) => n.manager?.reachability === 'reachable').length;
  const needed = Math.floor(managers.length / 2) + 1;
  return {
    managers: managers.length,
    reachable,
    needed,
    hasQuorum: reachable >= needed,
    faultTolerance: Math.max(0, reachable - needed),
  };
}

export interface ClusterView {
  clusterId: string;
  /** The node this server talks to. */
  thisNode: string;
  nodes: NodeView[];
  quorum: Quorum;
  /** Nodes down or unreachable, lost quorum: one line each, empty when all is well. */
  problems: string[];
}

export function clusterView(info: RawSwarmInfo, raw: RawNode[]): ClusterView {
  const nodes = raw.map(nodeView).sort((a, b) => a.hostname.localeCompare(b.hostname));
  const quorum = quorumOf(nodes);
  const problems: string[] = [];
  for (const n of nodes) {
    if (n.state !== 'ready')
      problems.push(
        `node ${n.hostname} (${n.role}) is ${n.state}${n.message ? `: ${n.message}` : ''}; its tasks are rescheduled on the other nodes`,
      );
    if (n.manager && n.manager.reachability !== 'reachable')
      problems.push(`manager ${n.hostname} is ${n.manager.reachability}`);
    if (n.availability !== 'active' && n.state === 'ready')
      problems.push(
        `node ${n.hostname} is ${n.availability === 'drain' ? 'drained' : 'paused'}: it takes no new tasks`,
      );
  }
  if (!quorum.hasQuorum)
    problems.push(
      `the cluster has lost quorum (${quorum.reachable} of ${quorum.managers} managers reachable, ${quorum.needed} needed): no service can be changed until managers come back`,
    );
  return {
    clusterId: (info.Cluster?.ID ?? '').slice(0, 12),
    thisNode: (info.NodeID ?? '').slice(0, 12),
    nodes,
    quorum,
    problems,
  };
}

export type ServiceMode = 'replicated' | 'global' | 'replicated-job' | 'global-job';

export function serviceMode(s: RawService): ServiceMode {
  const m = s.Spec.Mode ?? {};
  if (m.Global) return 'global';
  if (m.ReplicatedJob) return 'replicated-job';
  if (m.GlobalJob) return 'global-job';
  return 'replicated';
}

export interface ServiceView {
  id: string;
  name: string;
  image: string;
  mode: ServiceMode;
  /** Tasks that should run (replicas, or one per eligible node for global) and that run. */
  desired: number;
  running: number;
  stack?: string;
  ports: string[];
  /** The rolling update (or rollback) in progress or last finished, when there was one. */
  update?: { state: string; message?: string };
  managed: boolean;
}

/** The image without the digest Swarm pins after a registry lookup (`img:tag@sha256:...`). */
export function shortImage(image: string | undefined): string {
  if (!image) return '';
  const at = image.indexOf('@');
  return at > 0 ? image.slice(0, at) : image;
}

export function serviceView(s: RawService): ServiceView {
  const mode = serviceMode(s);
  const status = s.ServiceStatus ?? {};
  const v: ServiceView = {
    id: s.ID.slice(0, 12),
    name: s.Spec.Name,
    image: shortImage(s.Spec.TaskTemplate.ContainerSpec?.Image),
    mode,
    desired: status.DesiredTasks ?? (mode === 'replicated' ? (s.Spec.Mode?.Replicated?.Replicas ?? 1) : 0),
    running: status.RunningTasks ?? 0,
    ports: (s.Endpoint?.Ports ?? []).map(
      (p) =>
        `${p.PublishedPort ?? ''}:${p.TargetPort ?? ''}/${p.Protocol ?? 'tcp'}${p.PublishMode === 'host' ? ' (host)' : ''}`,
    ),
    managed: isManaged(s.Spec.Labels),
  };
  const stack = s.Spec.Labels?.[STACK_NAMESPACE];
  if (stack) v.stack = stack;
  if (s.UpdateStatus?.State) {
    v.update = { state: s.UpdateStatus.State };
    if (s.UpdateStatus.Message) v.update.message = s.UpdateStatus.Message;
  }
  return v;
}

export interface TaskView {
  id: string;
  /** service.slot (replicated) or service.node (global), as `docker service ps` names tasks. */
  name: string;
  node: string;
  state: string;
  desiredState: string;
  /** When the task reached its state. */
  since?: string;
  image: string;
  message?: string;
  error?: string;
  exitCode?: number;
  containerId?: string;
  /** A failure in plain words with what to do, for failed or rejected tasks (e.g. no such image on that node). */
  problem?: string;
}

export function nodeNames(nodes: RawNode[]): Map<string, string> {
  return new Map(nodes.map((n) => [n.ID, n.Description?.Hostname ?? n.Spec.Name ?? n.ID.slice(0, 12)]));
}

const FAILED_STATES = new Set(['failed', 'rejected', 'orphaned']);

/**
 * A task's failure in plain words. "No such image" means the node has not got the image and
 * no registry gave it: Swarm nodes each need the image (there is no shared image store).
 */
export function taskProblem(t: { state: string; error?: string; image: string; node: string }): string | undefined {
  const err = t.error ?? '';
  if (/no such image|pull access denied|manifest unknown|repository does not exist/i.test(err)) {
    return `image ${t.image} is not on node ${t.node} and could not be pulled there (${err}): load it on that node (\`docker save ${t.image} | docker -H <node ${t.node}> load\`) or push it to a registry every node can reach and use that reference`;
  }
  if (/no suitable node/i.test(err))
    return `no node can run it (${err}): check placement constraints, resources and node availability`;
  if (!FAILED_STATES.has(t.state) && !err) return undefined;
  if (/unhealthy/i.test(err)) return `its healthcheck failed on node ${t.node} (${err})`;
  if (err) return `failed on node ${t.node}: ${err}`;
  return `${t.state} on node ${t.node}`;
}

export function taskView(t: RawTask, svcName: string, names: Map<string, string>): TaskView {
  const node = t.NodeID ? (names.get(t.NodeID) ?? t.NodeID.slice(0, 12)) : '(unassigned)';
  const v: TaskView = {
    id: t.ID.slice(0, 12),
    name: t.Slot ? `${svcName}.${t.Slot}` : `${svcName}.${node}`,
    node,
    state: t.Status.State,
    desiredState: t.DesiredState,
    image: shortImage(t.Spec?.ContainerSpec?.Image),
  };
  if (t.Status.Timestamp) v.since = t.Status.Timestamp;
  if (t.Status.Message) v.message = t.Status.Message;
  if (t.Status.Err) v.error = t.Status.Err;
  const cs = t.Status.ContainerStatus;
  if (cs?.ContainerID) v.containerId = cs.ContainerID.slice(0, 12);
  if (cs && cs.ExitCode !== undefined && FAILED_STATES.has(v.state)) v.exitCode = cs.ExitCode;
  const problem = taskProblem(v);
  if (problem && (FAILED_STATES.has(v.state) || v.error)) v.problem = problem;
  return v;
}

/** Newest first: what runs or should run, then the history of each slot. */
export function sortTasks(tasks: TaskView[]): TaskView[] {
  const rank = (t: TaskView) => (t.desiredState === 'running' ? 0 : 1);
  return [...tasks].sort(
    (a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || (b.since ?? '').localeCompare(a.since ?? ''),
  );
}

/** Running tasks per node, e.g. `{ node1: 1, node2: 2 }`. */
export function runningPerNode(tasks: TaskView[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of tasks)
    if (t.state === 'running' && t.desiredState === 'running') out[t.node] = (out[t.node] ?? 0) + 1;
  return out;
}

/**
 * The Engine prefixes each line (details=true) with `com.docker.swarm.node.id=..,
 * com.docker.swarm.service.id=..,com.docker.swarm.task.id=..`; that becomes `name.slot@node`.
 */
export function relabelLogLine(line: string, tasks: Map<string, { name: string; node: string }>): string {
  const m = /^((?:[\w.-]+=[^,\s]*,?)+) (.*)$/s.exec(line);
  if (!m || !m[1]?.includes('com.docker.swarm.')) return line;
  const task = /com\.docker\.swarm\.task\.id=([^,\s]+)/.exec(m[1])?.[1];
  const t = task ? tasks.get(task) : undefined;
  const who = t ? `${t.name}@${t.node}` : task ? task.slice(0, 12) : '?';
  return `${who}| ${m[2] ?? ''}`;
}

/**
 * What is wrong with a service's tasks, one line per slot: a task that should run and has a
 * problem, or, for a slot with no running task, its latest failure. Slots that run fine now
 * are not reported for what failed before.
 */
export function serviceProblems(tasks: TaskView[]): string[] {
  const healthy = new Set(
    tasks.filter((t) => t.state === 'running' && t.desiredState === 'running').map((t) => t.name),
  );
  const out = new Map<string, string>();
  for (const t of tasks) if (t.problem && t.desiredState === 'running') out.set(t.name, `${t.name}: ${t.problem}`);
  const newest = [...tasks].sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''));
  for (const t of newest)
    if (t.problem && !healthy.has(t.name) && !out.has(t.name)) out.set(t.name, `${t.name}: ${t.problem}`);
  return [...out.values()];
}
