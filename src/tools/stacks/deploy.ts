import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { ToolError } from '../../kernel/errors.js';
import { assertInScope } from '../../policy/scope.js';
import { applyPlan, type ApplyResult } from '../../stacks/apply.js';
import { planDeployment, type ComposeProject, type Plan } from '../../stacks/compose/index.js';
import { withDefaultLimits } from '../../policy/containerPolicy.js';
import { normaliseContainerSpec } from '../../policy/hostAccess.js';
import { vetStack } from '../../policy/stackPolicy.js';
import type { Config } from '../../config.js';
import { actualState, containerName, stackObjects } from '../../stacks/engineState.js';
import { preflight, imagePreflight } from '../../stacks/preflight.js';
import { buildServices, prepareBuilds, type BuildDecision } from '../../stacks/build.js';
import { DEFAULT_MAX_BUILD_CONTEXT_BYTES } from '../../config.js';
import { Journal, newDeploymentLabel, reconcileStack } from '../../stacks/journal.js';
import { acquireStackLock } from '../../stacks/lock.js';
import { compactWarnings } from '../../validation/index.js';
import { platformWarnings } from '../../stacks/platform.js';
import { composeEnvironment, loadProjectWithFiles, resolveSource } from '../../stacks/source.js';
import { contentDigestKey, maskContentVariables } from '../../stacks/secrets.js';
import { createFileReader } from '../../policy/fileReader.js';
import { COMPOSE_CONFIG_FILES, COMPOSE_WORKING_DIR, LABEL_INSTANCE, LABEL_SOURCE } from '../../docker/labels.js';
import { maskEnvMap } from '../../util/mask.js';
import { failureContext } from '../containers/deploy.js';
import { capList, capText } from '../bounds.js';
import { defineTool } from '../defineTool.js';
import { historyRecorder, stackNameArg } from './shared.js';
import { deployToSwarm, stackTarget, swarmOutput, targetArg } from './deploySwarm.js';

const DEFAULT_TIMEOUT_S = 180;
/** A lock's lease is the deploy's timeout plus this (image pulls, rollback). */
const LOCK_LEASE_MARGIN_S = 600;

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

const output = z.object({
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

export const deployStackTool = defineTool({
  name: 'deploy_application_stack',
  title: 'Deploy application stack',
  description:
    'Deploy or update a multi-container stack from Compose YAML (compose), a Compose file on the server (file) or a template (template + variables; see list_stack_templates). Services with build are built from a folder in the file roots. A redeploy recreates only changed services; dry_run returns the plan. Waits until healthy; on failure rolls back and names the failing service.',
  toolset: 'stacks',
  kind: 'create',
  input: z.object({
    name: stackNameArg,
    compose: z.string().max(1_000_000).optional(),
    file: z.string().max(4096).optional().describe("Compose file under the server's file roots."),
    template: z.string().max(100).optional(),
    variables: keyValueList().optional().describe('["KEY=VALUE"]'),
    env: keyValueList().optional().describe('["KEY=VALUE"] for ${VAR}'),
    profiles: z.array(z.string().min(1)).optional(),
    dry_run: z.boolean().optional(),
    wait: z.enum(['healthy', 'running', 'none']).optional().describe('default healthy'),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .describe(`Seconds to wait for the stack (default ${DEFAULT_TIMEOUT_S}).`),
    pull: z.enum(['missing', 'always', 'never']).optional(),
    target: targetArg,
  }),
  output,
  async handler(args, ctx) {
    const files = createFileReader(ctx.config.files);
    const source = await resolveSource(args, files, { maxBytes: ctx.config.files.maxBytes });
    const env = { ...source.variables, ...(args.env ?? {}) };
    const target = stackTarget(args.target);
    const loaded = await loadProjectWithFiles(
      {
        text: source.text,
        projectName: args.name,
        env,
        profiles: args.profiles ?? [],
        ...(source.workingDir !== undefined ? { workingDir: source.workingDir } : {}),
        dotEnv: source.kind === 'file',
        ...composeEnvironment(ctx.config),
        ...(source.configFile !== undefined ? { configFile: source.configFile } : {}),
        maxServices: ctx.config.policy.maxContainersPerStack,
        contentKey: await contentDigestKey(ctx.config.historyPath),
        ...(target === 'swarm' ? { swarm: true } : {}),
      },
      files,
    );

    // The host-access model for every service and volume, before any Engine object is created.
    const project = await vetStack(ctx.engine, ctx.config, loaded, ctx.signal);
    checkStackSize(ctx.config, project);
    if (target === 'swarm') return deployToSwarm(ctx, args, project, source, DEFAULT_TIMEOUT_S);
    project.warnings.push(...(await platformWarnings(ctx.engine, project, ctx.signal)));
    if (args.dry_run) return deployUnderLock(undefined);

    // One deploy per stack at a time, across processes and hosts sharing the Engine.
    const deployLabel = newDeploymentLabel();
    const lock = await acquireStackLock(ctx.engine, {
      stack: project.name,
      holder: deployLabel,
      operation: 'deploy',
      leaseMs: ((args.timeout ?? DEFAULT_TIMEOUT_S) + LOCK_LEASE_MARGIN_S) * 1000,
      instanceLabel: ctx.config.instanceLabel,
      ...(project.services[0]?.spec.image ? { fallbackImage: project.services[0].spec.image } : {}),
      signal: ctx.signal,
    });
    try {
      return await deployUnderLock(deployLabel);
    } finally {
      await lock
        .release()
        .catch((err: unknown) => ctx.log.warn({ err, stack: project.name }, 'could not release the stack lock'));
    }

    async function deployUnderLock(deployLabel: string | undefined) {
      // A deploy of this stack that died (or could not finish its rollback) is settled first.
      const reconciled = deployLabel ? await reconcileStack(ctx.engine, ctx.history, project.name, ctx.log) : [];
      const objects = await stackObjects(ctx.engine, project.name, ctx.signal);
      for (const c of objects.containers)
        assertInScope(ctx.config, c.Labels, `container "${containerName(c)}" of stack "${project.name}"`);
      // Build inputs are part of each built service's config hash: hashed before the plan is made.
      const builds = await prepareBuilds(ctx.engine, project, {
        files,
        maxContextBytes: ctx.config.files.maxBuildContextBytes ?? DEFAULT_MAX_BUILD_CONTEXT_BYTES,
        allowHostNetwork: ctx.config.policy.allowHostNetwork,
        signal: ctx.signal,
      });
      const plan = planDeployment(project, actualState(objects));
      const base = {
        stack: project.name,
        source: source.label,
        plan: planView(plan, builds),
        warnings: boundedWarnings(project.warnings),
        inactiveServices: project.inactiveServices,
      };
      const inputs = {
        name: args.name,
        source: source.label,
        composeDigest: source.digest,
        variables: maskEnvMap(args.variables),
        env: maskContentVariables(maskEnvMap(args.env), project.contentVariables),
        profiles: args.profiles ?? [],
        dryRun: args.dry_run ?? false,
        wait: args.wait ?? 'healthy',
        timeout: args.timeout ?? DEFAULT_TIMEOUT_S,
      };
      const recorder = historyRecorder(ctx.history);
      const record = () => recorder.start({ stack: project.name, source: source.label, who: ctx.who, inputs, plan });
      if (args.dry_run) {
        // The images the plan needs must exist when pulls are not allowed; built ones are made at deploy.
        const notes = await imagePreflight(ctx.engine, project, { pull: args.pull ?? 'missing', signal: ctx.signal });
        record().finish('dry run');
        const warnings = boundedWarnings([...project.warnings, ...compactWarnings(notes)]);
        return {
          data: { ...base, warnings, dryRun: true },
          text: [
            `Plan for stack "${project.name}" (dry run, nothing changed):`,
            planText(plan, builds),
            ...warnings.map((w) => `Warning: ${w}`),
          ].join('\n'),
        };
      }

      const host = ctx.config.docker.host;
      // configuration_validation's checks; throws listing the errors, before anything is created.
      const notes = await preflight(ctx.engine, project, plan, {
        engineIsLocal: !host || host.startsWith('unix://'),
        policy: ctx.config.policy,
        pull: args.pull ?? 'missing',
        signal: ctx.signal,
      });
      const warnings = boundedWarnings([
        ...project.warnings,
        ...compactWarnings(notes),
        ...reconciled.map((n) => `an interrupted earlier deploy was settled first: ${n}`),
      ]);

      const handle = record();
      const extraLabels: Record<string, string> = {
        [LABEL_INSTANCE]: ctx.config.instanceLabel,
        [LABEL_SOURCE]: source.label,
      };
      if (source.workingDir) extraLabels[COMPOSE_WORKING_DIR] = source.workingDir;
      if (source.configFile) extraLabels[COMPOSE_CONFIG_FILES] = source.configFile;

      let result: ApplyResult;
      let built: Awaited<ReturnType<typeof buildServices>>;
      try {
        // Before anything is created: a failed build leaves the stack as it was.
        built = await buildServices(ctx.engine, project, builds, {
          progress: (current, total, message) => ctx.progress(current, total, message),
          signal: ctx.signal,
        });
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
          journal: new Journal(handle, project.name, deployLabel as string),
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
        steps: [
          ...built.map((b) => ({ name: `build ${b.image}`, durationMs: b.durationMs, outcome: 'ok' })),
          ...result.steps.map((s) => ({ name: s.name, durationMs: s.durationMs, outcome: s.outcome })),
        ],
        deploymentId: handle.id,
      };
      const buildNote = builds.length
        ? ` Images: ${builds.map((b) => `${b.image} ${b.action === 'build' ? 'built' : 'unchanged'}`).join(', ')}.`
        : '';
      const s = plan.summary;
      const head = plan.changes
        ? `Deployed stack "${project.name}" from ${source.label}: ${s.create} created, ${s.recreate} recreated, ${s.start} started, ${s.keep} unchanged, ${s.remove} removed.`
        : `Stack "${project.name}" is up to date: nothing changed (${s.keep} containers kept).`;
      const svc = result.services.map(
        (r) =>
          `  ${r.service}: ${r.condition}${r.readyMs !== undefined ? ` after ${(r.readyMs / 1000).toFixed(1)} s` : ''} (${r.containers.map((c) => c.name).join(', ')})`,
      );
      const steps = data.steps.map(
        (st) => `  ${st.name}: ${st.durationMs} ms${st.outcome === 'ok' ? '' : ` (${st.outcome})`}`,
      );
      const text = [
        head + buildNote,
        `Time to healthy: ${(result.timeToReadyMs / 1000).toFixed(1)} s (total ${(result.durationMs / 1000).toFixed(1)} s).`,
        'Services:',
        ...svc,
        ...(steps.length ? ['Steps:', ...steps] : []),
        ...warnings.map((w) => `Warning: ${w}`),
      ].join('\n');
      return { data, text };
    }
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
