import { sleep } from '../util/timeout.js';
import { target } from './containers.js';
import type { Engine } from './engine.js';
import { ToolError } from './errors.js';
import { statsSample, type StatsSample } from './projections.js';

/** Resource usage of running containers: CPU % from two samples, taken for all containers in parallel. */

export interface StatsRow extends StatsSample {
  id: string;
  name: string;
}

type RawStats = Parameters<typeof statsSample>[0];

function hasPrevious(s: RawStats): boolean {
  return !!s.precpu_stats?.system_cpu_usage;
}

async function sampleOnce(engine: Engine, id: string, signal?: AbortSignal): Promise<RawStats> {
  return engine.call('read stats of', (d) => d.getContainer(id).stats({ stream: false }) as unknown as Promise<RawStats>, {
    target: target(id),
    signal,
  });
}

/**
 * One row per container. Each gets a first sample; when the Engine did not fill the frame's
 * previous CPU reading (one-shot stats), a second sample `intervalMs` later gives the CPU %.
 * All containers are sampled at the same time, so the whole answer takes about one interval.
 */
export async function sampleStats(
  engine: Engine,
  containers: { id: string; name: string }[],
  intervalMs: number,
  signal?: AbortSignal,
): Promise<{ rows: StatsRow[]; skipped: { name: string; reason: string }[] }> {
  const results = await Promise.allSettled(
    containers.map(async (c) => {
      const first = await sampleOnce(engine, c.id, signal);
      let sample: StatsSample;
      if (hasPrevious(first)) {
        sample = statsSample(first);
      } else {
        await sleep(intervalMs, signal);
        sample = statsSample(await sampleOnce(engine, c.id, signal), first);
      }
      return { id: c.id.slice(0, 12), name: c.name, ...sample };
    }),
  );
  const rows: StatsRow[] = [];
  const skipped: { name: string; reason: string }[] = [];
  results.forEach((r, i) => {
    const c = containers[i] as { id: string; name: string };
    if (r.status === 'fulfilled') rows.push(r.value);
    else if (r.reason instanceof ToolError && r.reason.kind !== 'not_found' && r.reason.kind !== 'conflict') throw r.reason;
    else skipped.push({ name: c.name, reason: (r.reason as Error)?.message ?? String(r.reason) });
  });
  return { rows: rows.sort((a, b) => a.name.localeCompare(b.name)), skipped };
}
