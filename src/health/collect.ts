import { listContainersByLabel, type ContainerInspect } from '../docker/healthQueries.js';
import { inspectContainer, readLogs } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import { COMPOSE_PROJECT, LABEL_MANAGED } from '../docker/labels.js';
import type { StatsSample } from '../docker/projections.js';
import { sampleStats } from '../docker/stats.js';
import { assessContainer, type ContainerAssessment } from './assess.js';

/** Reads what the assessment needs from the Engine: inspect, a two-tick stats sample, recent logs. */

export type HealthScope = { kind: 'managed' } | { kind: 'stack'; name: string } | { kind: 'container'; name: string };

/** Log lines read per running container when looking for error lines. */
export const LOG_TAIL = 200;
const LOG_MAX_BYTES = 64 * 1024;

export interface Collected {
  scope: HealthScope;
  /** Full ids with their inspect data, in the same order as `assessments`. */
  inspects: ContainerInspect[];
  assessments: ContainerAssessment[];
}

/**
 * What to look at: no target -> every container labelled as managed by this server;
 * a stack name (the Compose project label) -> its containers; otherwise a container
 * by name, id or id prefix.
 */
export async function resolveScope(
  engine: Engine,
  target: string | undefined,
  signal?: AbortSignal,
): Promise<{ scope: HealthScope; ids: string[] }> {
  if (!target) {
    const list = await listContainersByLabel(engine, [`${LABEL_MANAGED}=true`], signal);
    return { scope: { kind: 'managed' }, ids: list.map((c) => c.id) };
  }
  const stack = await listContainersByLabel(engine, [`${COMPOSE_PROJECT}=${target}`], signal);
  if (stack.length) return { scope: { kind: 'stack', name: target }, ids: stack.map((c) => c.id) };
  try {
    const c = await inspectContainer(engine, target, signal);
    return { scope: { kind: 'container', name: c.Name.replace(/^\//, '') }, ids: [c.Id] };
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') {
      throw new ToolError(
        'not_found',
        `No container and no stack named "${target}": list them with list_containers or list_stacks.`,
      );
    }
    throw err;
  }
}

export interface CollectOptions {
  /** Sample CPU and memory (takes the Engine's two stats ticks, 1-2 s). */
  resources: boolean;
  /** Read recent log lines for error lines. */
  logs: boolean;
  /** Ids (full) the self-heal watcher reported as crash-looping. */
  crashLooping?: (id: string) => boolean;
}

async function recentLogs(engine: Engine, c: ContainerInspect, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const out = await readLogs(engine, c.Id, !!c.Config?.Tty, { tail: LOG_TAIL, maxBytes: LOG_MAX_BYTES }, signal);
    return [out.stdout, out.stderr].filter(Boolean).join('\n');
  } catch (err) {
    if (err instanceof ToolError && (err.kind === 'not_found' || err.kind === 'failed')) return undefined;
    throw err;
  }
}

export async function collectHealth(
  engine: Engine,
  ids: string[],
  opts: CollectOptions,
  signal?: AbortSignal,
): Promise<Omit<Collected, 'scope'>> {
  const inspected = await Promise.all(
    ids.map(async (id) => {
      try {
        return await inspectContainer(engine, id, signal);
      } catch (err) {
        // Removed between the list and now: not part of the answer.
        if (err instanceof ToolError && err.kind === 'not_found') return undefined;
        throw err;
      }
    }),
  );
  const inspects = inspected.filter((c): c is ContainerInspect => !!c).sort((a, b) => a.Name.localeCompare(b.Name));
  const running = inspects.filter((c) => c.State.Running);
  const statsById = new Map<string, StatsSample>();
  const [, logs] = await Promise.all([
    opts.resources && running.length
      ? sampleStats(
          engine,
          running.map((c) => ({ id: c.Id, name: c.Name.replace(/^\//, '') })),
          signal,
        ).then(
          (r) => r.rows.forEach((row) => statsById.set(row.id, row)),
          () => undefined,
        )
      : undefined,
    Promise.all(inspects.map((c) => (opts.logs ? recentLogs(engine, c, signal) : undefined))),
  ]);
  const assessments = inspects.map((c, i) => {
    const input: Parameters<typeof assessContainer>[0] = { inspect: c };
    const stats = statsById.get(c.Id.slice(0, 12));
    if (stats) input.stats = stats;
    const text = logs[i];
    if (text) input.logText = text;
    if (opts.crashLooping?.(c.Id)) input.watcherCrashLooping = true;
    return assessContainer(input);
  });
  return { inspects, assessments };
}
