import type { DeploymentHandle, DeploymentStart, HistoryPort } from './port.js';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Runs one phase of a deployment and records it as a step with its duration, ok or failed. */
export async function timedStep<T>(
  h: DeploymentHandle,
  name: string,
  fn: () => Promise<T>,
  service?: string,
): Promise<T> {
  const started = Date.now();
  const base = service === undefined ? { name } : { name, service };
  try {
    const out = await fn();
    h.step({ ...base, durationMs: Date.now() - started, outcome: 'ok' });
    return out;
  } catch (err) {
    h.step({ ...base, durationMs: Date.now() - started, outcome: 'failed', error: messageOf(err) });
    throw err;
  }
}

/**
 * Records `work` as one deployment: begins it, and finishes it as succeeded when `work`
 * resolves (unless `work` finished it itself), cancelled when `signal` was aborted, failed
 * otherwise (the error is rethrown).
 */
export async function recorded<T>(
  history: HistoryPort,
  start: DeploymentStart,
  signal: AbortSignal,
  work: (h: DeploymentHandle) => Promise<T>,
): Promise<T> {
  const inner = history.begin(start);
  let finished = false;
  const h: DeploymentHandle = {
    id: inner.id,
    step: (s) => inner.step(s),
    setPlan: (p) => inner.setPlan(p),
    journal: (j) => inner.journal(j),
    finish(outcome, error) {
      if (finished) return;
      finished = true;
      inner.finish(outcome, error);
    },
  };
  try {
    const out = await work(h);
    h.finish('succeeded');
    return out;
  } catch (err) {
    h.finish(signal.aborted ? 'cancelled' : 'failed', messageOf(err));
    throw err;
  }
}
