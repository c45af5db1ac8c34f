import type { Engine } from '../docker/engine.js';
import {
  listNodes,
  listServices,
  listTasks,
  swarmInfo,
  type RawNode,
  type RawService,
  type RawSwarmInfo,
  type RawTask,
} from '../docker/swarmCluster.js';
import { clusterView, nodeNames, serviceMode, serviceView, taskView } from '../swarm/cluster.js';
import type { Verdict } from './assess.js';

/**
 * Health of a Swarm cluster as the manager sees it: services below their desired replicas,
 * tasks failing in a loop, nodes down, quorum lost. The assessment is pure; collectSwarmHealth
 * reads what it needs (four Engine calls) and answers undefined when the Engine is no manager.
 */

/** A service whose tasks failed this many times within LOOP_WINDOW_MS is failing in a loop. */
export const LOOP_FAILURES = 3;
export const LOOP_WINDOW_MS = 10 * 60_000;

export interface SwarmServiceHealth {
  name: string;
  stack?: string;
  desired: number;
  running: number;
  /** Tasks that failed or were rejected within the loop window. */
  recentFailures: number;
  verdict: Verdict;
  reasons: string[];
}

export interface SwarmNodeHealth {
  hostname: string;
  role: string;
  state: string;
  availability: string;
  verdict: Verdict;
  reasons: string[];
}

export interface SwarmHealth {
  verdict: Verdict;
  nodes: SwarmNodeHealth[];
  services: SwarmServiceHealth[];
  /** Cluster-level problems (nodes down, quorum), one line each. */
  problems: string[];
}

const RANK: Record<Verdict, number> = {
  healthy: 0,
  stopped: 1,
  starting: 2,
  degraded: 3,
  unhealthy: 4,
  'crash-looping': 5,
};

export function worstVerdict(vs: Verdict[]): Verdict {
  return vs.reduce<Verdict>((w, v) => (RANK[v] > RANK[w] ? v : w), 'healthy');
}

const FAILED = new Set(['failed', 'rejected']);
const STARTING = new Set(['new', 'pending', 'assigned', 'accepted', 'ready', 'preparing', 'starting']);

export function assessSwarmService(
  svc: RawService,
  tasks: RawTask[],
  names: Map<string, string>,
  now: number,
): SwarmServiceHealth {
  const view = serviceView(svc);
  const mode = serviceMode(svc);
  const live = tasks.filter((t) => t.DesiredState === 'running');
  const running = live.filter((t) => t.Status.State === 'running').length;
  const desired = mode === 'replicated' ? (svc.Spec.Mode?.Replicated?.Replicas ?? 1) : live.length;
  const failures = tasks
    .filter((t) => FAILED.has(t.Status.State) && now - Date.parse(t.Status.Timestamp ?? '') <= LOOP_WINDOW_MS)
    .sort((a, b) => (b.Status.Timestamp ?? '').localeCompare(a.Status.Timestamp ?? ''));
  const latest = failures[0] ? taskView(failures[0], svc.Spec.Name, names) : undefined;
  const latestText = latest
    ? `latest: ${latest.name} on ${latest.node}: ${latest.problem ?? latest.error ?? latest.state}`
    : '';
  const h: SwarmServiceHealth = {
    name: view.name,
    desired,
    running,
    recentFailures: failures.length,
    verdict: 'healthy',
    reasons: [],
  };
  if (view.stack) h.stack = view.stack;
  if (mode === 'replicated-job' || mode === 'global-job') {
    if (failures.length) {
      h.verdict = 'degraded';
      h.reasons.push(`${failures.length} job tasks failed recently; ${latestText}`);
    }
    return h;
  }
  if (desired === 0) {
    h.verdict = 'stopped';
    h.reasons.push('scaled to 0 replicas');
    return h;
  }
  if (failures.length >= LOOP_FAILURES) {
    h.verdict = 'crash-looping';
    h.reasons.push(
      `tasks keep failing: ${failures.length} failed in the last ${LOOP_WINDOW_MS / 60_000} min (${running} of ${desired} running); ${latestText}`,
    );
  } else if (running === 0) {
    h.verdict = 'unhealthy';
    h.reasons.push(`0 of ${desired} tasks running${latest ? `; ${latestText}` : ''}`);
  } else if (running < desired) {
    const starting = live.some((t) => STARTING.has(t.Status.State));
    h.verdict = starting && !failures.length ? 'starting' : 'degraded';
    h.reasons.push(
      `below its desired replicas: ${running} of ${desired} running${starting ? ' (others starting)' : ''}${latest ? `; ${latestText}` : ''}`,
    );
  } else if (failures.length) {
    h.reasons.push(`${failures.length} task failure(s) in the last ${LOOP_WINDOW_MS / 60_000} min; ${latestText}`);
  }
  const u = svc.UpdateStatus;
  if (u?.State === 'paused' || u?.State === 'rollback_paused') {
    h.verdict = worstVerdict([h.verdict, 'degraded']);
    h.reasons.push(`${u.State === 'paused' ? 'update' : 'rollback'} paused: ${u.Message ?? ''}`);
  }
  return h;
}

export function assessSwarm(
  info: RawSwarmInfo,
  nodes: RawNode[],
  services: RawService[],
  tasks: RawTask[],
  now = Date.now(),
): SwarmHealth {
  const cluster = clusterView(info, nodes);
  const names = nodeNames(nodes);
  const byService = new Map<string, RawTask[]>();
  for (const t of tasks) byService.set(t.ServiceID, [...(byService.get(t.ServiceID) ?? []), t]);
  const svcHealth = services
    .map((s) => assessSwarmService(s, byService.get(s.ID) ?? [], names, now))
    .sort((a, b) => a.name.localeCompare(b.name));
  const nodeHealth: SwarmNodeHealth[] = cluster.nodes.map((n) => {
    const reasons: string[] = [];
    let verdict: Verdict = 'healthy';
    if (n.state !== 'ready') {
      verdict = 'unhealthy';
      reasons.push(`node ${n.state}${n.message ? `: ${n.message}` : ''}`);
    }
    if (n.manager && n.manager.reachability !== 'reachable') {
      verdict = 'unhealthy';
      reasons.push(`manager ${n.manager.reachability}`);
    }
    if (n.availability !== 'active') reasons.push(`availability ${n.availability}: takes no new tasks`);
    return { hostname: n.hostname, role: n.role, state: n.state, availability: n.availability, verdict, reasons };
  });
  const problems = cluster.problems.filter((p) => !/is (drained|paused):/.test(p));
  // A node down makes the cluster degraded (its tasks move); lost quorum makes it unhealthy.
  const clusterVerdict: Verdict = !cluster.quorum.hasQuorum ? 'unhealthy' : problems.length ? 'degraded' : 'healthy';
  const live = svcHealth.map((s) => s.verdict).filter((v) => v !== 'stopped');
  return {
    verdict: worstVerdict([clusterVerdict, ...live]),
    nodes: nodeHealth,
    services: svcHealth,
    problems,
  };
}

/** The cluster's health, or undefined when this Engine is not an active Swarm manager. */
export async function collectSwarmHealth(engine: Engine, signal?: AbortSignal): Promise<SwarmHealth | undefined> {
  const info = await swarmInfo(engine, signal);
  if (info.LocalNodeState !== 'active' || !info.ControlAvailable) return undefined;
  const [nodes, services, tasks] = await Promise.all([
    listNodes(engine, signal),
    listServices(engine, {}, signal),
    listTasks(engine, {}, signal),
  ]);
  return assessSwarm(info, nodes, services, tasks);
}
