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

export function checkContainerSpec(policy: PolicyConfig, spec: ContainerSpec, where: string): void {
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
