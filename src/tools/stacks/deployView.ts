import { swarmOutput } from './deploySwarm.js';
import { z } from 'zod';
import type { DeployStackResult } from '../../app/deployStack.js';
import type { BuildDecision } from '../../stacks/build.js';
import type { Plan } from '../../stacks/compose/index.js';
import { capList, capText } from '../bounds.js';

/** deploy_application_stack's answer: its schema, and the data and text made from the use case's result. */

const actionRow = z.object({ action: z.string(), name: z.string(), reason: z.string() });
const planSchema = z.object({
  summary: z.object({
    create: z.number(),
    recreate: z.number(),
    start: z.number(),
    keep: z.number(),
    remove: z.number(),
    update: z.number().optional().describe('Swarm services updated in place (target swarm).'),
  }),
  changes: z.boolean(),
  levels: z.array(z.array(z.string())),
  containers: z.array(actionRow.extend({ service: z.string() })),
  networks: z.array(actionRow),
  volumes: z.array(actionRow),
  builds: z
    .array(z.object({ service: z.string(), image: z.string(), action: z.enum(['build', 'keep']), reason: z.string() }))
    .optional(),
});

export const deployStackOutput = z.object({
  stack: z.string(),
  source: z.string(),
  target: z.enum(['engine', 'swarm']).optional(),
  dryRun: z.boolean(),
  plan: planSchema,
  swarm: swarmOutput.optional().describe('Target swarm: each Swarm service, its action, replicas and nodes.'),
  services: z
    .array(
      z.object({
        service: z.string(),
        condition: z.string(),
        readyMs: z.number().optional(),
        containers: z.array(z.object({ name: z.string(), id: z.string(), action: z.string() })),
      }),
    )
    .optional(),
  timeToHealthyMs: z
    .number()
    .optional()
    .describe('From the start of the deploy until every service met its wait condition.'),
  durationMs: z.number().optional(),
  steps: z.array(z.object({ name: z.string(), durationMs: z.number(), outcome: z.string() })).optional(),
  warnings: z.array(z.string()),
  inactiveServices: z.array(z.string()),
  deploymentId: z.string().optional(),
});

type DeployStackData = z.infer<typeof deployStackOutput>;

function planView(plan: Plan, builds: readonly BuildDecision[]): z.infer<typeof planSchema> {
  return {
    ...(builds.length
      ? { builds: builds.map((b) => ({ service: b.service, image: b.image, action: b.action, reason: b.reason })) }
      : {}),
    summary: plan.summary,
    changes: plan.changes,
    levels: plan.levels,
    containers: plan.containers.map((c) => ({ action: c.action, service: c.service, name: c.name, reason: c.reason })),
    networks: plan.networks.map((n) => ({ action: n.action, name: n.name, reason: n.reason })),
    volumes: plan.volumes.map((v) => ({ action: v.action, name: v.name, reason: v.reason })),
  };
}

function planText(plan: Plan, builds: readonly BuildDecision[]): string {
  const s = plan.summary;
  const counts = `create ${s.create}, recreate ${s.recreate}, start ${s.start}, keep ${s.keep}, remove ${s.remove}`;
  const lines = plan.containers.filter((c) => c.action !== 'keep').map((c) => `  ${c.action} ${c.name}: ${c.reason}`);
  const res = [...plan.networks, ...plan.volumes]
    .filter((r) => r.action === 'create' || r.action === 'remove')
    .map((r) => `  ${r.action} ${r.name}: ${r.reason}`);
  const built = builds.map(
    (b) => `  ${b.action === 'build' ? 'build' : 'use'} image ${b.image} (service ${b.service}): ${b.reason}`,
  );
  return [`containers: ${counts}`, ...built, ...res, ...lines].join('\n');
}

const MAX_WARNINGS = 20;

/** At most MAX_WARNINGS warnings of a few hundred characters, the last saying how many more there were. */
function boundedWarnings(warnings: readonly string[]): string[] {
  const { shown, more } = capList(warnings, MAX_WARNINGS);
  return [...shown.map((w) => capText(w, 400)), ...(more ? [`... and ${more} more warnings.`] : [])];
}

/** The answer's data and text. */
export function deployStackAnswer(r: DeployStackResult): { data: DeployStackData; text: string } {
  const warnings = boundedWarnings(r.warnings);
  const base = {
    stack: r.stack,
    source: r.source,
    plan: planView(r.plan, r.builds),
    warnings,
    inactiveServices: r.inactiveServices,
  };
  const { applied, plan, builds } = r;
  if (!applied) {
    return {
      data: { ...base, dryRun: true },
      text: [
        `Plan for stack "${r.stack}" (dry run, nothing changed):`,
        planText(plan, builds),
        ...warnings.map((w) => `Warning: ${w}`),
      ].join('\n'),
    };
  }
  const data = {
    ...base,
    dryRun: false,
    services: applied.services,
    timeToHealthyMs: applied.timeToReadyMs,
    durationMs: applied.durationMs,
    steps: applied.steps,
    deploymentId: applied.deploymentId,
  };
  const buildNote = builds.length
    ? ` Images: ${builds.map((b) => `${b.image} ${b.action === 'build' ? 'built' : 'unchanged'}`).join(', ')}.`
    : '';
  const s = plan.summary;
  const head = plan.changes
    ? `Deployed stack "${r.stack}" from ${r.source}: ${s.create} created, ${s.recreate} recreated, ${s.start} started, ${s.keep} unchanged, ${s.remove} removed.`
    : `Stack "${r.stack}" is up to date: nothing changed (${s.keep} containers kept).`;
  const svc = applied.services.map(
    (sr) =>
      `  ${sr.service}: ${sr.condition}${sr.readyMs !== undefined ? ` after ${(sr.readyMs / 1000).toFixed(1)} s` : ''} (${sr.containers.map((c) => c.name).join(', ')})`,
  );
  const steps = applied.steps.map(
    (st) => `  ${st.name}: ${st.durationMs} ms${st.outcome === 'ok' ? '' : ` (${st.outcome})`}`,
  );
  const text = [
    head + buildNote,
    `Time to healthy: ${(applied.timeToReadyMs / 1000).toFixed(1)} s (total ${(applied.durationMs / 1000).toFixed(1)} s).`,
    'Services:',
    ...svc,
    ...(steps.length ? ['Steps:', ...steps] : []),
    ...warnings.map((w) => `Warning: ${w}`),
  ].join('\n');
  return { data, text };
}
