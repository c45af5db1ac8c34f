import { resolveRegistryAuth } from '../../docker/registryAuth.js';
import { z } from 'zod';
import type { Config } from '../../config.js';
import { assertInScope } from '../../policy/scope.js';
import { withDefaultLimits } from '../../policy/containerPolicy.js';
import { normaliseContainerSpec } from '../../policy/hostAccess.js';
import type { ComposeProject } from '../../stacks/compose/index.js';
import { LABEL_INSTANCE, LABEL_MANAGED, LABEL_SOURCE } from '../../docker/labels.js';
import { deploySwarmStack, type SwarmDeployResult } from '../../swarm/deploySwarmStack.js';
import { maskEnvMap } from '../../util/mask.js';
import { contentDigestKey, maskContentVariables } from '../../stacks/secrets.js';
import type { ToolContext } from '../defineTool.js';

/**
 * The `target: "swarm"` branch of deploy_application_stack: the handler loads and vets the
 * project as for one Engine, then hands it to src/swarm/deploySwarmStack.ts. The default target
 * is "engine" unless the server runs with DOM_STACK_TARGET=swarm.
 */

export const STACK_TARGETS = ['engine', 'swarm'] as const;
export type StackTarget = (typeof STACK_TARGETS)[number];

export const targetArg = z
  .enum(STACK_TARGETS)
  .optional()
  .describe(
    'swarm: services on a Swarm manager, as docker stack deploy. Default engine (containers), or DOM_STACK_TARGET.',
  );

/** The deploy target: the argument, else the server's setting (DOM_STACK_TARGET, default "engine"). */
export function stackTarget(arg: StackTarget | undefined, config: Pick<Config, 'stackTarget'>): StackTarget {
  return arg ?? config.stackTarget;
}

export const swarmOutput = z.object({
  files: z
    .array(z.object({ action: z.string(), kind: z.string(), name: z.string(), reason: z.string() }))
    .optional()
    .describe('Secrets and configs (Swarm objects named by content digest).'),
  services: z.array(
    z.object({
      action: z.string(),
      service: z.string(),
      name: z.string(),
      reason: z.string(),
      image: z.string().optional(),
      mode: z.string().optional(),
      replicas: z.number().optional(),
      running: z.number().optional(),
      nodes: z.array(z.string()).optional(),
      condition: z.string().optional(),
    }),
  ),
});

interface DeployArgs {
  name: string;
  dry_run?: boolean | undefined;
  wait?: 'healthy' | 'running' | 'none' | undefined;
  timeout?: number | undefined;
  variables?: Record<string, string> | undefined;
  env?: Record<string, string> | undefined;
}

export async function deployToSwarm(
  ctx: ToolContext,
  args: DeployArgs,
  project: ComposeProject,
  source: { label: string },
  defaultTimeoutS: number,
) {
  const dryRun = args.dry_run ?? false;
  const history = dryRun
    ? undefined
    : ctx.history.begin({
        kind: 'deploy_stack',
        target: project.name,
        stack: project.name,
        source: source.label,
        who: ctx.who,
        inputs: {
          name: args.name,
          target: 'swarm',
          variables: maskEnvMap(args.variables),
          env: maskContentVariables(maskEnvMap(args.env), project.contentVariables),
          wait: args.wait ?? 'healthy',
          timeout: args.timeout ?? defaultTimeoutS,
        },
      });
  let result: SwarmDeployResult;
  try {
    result = await deploySwarmStack(
      {
        project,
        labels: {
          [LABEL_MANAGED]: 'true',
          [LABEL_INSTANCE]: ctx.config.instanceLabel,
          [LABEL_SOURCE]: source.label,
        },
        instanceLabel: ctx.config.instanceLabel,
        contentKey: await contentDigestKey(ctx.config.historyPath),
        dryRun,
        wait: args.wait ?? 'healthy',
        timeoutMs: (args.timeout ?? defaultTimeoutS) * 1000,
      },
      {
        engine: ctx.engine,
        log: ctx.log,
        signal: ctx.signal,
        progress: (current, total, message) => ctx.progress(current, total, message),
        finishSpec: (spec) => normaliseContainerSpec(withDefaultLimits(ctx.config.policy, spec)),
        assertInScope: (labels, what) => assertInScope(ctx.config, labels, what),
        registryAuth: (image) => resolveRegistryAuth(ctx.config, image).auth,
      },
    );
  } catch (err) {
    history?.finish(ctx.signal.aborted ? 'cancelled' : 'failed', (err as Error).message);
    throw err;
  }
  history?.setPlan(result.plan);
  history?.finish('succeeded');

  const rows = result.plan.services;
  const count = (a: string) => rows.filter((r) => r.action === a).length;
  const done = new Map((result.services ?? []).map((s) => [s.name, s]));
  const data = {
    stack: project.name,
    source: source.label,
    target: 'swarm' as const,
    dryRun,
    plan: {
      summary: {
        create: count('create'),
        recreate: 0,
        update: count('update'),
        start: 0,
        keep: count('keep'),
        remove: count('remove'),
      },
      changes: result.plan.changes,
      levels: [project.services.map((s) => s.name)],
      containers: [],
      networks: result.plan.networks.map((n) => ({ action: n.action, name: n.name, reason: n.reason })),
      volumes: [],
    },
    swarm: {
      ...(result.plan.files.length ? { files: result.plan.files } : {}),
      services: rows.map((r) => {
        const s = done.get(r.name);
        return {
          ...r,
          ...(s
            ? {
                image: s.image,
                mode: s.mode,
                replicas: s.replicas,
                running: s.running,
                nodes: s.nodes,
                condition: s.condition,
              }
            : {}),
        };
      }),
    },
    ...(result.services
      ? {
          services: result.services
            .filter((s) => s.condition !== 'removed')
            .map((s) => ({
              service: s.service,
              condition: s.condition,
              ...(s.readyMs !== undefined ? { readyMs: s.readyMs } : {}),
              containers: [],
            })),
        }
      : {}),
    ...(result.timeToReadyMs !== undefined ? { timeToHealthyMs: result.timeToReadyMs } : {}),
    ...(result.durationMs !== undefined ? { durationMs: result.durationMs } : {}),
    warnings: result.warnings.slice(0, 20),
    inactiveServices: project.inactiveServices,
    ...(history ? { deploymentId: history.id } : {}),
  };
  const counts = `create ${count('create')}, update ${count('update')}, keep ${count('keep')}, remove ${count('remove')}`;
  const planLines = [
    ...rows.filter((r) => r.action !== 'keep').map((r) => `  ${r.action} service ${r.name}: ${r.reason}`),
    ...result.plan.networks.filter((n) => n.action === 'create').map((n) => `  create overlay network ${n.name}`),
    ...result.plan.files.filter((f) => f.action === 'create').map((f) => `  create ${f.kind} ${f.name}`),
  ];
  const text = dryRun
    ? [
        `Plan for stack "${project.name}" on the Swarm (dry run, nothing changed): services: ${counts}`,
        ...planLines,
      ].join('\n')
    : [
        result.plan.changes
          ? `Deployed stack "${project.name}" on the Swarm from ${source.label}: ${counts}.`
          : `Stack "${project.name}" on the Swarm is up to date: nothing changed.`,
        `Time to ${args.wait === 'running' ? 'running' : 'healthy'}: ${((result.timeToReadyMs ?? 0) / 1000).toFixed(1)} s (total ${((result.durationMs ?? 0) / 1000).toFixed(1)} s).`,
        'Services:',
        ...(result.services ?? []).map(
          (s) =>
            `  ${s.name}: ${s.condition}, ${s.running}/${s.replicas} running on ${s.nodes.join(', ') || 'no node'} (${s.image})`,
        ),
        ...data.warnings.map((w) => `Warning: ${w}`),
      ].join('\n');
  return { data, text };
}
