import type { Plan } from './compose/index.js';

/**
 * Every stack deployment goes through one recorder: who asked, what, the plan, each step's
 * duration and the outcome. The tools back it with the server's deployment history
 * (src/tools/stacks/shared.ts historyRecorder).
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

export interface DeploymentHandle {
  readonly id: string;
  step(name: string, durationMs: number, outcome: StepOutcome, detail?: string): void;
  finish(outcome: DeploymentOutcome, error?: string): void;
  /** Writes the deploy's in-flight journal (src/stacks/journal.ts); null clears it. */
  journal(state: unknown): void;
}

export interface DeploymentRecorder {
  start(record: DeploymentStart): DeploymentHandle;
}
