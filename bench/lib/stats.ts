/** Small statistics helpers: the suite reports medians and ratios, never single times. */

export interface Summary {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
}

export function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] ?? NaN;
  const b = sorted[hi] ?? NaN;
  return a + (b - a) * (pos - lo);
}

export function summarize(samples: number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: quantile(s, 0.5),
    p90: quantile(s, 0.9),
    min: s[0] ?? NaN,
    max: s[s.length - 1] ?? NaN,
  };
}

/** ours / baseline, rounded to 2 decimals (NaN when either side is missing). */
export function ratio(ours: number | undefined, baseline: number | undefined): number {
  if (
    ours === undefined ||
    baseline === undefined ||
    !Number.isFinite(ours) ||
    !Number.isFinite(baseline) ||
    baseline === 0
  )
    return NaN;
  return Math.round((ours / baseline) * 100) / 100;
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

/** Milliseconds elapsed since a process.hrtime.bigint() mark. */
export function msSince(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = process.hrtime.bigint();
  const value = await fn();
  return { ms: msSince(t0), value };
}

export interface Variant {
  name: string;
  run: () => Promise<unknown>;
}

/**
 * Runs every variant `iterations` times, interleaved (a round runs each variant once, the
 * order rotating from round to round) so that load drifting on a busy machine hits every
 * variant alike. Warm-up rounds are not recorded. A variant that throws is dropped and its
 * error kept.
 */
export async function interleave(
  variants: Variant[],
  iterations: number,
  warmup: number,
): Promise<Map<string, { samples: number[]; error?: string }>> {
  const out = new Map<string, { samples: number[]; error?: string }>(variants.map((v) => [v.name, { samples: [] }]));
  for (let round = 0; round < warmup + iterations; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length];
      if (!v) continue;
      const slot = out.get(v.name);
      if (!slot || slot.error) continue;
      try {
        const { ms } = await timed(v.run);
        if (round >= warmup) slot.samples.push(ms);
      } catch (err) {
        slot.error = err instanceof Error ? err.message : String(err);
      }
    }
  }
  return out;
}
