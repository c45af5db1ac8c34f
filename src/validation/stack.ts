import type { Config, PolicyConfig } from '../config.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import type { PullPolicy } from '../docker/images.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE } from '../docker/labels.js';
import { checkContainerSpec, withDefaultLimits } from '../policy/containerPolicy.js';
import { checkVolume } from '../policy/hostAccess.js';
import { checkHostAccessOnEngine, EngineLookups } from '../policy/hostAccessEngine.js';
import { bindDevice } from '../policy/bindOverlap.js';
import { checkRemoteBind, enginePlace } from '../policy/remoteBinds.js';
import { checkNetwork } from '../policy/networkPolicy.js';
import { assertInScope } from '../policy/scope.js';
import {
  containerSpecFor,
  planDeployment,
  TOO_MANY_SERVICES,
  type ComposeProject,
  type Plan,
} from '../stacks/compose/index.js';
import { actualState, stackObjects } from '../stacks/engineState.js';
import { loadProjectWithFiles, sourceLoadOptions, resolveSource, type SourceInput } from '../stacks/source.js';
import { createFileReader } from '../policy/fileReader.js';
import { prepareBuilds } from '../stacks/build.js';
import { effectivePull } from '../stacks/compose/buildKey.js';
import { DEFAULT_MAX_BUILD_CONTEXT_BYTES } from '../config.js';
import {
  containerPortFindings,
  duplicatePortFindings,
  engineCapacity,
  imageFacts,
  imageFindings,
  nameFindings,
  processPortFindings,
  type WantedName,
  type WantedPort,
} from './engineChecks.js';
import { listAllContainers, objectExists } from '../docker/queries.js';
import { sortFindings, type Finding } from './finding.js';
import {
  composeFindings,
  containerFields,
  limitFindings,
  policyFindings,
  practiceFindings,
  projectWarningFindings,
  refusalFindings,
  serviceFields,
  stackMemoryFinding,
  stackSizeFindings,
} from './specChecks.js';

export interface StackCheckOptions {
  policy: PolicyConfig;
  pull: PullPolicy;
  /** The Engine runs on this machine, so a port another process listens on here is taken for it too. */
  engineIsLocal: boolean;
  signal?: AbortSignal;
}

/** Host ports the services that this plan starts or (re)creates publish. */
function wantedPorts(project: ComposeProject, plan: Plan): WantedPort[] {
  const changing = new Set(
    plan.containers
      .filter((c) => c.action === 'create' || c.action === 'recreate' || c.action === 'start')
      .map((c) => c.service),
  );
  return project.services
    .filter((s) => changing.has(s.name))
    .flatMap((s) =>
      s.spec.ports.flatMap((p, i) =>
        p.hostPort === undefined
          ? []
          : [
              {
                service: s.name,
                field: `services.${s.name}.ports[${i}]`,
                hostIp: p.hostIp ?? '',
                hostPort: p.hostPort,
                protocol: p.protocol,
              },
            ],
      ),
    );
}

/** Container names the plan creates; a recreate replaces its own container under the same name. */
function wantedNames(project: ComposeProject, plan: Plan): WantedName[] {
  const byName = new Map(project.services.map((s) => [s.name, s]));
  return plan.containers
    .filter((c) => c.action === 'create' || c.action === 'recreate')
    .map((c) => {
      const w: WantedName = { service: c.service, name: c.name };
      if (c.id) w.replaces = c.id;
      if (byName.get(c.service)?.containerName !== undefined) w.field = `services.${c.service}.container_name`;
      return w;
    });
}

/**
 * The checks against the Engine for a loaded project and its plan, run before anything is created
 * (deploy_application_stack's preflight, and configuration_validation): external networks and
 * volumes, images, host ports (other containers of any stack, other processes), container names,
 * limits against the Engine's capacity, and the good-practice warnings. Nothing is changed.
 */
export async function checkStackOnEngine(
  engine: Engine,
  project: ComposeProject,
  plan: Plan,
  opts: StackCheckOptions,
): Promise<Finding[]> {
  const { signal } = opts;
  const specs = project.services.map((s) => withDefaultLimits(opts.policy, s.spec));
  const hasLimits = specs.some((s) => s.memoryBytes !== undefined || s.nanoCpus !== undefined);
  const externalNetworks = plan.networks.filter((a) => a.action === 'external');
  const externalVolumes = plan.volumes.filter((a) => a.action === 'external');

  // Images a service of this stack builds are made at deploy, also for the services that only use them.
  const built = new Set(project.services.filter((s) => s.build).map((s) => s.spec.image));
  const [netExists, volExists, containers, images, capacity] = await Promise.all([
    Promise.all(externalNetworks.map((n) => objectExists(engine, 'network', n.name, signal))),
    Promise.all(externalVolumes.map((v) => objectExists(engine, 'volume', v.name, signal))),
    listAllContainers(engine, signal),
    imageFacts(
      engine,
      project.services
        .filter((s) => !s.build && !built.has(s.spec.image) && effectivePull(s, opts.pull) !== 'always')
        .map((s) => s.spec.image),
      signal,
    ),
    hasLimits ? engineCapacity(engine, signal) : Promise.resolve(undefined),
  ]);

  const findings: Finding[] = [];
  externalNetworks.forEach((n, i) => {
    if (netExists[i]) return;
    findings.push({
      severity: 'error',
      code: 'network',
      field: `networks.${n.key ?? n.name}`,
      message: `external network "${n.name}" does not exist`,
      fix: `Create it first (create_network name "${n.name}") or drop "external" so the stack creates its own.`,
    });
  });
  externalVolumes.forEach((v, i) => {
    if (volExists[i]) return;
    findings.push({
      severity: 'error',
      code: 'volume',
      field: `volumes.${v.key ?? v.name}`,
      message: `external volume "${v.name}" does not exist`,
      fix: `Create it first (create_volume name "${v.name}") or drop "external" so the stack creates its own.`,
    });
  });

  // A service with `build` has its image made at deploy (src/stacks/build.ts), never pulled.
  for (const s of project.services.filter((x) => !x.build && !built.has(x.spec.image)))
    findings.push(
      ...imageFindings(s.spec.image, images.get(s.spec.image), effectivePull(s, opts.pull), serviceFields(s.name)),
    );

  const wanted = wantedPorts(project, plan);
  findings.push(...duplicatePortFindings(wanted));
  const released = new Set(
    plan.containers
      .filter((c) => c.action === 'recreate' || c.action === 'remove')
      .flatMap((c) => (c.id ? [c.id] : [])),
  );
  const running = containers.filter((c) => c.State === 'running' || c.State === 'restarting' || c.State === 'paused');
  const byContainers = containerPortFindings(wanted, running, {
    released,
    isSelf: (c, w) => c.Labels?.[COMPOSE_PROJECT] === project.name && c.Labels?.[COMPOSE_SERVICE] === w.service,
  });
  findings.push(...byContainers.findings);
  if (opts.engineIsLocal) {
    // A service whose containers already hold the port (kept, or recreated by this deploy) is no conflict.
    const holdsIt = (w: WantedPort) =>
      byContainers.held.has(w) ||
      plan.containers.some((c) => c.service === w.service && (c.action === 'recreate' || c.action === 'keep'));
    findings.push(...(await processPortFindings(wanted, holdsIt)));
  }

  findings.push(...nameFindings(wantedNames(project, plan), containers));

  project.services.forEach((s, i) => {
    const spec = specs[i];
    if (!spec) return;
    const fields = serviceFields(s.name);
    if (capacity) findings.push(...limitFindings(spec, capacity, fields));
    findings.push(...practiceFindings(spec, fields, images.get(s.spec.image)?.healthcheck ?? false));
  });
  // The sum matters only when no single service is already over the Engine's memory.
  if (capacity && !findings.some((f) => f.code === 'limits' && f.severity === 'error'))
    findings.push(...stackMemoryFinding(project, specs, capacity));
  return findings;
}

/** The policy for every service and volume (the host-access model, Engine half included) and the cap on containers per stack, as findings. */
export async function stackPolicyFindings(
  engine: Engine,
  config: Config,
  project: ComposeProject,
  signal?: AbortSignal,
): Promise<Finding[]> {
  const policy = config.policy;
  const services = project.services.flatMap((s) =>
    policyFindings(
      policy,
      containerSpecFor(project, s, 1),
      `stack "${project.name}" service "${s.name}"`,
      serviceFields(s.name),
    ),
  );
  const volumes: Finding[] = [];
  for (const v of project.volumes) {
    if (v.external) continue;
    const refused = await refusalFindings(() => {
      const where = `stack "${project.name}" volume "${v.key}"`;
      const decided = checkVolume(policy, v.driver, v.driverOpts, where);
      const device = bindDevice(decided.driver, decided.options);
      if (device) checkRemoteBind(policy, enginePlace(engine), device, where);
    }, containerFields);
    volumes.push(...refused.map((f) => ({ ...f, field: `volumes.${v.key}` })));
  }
  for (const n of project.networks) {
    if (n.external) continue;
    const refused = await refusalFindings(
      () => checkNetwork(policy, n.driver, n.driverOpts, `stack "${project.name}" network "${n.key}"`),
      containerFields,
    );
    volumes.push(...refused.map((f) => ({ ...f, field: `networks.${n.key}` })));
  }
  const onEngine: Finding[] = [];
  if (!services.length && !volumes.length) {
    const lookups = new EngineLookups();
    for (const s of project.services) {
      const where = `stack "${project.name}" service "${s.name}"`;
      const spec = checkContainerSpec(policy, containerSpecFor(project, s, 1), where);
      onEngine.push(
        ...(await refusalFindings(
          () => checkHostAccessOnEngine(engine, config, spec, where, signal, lookups),
          serviceFields(s.name),
        )),
      );
    }
  }
  return [...services, ...volumes, ...onEngine, ...stackSizeFindings(policy, project)];
}

export interface StackValidationInput extends SourceInput {
  name: string;
  env?: Record<string, string> | undefined;
  profiles?: string[] | undefined;
  pull?: PullPolicy | undefined;
}

export interface StackValidation {
  stack: string;
  source: string;
  findings: Finding[];
  /** Services found, when the Compose input could be loaded. */
  services: string[];
}

/**
 * Everything deploy_application_stack would check, without changing anything. Bad input (no
 * source, two sources, a missing file or unknown template) is a ToolError; a Compose file with
 * problems is not: each problem is an error finding with its key path and line.
 */
export async function validateStack(
  engine: Engine,
  config: Config,
  input: StackValidationInput,
  opts: { engineIsLocal: boolean; signal?: AbortSignal },
): Promise<StackValidation> {
  const files = createFileReader(config.files);
  const source = await resolveSource(input, files, { maxBytes: config.files.maxBytes });
  const result: StackValidation = { stack: input.name, source: source.label, findings: [], services: [] };
  let project: ComposeProject;
  try {
    project = await loadProjectWithFiles(sourceLoadOptions(source, input, config), files);
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'invalid_input') {
      result.findings = composeFindings(err);
      return result;
    }
    if (err instanceof ToolError && err.details?.rule === TOO_MANY_SERVICES) {
      const [message, fix] = err.message.split(/(?<=\.) (?=Split it)/);
      result.findings = [
        { severity: 'error', code: 'policy', message: message ?? err.message, fix: fix ?? 'Split the stack.' },
      ];
      return result;
    }
    throw err;
  }
  result.services = project.services.map((s) => s.name);

  const findings: Finding[] = [
    ...projectWarningFindings(project),
    ...(await stackPolicyFindings(engine, config, project, opts.signal)),
  ];
  const objects = await stackObjects(engine, project.name, opts.signal);
  for (const c of objects.containers) {
    try {
      assertInScope(config, c.labels, `container "${c.name}" of stack "${project.name}"`);
    } catch (err) {
      if (!(err instanceof ToolError)) throw err;
      findings.push({
        severity: 'error',
        code: 'policy',
        message: err.message.split(' Start the server')[0] ?? err.message,
        fix: 'Use another stack name, or ask the operator to start the server with --scope all (DOM_SCOPE=all).',
      });
      break;
    }
  }
  findings.push(...(await buildFindings(engine, config, project, opts.signal)));
  const plan = planDeployment(project, actualState(objects));
  findings.push(
    ...(await checkStackOnEngine(engine, project, plan, {
      policy: config.policy,
      pull: input.pull ?? 'missing',
      engineIsLocal: opts.engineIsLocal,
      ...(opts.signal ? { signal: opts.signal } : {}),
    })),
  );
  result.findings = sortFindings(findings);
  return result;
}

/** Services with `build`: their context is read and hashed as a deploy would (which also folds it into the config hash); nothing is built. */
async function buildFindings(
  engine: Engine,
  config: Config,
  project: ComposeProject,
  signal?: AbortSignal,
): Promise<Finding[]> {
  if (!project.services.some((s) => s.build)) return [];
  try {
    const builds = await prepareBuilds(engine, project, {
      files: createFileReader(config.files),
      maxContextBytes: config.files.maxBuildContextBytes ?? DEFAULT_MAX_BUILD_CONTEXT_BYTES,
      allowHostNetwork: config.policy.allowHostNetwork,
      allowRemoteBuilds: config.policy.allowRemoteBuildContexts,
      ...(signal ? { signal } : {}),
    });
    return builds.map((b) => ({
      severity: 'info' as const,
      code: 'image' as const,
      service: b.service,
      field: `services.${b.service}.build`,
      message:
        b.action === 'build'
          ? `Image ${b.image} will be built at deploy: ${b.reason}.`
          : `Image ${b.image} is used as it is: ${b.reason}.`,
      fix: 'Nothing to do.',
    }));
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    return [
      {
        severity: 'error',
        code: err.kind === 'denied' ? 'policy' : 'image',
        field: 'services',
        message: err.message,
        fix: 'Fix the build context (it must be a folder inside the file roots) or its Dockerfile.',
      },
    ];
  }
}
