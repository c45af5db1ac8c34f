import { inspectContainer, restartContainer, startContainer } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import type { ContainerInspect } from '../docker/healthQueries.js';
import { COMPOSE_PROJECT, isManaged } from '../docker/labels.js';
import { healDecision, type HealAction } from '../health/assess.js';
import { collectHealth, resolveScope, type HealthScope } from '../health/collect.js';
import { healRecord, stopTimeoutOf, type HealRequest, type HealResult } from '../health/heal.js';
import type { HistoryPort } from '../history/port.js';
import { timedStep } from '../history/record.js';

/**
 * The heal use case: decide which containers of a target to heal (restart the unhealthy,
 * start those that should run and do not) and do it, one history record (kind "heal") per
 * container. The heal_containers tool plans and then runs it; the self-heal watcher decides
 * for itself when to act and runs one action through `healContainer`.
 */

/** Which containers may be healed. */
export interface HealPolicy {
  /** Why this container may not be healed, or undefined when it may. */
  refusal(c: ContainerInspect): string | undefined;
}

/** The ownership scope as a heal policy: "managed" heals only containers this server labelled. */
export function ownershipPolicy(scope: 'managed' | 'all'): HealPolicy {
  return {
    refusal: (c) =>
      scope === 'all' || isManaged(c.Config?.Labels)
        ? undefined
        : 'outside the ownership scope (not managed by this server); start the server with --scope all to heal it',
  };
}

export interface HealPorts {
  engine: Engine;
  history: HistoryPort;
  policy: HealPolicy;
  /** Told before each action: (actions done, actions in all, what now). */
  progress?: (done: number, total: number, message: string) => void;
  signal?: AbortSignal;
}

export interface HealTarget {
  /** The container as inspected when the plan was made. */
  container: ContainerInspect;
  name: string;
  action: HealAction;
  reason: string;
}

export interface HealPlan {
  scope: HealthScope;
  targets: HealTarget[];
  /** Containers in the scope that need healing but are left alone, and why. */
  skipped: { container: string; reason: string }[];
}

export interface HealPlanInput {
  /** A stack, a container, or every managed container when absent. */
  target?: string;
  /** Full id -> whether the self-heal watcher gave up on it (crash-looping: not healed). */
  crashLooping?: (id: string) => boolean;
}

/** Reads the health of the target and decides what to heal. Changes nothing. */
export async function planHeal(
  ports: Pick<HealPorts, 'engine' | 'policy' | 'signal'>,
  input: HealPlanInput,
): Promise<HealPlan> {
  const { engine, policy, signal } = ports;
  const { scope, ids } = await resolveScope(engine, input.target, signal);
  // The decision reads the container state and healthcheck only: no stats, no logs.
  const { inspects, assessments } = await collectHealth(
    engine,
    ids,
    { resources: false, logs: false, ...(input.crashLooping ? { crashLooping: input.crashLooping } : {}) },
    signal,
  );
  const targets: HealTarget[] = [];
  const skipped: HealPlan['skipped'] = [];
  assessments.forEach((a, i) => {
    const container = inspects[i];
    if (!container) return;
    const d = healDecision(a);
    if ('skip' in d) {
      if (a.verdict !== 'healthy' && a.verdict !== 'starting') skipped.push({ container: a.name, reason: d.skip });
      return;
    }
    const refusal = policy.refusal(container);
    if (refusal) skipped.push({ container: a.name, reason: refusal });
    else targets.push({ container, name: a.name, action: d.action, reason: d.reason });
  });
  return { scope, targets, skipped };
}

/** Starts or restarts one container and records it (kind "heal"). Never throws: a failure is its outcome. */
export async function healContainer(
  ports: Pick<HealPorts, 'engine' | 'history'>,
  req: HealRequest,
  signal?: AbortSignal,
): Promise<HealResult> {
  const { engine, history } = ports;
  const c = req.container;
  const name = c.Name.replace(/^\//, '');
  const stack = c.Config?.Labels?.[COMPOSE_PROJECT];
  const h = history.begin(healRecord({ ...req, name, ...(stack ? { stack } : {}) }));
  try {
    await timedStep(h, `${req.action} ${name}`, async () => {
      if (req.action === 'start') await startContainer(engine, c.Id, signal);
      else await restartContainer(engine, c.Id, stopTimeoutOf(c), signal);
    });
    h.finish('succeeded');
    return { outcome: 'done', historyId: h.id };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    h.finish(signal?.aborted ? 'cancelled' : 'failed', error);
    return { outcome: 'failed', error, historyId: h.id };
  }
}

export interface HealOutcome extends HealResult {
  container: string;
  action: HealAction;
  reason: string;
  /** State after the action, e.g. "running (starting)"; absent when it could not be read. */
  stateAfter?: string;
}

/** Who asked, for the records. */
export interface HealCaller {
  who: string;
  source: string;
  inputs: Record<string, unknown>;
}

/** Heals the planned targets one after the other, one record each, and reads the state each is left in. */
export async function healContainers(
  ports: HealPorts,
  targets: readonly HealTarget[],
  caller: HealCaller,
): Promise<HealOutcome[]> {
  const out: HealOutcome[] = [];
  for (const [i, t] of targets.entries()) {
    ports.progress?.(i, targets.length, `${t.action} ${t.name}`);
    const base = { container: t.name, action: t.action, reason: t.reason };
    const r = await healContainer(
      ports,
      { ...caller, container: t.container, action: t.action, reason: t.reason },
      ports.signal,
    );
    const outcome: HealOutcome = { ...base, ...r };
    const after = await inspectContainer(ports.engine, t.container.Id, ports.signal).catch(() => undefined);
    if (after)
      outcome.stateAfter = after.State.Health?.Status
        ? `${after.State.Status} (${after.State.Health.Status})`
        : after.State.Status;
    out.push(outcome);
  }
  return out;
}
