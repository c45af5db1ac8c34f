import { DEFAULT_MAX_BUILD_CONTEXT_BYTES } from '../config.js';
import type { PullPolicy } from '../docker/images.js';
import { COMPOSE_CONFIG_FILES, COMPOSE_WORKING_DIR, LABEL_INSTANCE, LABEL_SOURCE } from '../docker/labels.js';
import type { DeploymentHandle, StepRecord } from '../history/port.js';
import { ToolError } from '../kernel/errors.js';
import { withDefaultLimits } from '../policy/containerPolicy.js';
import { createFileReader, type FileReader } from '../policy/fileReader.js';
import { normaliseContainerSpec } from '../policy/hostAccess.js';
import { assertInScope } from '../policy/scope.js';
import { vetStack } from '../policy/stackPolicy.js';
import { applyPlan, type ApplyResult, type ServiceReport, type WaitMode } from '../stacks/apply.js';
import { markImageHealthchecks } from '../stacks/imageHealth.js';
import { buildServices, prepareBuilds, type BuildDecision, type PreparedBuild } from '../stacks/build.js';
import { planDeployment, type ComposeProject, type Plan } from '../stacks/compose/index.js';
import { actualState, stackObjects } from '../stacks/engineState.js';
import { Journal, newDeploymentLabel, reconcileStack } from '../stacks/journal.js';
import { acquireStackLock } from '../stacks/lock.js';
import { platformWarnings } from '../stacks/platform.js';
import { imagePreflight, preflight } from '../validation/preflight.js';
import { contentDigestKey, maskContentVariables } from '../stacks/secrets.js';
import { loadProjectWithFiles, sourceLoadOptions, resolveSource, type ResolvedSource } from '../stacks/source.js';
import { maskEnvMap } from '../util/mask.js';
import { compactWarnings } from '../validation/index.js';
import type { AppPorts } from './ports.js';

/**
 * Deploys (or updates) a stack: load the source, vet it against the policy, plan against what
 * runs, check before touching anything, then under the stack's lock and journal build, apply
 * (rolling back on failure) and record. Plain input in, plain result out.
 */

export const DEFAULT_STACK_TIMEOUT_S = 180;
/** A lock's lease is the deploy's timeout plus this (image pulls, rollback). */
const LOCK_LEASE_MARGIN_S = 600;

export interface DeployStackInput {
  name: string;
  /** Exactly one of compose, file, template. */
  compose?: string;
  file?: string;
  template?: string;
  variables?: Record<string, string>;
  env?: Record<string, string>;
  profiles?: string[];
  dryRun?: boolean;
  wait?: WaitMode;
  timeoutSec?: number;
  pull?: PullPolicy;
}

export interface DeployStackPorts extends AppPorts {
  /** Last log lines and health output of a failed container, for the error. */
  describeFailure?: (containerId: string) => Promise<string>;
}

export interface DeployStackResult {
  stack: string;
  /** "inline", "file:/abs/path" or "template:name". */
  source: string;
  dryRun: boolean;
  plan: Plan;
  builds: BuildDecision[];
  /** Every warning, unbounded (the caller decides how many to show). */
  warnings: string[];
  inactiveServices: string[];
  /** What the deploy did; absent on a dry run. */
  applied?: {
    services: ServiceReport[];
    timeToReadyMs: number;
    durationMs: number;
    /** Builds first, then the apply's steps. */
    steps: Pick<StepRecord, 'name' | 'durationMs' | 'outcome'>[];
    deploymentId: string;
  };
}

/** The cap on containers per stack (DOM_MAX_STACK_CONTAINERS). Pure. */
export function checkStackSize(maxContainers: number, project: Pick<ComposeProject, 'name' | 'services'>): void {
  const count = project.services.reduce((n, s) => n + s.replicas, 0);
  if (count > maxContainers) {
    throw new ToolError(
      'denied',
      `Refused by policy (max-containers-per-stack): stack "${project.name}" would run ${count} containers, more than ${maxContainers}. To allow it, start the server with DOM_MAX_STACK_CONTAINERS=${count} or more.`,
    );
  }
}

/** Labels every container of the deploy gets besides its service's own (outside the config hash). Pure. */
export function deployLabels(
  instanceLabel: string,
  source: Pick<ResolvedSource, 'label' | 'workingDir' | 'configFile'>,
) {
  const labels: Record<string, string> = { [LABEL_INSTANCE]: instanceLabel, [LABEL_SOURCE]: source.label };
  if (source.workingDir) labels[COMPOSE_WORKING_DIR] = source.workingDir;
  if (source.configFile) labels[COMPOSE_CONFIG_FILES] = source.configFile;
  return labels;
}

/** The deploy's arguments as the history keeps them: secrets masked, Compose text reduced to its digest. Pure. */
export function recordedInputs(
  input: DeployStackInput,
  source: Pick<ResolvedSource, 'label' | 'digest'>,
  contentVariables: ComposeProject['contentVariables'],
): Record<string, unknown> {
  return {
    name: input.name,
    source: source.label,
    composeDigest: source.digest,
    variables: maskEnvMap(input.variables),
    env: maskContentVariables(maskEnvMap(input.env), contentVariables),
    profiles: input.profiles ?? [],
    dryRun: input.dryRun ?? false,
    wait: input.wait ?? 'healthy',
    timeout: input.timeoutSec ?? DEFAULT_STACK_TIMEOUT_S,
  };
}

async function loadStack(input: DeployStackInput, ports: AppPorts, files: FileReader, swarm = false) {
  const { config } = ports;
  const source = await resolveSource(input, files, { maxBytes: config.files.maxBytes });
  const loaded = await loadProjectWithFiles(
    {
      ...sourceLoadOptions(source, input, config),
      contentKey: await contentDigestKey(config.historyPath),
      ...(swarm ? { swarm: true } : {}),
    },
    files,
  );
  // The host-access model for every service and volume, before any Engine object is created.
  const project = await vetStack(ports.engine, config, loaded, ports.signal, { swarm });
  checkStackSize(config.policy.maxContainersPerStack, project);
  project.warnings.push(...(await platformWarnings(ports.engine, project, ports.signal)));
  return { source, project };
}

/**
 * A stack for a Swarm (src/swarm): loaded, interpolated and vetted by the host-access model as for
 * one Engine, with the Swarm-only deploy and port keys accepted.
 */
export async function loadSwarmStack(input: DeployStackInput, ports: AppPorts) {
  return loadStack(input, ports, createFileReader(ports.config.files), true);
}

export async function deployStack(input: DeployStackInput, ports: DeployStackPorts): Promise<DeployStackResult> {
  const files = createFileReader(ports.config.files);
  const { source, project } = await loadStack(input, ports, files);
  if (input.dryRun) return deployUnderLock(input, ports, { files, source, project });

  // One deploy per stack at a time, across processes and hosts sharing the Engine.
  const deployLabel = newDeploymentLabel();
  const lock = await acquireStackLock(ports.engine, {
    stack: project.name,
    holder: deployLabel,
    operation: 'deploy',
    leaseMs: ((input.timeoutSec ?? DEFAULT_STACK_TIMEOUT_S) + LOCK_LEASE_MARGIN_S) * 1000,
    instanceLabel: ports.config.instanceLabel,
    ...(project.services[0]?.spec.image ? { fallbackImage: project.services[0].spec.image } : {}),
    signal: ports.signal,
  });
  try {
    return await deployUnderLock(input, ports, { files, source, project, deployLabel });
  } finally {
    await lock
      .release()
      .catch((err: unknown) => ports.log.warn({ err, stack: project.name }, 'could not release the stack lock'));
  }
}

interface Loaded {
  files: FileReader;
  source: ResolvedSource;
  project: ComposeProject;
  /** Absent on a dry run (no lock, no journal). */
  deployLabel?: string;
}

async function deployUnderLock(
  input: DeployStackInput,
  ports: DeployStackPorts,
  { files, source, project, deployLabel }: Loaded,
): Promise<DeployStackResult> {
  const { engine, config, history, signal } = ports;
  // A deploy of this stack that died (or could not finish its rollback) is settled first.
  const reconciled = deployLabel ? await reconcileStack(engine, history, project.name, ports.log) : [];
  const objects = await stackObjects(engine, project.name, signal);
  for (const c of objects.containers)
    assertInScope(config, c.labels, `container "${c.name}" of stack "${project.name}"`);
  // Build inputs are part of each built service's config hash: hashed before the plan is made.
  const builds = await prepareBuilds(engine, project, {
    files,
    maxContextBytes: config.files.maxBuildContextBytes ?? DEFAULT_MAX_BUILD_CONTEXT_BYTES,
    allowHostNetwork: config.policy.allowHostNetwork,
    allowRemoteBuilds: config.policy.allowRemoteBuildContexts,
    dryRun: input.dryRun ?? false,
    signal,
  });
  const plan = planDeployment(project, actualState(objects));
  const pull = input.pull ?? 'missing';
  const base = {
    stack: project.name,
    source: source.label,
    plan,
    builds,
    inactiveServices: project.inactiveServices,
  };
  const record = () =>
    history.begin({
      kind: 'deploy_stack',
      target: project.name,
      stack: project.name,
      source: source.label,
      who: ports.who,
      inputs: recordedInputs(input, source, project.contentVariables),
      plan,
    });

  if (!deployLabel) {
    // The images the plan needs must exist when pulls are not allowed; built ones are made at deploy.
    const notes = await imagePreflight(engine, project, { pull, signal });
    record().finish('dry_run');
    return { ...base, dryRun: true, warnings: [...project.warnings, ...compactWarnings(notes)] };
  }

  // With nothing to build, the images' own healthchecks are read now, alongside the checks;
  // a stack that builds reads them once its images are made (buildAndApply).
  const hasBuilds = project.services.some((s) => s.build);
  // configuration_validation's checks; throws listing the errors, before anything is created.
  const [notes] = await Promise.all([
    preflight(engine, project, plan, {
      engineIsLocal: ports.engine.local,
      policy: config.policy,
      pull,
      signal,
    }),
    hasBuilds ? undefined : markImageHealthchecks(engine, project, signal),
  ]);
  const warnings = [
    ...project.warnings,
    ...compactWarnings(notes),
    ...reconciled.map((n) => `an interrupted earlier deploy was settled first: ${n}`),
  ];
  const handle = record();
  const { built, result } = await buildAndApply(input, ports, { project, plan, builds, source, deployLabel }, handle);
  handle.finish('succeeded');
  return {
    ...base,
    dryRun: false,
    warnings,
    applied: {
      services: result.services,
      timeToReadyMs: result.timeToReadyMs,
      durationMs: result.durationMs,
      steps: [
        ...built.map((b) => ({ name: `build ${b.image}`, durationMs: b.durationMs, outcome: 'ok' as const })),
        ...result.steps.map((s) => ({ name: s.name, durationMs: s.durationMs, outcome: s.outcome })),
      ],
      deploymentId: handle.id,
    },
  };
}

/** Builds, then applies; on failure the record is finished (cancelled or failed: rolled back) and a ToolError thrown. */
async function buildAndApply(
  input: DeployStackInput,
  ports: DeployStackPorts,
  d: {
    project: ComposeProject;
    plan: Plan;
    builds: PreparedBuild[];
    source: ResolvedSource;
    deployLabel: string;
  },
  handle: DeploymentHandle,
): Promise<{ built: Awaited<ReturnType<typeof buildServices>>; result: ApplyResult }> {
  const { engine, config, signal, progress } = ports;
  try {
    // Before anything is created: a failed build leaves the stack as it was.
    const built = await buildServices(engine, d.project, d.builds, { progress, signal });
    if (d.project.services.some((s) => s.build)) await markImageHealthchecks(engine, d.project, signal);
    const result = await applyPlan(d.project, d.plan, {
      engine,
      log: ports.log,
      signal,
      progress,
      wait: input.wait ?? 'healthy',
      timeoutMs: (input.timeoutSec ?? DEFAULT_STACK_TIMEOUT_S) * 1000,
      pull: input.pull ?? 'missing',
      extraLabels: deployLabels(config.instanceLabel, d.source),
      finishSpec: (spec) => normaliseContainerSpec(withDefaultLimits(config.policy, spec)),
      record: handle,
      journal: new Journal(handle, d.project.name, d.deployLabel),
      ...(ports.describeFailure ? { describeFailure: ports.describeFailure } : {}),
    });
    return { built, result };
  } catch (err) {
    // A failed deploy was rolled back (its rollback step says how far): the deployment failed.
    handle.finish(signal.aborted ? 'cancelled' : 'failed', (err as Error).message);
    throw err instanceof ToolError ? err : new ToolError('failed', (err as Error).message);
  }
}
