import { parseDuration } from './duration.js';
import { ToolError } from '../kernel/errors.js';

/**
 * "2026-11-25T10:00:00Z", a unix timestamp in seconds, or a relative duration ("10m", "1h30m")
 * meaning that long before `now` -> unix seconds.
 */
export function toUnixSeconds(input: string | number, field: string, now = Date.now()): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0)
      throw new ToolError('invalid_input', `${field} must be a positive unix time.`);
    return Math.floor(input);
  }
  const s = input.trim();
  if (/^\d+(\.\d+)?$/.test(s)) return Math.floor(Number(s));
  if (/^\d+(\.\d+)?(ns|us|µs|ms|s|m|h)/.test(s)) {
    try {
      return Math.floor((now - parseDuration(s, field)) / 1000);
    } catch {
      /* not a duration: try a date below */
    }
  }
  const t = Date.parse(s);
  if (Number.isNaN(t)) {
    throw new ToolError(
      'invalid_input',
      `${field} "${input}" is not a time: use an ISO date ("2026-11-25T10:00:00Z"), unix seconds, or a duration ago ("10m", "2h").`,
    );
  }
  return Math.floor(t / 1000);
}
