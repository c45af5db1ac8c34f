import type { Readable } from 'node:stream';
import { target } from './containers.js';
import type { Engine } from './engine.js';
import { ToolError } from '../kernel/errors.js';
import { statsSample, type StatsSample } from './projections.js';

/** Resource usage of running containers: CPU % from two samples ~1 s apart, taken for all containers in parallel. */

export interface StatsRow extends StatsSample {
  id: string;
  name: string;
}

type RawStats = Parameters<typeof statsSample>[0];

function hasPrevious(s: RawStats): boolean {
  return !!s.precpu_stats?.system_cpu_usage;
}

/**
 * Reads the Engine's stats stream until a frame carries a previous CPU reading: the Engine
 * samples every second and fills `precpu_stats` from its last sample, so the second frame
 * gives CPU % over a real ~1 s window (the first frame, and one-shot stats, have none).
 */
async function sampleTwice(engine: Engine, id: string, maxFrames: number, signal?: AbortSignal): Promise<StatsSample> {
  return engine.call(
    'read stats of',
    async (d, sig) => {
      const stream = (await d
        .getContainer(id)
        .stats({ stream: true, abortSignal: sig } as { stream: true })) as unknown as Readable;
      return new Promise<StatsSample>((resolve, reject) => {
        let rest = '';
        let first: RawStats | undefined;
        let frames = 0;
        const done = (v: StatsSample) => {
          stream.destroy();
          resolve(v);
        };
        stream.on('data', (chunk: Buffer) => {
          rest += chunk.toString('utf8');
          let nl: number;
          while ((nl = rest.indexOf('\n')) >= 0) {
            const line = rest.slice(0, nl).trim();
            rest = rest.slice(nl + 1);
            if (!line) continue;
            let frame: RawStats;
            try {
              frame = JSON.parse(line) as RawStats;
            } catch {
              continue;
            }
            frames++;
            if (hasPrevious(frame)) return done(statsSample(frame));
            if (first && frames >= maxFrames) return done(statsSample(frame, first));
            first ??= frame;
          }
        });
        stream.on('error', reject);
        // A container that stops ends the stream: answer with what we have.
        stream.on('close', () =>
          first
            ? resolve(statsSample(first))
            : reject(new ToolError('conflict', `container "${id}" stopped while sampling`)),
        );
      });
    },
    { target: target(id), signal },
  );
}

/**
 * One row per container, all sampled in parallel: the whole answer takes the Engine's two
 * sampling ticks (1-2 s) however many containers there are.
 */
export async function sampleStats(
  engine: Engine,
  containers: { id: string; name: string }[],
  signal?: AbortSignal,
): Promise<{ rows: StatsRow[]; skipped: { name: string; reason: string }[] }> {
  const results = await Promise.allSettled(
    containers.map(async (c) => ({
      id: c.id.slice(0, 12),
      name: c.name,
      ...(await sampleTwice(engine, c.id, 3, signal)),
    })),
  );
  const rows: StatsRow[] = [];
  const skipped: { name: string; reason: string }[] = [];
  results.forEach((r, i) => {
    const c = containers[i] as { id: string; name: string };
    if (r.status === 'fulfilled') rows.push(r.value);
    else if (r.reason instanceof ToolError && r.reason.kind !== 'not_found' && r.reason.kind !== 'conflict')
      throw r.reason;
    else skipped.push({ name: c.name, reason: (r.reason as Error)?.message ?? String(r.reason) });
  });
  return { rows: rows.sort((a, b) => a.name.localeCompare(b.name)), skipped };
}
