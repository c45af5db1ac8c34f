import type { PolicyConfig } from '../config.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import type { Engine } from '../docker/engine.js';
import { refuse } from './hostAccess.js';

/**
 * Binds are judged on this server's filesystem (hostPaths.ts resolves symlinks here). When the
 * Engine that mounts them is another machine (a remote Engine, any Swarm node), the judgement is
 * about the wrong filesystem: a symlink planted there by an earlier container is invisible here.
 * A path can only be judged where it is mounted, so such binds are refused unless the operator
 * allows them (DOM_ALLOW_REMOTE_BINDS=1).
 */

/** Where a bind would be mounted, when that is not this machine (undefined: here, judged locally). */
export type MountPlace = string | undefined;

export function enginePlace(engine: Engine): MountPlace {
  return engine.local ? undefined : `Engine "${engine.name}" (${engine.endpoint}), which is not this server's machine`;
}

export const SWARM_PLACE = "a Swarm node (a service's tasks run on any node, not on this server's machine)";

/** Refuses one bind source (a bind mount, or the device of a local volume with o=bind) mounted at `place`. */
export function checkRemoteBind(policy: PolicyConfig, place: MountPlace, source: string, where: string): void {
  if (place === undefined || policy.allowRemoteBinds) return;
  refuse(
    'remote-bind',
    `${where}: the host path "${source}" would be mounted by ${place}; host paths are judged on this server's filesystem, so a path (or a symlink planted in it) on that machine cannot be`,
    'DOM_ALLOW_REMOTE_BINDS=1',
  );
}

/** Every bind mount of a spec, at `place`. */
export function checkRemoteSpecBinds(
  policy: PolicyConfig,
  place: MountPlace,
  spec: ContainerSpec,
  where: string,
): void {
  for (const m of spec.mounts) if (m.type === 'bind') checkRemoteBind(policy, place, m.source ?? '', where);
}
