import type { Plan } from './compose/index.js';

/**
 * Every stack deployment goes through one recorder: who asked, what, the plan, each step's
 * duration and the outcome. The history issue persists records; until then they stay in memory.
 */

export type StepOutcome = 'ok' | 'failed' | 'skipped' | 'rolled back';
export type DeploymentOutcome = 'succeeded' | 'failed' | 'rolled back' | 'dry run' | 'no changes' | 'cancelled';

export interface DeploymentStart {
  stack: string;
  /** "template:web-stack", "file:/path/compose.yml" or "inline". */
  source: string;
  /** Who asked: the server instance and transport. */
  who: string;
  /** The tool's arguments with secret values masked (src/util/mask.ts) and Compose text reduced to a digest. */
  inputs: Record<string, unknown>;
  plan: Plan;
}

export interface DeploymentStep {
  name: string;
  durationMs: number;
  outcome: StepOutcome;
  detail?: string;
}

export interface DeploymentRecord extends DeploymentStart {
  id: string;
  startedAt: string;
  finishedAt?: string;
  steps: DeploymentStep[];
  outcome?: DeploymentOutcome;
  error?: string;
}

export interface DeploymentHandle {
  readonly id: string;
  step(name: string, durationMs: number, outcome: StepOutcome, detail?: string): void;
  finish(outcome: DeploymentOutcome, error?: string): void;
}

export interface DeploymentRecorder {
  start(record: DeploymentStart): DeploymentHandle;
}

/** Records nothing. */
export const noopRecorder: DeploymentRecorder = {
  start: () => ({ id: 'none', step: () => undefined, finish: () => undefined }),
};

/** Keeps the last `capacity` deployments in memory, newest last. */
export class InMemoryRecorder implements DeploymentRecorder {
  readonly records: DeploymentRecord[] = [];
  private seq = 0;

  constructor(private readonly capacity = 200) {}

  start(start: DeploymentStart): DeploymentHandle {
    const record: DeploymentRecord = { ...start, id: `dep-${Date.now().toString(36)}-${++this.seq}`, startedAt: new Date().toISOString(), steps: [] };
    this.records.push(record);
    if (this.records.length > this.capacity) this.records.splice(0, this.records.length - this.capacity);
    return {
      id: record.id,
      step(name, durationMs, outcome, detail) {
        record.steps.push(detail === undefined ? { name, durationMs, outcome } : { name, durationMs, outcome, detail });
      },
      finish(outcome, error) {
        record.outcome = outcome;
        record.finishedAt = new Date().toISOString();
        if (error !== undefined) record.error = error;
      },
    };
  }

  forStack(stack: string): DeploymentRecord[] {
    return this.records.filter((r) => r.stack === stack);
  }
}
