import { ToolError } from '../kernel/errors.js';

/**
 * Runs `work` with a deadline. The AbortSignal handed to `work` fires when the deadline
 * passes or `outer` aborts; the promise rejects with a `timeout` ToolError at the deadline
 * even if `work` ignores the signal.
 */
export async function withDeadline<T>(
  what: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const ctrl = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const onOuter = () => ctrl.abort(outer?.reason);
  if (outer?.aborted) throw new ToolError('failed', `Cancelled: ${what}.`);
  outer?.addEventListener('abort', onOuter, { once: true });
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      ctrl.abort(new Error('timeout'));
      reject(new ToolError('timeout', `Timed out after ${ms} ms: ${what}. The Docker Engine did not answer in time.`));
    }, ms);
  });
  const cancelled = new Promise<never>((_, reject) => {
    ctrl.signal.addEventListener('abort', () => {
      if (outer?.aborted) reject(new ToolError('failed', `Cancelled: ${what}.`));
    });
  });
  try {
    return await Promise.race([work(ctrl.signal), deadline, cancelled]);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuter);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new ToolError('failed', 'Cancelled.'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ToolError('failed', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
