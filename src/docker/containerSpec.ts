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
  networks: { name: string; aliases: string[] }[];
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
    (bindings[key] ??= []).push({ HostIp: p.hostIp ?? '', HostPort: p.hostPort === undefined ? '' : String(p.hostPort) });
  }
  const hostConfig: NonNullable<CreateBody['HostConfig']> = {
    PortBindings: bindings,
    Mounts: spec.mounts.map((m) => {
      const mount: Docker.MountSettings = { Type: m.type, Target: m.target, ReadOnly: m.readOnly } as Docker.MountSettings;
      if (m.source !== undefined) mount.Source = m.source;
      return mount;
    }),
    ExtraHosts: spec.extraHosts,
  };
  if (spec.restart) hostConfig.RestartPolicy = { Name: spec.restart.name, MaximumRetryCount: spec.restart.maximumRetryCount ?? 0 };
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
      hostConfig.Devices = sec.devices.map((d) => ({ PathOnHost: d.pathOnHost, PathInContainer: d.pathInContainer, CgroupPermissions: d.permissions }));
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
  if (first) {
    const joined = opts.multiNetwork ? spec.networks : [first];
    body.NetworkingConfig = { EndpointsConfig: Object.fromEntries(joined.map((n) => [n.name, { Aliases: n.aliases }])) };
  }
  return body;
}
