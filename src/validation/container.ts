import type { Config } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import type { PullPolicy } from '../docker/images.js';
import { checkContainerSpec, withDefaultLimits } from '../policy/containerPolicy.js';
import { checkHostAccessOnEngine } from '../policy/hostAccessEngine.js';
import {
  containerPortFindings,
  engineCapacity,
  imageFacts,
  imageFindings,
  nameFindings,
  processPortFindings,
  type WantedPort,
} from './engineChecks.js';
import { listAllContainers, objectExists } from '../docker/queries.js';
import { sortFindings, type Finding } from './finding.js';
import { containerFields, limitFindings, policyFindings, practiceFindings, refusalFindings } from './specChecks.js';

/** Networks every Engine has, or namespaces of other objects: nothing to look up. */
function needsLookup(network: string): boolean {
  return !['bridge', 'host', 'none', 'default'].includes(network) && !network.startsWith('container:');
}

export interface ContainerCheckOptions {
  pull: PullPolicy;
  engineIsLocal: boolean;
  signal?: AbortSignal;
  /** Which checks to run (default all): deploy_container runs only the cheap conflict checks. */
  only?: ReadonlySet<'name' | 'port' | 'network' | 'image' | 'limits' | 'practice'>;
}

/**
 * The Engine checks for one container spec (already through withDefaultLimits): image, name,
 * host ports, network, limits against the Engine, good-practice warnings. Nothing is changed.
 */
export async function checkContainerOnEngine(
  engine: Engine,
  spec: ContainerSpec,
  opts: ContainerCheckOptions,
): Promise<Finding[]> {
  const { signal } = opts;
  const want = (k: 'name' | 'port' | 'network' | 'image' | 'limits' | 'practice') => !opts.only || opts.only.has(k);
  const ports: WantedPort[] = want('port')
    ? spec.ports.flatMap((p, i) =>
        p.hostPort === undefined
          ? []
          : [{ field: `ports[${i}]`, hostIp: p.hostIp ?? '', hostPort: p.hostPort, protocol: p.protocol }],
      )
    : [];
  const network = spec.networks[0]?.name;
  const needContainers = ports.length > 0 || (want('name') && spec.name !== undefined);
  const checkNetwork = want('network') && network !== undefined && needsLookup(network);
  const [containers, netExists, images, capacity] = await Promise.all([
    needContainers ? listAllContainers(engine, signal) : Promise.resolve([]),
    checkNetwork ? objectExists(engine, 'network', network, signal) : Promise.resolve(true),
    want('image') || want('practice')
      ? imageFacts(engine, opts.pull === 'always' ? [] : [spec.image], signal)
      : Promise.resolve(new Map()),
    want('limits') && (spec.memoryBytes !== undefined || spec.nanoCpus !== undefined)
      ? engineCapacity(engine, signal)
      : Promise.resolve(undefined),
  ]);
  const findings: Finding[] = [];
  if (want('image')) findings.push(...imageFindings(spec.image, images.get(spec.image), opts.pull, containerFields));
  if (want('name') && spec.name !== undefined)
    findings.push(...nameFindings([{ name: spec.name, field: 'name' }], containers));
  if (ports.length) {
    const running = containers.filter((c) => c.State === 'running' || c.State === 'restarting' || c.State === 'paused');
    const byContainers = containerPortFindings(ports, running);
    findings.push(...byContainers.findings);
    if (opts.engineIsLocal) findings.push(...(await processPortFindings(ports, (w) => byContainers.held.has(w))));
  }
  if (!netExists && network !== undefined) {
    findings.push({
      severity: 'error',
      code: 'network',
      field: 'network',
      message: `network "${network}" does not exist`,
      fix: `Create it first (create_network name "${network}") or choose an existing network (list_networks).`,
    });
  }
  if (capacity) findings.push(...limitFindings(spec, capacity, containerFields));
  if (want('practice'))
    findings.push(...practiceFindings(spec, containerFields, images.get(spec.image)?.healthcheck ?? false));
  return findings;
}

/**
 * Everything deploy_container would check, as findings: the spec (from toContainerSpec, passed in
 * as a function so bad arguments become findings too), the policy, and the Engine checks.
 */
export async function validateContainerSpec(
  engine: Engine,
  config: Config,
  build: () => ContainerSpec,
  opts: Omit<ContainerCheckOptions, 'only'>,
): Promise<{ spec?: ContainerSpec; findings: Finding[] }> {
  let spec: ContainerSpec;
  try {
    spec = withDefaultLimits(config.policy, build());
  } catch (err) {
    if (!(err instanceof ToolError) || err.kind !== 'invalid_input') throw err;
    const field = /^(?:Invalid )?([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+)?)/.exec(err.message)?.[1];
    const f: Finding = {
      severity: 'error',
      code: 'spec',
      message: err.message,
      fix: 'Correct the argument as the message says.',
    };
    if (field && field !== 'Invalid') f.field = field;
    return { findings: [f] };
  }
  const where = `container ${spec.name ?? spec.image}`;
  const policy = policyFindings(config.policy, spec, where, containerFields);
  // The Engine half of the host-access model (existing volumes, container:X, volumes_from), once the rest passed.
  if (!policy.length) {
    const normalised = checkContainerSpec(config.policy, spec, where);
    policy.push(
      ...(await refusalFindings(
        () => checkHostAccessOnEngine(engine, config, normalised, where, opts.signal),
        containerFields,
      )),
    );
  }
  const findings = [...policy, ...(await checkContainerOnEngine(engine, spec, opts))];
  return { spec, findings: sortFindings(findings) };
}
