import type { Engine } from '../docker/engine.js';
import { inspectService, listNodes, listTasks, type RawService, type RawTask } from '../docker/swarmCluster.js';
import { sleep } from '../util/timeout.js';
import { nodeNames, serviceMode, shortImage, taskView, type TaskView } from './cluster.js';

/**
 * Waiting for a Swarm service to converge after a change (scale, image update, rollback):
 * every task that should run runs the service's current image ("running" in Swarm means the
 * container started and, when it has a healthcheck, passed it), and the rolling update, if
 * any, completed. Reports progress, stops at a pause, a Swarm rollback or the deadline.
 */

export type ConvergeOutcome =
  | 'converged'
  /** The update stopped on failed tasks (failure_action pause). */
  | 'paused'
  /** Swarm rolled the update back by itself (failure_action rollback). */
  | 'rolled_back'
  | 'timeout';

export interface ConvergeResult {
  outcome: ConvergeOutcome;
  desired: number;
  /** Tasks that should run and run the current image. */
  running: number;
  image: string;
  /** Swarm's update status at the end, when there was one. */
  update?: { state: string; message?: string };
  /** Tasks of this change that failed or were rejected, newest first, at most 10. */
  failedTasks: TaskView[];
  /** Running tasks per node at the end. */
  perNode: Record<string, number>;
  elapsedMs: number;
}

export interface ConvergeOptions {
  timeoutMs: number;
  /** Tasks created before this (ms since epoch) are not this change's failures. */
  since: number;
  /** What the change is waiting for: Swarm's own rollback counts as converged when expected. */
  expect: 'update' | 'rollback' | 'scale';
  pollMs?: number;
  signal?: AbortSignal;
  progress?: (done: number, total: number, message: string) => void;
}

const MAX_FAILED = 10;

/** Tasks that should run (per replicated slot or global node); jobs are not waited for. */
function desiredCount(svc: RawService, tasks: RawTask[]): number {
  const mode = serviceMode(svc);
  if (mode === 'replicated') return svc.Spec.Mode?.Replicated?.Replicas ?? 1;
  if (mode === 'global') return tasks.filter((t) => t.DesiredState === 'running').length;
  return 0;
}

export interface ConvergeSnapshot {
  desired: number;
  running: number;
  /** Tasks that should run but run another image, or are not running yet. */
  pending: number;
  updateState?: string;
  updateMessage?: string;
}

/** One look at a service and its tasks: how far it is from converged. Pure. */
export function snapshot(svc: RawService, tasks: RawTask[]): ConvergeSnapshot {
  const image = shortImage(svc.Spec.TaskTemplate.ContainerSpec?.Image);
  const live = tasks.filter((t) => t.DesiredState === 'running');
  const current = live.filter(
    (t) => t.Status.State === 'running' && shortImage(t.Spec?.ContainerSpec?.Image) === image,
  ).length;
  const s: ConvergeSnapshot = {
    desired: desiredCount(svc, tasks),
    running: current,
    pending: live.length - current,
  };
  if (svc.UpdateStatus?.State) s.updateState = svc.UpdateStatus.State;
  if (svc.UpdateStatus?.Message) s.updateMessage = svc.UpdateStatus.Message;
  return s;
}

/** Whether a snapshot is done, stopped, or still moving. Pure. */
export function judge(s: ConvergeSnapshot, expect: ConvergeOptions['expect']): ConvergeOutcome | 'waiting' {
  const u = s.updateState;
  if (u === 'paused' || u === 'rollback_paused') return 'paused';
  if (expect !== 'rollback' && (u === 'rollback_started' || u === 'rollback_completed')) {
    return u === 'rollback_completed' && s.running >= s.desired && s.pending === 0 ? 'rolled_back' : 'waiting';
  }
  const updateDone = !u || u === 'completed' || u === 'rollback_completed';
  return updateDone && s.running >= s.desired && s.pending === 0 ? 'converged' : 'waiting';
}

export async function waitForService(engine: Engine, serviceId: string, o: ConvergeOptions): Promise<ConvergeResult> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  let names = nodeNames(await listNodes(engine, o.signal));
  let lastMessage = '';
  for (;;) {
    const svc = await inspectService(engine, serviceId, o.signal);
    const tasks = await listTasks(engine, { service: svc.ID }, o.signal);
    if (tasks.some((t) => t.NodeID && !names.has(t.NodeID))) names = nodeNames(await listNodes(engine, o.signal));
    const s = snapshot(svc, tasks);
    const verdict = judge(s, o.expect);
    const message = `${svc.Spec.Name}: ${s.running}/${s.desired} running the current image${s.updateState ? `, update ${s.updateState}` : ''}`;
    if (message !== lastMessage) o.progress?.(s.running, Math.max(s.desired, 1), message);
    lastMessage = message;
    const timedOut = Date.now() >= deadline;
    if (verdict !== 'waiting' || timedOut) {
      const views = tasks.map((t) => taskView(t, svc.Spec.Name, names));
      const failedTasks = views
        .filter((t, i) => t.problem && Date.parse(tasks[i]?.CreatedAt ?? '') >= o.since - 1000)
        .sort((a, b) => (b.since ?? '').localeCompare(a.since ?? ''))
        .slice(0, MAX_FAILED);
      const perNode: Record<string, number> = {};
      for (const t of views)
        if (t.state === 'running' && t.desiredState === 'running') perNode[t.node] = (perNode[t.node] ?? 0) + 1;
      const r: ConvergeResult = {
        outcome: verdict === 'waiting' ? 'timeout' : verdict,
        desired: s.desired,
        running: s.running,
        image: shortImage(svc.Spec.TaskTemplate.ContainerSpec?.Image),
        failedTasks,
        perNode,
        elapsedMs: Date.now() - started,
      };
      if (s.updateState) r.update = { state: s.updateState, ...(s.updateMessage ? { message: s.updateMessage } : {}) };
      return r;
    }
    await sleep(Math.min(o.pollMs ?? 1000, Math.max(0, deadline - Date.now())), o.signal);
  }
}

/** The failing tasks in one line each: task, node, what went wrong. */
export function failedTasksText(tasks: TaskView[]): string {
  return tasks.map((t) => `${t.name} on ${t.node}: ${t.problem ?? t.error ?? t.state}`).join('; ');
}
