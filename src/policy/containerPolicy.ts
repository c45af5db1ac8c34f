import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import type { PolicyConfig } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { ToolError } from '../docker/errors.js';
import { parseCpus, parseMemory } from '../docker/specParsers.js';

/**
 * The container policy, checked before anything is created, for deploy_container and
 * stacks alike. Every refusal names its rule and the setting that would allow it.
 */

const SENSITIVE_EXACT = ['/', '/var/run/docker.sock', '/run/docker.sock'];
const SENSITIVE_TREES = ['/etc', '/root', '/var/lib/docker', '/proc', '/sys', '/dev', '/boot', '/var/run/docker.sock', '/run/docker.sock'];

function canonical(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    return abs; // not there yet: the Engine would create it
  }
}

function isUnder(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

export function sensitiveReason(hostPath: string): string | undefined {
  const p = canonical(hostPath);
  if (SENSITIVE_EXACT.includes(p)) return p === '/' ? 'the host root filesystem' : 'the Docker socket (control of the Engine is root on the host)';
  const tree = SENSITIVE_TREES.find((t) => isUnder(p, t));
  return tree ? `${tree} on the host` : undefined;
}

function refuse(rule: string, message: string, setting: string): never {
  throw new ToolError('denied', `Refused by policy (${rule}): ${message}. To allow it, start the server with ${setting}.`, { rule });
}

/** Converts a glob with `*` (any run of characters) to a RegExp. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Docker's default capability set: adding one of these changes nothing. */
export const DEFAULT_CAPABILITIES = new Set([
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
]);

const UNCONFINED = /^(seccomp|apparmor|systempaths)[=:]unconfined$|^label[=:]disable$/i;

function sharesNamespace(mode: string | undefined): boolean {
  return mode === 'host' || Boolean(mode?.startsWith('container:'));
}

function checkSecurity(policy: PolicyConfig, spec: ContainerSpec, where: string): void {
  const sec = spec.security;
  if (!sec) return;
  if (sec.privileged && !policy.allowPrivileged) {
    refuse('privileged', `${where}: privileged mode gives the container every capability and every host device`, 'DOM_ALLOW_PRIVILEGED=1');
  }
  for (const [name, mode] of [['pid', sec.pidMode], ['ipc', sec.ipcMode], ['uts', sec.utsMode]] as const) {
    if (sharesNamespace(mode) && !policy.allowHostNamespaces) {
      refuse('host-namespace', `${where}: ${name} "${mode}" shares a ${name} namespace outside the container`, 'DOM_ALLOW_HOST_NAMESPACES=1');
    }
  }
  if (sec.usernsMode === 'host' && !policy.allowHostNamespaces) {
    refuse('userns-off', `${where}: userns_mode "host" turns user-namespace remapping off`, 'DOM_ALLOW_HOST_NAMESPACES=1');
  }
  for (const cap of sec.capAdd ?? []) {
    if (!DEFAULT_CAPABILITIES.has(cap) && !policy.allowedCapabilities.includes(cap)) {
      refuse('capability', `${where}: cap_add ${cap} is beyond Docker's default capabilities`, `DOM_ALLOWED_CAPABILITIES including ${cap}`);
    }
  }
  if (sec.devices?.length && !policy.allowDevices) {
    refuse('devices', `${where}: host device ${sec.devices[0]?.pathOnHost} would be passed into the container`, 'DOM_ALLOW_DEVICES=1');
  }
  const off = sec.securityOpt?.find((o) => UNCONFINED.test(o.trim()));
  if (off && !policy.allowUnconfined) {
    refuse('unconfined', `${where}: security_opt "${off}" turns confinement off`, 'DOM_ALLOW_UNCONFINED=1');
  }
}

export function checkContainerSpec(policy: PolicyConfig, spec: ContainerSpec, where: string): void {
  checkSecurity(policy, spec, where);
  if (policy.allowedImages.length && !policy.allowedImages.some((g) => globToRegExp(g).test(spec.image))) {
    refuse('allowed-images', `${where}: image ${spec.image} matches none of the allowed images (${policy.allowedImages.join(', ')})`, 'DOM_ALLOWED_IMAGES including it');
  }
  for (const m of spec.mounts) {
    if (m.type !== 'bind' || !m.source) continue;
    const why = sensitiveReason(m.source);
    if (why && !policy.allowSensitiveMounts) {
      refuse('sensitive-bind-mount', `${where}: bind mount of ${m.source} exposes ${why}`, 'DOM_ALLOW_SENSITIVE_MOUNTS=1');
    }
    if (policy.allowedBindRoots.length && !policy.allowedBindRoots.some((r) => isUnder(canonical(m.source as string), canonical(r)))) {
      refuse(
        'bind-mount-outside-allowed-roots',
        `${where}: bind mount of ${m.source} is outside the allowed folders (${policy.allowedBindRoots.join(', ')})`,
        'DOM_ALLOWED_BIND_ROOTS including a folder that holds it',
      );
    }
  }
  for (const n of spec.networks) {
    if ((n.name === 'host' || n.name.startsWith('container:')) && !policy.allowHostNetwork) {
      refuse('host-network', `${where}: network "${n.name}" shares another network namespace with the container`, 'DOM_ALLOW_HOST_NETWORK=1');
    }
  }
}

/** Applies the configured default limits to a spec that has none. */
export function withDefaultLimits(policy: PolicyConfig, spec: ContainerSpec): ContainerSpec {
  const out = { ...spec };
  if (out.memoryBytes === undefined && policy.defaultMemory) out.memoryBytes = parseMemory(policy.defaultMemory, 'DOM_DEFAULT_MEMORY');
  if (out.nanoCpus === undefined && policy.defaultCpus) out.nanoCpus = parseCpus(policy.defaultCpus, 'DOM_DEFAULT_CPUS');
  return out;
}
