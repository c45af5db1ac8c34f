import type { PolicyConfig } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { ToolError } from '../kernel/errors.js';
import type { MountMapping, SecuritySettings } from '../docker/specParsers.js';
import { hostPath, hostPathProblem, protectedPaths, underAllowedRoot, type HostPath } from './hostPaths.js';
import { judgeSecurityOpt } from './securityOpts.js';
import { classifyVolume, normaliseVolumeDriver } from './volumeOptions.js';

/**
 * The host-access model: every route by which the host reaches a container (bind mounts, local
 * volumes that bind or mount, anything at or above the Engine socket, devices, privileges,
 * capabilities, namespaces, security profiles, sysctls, cgroup parent) is normalised here and
 * judged here, for deploy_container, stack services and create_volume alike. The normalised spec is
 * what the Engine gets, so what was checked is what runs. Routes that need the Engine (existing
 * volumes, `container:X`, volumes_from) are judged by hostAccessEngine.ts with these same rules.
 *
 * Every refusal is a `denied` ToolError naming its rule (details.rule) and the setting that allows it.
 */

export function refuse(rule: string, message: string, setting: string): never {
  throw new ToolError(
    'denied',
    `Refused by policy (${rule}): ${message}. To allow it, start the server with ${setting}.`,
    { rule },
  );
}

function invalid(message: string): never {
  throw new ToolError('invalid_input', message);
}

/** Docker's default capability set: adding one of these changes nothing. */
export const DEFAULT_CAPABILITIES = new Set([
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
]);

/** Sysctls the kernel keeps per container (IPC and network namespaces): Docker's own allow-list. */
const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

// ---------------------------------------------------------------------------
// Normalisation: one spelling per meaning.

/** " cap_sys_admin " -> "SYS_ADMIN"; "all" -> "ALL". */
export function normaliseCapability(raw: string, field: string): string {
  const c = String(raw).trim().toUpperCase().replace(/^CAP_/, '');
  if (!/^[A-Z][A-Z0-9_]{0,63}$/.test(c))
    invalid(`${field}: ${JSON.stringify(raw)} is not a capability name (e.g. NET_ADMIN).`);
  return c;
}

export type NamespaceKind = 'pid' | 'ipc' | 'uts' | 'userns' | 'cgroupns' | 'network';

/** Values each namespace setting accepts besides "host" and (where marked) "container:NAME". */
const NAMESPACE_VALUES: Record<Exclude<NamespaceKind, 'network'>, { keywords: string[]; container: boolean }> = {
  pid: { keywords: [], container: true },
  ipc: { keywords: ['none', 'private', 'shareable'], container: true },
  uts: { keywords: [], container: false },
  userns: { keywords: [], container: false },
  cgroupns: { keywords: ['private'], container: false },
};

/** "HOST " -> "host", "Container: web" -> "container:web"; anything the Engine would not take is refused. */
export function normaliseNamespace(kind: Exclude<NamespaceKind, 'network'>, raw: string, field: string): string {
  const v = String(raw).trim();
  const lower = v.toLowerCase();
  const allowed = NAMESPACE_VALUES[kind];
  if (lower === 'host' || allowed.keywords.includes(lower)) return lower;
  if (allowed.container && /^(container|service)\s*:/.test(lower)) {
    const ref = v.slice(v.indexOf(':') + 1).trim();
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(ref)) invalid(`${field}: "${raw}" does not name a container.`);
    return `container:${ref}`;
  }
  invalid(
    `${field}: "${raw}" is not a ${kind} mode (${['host', ...allowed.keywords, ...(allowed.container ? ['container:NAME'] : [])].join(', ')}).`,
  );
}

/** A network name, with the modes that are namespaces rather than networks spelt one way. */
export function normaliseNetworkName(raw: string, field: string): string {
  const v = String(raw).trim();
  const lower = v.toLowerCase();
  if (['host', 'none', 'bridge', 'default'].includes(lower)) return lower;
  if (/^(container|service)\s*:/.test(lower)) {
    const ref = v.slice(v.indexOf(':') + 1).trim();
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(ref)) invalid(`${field}: "${raw}" does not name a container.`);
    return `container:${ref}`;
  }
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v)) invalid(`${field}: "${raw}" is not a network name.`);
  return v;
}

/** "kernel/shmmax " -> "kernel.shmmax". */
export function normaliseSysctl(raw: string, field: string): string {
  const k = String(raw).trim().replace(/\//g, '.').toLowerCase();
  if (!/^[a-z0-9_-]+(\.[a-z0-9_*.-]+)+$/.test(k) || k.includes('..'))
    invalid(`${field}: ${JSON.stringify(raw)} is not a sysctl name.`);
  return k;
}

/** "NAME", "NAME:ro", "container:NAME:rw" -> "NAME[:ro|:rw]". */
export function normaliseVolumesFrom(raw: string, field: string): { ref: string; normalised: string } {
  const parts = String(raw)
    .trim()
    .split(':')
    .map((p) => p.trim());
  if (parts[0]?.toLowerCase() === 'container' || parts[0]?.toLowerCase() === 'service') parts.shift();
  const [ref = '', mode, ...rest] = parts;
  if (
    rest.length ||
    !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(ref) ||
    (mode !== undefined && !['ro', 'rw'].includes(mode.toLowerCase()))
  ) {
    invalid(`${field}: ${JSON.stringify(raw)} is not "CONTAINER[:ro|:rw]".`);
  }
  return { ref, normalised: mode ? `${ref}:${mode.toLowerCase()}` : ref };
}

function normaliseMount(m: MountMapping, field: string): MountMapping {
  // Callers resolve relative paths (deploy_container: the server's directory; Compose: the project's).
  return m.type === 'bind' ? { ...m, source: hostPath(m.source ?? '', field).resolved } : m;
}

function normaliseSecurity(sec: SecuritySettings, field: (k: string) => string): SecuritySettings {
  const out: SecuritySettings = { ...sec };
  if (sec.capAdd)
    out.capAdd = [...new Set(sec.capAdd.map((c, i) => normaliseCapability(c, `${field('cap_add')}[${i}]`)))];
  if (sec.capDrop)
    out.capDrop = [...new Set(sec.capDrop.map((c, i) => normaliseCapability(c, `${field('cap_drop')}[${i}]`)))];
  if (sec.pidMode !== undefined) out.pidMode = normaliseNamespace('pid', sec.pidMode, field('pid'));
  if (sec.ipcMode !== undefined) out.ipcMode = normaliseNamespace('ipc', sec.ipcMode, field('ipc'));
  if (sec.utsMode !== undefined) out.utsMode = normaliseNamespace('uts', sec.utsMode, field('uts'));
  if (sec.usernsMode !== undefined) out.usernsMode = normaliseNamespace('userns', sec.usernsMode, field('userns_mode'));
  if (sec.cgroupnsMode !== undefined)
    out.cgroupnsMode = normaliseNamespace('cgroupns', sec.cgroupnsMode, field('cgroupns'));
  if (sec.securityOpt) {
    const opts: string[] = [];
    sec.securityOpt.forEach((o, i) => {
      const v = judgeSecurityOpt(o, `${field('security_opt')}[${i}]`);
      if (v.kind === 'systempaths') out.systemPathsUnconfined = true;
      else opts.push(v.normalised);
    });
    out.securityOpt = [...new Set(opts)];
  }
  if (sec.sysctls) {
    const sysctls: Record<string, string> = {};
    for (const [k, v] of Object.entries(sec.sysctls)) {
      const key = normaliseSysctl(k, `${field('sysctls')}.${k}`);
      if (key in sysctls) invalid(`${field('sysctls')}: "${key}" is given twice.`);
      sysctls[key] = String(v);
    }
    out.sysctls = sysctls;
  }
  if (sec.volumesFrom)
    out.volumesFrom = sec.volumesFrom.map(
      (v, i) => normaliseVolumesFrom(v, `${field('volumes_from')}[${i}]`).normalised,
    );
  if (sec.cgroupParent !== undefined) out.cgroupParent = String(sec.cgroupParent).trim();
  return out;
}

/**
 * The spec in its one normalised spelling: bind sources resolved (symlinks, `..`, `//`), capabilities
 * upper-case without CAP_, namespace modes and security options in the Engine's spelling. Pure apart
 * from reading the filesystem to resolve paths. Throws invalid_input for values the Engine would not take.
 */
export function normaliseContainerSpec(spec: ContainerSpec, fieldPrefix = ''): ContainerSpec {
  const field = (k: string) => (fieldPrefix ? `${fieldPrefix}.${k}` : k);
  const out: ContainerSpec = {
    ...spec,
    mounts: spec.mounts.map((m, i) => normaliseMount(m, `${field('volumes')}[${i}]`)),
    networks: spec.networks.map((n) => ({ ...n, name: normaliseNetworkName(n.name, field('network')) })),
  };
  if (spec.security) out.security = normaliseSecurity(spec.security, field);
  return out;
}

// ---------------------------------------------------------------------------
// Decisions.

function protectedFor(policy: PolicyConfig): string[] {
  return protectedPaths(policy.protectedPaths);
}

/** A host path reaching a container, by a bind mount or a bind volume. */
export function checkHostPath(policy: PolicyConfig, raw: string, what: string, where: string): HostPath {
  const p = hostPath(raw, where);
  const why = hostPathProblem(p, protectedFor(policy));
  if (why && !policy.allowSensitiveMounts) {
    refuse('sensitive-bind-mount', `${where}: ${what} of ${raw} exposes ${why}`, 'DOM_ALLOW_SENSITIVE_MOUNTS=1');
  }
  if (policy.allowedBindRoots.length && !underAllowedRoot(p, policy.allowedBindRoots)) {
    refuse(
      'bind-mount-outside-allowed-roots',
      `${where}: ${what} of ${raw}${p.resolved !== raw ? ` (${p.resolved})` : ''} is outside the allowed folders (${policy.allowedBindRoots.join(', ')})`,
      'DOM_ALLOWED_BIND_ROOTS including a folder that holds it',
    );
  }
  return p;
}

export interface VolumeDecision {
  driver: string;
  /** The options to give the Engine: keys lower-cased, a bind device resolved. */
  options: Record<string, string>;
}

/**
 * A named volume's driver and options, as declared (create_volume, a stack's top-level volume) or
 * as found on the Engine (an existing volume a container would mount).
 */
export function checkVolume(
  policy: PolicyConfig,
  driver: string | undefined,
  options: Record<string, string> | null | undefined,
  where: string,
): VolumeDecision {
  const access = classifyVolume(driver, options, where);
  const normalisedOptions = Object.fromEntries(
    Object.entries(options ?? {}).map(([k, v]) => [k.trim().toLowerCase(), String(v)]),
  );
  switch (access.kind) {
    case 'driver':
      if (!policy.allowedVolumeDrivers.includes(access.driver)) {
        refuse(
          'volume-driver',
          `${where}: volume driver "${access.driver}" mounts whatever the plugin decides, which the server cannot judge`,
          `DOM_ALLOWED_VOLUME_DRIVERS including ${access.driver}`,
        );
      }
      return { driver: driver ?? access.driver, options: options ?? {} };
    case 'bind': {
      const p = checkHostPath(policy, access.device, 'a volume that binds (o=bind) the host path', where);
      return { driver: 'local', options: { ...normalisedOptions, device: p.resolved } };
    }
    case 'filesystem':
      if (!policy.allowedVolumeTypes.includes(access.type)) {
        refuse(
          'volume-filesystem',
          `${where}: a local volume of type "${access.type}"${access.device ? ` on ${access.device}` : ''} is mounted by the host kernel (a host disk, a kernel filesystem, or a network share reached with the host's identity)`,
          `DOM_ALLOWED_VOLUME_TYPES including ${access.type}`,
        );
      }
      return { driver: 'local', options: normalisedOptions };
    case 'none':
      return { driver: normaliseVolumeDriver(driver), options: normalisedOptions };
  }
}

function sharesHost(mode: string | undefined): boolean {
  return mode === 'host';
}

function checkSecurity(policy: PolicyConfig, sec: SecuritySettings, networkHost: boolean, where: string): void {
  if (sec.privileged && !policy.allowPrivileged) {
    refuse(
      'privileged',
      `${where}: privileged mode gives the container every capability and every host device`,
      'DOM_ALLOW_PRIVILEGED=1',
    );
  }
  for (const [name, mode] of [
    ['pid', sec.pidMode],
    ['ipc', sec.ipcMode],
    ['uts', sec.utsMode],
    ['cgroupns', sec.cgroupnsMode],
  ] as const) {
    if (sharesHost(mode) && !policy.allowHostNamespaces) {
      refuse(
        'host-namespace',
        `${where}: ${name} "host" shares the host's ${name} namespace with the container`,
        'DOM_ALLOW_HOST_NAMESPACES=1',
      );
    }
  }
  if (sec.usernsMode === 'host' && !policy.allowHostNamespaces) {
    refuse(
      'userns-off',
      `${where}: userns_mode "host" turns user-namespace remapping off`,
      'DOM_ALLOW_HOST_NAMESPACES=1',
    );
  }
  for (const cap of sec.capAdd ?? []) {
    if (!DEFAULT_CAPABILITIES.has(cap) && !policy.allowedCapabilities.includes(cap)) {
      refuse(
        'capability',
        `${where}: cap_add ${cap} is beyond Docker's default capabilities`,
        `DOM_ALLOWED_CAPABILITIES including ${cap}`,
      );
    }
  }
  if (sec.devices?.length && !policy.allowDevices) {
    refuse(
      'devices',
      `${where}: host device ${sec.devices[0]?.pathOnHost} would be passed into the container`,
      'DOM_ALLOW_DEVICES=1',
    );
  }
  if (sec.deviceCgroupRules?.length && !policy.allowDevices) {
    refuse(
      'devices',
      `${where}: device_cgroup_rules "${sec.deviceCgroupRules[0]}" lets the container use host devices`,
      'DOM_ALLOW_DEVICES=1',
    );
  }
  if (!policy.allowUnconfined) {
    for (const [i, o] of (sec.securityOpt ?? []).entries()) {
      const v = judgeSecurityOpt(o, `security_opt[${i}]`);
      if (v.kind === 'unconfined')
        refuse('unconfined', `${where}: security_opt "${o}" turns ${v.what}`, 'DOM_ALLOW_UNCONFINED=1');
      if (v.kind === 'custom')
        refuse(
          'custom-security-profile',
          `${where}: security_opt "${o.slice(0, 80)}" sets ${v.what}`,
          'DOM_ALLOW_UNCONFINED=1',
        );
    }
    if (sec.systemPathsUnconfined) {
      refuse(
        'unconfined',
        `${where}: security_opt "systempaths=unconfined" turns the masked and read-only /proc and /sys paths off`,
        'DOM_ALLOW_UNCONFINED=1',
      );
    }
  }
  for (const key of Object.keys(sec.sysctls ?? {})) {
    const namespaced =
      IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')
        ? sec.ipcMode !== 'host'
        : key.startsWith('net.')
          ? !networkHost
          : false;
    const allowed = policy.allowedSysctls.some((a) => (a.endsWith('*') ? key.startsWith(a.slice(0, -1)) : key === a));
    if (!namespaced && !allowed) {
      refuse(
        'sysctl',
        `${where}: sysctl ${key} is not kept per container; it would change the host`,
        `DOM_ALLOWED_SYSCTLS including ${key}`,
      );
    }
  }
  if (sec.cgroupParent && !policy.allowCgroupParent) {
    refuse(
      'cgroup-parent',
      `${where}: cgroup_parent "${sec.cgroupParent}" places the container outside Docker's cgroup (and its limits)`,
      'DOM_ALLOW_CGROUP_PARENT=1',
    );
  }
}

/**
 * Judges a spec's host access without the Engine: binds, networks, privileges, capabilities,
 * namespaces, security options, sysctls, cgroup parent. Returns the normalised spec to create.
 * `container:X` and volumes_from pass here and are judged against X by hostAccessEngine.ts.
 */
export function checkHostAccess(
  policy: PolicyConfig,
  spec: ContainerSpec,
  where: string,
  fieldPrefix = '',
): ContainerSpec {
  const n = normaliseContainerSpec(spec, fieldPrefix);
  spec.mounts.forEach((m, i) => {
    if (m.type === 'bind') checkHostPath(policy, m.source ?? '', 'bind mount', `${where}: volumes[${i}]`);
  });
  const networkHost = n.networks.some((x) => x.name === 'host');
  if (networkHost && !policy.allowHostNetwork) {
    refuse(
      'host-network',
      `${where}: network "host" shares the host's network namespace with the container`,
      'DOM_ALLOW_HOST_NETWORK=1',
    );
  }
  if (n.security) checkSecurity(policy, n.security, networkHost, where);
  if (n.extra) checkExtras(policy, n.extra, where);
  return n;
}

/** Drivers that keep logs in the Engine's own files (or nowhere). */
const LOCAL_LOG_DRIVERS = new Set(['json-file', 'local', 'none']);

/**
 * A runtime other than runc runs the container with another host binary (or none at all), and a
 * remote logging driver makes the Engine send output to an address the file chooses.
 */
function checkExtras(policy: PolicyConfig, extra: NonNullable<ContainerSpec['extra']>, where: string): void {
  const runtime = extra.runtime?.trim().toLowerCase();
  if (runtime && runtime !== 'runc' && !(policy.allowedRuntimes ?? []).includes(runtime)) {
    refuse(
      'runtime',
      `${where}: runtime "${runtime}" runs the container with a host binary other than runc`,
      `DOM_ALLOWED_RUNTIMES including ${runtime}`,
    );
  }
  const driver = extra.logging?.driver.trim().toLowerCase();
  if (driver && !LOCAL_LOG_DRIVERS.has(driver) && !(policy.allowedLogDrivers ?? []).includes(driver)) {
    refuse(
      'log-driver',
      `${where}: logging driver "${driver}" makes the Engine send the container's output outside its own files`,
      `DOM_ALLOWED_LOG_DRIVERS including ${driver}`,
    );
  }
}

/** The containers a spec shares something with: namespaces (container:X) and volumes_from. */
export function containerReferences(spec: ContainerSpec): { ref: string; via: string }[] {
  const refs: { ref: string; via: string }[] = [];
  const sec = spec.security;
  for (const [via, mode] of [
    ['pid', sec?.pidMode],
    ['ipc', sec?.ipcMode],
    ...spec.networks.map((n) => ['network', n.name] as const),
  ] as const) {
    if (mode?.startsWith('container:')) refs.push({ ref: mode.slice('container:'.length), via: `${via} "${mode}"` });
  }
  for (const v of sec?.volumesFrom ?? []) refs.push({ ref: v.split(':')[0] as string, via: `volumes_from "${v}"` });
  return refs;
}
