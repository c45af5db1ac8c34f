import type { PolicyConfig } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import { parseCpus, parseMemory } from '../docker/specParsers.js';
import { checkHostAccess, refuse } from './hostAccess.js';

/**
 * The container policy, checked before anything is created, for deploy_container and stacks
 * alike: allowed images, then the host-access model (hostAccess.ts). Every refusal names its rule
 * and the setting that would allow it.
 */

export { DEFAULT_CAPABILITIES } from './hostAccess.js';

/** Converts a glob with `*` (any run of characters) to a RegExp. */
function globToRegExp(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .split('*')
      .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
}

/** The checks that need no Engine; returns the normalised spec, which is what must be created. */
export function checkContainerSpec(policy: PolicyConfig, spec: ContainerSpec, where: string): ContainerSpec {
  checkImageAllowed(policy, spec.image, where);
  return checkHostAccess(policy, spec, where);
}

/** DOM_ALLOWED_IMAGES: for every image a container or service is made from, or updated to. */
export function checkImageAllowed(policy: Pick<PolicyConfig, 'allowedImages'>, image: string, where: string): void {
  if (policy.allowedImages.length && !policy.allowedImages.some((g) => globToRegExp(g).test(image))) {
    refuse(
      'allowed-images',
      `${where}: image ${image} matches none of the allowed images (${policy.allowedImages.join(', ')})`,
      'DOM_ALLOWED_IMAGES including it',
    );
  }
}

/** Applies the configured default limits to a spec that has none. */
export function withDefaultLimits(policy: PolicyConfig, spec: ContainerSpec): ContainerSpec {
  const out = { ...spec };
  if (out.memoryBytes === undefined && policy.defaultMemory)
    out.memoryBytes = parseMemory(policy.defaultMemory, 'DOM_DEFAULT_MEMORY');
  if (out.nanoCpus === undefined && policy.defaultCpus)
    out.nanoCpus = parseCpus(policy.defaultCpus, 'DOM_DEFAULT_CPUS');
  return out;
}
