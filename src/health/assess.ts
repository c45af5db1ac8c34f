import type { ContainerInspect } from '../docker/healthQueries.js';
import { COMPOSE_ONEOFF, COMPOSE_PROJECT, COMPOSE_SERVICE, isManaged } from '../docker/labels.js';
import type { StatsSample } from '../docker/projections.js';

/**
 * Health assessment of containers and services: pure functions from what the Engine reports
 * (inspect, a stats sample, recent log text) to a verdict with reasons, and the heal decision.
 */

/**
 * - healthy: running, healthcheck passing (or none), nothing worrying.
 * - starting: running, healthcheck not decided yet.
 * - degraded: running but with warnings (memory/CPU near the limit, error lines in the logs,
 *   paused, a previous OOM kill), or a service with some containers bad and some good.
 * - unhealthy: healthcheck failing, or exited/dead although it should run.
 * - crash-looping: the Engine keeps restarting it, or the self-heal watcher gave up on it.
 * - stopped: not running and not expected to (stopped by hand, a finished one-off/job).
 */
export type Verdict = 'healthy' | 'starting' | 'degraded' | 'unhealthy' | 'crash-looping' | 'stopped';

export const VERDICTS: readonly Verdict[] = [
  'healthy',
  'starting',
  'degraded',
  'unhealthy',
  'crash-looping',
  'stopped',
];

/** Share of a limit (memory, CPU) above which a running container counts as degraded. */
export const NEAR_LIMIT_PERCENT = 90;
export const MAX_ERROR_LINES = 5;
export const MAX_LINE_CHARS = 200;
export const HEALTH_LOG_ENTRIES = 3;
export const HEALTH_OUTPUT_CHARS = 300;

const ERROR_LINE = /\b(error|err|fatal|panic|exception|critical|crit|failed|failure|fail)\b/i;
// A line logged at warning level is not an error, whatever words it uses.
const WARNING_LINE = /\b(warn|warning)\b/i;

export interface HealthcheckRun {
  start: string;
  exitCode: number;
  output: string;
}

export interface ResourceUse {
  cpuPercent?: number;
  /** CPUs allowed (NanoCpus / 1e9); absent when unlimited. */
  cpuLimit?: number;
  /** CPU use as % of the limit (cpuPercent / cpuLimit). */
  cpuOfLimitPercent?: number;
  memoryBytes?: number;
  /** The container's own memory limit; absent when unlimited. */
  memoryLimitBytes?: number;
  memoryOfLimitPercent?: number;
}

export interface ContainerAssessment {
  id: string;
  name: string;
  stack?: string;
  service?: string;
  managed: boolean;
  state: string;
  health?: string;
  /** The last few healthcheck runs, newest last. */
  healthchecks?: HealthcheckRun[];
  restartCount: number;
  restartPolicy: string;
  oomKilled: boolean;
  exitCode?: number;
  startedAt?: string;
  finishedAt?: string;
  resources?: ResourceUse;
  /** Recent log lines that look like errors, newest last, capped. */
  errorLines?: string[];
  /** Whether it is expected to be running (policy, stack service, one-off). */
  shouldRun: boolean;
  verdict: Verdict;
  reasons: string[];
}

export interface AssessInput {
  inspect: ContainerInspect;
  stats?: StatsSample;
  /** Recent log text (stdout and stderr), newest last. */
  logText?: string;
  /** The self-heal watcher gave up on this container. */
  watcherCrashLooping?: boolean;
}

function cut(s: string, max: number): string {
  const t = s.trim();
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

function realTime(t: string | undefined): string | undefined {
  return t && !t.startsWith('0001') ? t : undefined;
}

/** The last `max` log lines that look like errors (error, fatal, panic, exception, fail), each capped. */
export function errorLinesOf(text: string | undefined, max = MAX_ERROR_LINES): string[] {
  if (!text) return [];
  const lines = text.split(/\r?\n/).filter((l) => l.trim() && ERROR_LINE.test(l) && !WARNING_LINE.test(l));
  return lines.slice(-max).map((l) => cut(l, MAX_LINE_CHARS));
}

/**
 * Whether a container is expected to be running: always/unless-stopped; on-failure after a
 * failure; a stack service after a failure (exit 0 of a service without a restart policy is a
 * finished job). One-off containers (`oneoff` label) never are, nor plain containers with
 * restart policy "no".
 */
export function shouldRun(inspect: ContainerInspect): boolean {
  const labels = inspect.Config?.Labels ?? {};
  if (labels[COMPOSE_ONEOFF] === 'True') return false;
  const policy = inspect.HostConfig?.RestartPolicy?.Name || 'no';
  const failed = inspect.State.ExitCode !== 0 || inspect.State.OOMKilled;
  if (policy === 'always' || policy === 'unless-stopped') return true;
  if (policy === 'on-failure') return failed;
  if (labels[COMPOSE_PROJECT] && labels[COMPOSE_SERVICE]) return failed;
  return false;
}

export function resourceUse(inspect: ContainerInspect, stats: StatsSample | undefined): ResourceUse | undefined {
  if (!stats) return undefined;
  const r: ResourceUse = {};
  const nano = inspect.HostConfig?.NanoCpus;
  const mem = inspect.HostConfig?.Memory;
  if (stats.cpuPercent !== undefined) r.cpuPercent = stats.cpuPercent;
  if (nano) {
    r.cpuLimit = nano / 1e9;
    if (stats.cpuPercent !== undefined) r.cpuOfLimitPercent = Math.round((stats.cpuPercent / r.cpuLimit) * 100) / 100;
  }
  if (stats.memoryBytes !== undefined) r.memoryBytes = stats.memoryBytes;
  if (mem) {
    r.memoryLimitBytes = mem;
    if (stats.memoryBytes !== undefined) r.memoryOfLimitPercent = Math.round((stats.memoryBytes / mem) * 10000) / 100;
  }
  return r;
}

export function assessContainer(input: AssessInput): ContainerAssessment {
  const c = input.inspect;
  const st = c.State;
  const labels = c.Config?.Labels ?? {};
  const a: ContainerAssessment = {
    id: c.Id.slice(0, 12),
    name: c.Name.replace(/^\//, ''),
    managed: isManaged(labels),
    state: st.Status,
    restartCount: c.RestartCount ?? 0,
    restartPolicy: c.HostConfig?.RestartPolicy?.Name || 'no',
    oomKilled: st.OOMKilled,
    shouldRun: shouldRun(c),
    verdict: 'healthy',
    reasons: [],
  };
  if (labels[COMPOSE_PROJECT]) a.stack = labels[COMPOSE_PROJECT];
  if (labels[COMPOSE_SERVICE]) a.service = labels[COMPOSE_SERVICE];
  if (st.Health?.Status) a.health = st.Health.Status;
  const runs = (st.Health?.Log ?? []).slice(-HEALTH_LOG_ENTRIES);
  if (runs.length)
    a.healthchecks = runs.map((l) => ({
      start: l.Start,
      exitCode: l.ExitCode,
      output: cut(l.Output, HEALTH_OUTPUT_CHARS),
    }));
  if (!st.Running) a.exitCode = st.ExitCode;
  const started = realTime(st.StartedAt);
  const finished = realTime(st.FinishedAt);
  if (started) a.startedAt = started;
  if (finished && !st.Running) a.finishedAt = finished;
  const resources = resourceUse(c, input.stats);
  if (resources && Object.keys(resources).length) a.resources = resources;
  const errors = errorLinesOf(input.logText);
  if (errors.length) a.errorLines = errors;

  const reasons = a.reasons;
  const lastCheck = a.healthchecks?.at(-1);
  const exitText = () =>
    `exited with code ${st.ExitCode}${st.OOMKilled ? ' (killed: out of memory)' : ''}${st.Error ? `: ${cut(st.Error, MAX_LINE_CHARS)}` : ''}`;

  if (input.watcherCrashLooping) {
    a.verdict = 'crash-looping';
    reasons.push('the self-heal watcher exhausted its restart budget for it and stopped restarting it');
    if (!st.Running) reasons.push(exitText());
  } else if (st.Restarting || st.Status === 'restarting') {
    a.verdict = 'crash-looping';
    reasons.push(
      `the Engine keeps restarting it (restart policy ${a.restartPolicy}, ${a.restartCount} restarts so far, last ${exitText()})`,
    );
  } else if (st.Running) {
    if (a.health === 'unhealthy') {
      a.verdict = 'unhealthy';
      reasons.push(
        `healthcheck failing${lastCheck ? ` (exit ${lastCheck.exitCode}): ${lastCheck.output || '(no output)'}` : ''}`,
      );
    } else if (a.health === 'starting') {
      a.verdict = 'starting';
      reasons.push('healthcheck has not passed yet');
    }
    if (st.Paused) reasons.push('paused');
    if (resources?.memoryOfLimitPercent !== undefined && resources.memoryOfLimitPercent >= NEAR_LIMIT_PERCENT) {
      reasons.push(`memory at ${resources.memoryOfLimitPercent}% of its limit`);
    }
    if (resources?.cpuOfLimitPercent !== undefined && resources.cpuOfLimitPercent >= NEAR_LIMIT_PERCENT) {
      reasons.push(`CPU at ${resources.cpuOfLimitPercent}% of its limit`);
    }
    if (st.OOMKilled) reasons.push('it was killed for running out of memory before');
    if (errors.length) reasons.push(`${errors.length} recent error line${errors.length === 1 ? '' : 's'} in its logs`);
    if (a.verdict === 'healthy' && reasons.length) a.verdict = 'degraded';
  } else if (a.shouldRun) {
    a.verdict = 'unhealthy';
    reasons.push(
      `${exitText()} but should run (restart policy ${a.restartPolicy}${a.stack ? `, service of stack ${a.stack}` : ''})`,
    );
  } else {
    a.verdict = 'stopped';
    reasons.push(st.Status === 'created' ? 'created, never started' : exitText());
  }
  return a;
}

export type HealAction = 'restart' | 'start';

export interface HealDecision {
  action: HealAction;
  reason: string;
}

/**
 * What heal would do for one container, or why it leaves it alone. Only running containers
 * with a failing healthcheck (restart) and stopped ones that should run (start) are healed;
 * containers the Engine is restarting itself and those the watcher gave up on are left alone.
 */
export function healDecision(a: ContainerAssessment): HealDecision | { skip: string } {
  if (a.verdict === 'crash-looping')
    return { skip: 'crash-looping: fix the cause (see its logs) and redeploy it; restarting it again would not help' };
  if (a.state === 'running' && a.health === 'unhealthy')
    return { action: 'restart', reason: a.reasons[0] ?? 'healthcheck failing' };
  if ((a.state === 'exited' || a.state === 'dead' || a.state === 'created') && a.shouldRun) {
    return { action: 'start', reason: a.reasons[0] ?? `exited with code ${a.exitCode ?? '?'}` };
  }
  if (a.state === 'exited' && !a.shouldRun)
    return { skip: 'not expected to run (restart policy "no" or a finished one-off); use start_container to start it' };
  return { skip: `nothing to heal (${a.verdict})` };
}

export interface ServiceAssessment {
  /** The stack, for services of a stack; absent for plain containers. */
  stack?: string;
  /** The Compose service, or the container name for a plain container. */
  service: string;
  verdict: Verdict;
  containers: { name: string; verdict: Verdict }[];
  reasons: string[];
}

const BAD: ReadonlySet<Verdict> = new Set(['unhealthy', 'crash-looping']);
const RANK: Record<Verdict, number> = {
  healthy: 0,
  stopped: 1,
  starting: 2,
  degraded: 3,
  unhealthy: 4,
  'crash-looping': 5,
};

const worstOf = (vs: Verdict[]): Verdict => vs.reduce((w, v) => (RANK[v] > RANK[w] ? v : w));

/**
 * One verdict for a set of containers (a service's replicas). Stopped ones (not expected to
 * run) do not count unless all are stopped; all bad -> the worst; some bad, some good -> degraded.
 */
export function aggregateVerdict(verdicts: Verdict[]): Verdict {
  const live = verdicts.filter((v) => v !== 'stopped');
  if (live.length === 0) return 'stopped';
  const worst = worstOf(live);
  if (BAD.has(worst) && live.some((v) => !BAD.has(v))) return 'degraded';
  return worst;
}

/** Groups containers by stack and service (plain containers are their own service). */
export function assessServices(containers: ContainerAssessment[]): ServiceAssessment[] {
  const groups = new Map<string, ContainerAssessment[]>();
  for (const c of containers) {
    const key = c.stack && c.service ? `${c.stack}\u0000${c.service}` : `\u0001${c.name}`;
    const list = groups.get(key) ?? [];
    list.push(c);
    groups.set(key, list);
  }
  const out: ServiceAssessment[] = [];
  for (const list of groups.values()) {
    const first = list[0] as ContainerAssessment;
    const s: ServiceAssessment = {
      service: first.stack && first.service ? first.service : first.name,
      verdict: aggregateVerdict(list.map((c) => c.verdict)),
      containers: list.map((c) => ({ name: c.name, verdict: c.verdict })).sort((a, b) => a.name.localeCompare(b.name)),
      reasons: list
        .filter((c) => c.verdict !== 'healthy')
        .flatMap((c) => c.reasons.map((r) => (list.length > 1 ? `${c.name}: ${r}` : r))),
    };
    if (first.stack && first.service) s.stack = first.stack;
    out.push(s);
  }
  return out.sort((a, b) => (a.stack ?? '').localeCompare(b.stack ?? '') || a.service.localeCompare(b.service));
}

/** The worst verdict among services expected to run, for a one-word overall answer. */
export function overallVerdict(services: ServiceAssessment[]): Verdict {
  const live = services.map((s) => s.verdict).filter((v) => v !== 'stopped');
  if (live.length === 0) return services.length ? 'stopped' : 'healthy';
  return worstOf(live);
}
