import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { ToolError } from '../../docker/errors.js';
import { assertInScope } from '../../policy/scope.js';
import { applyPlan, type ApplyResult } from '../../stacks/apply.js';
import { planDeployment, type ComposeProject, type Plan } from '../../stacks/compose/index.js';
import { withDefaultLimits } from '../../policy/containerPolicy.js';
import { normaliseContainerSpec } from '../../policy/hostAccess.js';
import { vetStack } from '../../policy/stackPolicy.js';
import type { Config } from '../../config.js';
import { actualState, containerName, stackObjects } from '../../stacks/engineState.js';
import { preflight } from '../../stacks/preflight.js';
import { compactWarnings } from '../../validation/index.js';
import { loadProjectWithFiles, resolveSource } from '../../stacks/source.js';
import { createFileReader } from '../../policy/fileReader.js';
import { COMPOSE_CONFIG_FILES, COMPOSE_WORKING_DIR, LABEL_INSTANCE, LABEL_SOURCE } from '../../docker/labels.js';
import { maskEnvMap } from '../../util/mask.js';
import { failureContext } from '../containers/deploy.js';
import { capList, capText } from '../bounds.js';
import { defineTool } from '../defineTool.js';
import { historyRecorder, stackNameArg } from './shared.js';

const DEFAULT_TIMEOUT_S = 180;

const actionRow = z.object({ action: z.string(), name: z.string(), reason: z.string() });
const planSchema = z.object({
  summary: z.object({ create: z.number(), recreate: z.number(), start: z.number(), keep: z.number(), remove: z.number() }),
  changes: z.boolean(),
  levels: z.array(z.array(z.string())),
  containers: z.array(actionRow.extend({ service: z.string() })),
  networks: z.array(actionRow),
  volumes: z.array(actionRow),
});

function planView(plan: Plan): z.infer<typeof planSchema> {
  return {
    summary: plan.summary,
    changes: plan.changes,
    levels: plan.levels,
    containers: plan.containers.map((c) => ({ action: c.action, service: c.service, name: c.name, reason: c.reason })),
    networks: plan.networks.map((n) => ({ action: n.action, name: n.name, reason: n.reason })),
    volumes: plan.volumes.map((v) => ({ action: v.action, name: v.name, reason: v.reason })),
  };
}

function planText(plan: Plan): string {
  const s = plan.summary;
  const counts = `create ${s.create}, recreate ${s.recreate}, start ${s.start}, keep ${s.keep}, remove ${s.remove}`;
  const lines = plan.containers.filter((c) => c.action !== 'keep').map((c) => `  ${c.action} ${c.name}: ${c.reason}`);
  const res = [...plan.networks, ...plan.volumes].filter((r) => r.action === 'create' || r.action === 'remove').map((r) => `  ${r.action} ${r.name}: ${r.reason}`);
  return [`containers: ${counts}`, ...res, ...lines].join('\n');
}

const output = z.object({
  stack: z.string(),
  source: z.string(),
  dryRun: z.boolean(),
  plan: planSchema,
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
  timeToHealthyMs: z.number().optional().describe('From the start of the deploy until every service met its wait condition.'),
  durationMs: z.number().optional(),
  steps: z.array(z.object({ name: z.string(), durationMs: z.number(), outcome: z.string() })).optional(),
  warnings: z.array(z.string()),
  inactiveServices: z.array(z.string()),
  deploymentId: z.string().optional(),
});

export const deployStackTool = defineTool({
  name: 'deploy_application_stack',
  title: 'Deploy application stack',
  description:
    'Deploy or update a multi-container stack from Compose YAML (compose), a Compose file on the server (file) or a template (template + variables; see list_stack_templates). A redeploy recreates only changed services; dry_run returns the plan. Waits until healthy; on failure rolls back and names the failing service.',
  toolset: 'stacks',
  kind: 'create',
  input: z.object({
    name: stackNameArg,
    compose: z.string().max(1_000_000).optional(),
    file: z.string().max(4096).optional().describe('Compose file under the server\'s file roots.'),
    template: z.string().max(100).optional(),
    variables: keyValueList().optional().describe('["KEY=VALUE"]'),
    env: keyValueList().optional().describe('["KEY=VALUE"] for ${VAR}'),
    profiles: z.array(z.string().min(1)).optional(),
    dry_run: z.boolean().optional(),
    wait: z.enum(['healthy', 'running', 'none']).optional().describe('default healthy'),
    timeout: z.number().int().min(1).max(3600).optional().describe(`Seconds to wait for the stack (default ${DEFAULT_TIMEOUT_S}).`),
    pull: z.enum(['missing', 'always', 'never']).optional(),
  }),
  output,
  async handler(args, ctx) {
    const files = createFileReader(ctx.config.files);
    const source = await resolveSource(args, files, { maxBytes: ctx.config.files.maxBytes });
    const env = { ...source.variables, ...(args.env ?? {}) };
    const loaded = await loadProjectWithFiles(
      {
        text: source.text,
        projectName: args.name,
        env,
        profiles: args.profiles ?? [],
        ...(source.workingDir !== undefined ? { workingDir: source.workingDir } : {}),
        dotEnv: source.kind === 'file',
        maxServices: ctx.config.policy.maxContainersPerStack,
      },
      files,
    );

    // The host-access model for every service and volume, before any Engine object is created.
    const project = await vetStack(ctx.engine, ctx.config, loaded, ctx.signal);
    checkStackSize(ctx.config, project);

    const objects = await stackObjects(ctx.engine, project.name, ctx.signal);
    for (const c of objects.containers) assertInScope(ctx.config, c.Labels, `container "${containerName(c)}" of stack "${project.name}"`);
    const plan = planDeployment(project, actualState(objects));
    const base = {
      stack: project.name,
      source: source.label,
      plan: planView(plan),
      warnings: boundedWarnings(project.warnings),
      inactiveServices: project.inactiveServices,
    };
    const inputs = {
      name: args.name,
      source: source.label,
      composeDigest: source.digest,
      variables: maskEnvMap(args.variables),
      env: maskEnvMap(args.env),
      profiles: args.profiles ?? [],
      dryRun: args.dry_run ?? false,
      wait: args.wait ?? 'healthy',
      timeout: args.timeout ?? DEFAULT_TIMEOUT_S,
    };
    const recorder = historyRecorder(ctx.history);
    const record = () => recorder.start({ stack: project.name, source: source.label, who: ctx.who, inputs, plan });
    if (args.dry_run) {
      record().finish('dry run');
      return { data: { ...base, dryRun: true }, text: `Plan for stack "${project.name}" (dry run, nothing changed):\n${planText(plan)}` };
    }

    const host = ctx.config.docker.host;
    // configuration_validation's checks; throws listing the errors, before anything is created.
    const notes = await preflight(ctx.engine, project, plan, {
      engineIsLocal: !host || host.startsWith('unix://'),
      policy: ctx.config.policy,
      pull: args.pull ?? 'missing',
      signal: ctx.signal,
    });
    const warnings = boundedWarnings([...project.warnings, ...compactWarnings(notes)]);

    const handle = record();
    const extraLabels: Record<string, string> = { [LABEL_INSTANCE]: ctx.config.instanceLabel, [LABEL_SOURCE]: source.label };
    if (source.workingDir) extraLabels[COMPOSE_WORKING_DIR] = source.workingDir;
    if (source.configFile) extraLabels[COMPOSE_CONFIG_FILES] = source.configFile;

    let result: ApplyResult;
    try {
      result = await applyPlan(project, plan, {
        engine: ctx.engine,
        log: ctx.log,
        signal: ctx.signal,
        progress: (current, total, message) => ctx.progress(current, total, message),
        wait: args.wait ?? 'healthy',
        timeoutMs: (args.timeout ?? DEFAULT_TIMEOUT_S) * 1000,
        pull: args.pull ?? 'missing',
        extraLabels,
        finishSpec: (spec) => normaliseContainerSpec(withDefaultLimits(ctx.config.policy, spec)),
        recorder: handle,
        describeFailure: (id) => failureContext(ctx, id),
      });
    } catch (err) {
      handle.finish(ctx.signal.aborted ? 'cancelled' : 'rolled back', (err as Error).message);
      throw err instanceof ToolError ? err : new ToolError('failed', (err as Error).message);
    }
    handle.finish(plan.changes ? 'succeeded' : 'no changes');

    const data = {
      ...base,
      warnings,
      dryRun: false,
      services: result.services,
      timeToHealthyMs: result.timeToReadyMs,
      durationMs: result.durationMs,
      steps: result.steps.map((s) => ({ name: s.name, durationMs: s.durationMs, outcome: s.outcome })),
      deploymentId: handle.id,
    };
    const s = plan.summary;
    const head = plan.changes
      ? `Deployed stack "${project.name}" from ${source.label}: ${s.create} created, ${s.recreate} recreated, ${s.start} started, ${s.keep} unchanged, ${s.remove} removed.`
      : `Stack "${project.name}" is up to date: nothing changed (${s.keep} containers kept).`;
    const svc = result.services.map(
      (r) => `  ${r.service}: ${r.condition}${r.readyMs !== undefined ? ` after ${(r.readyMs / 1000).toFixed(1)} s` : ''} (${r.containers.map((c) => c.name).join(', ')})`,
    );
    const steps = result.steps.map((st) => `  ${st.name}: ${st.durationMs} ms${st.outcome === 'ok' ? '' : ` (${st.outcome})`}`);
    const text = [
      head,
      `Time to healthy: ${(result.timeToReadyMs / 1000).toFixed(1)} s (total ${(result.durationMs / 1000).toFixed(1)} s).`,
      'Services:',
      ...svc,
      ...(steps.length ? ['Steps:', ...steps] : []),
      ...warnings.map((w) => `Warning: ${w}`),
    ].join('\n');
    return { data, text };
  },
});

const MAX_WARNINGS = 20;

/** At most MAX_WARNINGS warnings of a few hundred characters, the last saying how many more there were. */
function boundedWarnings(warnings: readonly string[]): string[] {
  const { shown, more } = capList(warnings, MAX_WARNINGS);
  return [...shown.map((w) => capText(w, 400)), ...(more ? [`... and ${more} more warnings.`] : [])];
}

/** The cap on containers per stack. */
function checkStackSize(config: Config, project: ComposeProject): void {
  const count = project.services.reduce((n, s) => n + s.replicas, 0);
  const max = config.policy.maxContainersPerStack;
  if (count > max) {
    throw new ToolError(
      'denied',
      `Refused by policy (max-containers-per-stack): stack "${project.name}" would run ${count} containers, more than ${max}. To allow it, start the server with DOM_MAX_STACK_CONTAINERS=${count} or more.`,
    );
  }
}
