import { createHash } from 'node:crypto';
import { ToolError } from '../kernel/errors.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { canonicalJson } from '../stacks/compose/hash.js';
import type { ComposeProject, ComposeService, ProjectNetwork } from '../stacks/compose/index.js';
import { LABEL_INSTANCE, LABEL_MANAGED } from '../docker/labels.js';
import type { SwarmDeploy, UpdatePolicy } from './deployConfig.js';
import { STACK_NAMESPACE } from './cluster.js';

/**
 * Compose service -> Swarm ServiceSpec, as `docker stack deploy` converts it: service
 * PROJECT_SERVICE, networks PROJECT_KEY (overlay), the stack namespace label on the service, its
 * containers and its networks, the image in com.docker.stack.image. Pure.
 */

export const STACK_IMAGE = 'com.docker.stack.image';
/** sha256 of the ServiceSpec we asked for (without this label): create / update / unchanged. */
export const LABEL_SWARM_HASH = 'io.docker-orchestration-mcp.swarm-config-hash';

/** The Engine's ServiceSpec, as far as we write it. */
export interface ServiceSpec {
  Name: string;
  Labels: Record<string, string>;
  TaskTemplate: {
    ContainerSpec: Record<string, unknown>;
    Resources?: {
      Limits?: { NanoCPUs?: number; MemoryBytes?: number; Pids?: number };
      Reservations?: { NanoCPUs?: number; MemoryBytes?: number };
    };
    RestartPolicy?: { Condition: string; Delay?: number; MaxAttempts?: number; Window?: number };
    Placement?: {
      Constraints?: string[];
      Preferences?: { Spread: { SpreadDescriptor: string } }[];
      MaxReplicas?: number;
    };
    Networks?: { Target: string; Aliases?: string[] }[];
    LogDriver?: { Name: string; Options: Record<string, string> };
  };
  Mode: { Replicated: { Replicas: number } } | { Global: Record<string, never> };
  UpdateConfig?: Record<string, unknown>;
  RollbackConfig?: Record<string, unknown>;
  EndpointSpec: { Mode: 'vip' | 'dnsrr'; Ports?: Record<string, unknown>[] };
}

/** A secret or config a service mounts: the Swarm object (named by content digest) and where it goes. */
export interface SwarmFileRef {
  kind: 'secret' | 'config';
  /** The Swarm object's name: STACK_KEY_DIGEST (content changes give a new object; Swarm's are immutable). */
  name: string;
  target: string;
  uid: number;
  gid: number;
  mode: number;
}

/** Name of the Swarm secret/config for a stack's `key` with content digest `digest`. */
export function swarmFileName(stack: string, key: string, digest: string): string {
  return `${stack}_${key}_${digest.slice(0, 12)}`;
}

export interface OverlayNetworkSpec {
  name: string;
  key: string;
  external: boolean;
  body: Record<string, unknown>;
}

/** Swarm service name of a stack service. */
export function swarmServiceName(stack: string, service: string): string {
  return `${stack}_${service}`;
}

/** Labels of the container spec: the file's `labels:` (not Compose's or ours) plus the namespace. */
function containerLabels(spec: ContainerSpec, stack: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.labels)) {
    if (k.startsWith('com.docker.compose.') || k.startsWith('io.docker-orchestration-mcp.')) continue;
    out[k] = v;
  }
  out[STACK_NAMESPACE] = stack;
  return out;
}

/** Settings a Swarm task cannot have; refused by name rather than dropped. */
function refuseContainerOnly(spec: ContainerSpec, where: string): void {
  const sec = spec.security ?? {};
  const problems: string[] = [];
  if (sec.privileged) problems.push('privileged');
  if (sec.devices?.length) problems.push('devices');
  if (sec.pidMode) problems.push('pid');
  if (sec.ipcMode) problems.push('ipc');
  if (sec.utsMode) problems.push('uts');
  if (sec.usernsMode) problems.push('userns_mode');
  if (sec.cgroupnsMode) problems.push('cgroup');
  if (sec.securityOpt?.length || sec.systemPathsUnconfined) problems.push('security_opt');
  if (sec.cgroupParent) problems.push('cgroup_parent');
  if (sec.volumesFrom?.length) problems.push('volumes_from');
  if (sec.deviceCgroupRules?.length) problems.push('device_cgroup_rules');
  if (spec.networks.some((n) => n.ipv4Address || n.ipv6Address)) problems.push('networks.*.ipv4_address');
  if (spec.extra?.runtime) problems.push('runtime');
  // Swarm expands Go templates ({{.Node.Hostname}}...) in mount sources and targets on the node:
  // the path the policy judged would not be the path mounted ("/{{""}}" becomes "/").
  for (const m of spec.mounts)
    if (`${m.source ?? ''}${m.target}`.includes('{{'))
      throw new ToolError(
        'invalid_input',
        `${where}: mount "${m.source ?? ''}:${m.target}" contains "{{", which a Swarm node expands as a template, so the path judged would not be the path mounted; write the path without "{{".`,
      );
  if (spec.extra?.shmSizeBytes !== undefined) problems.push('shm_size');
  if (problems.length) {
    throw new ToolError(
      'invalid_input',
      `${where}: ${problems.join(', ')} cannot be set on a Swarm service (Swarm tasks do not support ${problems.length > 1 ? 'them' : 'it'}); leave ${problems.length > 1 ? 'them' : 'it'} out or deploy to a single Engine.`,
    );
  }
}

/** Swarm's own defaults, written out: a given UpdateConfig without Parallelism would mean "all at once". */
const UPDATE_DEFAULTS = { parallelism: 1, monitorNs: 5_000_000_000 } as const;

/**
 * Update and rollback settings. A failed update is rolled back by Swarm unless the file says
 * otherwise (failure_action: rollback; Swarm's own default is pause), so a deploy never leaves a
 * service half on a broken image.
 */
function updateConfig(u: UpdatePolicy | undefined, defaults: UpdatePolicy): Record<string, unknown> | undefined {
  if (!u && Object.keys(defaults).length === 0) return undefined;
  u = { ...UPDATE_DEFAULTS, ...defaults, ...u };
  const out: Record<string, unknown> = {};
  if (u.parallelism !== undefined) out.Parallelism = u.parallelism;
  if (u.delayNs !== undefined) out.Delay = u.delayNs;
  if (u.failureAction !== undefined) out.FailureAction = u.failureAction;
  if (u.monitorNs !== undefined) out.Monitor = u.monitorNs;
  if (u.maxFailureRatio !== undefined) out.MaxFailureRatio = u.maxFailureRatio;
  if (u.order !== undefined) out.Order = u.order;
  return out;
}

function containerSpecOf(spec: ContainerSpec, stack: string): Record<string, unknown> {
  const c: Record<string, unknown> = {
    Image: spec.image,
    Labels: containerLabels(spec, stack),
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Mounts: spec.mounts.map((m) => {
      const mount: Record<string, unknown> = { Type: m.type, Target: m.target, ReadOnly: m.readOnly };
      if (m.source !== undefined) mount.Source = m.source;
      if (m.type === 'volume') mount.VolumeOptions = { Labels: { [STACK_NAMESPACE]: stack } };
      if (m.type === 'tmpfs' && spec.extra?.tmpfs?.[m.target]) mount.TmpfsOptions = {};
      return mount;
    }),
  };
  // Swarm's Command is the entrypoint and Args the command, as `docker stack` maps them.
  if (spec.entrypoint) c.Command = spec.entrypoint;
  if (spec.command) c.Args = spec.command;
  if (spec.healthcheck) c.Healthcheck = spec.healthcheck;
  if (spec.hostname) c.Hostname = spec.hostname;
  if (spec.workingDir) c.Dir = spec.workingDir;
  if (spec.user) c.User = spec.user;
  if (spec.init !== undefined) c.Init = spec.init;
  if (spec.stopTimeoutSec !== undefined) c.StopGracePeriod = spec.stopTimeoutSec * 1_000_000_000;
  if (spec.stopSignal) c.StopSignal = spec.stopSignal;
  // Swarm takes extra hosts as "IP HOST" (the hosts-file order).
  if (spec.extraHosts.length)
    c.Hosts = spec.extraHosts.map((h) => {
      const i = h.indexOf(':');
      return `${h.slice(i + 1)} ${h.slice(0, i)}`;
    });
  const sec = spec.security;
  if (sec?.capAdd?.length) c.CapabilityAdd = sec.capAdd;
  if (sec?.capDrop?.length) c.CapabilityDrop = sec.capDrop;
  if (sec?.sysctls) c.Sysctls = sec.sysctls;
  const x = spec.extra;
  if (x?.dns || x?.dnsSearch || x?.dnsOptions)
    c.DNSConfig = {
      ...(x.dns ? { Nameservers: x.dns } : {}),
      ...(x.dnsSearch ? { Search: x.dnsSearch } : {}),
      ...(x.dnsOptions ? { Options: x.dnsOptions } : {}),
    };
  if (x?.groupAdd) c.Groups = x.groupAdd;
  if (x?.readOnly !== undefined) c.ReadOnly = x.readOnly;
  if (x?.tty !== undefined) c.TTY = x.tty;
  if (x?.stdinOpen !== undefined) c.OpenStdin = x.stdinOpen;
  if (x?.ulimits) c.Ulimits = x.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  return c;
}

/**
 * The ServiceSpec of one stack service. `spec` is the service's container spec after the policy
 * (normalised, default limits applied); `labels` are added to the service's own labels (ours).
 */
export function toServiceSpec(
  project: ComposeProject,
  service: ComposeService,
  spec: ContainerSpec,
  deploy: SwarmDeploy,
  labels: Record<string, string>,
  files: readonly SwarmFileRef[] = [],
): ServiceSpec {
  const where = `stack "${project.name}" service "${service.name}"`;
  refuseContainerOnly(spec, where);
  const task: ServiceSpec['TaskTemplate'] = { ContainerSpec: containerSpecOf(spec, project.name) };
  // Object ids are filled in at apply (the hash covers names, which carry the content digest).
  const file = (f: SwarmFileRef) => ({
    File: { Name: f.target, UID: String(f.uid), GID: String(f.gid), Mode: f.mode },
  });
  const secrets = files.filter((f) => f.kind === 'secret');
  const configs = files.filter((f) => f.kind === 'config');
  if (secrets.length)
    task.ContainerSpec.Secrets = secrets.map((f) => ({ ...file(f), SecretName: f.name, SecretID: '' }));
  if (configs.length)
    task.ContainerSpec.Configs = configs.map((f) => ({ ...file(f), ConfigName: f.name, ConfigID: '' }));
  const limits = {
    ...(spec.nanoCpus !== undefined ? { NanoCPUs: spec.nanoCpus } : {}),
    ...(spec.memoryBytes !== undefined ? { MemoryBytes: spec.memoryBytes } : {}),
    ...(deploy.pidsLimit !== undefined ? { Pids: deploy.pidsLimit } : {}),
  };
  const reservations = {
    ...(deploy.reservations?.nanoCpus !== undefined ? { NanoCPUs: deploy.reservations.nanoCpus } : {}),
    ...(deploy.reservations?.memoryBytes !== undefined ? { MemoryBytes: deploy.reservations.memoryBytes } : {}),
  };
  if (Object.keys(limits).length || Object.keys(reservations).length)
    task.Resources = {
      ...(Object.keys(limits).length ? { Limits: limits } : {}),
      ...(Object.keys(reservations).length ? { Reservations: reservations } : {}),
    };
  const r = deploy.restartPolicy;
  if (r)
    task.RestartPolicy = {
      Condition: r.condition,
      ...(r.delayNs !== undefined ? { Delay: r.delayNs } : {}),
      ...(r.maxAttempts !== undefined ? { MaxAttempts: r.maxAttempts } : {}),
      ...(r.windowNs !== undefined ? { Window: r.windowNs } : {}),
    };
  const p = deploy.placement;
  if (p.constraints.length || p.preferences.length || p.maxReplicas !== undefined)
    task.Placement = {
      ...(p.constraints.length ? { Constraints: p.constraints } : {}),
      ...(p.preferences.length ? { Preferences: p.preferences.map((d) => ({ Spread: { SpreadDescriptor: d } })) } : {}),
      ...(p.maxReplicas !== undefined ? { MaxReplicas: p.maxReplicas } : {}),
    };
  // Every task answers to the service's short name on each of its networks, as with docker stack.
  task.Networks = spec.networks.map((n) => ({
    Target: n.name,
    Aliases: [...new Set([service.name, ...n.aliases])],
  }));
  if (spec.extra?.logging) task.LogDriver = { Name: spec.extra.logging.driver, Options: spec.extra.logging.options };

  const out: ServiceSpec = {
    Name: swarmServiceName(project.name, service.name),
    Labels: {
      ...deploy.labels,
      ...labels,
      [STACK_NAMESPACE]: project.name,
      [STACK_IMAGE]: spec.image,
    },
    TaskTemplate: task,
    Mode: deploy.mode === 'global' ? { Global: {} } : { Replicated: { Replicas: service.replicas } },
    EndpointSpec: {
      Mode: deploy.endpointMode ?? 'vip',
      ...(deploy.ports.length
        ? {
            Ports: deploy.ports.map((port) => ({
              Protocol: port.protocol,
              TargetPort: port.target,
              ...(port.published !== undefined ? { PublishedPort: port.published } : {}),
              PublishMode: port.mode,
            })),
          }
        : {}),
    },
  };
  const update = updateConfig(deploy.update, { failureAction: 'rollback' });
  if (update) out.UpdateConfig = update;
  const rollback = updateConfig(deploy.rollback, {});
  if (rollback) out.RollbackConfig = rollback;
  out.Labels[LABEL_SWARM_HASH] = swarmSpecHash(out);
  return out;
}

/** sha256 of a ServiceSpec without its hash label (stable key order). */
export function swarmSpecHash(spec: ServiceSpec): string {
  const { [LABEL_SWARM_HASH]: _hash, ...labels } = spec.Labels;
  return createHash('sha256')
    .update(canonicalJson({ ...spec, Labels: labels }))
    .digest('hex');
}

/** The overlay network of a stack network, as `docker stack` creates it (attachable unless said otherwise). */
export function toOverlayNetwork(
  project: ComposeProject,
  network: ProjectNetwork,
  instance: string,
): OverlayNetworkSpec {
  const driver = network.driver ?? 'overlay';
  if (!network.external && driver !== 'overlay') {
    throw new ToolError(
      'invalid_input',
      `stack "${project.name}" network "${network.key}": driver "${driver}" cannot span Swarm nodes; use the overlay driver (or leave driver out).`,
    );
  }
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(network.labels)) if (!k.startsWith('com.docker.compose.')) labels[k] = v;
  labels[STACK_NAMESPACE] = project.name;
  labels[LABEL_MANAGED] = 'true';
  labels[LABEL_INSTANCE] = instance;
  const body: Record<string, unknown> = {
    Name: network.name,
    Driver: 'overlay',
    Attachable: true,
    Internal: network.internal,
    Labels: labels,
    Options: network.driverOpts,
    CheckDuplicate: true,
  };
  if (network.ipam) {
    body.IPAM = {
      Driver: network.ipam.driver ?? 'default',
      Config: network.ipam.config.map((c) => ({
        ...(c.subnet ? { Subnet: c.subnet } : {}),
        ...(c.gateway ? { Gateway: c.gateway } : {}),
        ...(c.ipRange ? { IPRange: c.ipRange } : {}),
        ...(c.auxAddresses ? { AuxiliaryAddresses: c.auxAddresses } : {}),
      })),
      ...(network.ipam.options ? { Options: network.ipam.options } : {}),
    };
  }
  return { name: network.name, key: network.key, external: network.external, body };
}
