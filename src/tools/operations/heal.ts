import { z } from 'zod';
import { healContainers, ownershipPolicy, planHeal, type HealPorts } from '../../app/heal.js';
import { isCrashLooping, selfHealState } from '../../health/watcher.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import type { ToolContext } from '../defineTool.js';
import { confirmArg } from '../schemas.js';
import { healTargetArg, scopeText } from './health.js';

/**
 * heal_containers: restarts what health_monitoring finds unhealthy and starts what should run
 * and does not. Destructive (a restart cuts connections), so confirmed and recorded: a refusal
 * as one record, each action as its own record of kind "heal", like the self-heal watcher's.
 * Containers outside the ownership scope are skipped with the reason, not refused: a stack may
 * mix them, and the rest can still be healed.
 */

const actionSchema = z.object({
  container: z.string(),
  action: z.enum(['restart', 'start']),
  reason: z.string(),
  outcome: z.enum(['planned', 'done', 'failed']),
  error: z.string().optional(),
  stateAfter: z.string().optional(),
  historyId: z.string().optional(),
});
type Action = z.infer<typeof actionSchema>;

function ports(ctx: ToolContext): HealPorts {
  return {
    engine: ctx.engine,
    history: ctx.history,
    policy: ownershipPolicy(ctx.config.scope),
    progress: (done, total, message) => ctx.progress(done, total, message),
    signal: ctx.signal,
  };
}

function doneText(actions: Action[]): string {
  const failed = actions.filter((a) => a.outcome === 'failed');
  return `Healed ${actions.length - failed.length} of ${actions.length}: ${actions
    .map(
      (a) =>
        `${a.action === 'start' ? 'started' : 'restarted'} ${a.container}${a.outcome === 'failed' ? ` FAILED (${a.error ?? ''})` : a.stateAfter ? ` -> ${a.stateAfter}` : ''}`,
    )
    .join('; ')}.`;
}

export const healContainersTool = defineDestructiveTool({
  name: 'heal_containers',
  title: 'Heal containers',
  description:
    'Restart unhealthy containers and start exited ones that should run (a container, a stack or all managed; crash-looping and finished one-off containers are left alone). Destructive: needs confirmation.',
  toolset: 'operations',
  historyKind: 'heal',
  input: z.object({ target: healTargetArg, confirm: confirmArg }),
  output: z.object({
    scope: z.string().describe('"managed" (every managed container), "stack NAME" or "container NAME".'),
    done: z.boolean().describe('false when not confirmed and nothing changed'),
    message: z.string(),
    actions: z.array(actionSchema),
    skipped: z.array(z.object({ container: z.string(), reason: z.string() })),
  }),
  async resolve({ target }, ctx) {
    const watcher = selfHealState();
    const plan = await planHeal(ports(ctx), {
      ...(target ? { target } : {}),
      crashLooping: (id) => isCrashLooping(watcher, id),
    });
    // The policy port already left out (as skipped) what the ownership scope does not allow.
    return { scope: [], found: plan };
  },
  async plan(plan, { target, confirm }, ctx) {
    const scope = scopeText(plan.scope);
    const actions: Action[] = plan.targets.map((t) => ({
      container: t.name,
      action: t.action,
      reason: t.reason,
      outcome: 'planned',
    }));
    const { skipped } = plan;
    if (actions.length === 0) {
      const message = 'Nothing to heal.';
      const why = skipped.map((s) => `${s.container}: ${s.reason}`);
      return { data: { scope, done: true, message, actions, skipped }, text: [message, ...why].join('\n') };
    }
    const inputs = { target, confirm };
    return {
      summary: `Heal: ${actions.map((a) => `${a.action} ${a.container} (${a.reason})`).join('; ')}.`,
      record: { target: scope, source: 'heal_containers', inputs },
      refused: (message) => ({ scope, done: false, message, actions, skipped }),
      async runRecordingEach() {
        const outcomes = await healContainers(ports(ctx), plan.targets, {
          who: ctx.who,
          source: 'heal_containers',
          inputs,
        });
        const done: Action[] = outcomes.map((o) => ({ ...o, outcome: o.outcome }));
        const message = doneText(done);
        return { data: { scope, done: true, message, actions: done, skipped }, text: message };
      },
    };
  },
});
