import { z } from 'zod';
import { inspectContainer } from '../../docker/containers.js';
import { isManaged } from '../../docker/labels.js';
import {
  healDecision,
  overallVerdict,
  assessServices,
  VERDICTS,
  type ContainerAssessment,
  type HealAction,
} from '../../health/assess.js';
import { collectHealth, resolveScope, type HealthScope } from '../../health/collect.js';
import { heal } from '../../health/heal.js';
import { isCrashLooping, selfHealState } from '../../health/watcher.js';
import { defineTool } from '../defineTool.js';
import { bytes } from '../render.js';
import { confirmArg } from '../schemas.js';
import { combinedVerdict, swarmHealthFor, swarmHealthSchema, swarmHealthText } from './swarmHealth.js';
import { notConfirmedMessage } from '../confirm.js';

/**
 * health_monitoring: a read of container/service health, and with `heal: true` a confirmed
 * restart of what should run and does not. Declared destructive (heal restarts containers,
 * cutting their connections) so it needs confirmation; a consequence is that read-only mode
 * and --disable-destructive hide it (get_stack_status and get_container_info still report health).
 */

const verdictSchema = z.enum(VERDICTS as [string, ...string[]]);

const containerSchema = z.object({
  id: z.string(),
  name: z.string(),
  stack: z.string().optional(),
  service: z.string().optional(),
  managed: z.boolean(),
  state: z.string(),
  health: z.string().optional(),
  healthchecks: z
    .array(z.object({ start: z.string(), exitCode: z.number(), output: z.string() }))
    .optional()
    .describe('Last healthcheck runs, newest last.'),
  restartCount: z.number(),
  restartPolicy: z.string(),
  oomKilled: z.boolean(),
  exitCode: z.number().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  resources: z
    .object({
      cpuPercent: z.number().optional(),
      cpuLimit: z.number().optional(),
      cpuOfLimitPercent: z.number().optional(),
      memoryBytes: z.number().optional(),
      memoryLimitBytes: z.number().optional(),
      memoryOfLimitPercent: z.number().optional(),
    })
    .optional(),
  errorLines: z.array(z.string()).optional().describe('Recent log lines that look like errors, newest last.'),
  shouldRun: z.boolean(),
  verdict: verdictSchema,
  reasons: z.array(z.string()),
});

const actionSchema = z.object({
  container: z.string(),
  action: z.enum(['restart', 'start']),
  reason: z.string(),
  outcome: z.enum(['planned', 'done', 'failed']),
  error: z.string().optional(),
  stateAfter: z.string().optional(),
  historyId: z.string().optional(),
});

const outputSchema = z.object({
  scope: z.string().describe('"managed" (every managed container), "stack NAME" or "container NAME".'),
  verdict: verdictSchema.describe('The worst verdict among services expected to run.'),
  services: z.array(
    z.object({
      stack: z.string().optional(),
      service: z.string(),
      verdict: verdictSchema,
      containers: z.array(z.object({ name: z.string(), verdict: verdictSchema })),
      reasons: z.array(z.string()),
    }),
  ),
  containers: z.array(containerSchema),
  swarm: swarmHealthSchema,
  watcher: z
    .object({
      connected: z.boolean(),
      restarts: z.number(),
      reconnects: z.number(),
      crashLooping: z.array(
        z.object({
          id: z.string(),
          name: z.string(),
          since: z.string(),
          restarts: z.number(),
          lastTrigger: z.string(),
        }),
      ),
    })
    .optional()
    .describe('The self-heal watcher of this server, when it runs (--self-heal).'),
  heal: z
    .object({
      done: z.boolean().describe('false when heal was not confirmed and nothing changed'),
      message: z.string(),
      actions: z.array(actionSchema),
      skipped: z.array(z.object({ container: z.string(), reason: z.string() })),
    })
    .optional(),
});
type Output = z.infer<typeof outputSchema>;
type Action = z.infer<typeof actionSchema>;

function scopeText(s: HealthScope): string {
  return s.kind === 'managed' ? 'managed' : `${s.kind} ${s.name}`;
}

function containerText(c: ContainerAssessment): string {
  const state = c.health ? `${c.state}, ${c.health}` : c.state;
  const lines = [
    `${c.name}${c.stack ? ` (${c.stack}/${c.service ?? ''})` : ''}: ${c.verdict} [${state}]${c.reasons.length ? ` - ${c.reasons.join('; ')}` : ''}`,
  ];
  const facts: string[] = [];
  if (c.restartCount) facts.push(`restarts ${c.restartCount}`);
  if (c.exitCode !== undefined) facts.push(`exit ${c.exitCode}`);
  if (c.oomKilled) facts.push('OOM killed');
  const r = c.resources;
  if (r?.cpuPercent !== undefined) facts.push(`cpu ${r.cpuPercent}%${r.cpuLimit ? ` of ${r.cpuLimit} CPU limit` : ''}`);
  if (r?.memoryBytes !== undefined)
    facts.push(`mem ${bytes(r.memoryBytes)}${r.memoryLimitBytes ? ` / ${bytes(r.memoryLimitBytes)}` : ''}`);
  if (facts.length) lines.push(`  ${facts.join(', ')}`);
  for (const e of c.errorLines ?? []) lines.push(`  log: ${e}`);
  return lines.join('\n');
}

export const healthMonitoringTool = defineTool({
  name: 'health_monitoring',
  title: 'Health monitoring and healing',
  description:
    'Health verdicts (healthy, starting, degraded, unhealthy, crash-looping, stopped) with reasons for a container, a stack or every managed container. heal: true restarts failing ones (destructive: needs confirmation).',
  toolset: 'operations',
  kind: 'destructive',
  input: z.object({
    target: z.string().min(1).max(256).optional().describe('Stack or container; default all managed.'),
    heal: z.boolean().optional(),
    confirm: confirmArg,
    resources: z.boolean().optional().describe('Default true (1-2 s).'),
    logs: z.boolean().optional().describe('Default true.'),
  }),
  output: outputSchema,
  async handler(args, ctx) {
    const { scope, ids } = await resolveScope(ctx.engine, args.target, ctx.signal);
    const watcher = selfHealState();
    const { inspects, assessments } = await collectHealth(
      ctx.engine,
      ids,
      { resources: args.resources ?? true, logs: args.logs ?? true, crashLooping: (id) => isCrashLooping(watcher, id) },
      ctx.signal,
    );
    const services = assessServices(assessments);
    const swarm = await swarmHealthFor(ctx, args.target);
    const data: Output = {
      scope: scopeText(scope),
      verdict: combinedVerdict(overallVerdict(services), swarm),
      services,
      containers: assessments,
    };
    if (swarm) data.swarm = swarm;
    if (watcher) data.watcher = watcher;
    const text: string[] = [
      `${data.verdict}: ${assessments.length} container${assessments.length === 1 ? '' : 's'} in scope ${data.scope}`,
    ];
    for (const c of assessments) text.push(containerText(c));
    if (swarm) text.push(...swarmHealthText(swarm));
    if (watcher?.crashLooping.length)
      text.push(`self-heal watcher gave up on: ${watcher.crashLooping.map((c) => c.name).join(', ')}`);

    if (args.heal) {
      const planned: { action: Action; index: number }[] = [];
      const skipped: { container: string; reason: string }[] = [];
      assessments.forEach((a, index) => {
        const d = healDecision(a);
        if ('skip' in d) {
          if (a.verdict !== 'healthy' && a.verdict !== 'starting') skipped.push({ container: a.name, reason: d.skip });
          return;
        }
        if (ctx.config.scope !== 'all' && !isManaged(inspects[index]?.Config?.Labels)) {
          skipped.push({
            container: a.name,
            reason:
              'outside the ownership scope (not managed by this server); start the server with --scope all to heal it',
          });
          return;
        }
        planned.push({
          index,
          action: { container: a.name, action: d.action as HealAction, reason: d.reason, outcome: 'planned' },
        });
      });
      const actions = planned.map((p) => p.action);
      if (planned.length === 0) {
        const message = 'Nothing to heal.';
        data.heal = { done: true, message, actions, skipped };
        text.push(message);
        return { data, text: text.join('\n') };
      }
      const summary = `Heal: ${actions.map((a) => `${a.action} ${a.container} (${a.reason})`).join('; ')}.`;
      const confirmation = await ctx.confirm(args.confirm, summary);
      if (!confirmation.confirmed) {
        const message = notConfirmedMessage(confirmation, summary, { retry: 'heal: true and confirm: true' });
        ctx.history
          .begin({
            kind: 'heal',
            target: scopeText(scope),
            source: 'health_monitoring',
            who: ctx.who,
            inputs: { target: args.target, heal: true, confirm: args.confirm },
          })
          .finish('not_confirmed', message);
        data.heal = { done: false, message, actions, skipped };
        text.push(message);
        return { data, text: text.join('\n') };
      }
      for (const p of planned) {
        const c = inspects[p.index];
        if (!c) continue;
        const r = await heal(
          ctx.engine,
          ctx.history,
          {
            container: c,
            action: p.action.action,
            reason: p.action.reason,
            who: ctx.who,
            source: 'health_monitoring',
            inputs: { target: args.target, heal: true, confirm: args.confirm },
          },
          ctx.signal,
        );
        p.action.outcome = r.outcome;
        p.action.historyId = r.historyId;
        if (r.error) p.action.error = r.error;
        const after = await inspectContainer(ctx.engine, c.Id, ctx.signal).catch(() => undefined);
        if (after)
          p.action.stateAfter = after.State.Health?.Status
            ? `${after.State.Status} (${after.State.Health.Status})`
            : after.State.Status;
      }
      const failed = actions.filter((a) => a.outcome === 'failed');
      const message = `Healed ${actions.length - failed.length} of ${actions.length}: ${actions
        .map(
          (a) =>
            `${a.action === 'start' ? 'started' : 'restarted'} ${a.container}${a.outcome === 'failed' ? ` FAILED (${a.error ?? ''})` : a.stateAfter ? ` -> ${a.stateAfter}` : ''}`,
        )
        .join('; ')}.`;
      data.heal = { done: true, message, actions, skipped };
      text.push(message);
    }
    return { data, text: text.join('\n') };
  },
});
