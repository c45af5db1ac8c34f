import { z } from 'zod';
import type { DeploymentOutcome as HistoryOutcome, HistoryPort } from '../../history/port.js';
import type { DeploymentOutcome, DeploymentRecorder } from '../../stacks/recorder.js';

const OUTCOMES: Record<DeploymentOutcome, Exclude<HistoryOutcome, 'running'>> = {
  succeeded: 'succeeded',
  'no changes': 'succeeded',
  failed: 'failed',
  'rolled back': 'failed',
  cancelled: 'cancelled',
  'dry run': 'dry_run',
};

/** The stacks recorder on top of the server's deployment history (ctx.history). */
export function historyRecorder(history: HistoryPort): DeploymentRecorder {
  return {
    start(rec) {
      const h = history.begin({
        kind: 'deploy_stack',
        target: rec.stack,
        stack: rec.stack,
        source: rec.source,
        who: rec.who,
        inputs: rec.inputs,
        plan: rec.plan,
      });
      return {
        id: h.id,
        step(name, durationMs, outcome, detail) {
          h.step({
            name,
            durationMs,
            outcome: outcome === 'failed' ? 'failed' : outcome === 'skipped' ? 'skipped' : 'ok',
            ...(detail && outcome === 'failed' ? { error: detail } : {}),
          });
        },
        finish(outcome, error) {
          h.finish(OUTCOMES[outcome], error);
        },
        journal(state) {
          h.journal(state);
        },
      };
    },
  };
}

export const stackNameArg = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9][a-z0-9_-]*$/, 'use lowercase letters, digits, "_" and "-", starting with a letter or digit')
  .describe('Stack (Compose project) name.');
