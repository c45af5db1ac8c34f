import type Docker from 'dockerode';
import type { EngineHealthcheck, MountMapping, PortMapping, RestartPolicy, SecuritySettings } from './specParsers.js';

/** A container as we want it, already validated and normalised. Shared by deploy_container and stacks. */
export interface ContainerSpec {
  name?: string;
  image: string;
  command?: string[];
  entrypoint?: string[];
  env: Record<string, string>;
  ports: PortMapping[];
  mounts: MountMapping[];
  /** All joined at create with API >= 1.44; before, the first at create and the others connected afterwards. */
  networks: { name: string; aliases: string[]; ipv4Address?: string; ipv6Address?: string }[];
  restart?: RestartPolicy;
  memoryBytes?: number;
  nanoCpus?: number;
  labels: Record<string, string>;
  healthcheck?: EngineHealthcheck;
  hostname?: string;
  workingDir?: string;
  user?: string;
  init?: boolean;
  stopTimeoutSec?: number;
  stopSignal?: string;
  extraHosts: string[];
  /** Privileges beyond Docker's defaults; absent for ordinary containers. */
  security?: SecuritySettings;
  /** Container-only settings from Compose (`expose`, `dns`, `ulimits`...); absent unless given. */
  extra?: ContainerExtras;
}

/** Settings Compose files carry that need no policy beyond the ones named (runtime, logging). */
export interface ContainerExtras {
  /** "PORT/PROTO" exposed without publishing. */
  expose?: string[];
  dns?: string[];
  dnsSearch?: string[];
  dnsOptions?: string[];
  domainname?: string;
  groupAdd?: string[];
  readOnly?: boolean;
  shmSizeBytes?: number;
  /** Target -> mount options ("size=64m"). */
  tmpfs?: Record<string, string>;
  ulimits?: { name: string; soft: number; hard: number }[];
  stdinOpen?: boolean;
  tty?: boolean;
  /** Judged by the policy: runc unless allowed. */
  runtime?: string;
  /** Judged by the policy: local drivers unless allowed. */
  logging?: { driver: string; options: Record<string, string> };
  memoryReservationBytes?: number;
  oomScoreAdj?: number;
  pidsLimit?: number;
}

export type CreateBody = Docker.ContainerCreateOptions;

function portKey(p: PortMapping): string {
  return `${p.containerPort}/${p.protocol}`;
}

/**
 * The Engine's create body for a spec (without the name, which goes in the query). Pure.
 * `multiNetwork` (API >= 1.44): every network goes into EndpointsConfig; before 1.44 the
 * Engine refuses more than one there, so only the first does and the caller connects the rest.
 */
export function toCreateBody(spec: ContainerSpec, opts: { multiNetwork?: boolean } = {}): CreateBody {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, { HostIp?: string; HostPort?: string }[]> = {};
  for (const p of spec.ports) {
    const key = portKey(p);
    exposed[key] = {};
    (bindings[key] ??= []).push({
      HostIp: p.hostIp ?? '',
      HostPort: p.hostPort === undefined ? '' : String(p.hostPort),
    });
  }
  const hostConfig: NonNullable<CreateBody['HostConfig']> = {
    PortBindings: bindings,
    Mounts: spec.mounts.map((m) => {
      const mount: Docker.MountSettings = {
        Type: m.type,
        Target: m.target,
        ReadOnly: m.readOnly,
      } as Docker.MountSettings;
      if (m.source !== undefined) mount.Source = m.source;
      return mount;
    }),
    ExtraHosts: spec.extraHosts,
  };
  if (spec.restart)
    hostConfig.RestartPolicy = { Name: spec.restart.name, MaximumRetryCount: spec.restart.maximumRetryCount ?? 0 };
  if (spec.memoryBytes !== undefined) hostConfig.Memory = spec.memoryBytes;
  if (spec.nanoCpus !== undefined) hostConfig.NanoCpus = spec.nanoCpus;
  if (spec.init !== undefined) hostConfig.Init = spec.init;
  const first = spec.networks[0];
  if (first) hostConfig.NetworkMode = first.name;
  const sec = spec.security;
  if (sec) {
    if (sec.privileged !== undefined) hostConfig.Privileged = sec.privileged;
    if (sec.capAdd) hostConfig.CapAdd = sec.capAdd;
    if (sec.capDrop) hostConfig.CapDrop = sec.capDrop;
    if (sec.devices) {
      hostConfig.Devices = sec.devices.map((d) => ({
        PathOnHost: d.pathOnHost,
        PathInContainer: d.pathInContainer,
        CgroupPermissions: d.permissions,
      }));
    }
    if (sec.pidMode) hostConfig.PidMode = sec.pidMode;
    if (sec.ipcMode) hostConfig.IpcMode = sec.ipcMode;
    if (sec.utsMode) hostConfig.UTSMode = sec.utsMode;
    if (sec.usernsMode) hostConfig.UsernsMode = sec.usernsMode;
    if (sec.securityOpt) hostConfig.SecurityOpt = sec.securityOpt;
    if (sec.systemPathsUnconfined) Object.assign(hostConfig, { MaskedPaths: [], ReadonlyPaths: [] });
    if (sec.cgroupnsMode) Object.assign(hostConfig, { CgroupnsMode: sec.cgroupnsMode });
    if (sec.sysctls) hostConfig.Sysctls = sec.sysctls;
    if (sec.cgroupParent) hostConfig.CgroupParent = sec.cgroupParent;
    if (sec.volumesFrom) hostConfig.VolumesFrom = sec.volumesFrom;
    if (sec.deviceCgroupRules) Object.assign(hostConfig, { DeviceCgroupRules: sec.deviceCgroupRules });
  }

  applyExtras(spec.extra, hostConfig, exposed);

  const body: CreateBody = {
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels,
    ExposedPorts: exposed,
    HostConfig: hostConfig,
  };
  if (spec.command) body.Cmd = spec.command;
  if (spec.entrypoint) body.Entrypoint = spec.entrypoint;
  if (spec.healthcheck) body.Healthcheck = spec.healthcheck;
  if (spec.hostname) body.Hostname = spec.hostname;
  if (spec.workingDir) body.WorkingDir = spec.workingDir;
  if (spec.user) body.User = spec.user;
  if (spec.stopTimeoutSec !== undefined) body.StopTimeout = spec.stopTimeoutSec;
  if (spec.stopSignal) body.StopSignal = spec.stopSignal;
  if (spec.extra?.domainname) body.Domainname = spec.extra.domainname;
  if (spec.extra?.stdinOpen !== undefined) body.OpenStdin = spec.extra.stdinOpen;
  if (spec.extra?.tty !== undefined) body.Tty = spec.extra.tty;
  if (first) {
    const joined = opts.multiNetwork ? spec.networks : [first];
    body.NetworkingConfig = { EndpointsConfig: Object.fromEntries(joined.map((n) => [n.name, endpointConfig(n)])) };
  }
  return body;
}

/** A network endpoint: aliases (not on host/none/container: modes, where the Engine refuses them) and fixed addresses. */
export function endpointConfig(n: ContainerSpec['networks'][number]): Record<string, unknown> {
  const endpoint: Record<string, unknown> = {};
  if (!isNamespaceMode(n.name)) endpoint.Aliases = n.aliases;
  if (n.ipv4Address !== undefined || n.ipv6Address !== undefined) {
    endpoint.IPAMConfig = {
      ...(n.ipv4Address ? { IPv4Address: n.ipv4Address } : {}),
      ...(n.ipv6Address ? { IPv6Address: n.ipv6Address } : {}),
    };
  }
  return endpoint;
}

/** "host", "none" and "container:X" are network modes, not networks. */
export function isNamespaceMode(network: string): boolean {
  return network === 'host' || network === 'none' || network.startsWith('container:');
}

function applyExtras(
  x: ContainerExtras | undefined,
  hc: NonNullable<CreateBody['HostConfig']>,
  exposed: Record<string, object>,
): void {
  if (!x) return;
  for (const p of x.expose ?? []) exposed[p] ??= {};
  if (x.dns) hc.Dns = x.dns;
  if (x.dnsSearch) hc.DnsSearch = x.dnsSearch;
  if (x.dnsOptions) hc.DnsOptions = x.dnsOptions;
  if (x.groupAdd) hc.GroupAdd = x.groupAdd;
  if (x.readOnly !== undefined) hc.ReadonlyRootfs = x.readOnly;
  if (x.shmSizeBytes !== undefined) hc.ShmSize = x.shmSizeBytes;
  if (x.tmpfs) hc.Tmpfs = x.tmpfs;
  if (x.ulimits) hc.Ulimits = x.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  if (x.runtime) hc.Runtime = x.runtime;
  if (x.logging) hc.LogConfig = { Type: x.logging.driver as 'json-file', Config: x.logging.options };
  if (x.memoryReservationBytes !== undefined) hc.MemoryReservation = x.memoryReservationBytes;
  if (x.oomScoreAdj !== undefined) hc.OomScoreAdj = x.oomScoreAdj;
  if (x.pidsLimit !== undefined) hc.PidsLimit = x.pidsLimit;
}
