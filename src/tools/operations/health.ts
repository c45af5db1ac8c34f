import { z } from 'zod';
import { overallVerdict, assessServices, VERDICTS, type ContainerAssessment } from '../../health/assess.js';
import { collectHealth, resolveScope, type HealthScope } from '../../health/collect.js';
import { isCrashLooping, selfHealState } from '../../health/watcher.js';
import { defineTool } from '../defineTool.js';
import { combinedVerdict, swarmHealthFor, swarmHealthSchema, swarmHealthText } from './swarmHealth.js';
import { bytes } from '../render.js';

/**
 * health_monitoring: a read of container/service health, so read-only servers offer it too.
 * Healing what it finds is a separate, confirmed tool (heal_containers, ./heal.ts).
 */

export const healTargetArg = z.string().min(1).max(256).optional().describe('Stack or container; default all managed.');

export const verdictSchema = z.enum(VERDICTS as [string, ...string[]]);

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
});
type Output = z.infer<typeof outputSchema>;

export function scopeText(s: HealthScope): string {
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
  title: 'Health monitoring',
  description:
    'Health verdicts (healthy, starting, degraded, unhealthy, crash-looping, stopped) with reasons for a container, a stack or every managed container. heal_containers fixes what it finds.',
  toolset: 'operations',
  kind: 'read',
  input: z.object({
    target: healTargetArg,
    resources: z.boolean().optional().describe('Default true (1-2 s).'),
    logs: z.boolean().optional().describe('Default true.'),
  }),
  output: outputSchema,
  async handler(args, ctx) {
    const { scope, ids } = await resolveScope(ctx.engine, args.target, ctx.signal);
    const watcher = ctx.engines && ctx.engine !== ctx.engines.default ? undefined : selfHealState();
    const { assessments } = await collectHealth(
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

    return { data, text: text.join('\n') };
  },
});
