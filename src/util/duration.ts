import { ToolError } from '../kernel/errors.js';

function bad(field: string, value: unknown, expected: string): never {
  throw new ToolError('invalid_input', `Invalid ${field} ${JSON.stringify(value)}: expected ${expected}.`);
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Go/Compose durations "1m30s", "10s", "500ms" (or a number of seconds) -> milliseconds. */
export function parseDuration(input: string | number, field = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) bad(field, input, 'a duration like "10s" or "1m30s"');
    return input * 1000;
  }
  const s = String(input).trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Number(s) * 1000;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? NaN);
    matched = re.lastIndex;
  }
  if (!s || matched !== s.length || !Number.isFinite(total))
    bad(field, input, 'a duration like "10s", "500ms" or "1m30s"');
  return total;
}
