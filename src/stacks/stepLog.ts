import type { DeploymentHandle, StepRecord } from '../history/port.js';

/**
 * The steps of one stack deploy: a progress notification when each begins, its duration and
 * outcome recorded (in the answer and in the deployment's history record) when it ends.
 */
export class StepLog {
  readonly steps: StepRecord[] = [];
  private begun = 0;

  constructor(
    private readonly record: DeploymentHandle,
    private readonly progress: (current: number, total: number, message: string) => void,
    /** The steps the deploy expects; the total grows when more are taken (a rollback). */
    private readonly expected: number,
  ) {}

  /** Announces a step without timing it (the caller records it with `add`). */
  begin(name: string): void {
    this.begun++;
    this.progress(this.begun, Math.max(this.expected, this.begun), name);
  }

  /** Runs one step: announced when it begins, recorded as ok or failed (first line of the error) when it ends. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.begin(name);
    const t0 = Date.now();
    try {
      const r = await fn();
      this.add({ name, durationMs: Date.now() - t0, outcome: 'ok' });
      return r;
    } catch (err) {
      const error = (err as Error).message.split('\n')[0] ?? '';
      this.add({ name, durationMs: Date.now() - t0, outcome: 'failed', error });
      throw err;
    }
  }

  add(step: StepRecord): void {
    this.steps.push(step);
    this.record.step(step);
  }
}
