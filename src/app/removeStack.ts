import { removeContainer } from '../docker/containers.js';
import { removeNetwork } from '../docker/networks.js';
import { stopContainerGracefully } from '../docker/stackObjects.js';
import { removeVolume } from '../docker/volumes.js';
import { ToolError } from '../kernel/errors.js';
import { stackObjects, type StackObjects } from '../stacks/engineState.js';
import { newDeploymentLabel } from '../stacks/journal.js';
import { acquireStackLock } from '../stacks/lock.js';
import type { AppPorts } from './ports.js';

/**
 * Removes a stack: its containers (stopped gracefully first) and networks, and its named volumes
 * when asked, under the stack's lock; deploys of it that left objects behind are settled. In two
 * steps so the caller can confirm (and record) between finding and removing.
 */

/** How long past the Engine's deadline a container may take to stop with its own stop timeout. */
const STOP_GRACE_MS = 60_000;
/** The lock's lease: a removal is bounded by its Engine calls' deadlines, well inside this. */
const REMOVE_LEASE_MS = 10 * 60_000;

export interface StackRemoval {
  name: string;
  withVolumes: boolean;
  objects: StackObjects;
  /** Names, sorted. */
  containers: string[];
  networks: string[];
  /** The volumes that go (none unless withVolumes). */
  volumes: string[];
  /** The stack's volumes that stay. */
  kept: string[];
}

/** What removing the stack takes and keeps. Pure. */
export function describeRemoval(name: string, objects: StackObjects, withVolumes: boolean): StackRemoval {
  return {
    name,
    withVolumes,
    objects,
    containers: objects.containers.map((c) => c.name).sort(),
    networks: objects.networks.map((n) => n.name).sort(),
    volumes: withVolumes ? objects.volumes.map((v) => v.name).sort() : [],
    kept: withVolumes ? [] : objects.volumes.map((v) => v.name),
  };
}

/** An object the removal would change, for the ownership-scope check of the caller. */
export interface RemovalSubject {
  what: string;
  labels: Record<string, string> | null | undefined;
}

/**
 * Finds the stack's objects, and names each one that would go (for the caller's ownership-scope
 * check). Throws `not_found` when the Engine has nothing of the stack. Changes nothing.
 */
export async function findStackRemoval(
  input: { name: string; volumes?: boolean },
  ports: Pick<AppPorts, 'engine' | 'signal'>,
): Promise<{ removal: StackRemoval; subjects: RemovalSubject[] }> {
  const { name } = input;
  const objects = await stackObjects(ports.engine, name, ports.signal);
  if (objects.containers.length === 0 && objects.networks.length === 0 && objects.volumes.length === 0) {
    throw new ToolError('not_found', `No stack named "${name}": list_stacks shows the stacks on this Engine.`);
  }
  const subjects: RemovalSubject[] = [
    ...objects.containers.map((c) => ({ what: `container "${c.name}" of stack "${name}"`, labels: c.labels })),
    ...objects.networks.map((n) => ({ what: `network "${n.name}" of stack "${name}"`, labels: n.labels })),
    ...(input.volumes
      ? objects.volumes.map((v) => ({ what: `volume "${v.name}" of stack "${name}"`, labels: v.labels }))
      : []),
  ];
  return { removal: describeRemoval(name, objects, input.volumes ?? false), subjects };
}

/**
 * Removes what `findStackRemoval` found, under the stack's lock (not while a deploy of it runs,
 * in this or another server process), then settles the stack's open journals, naming
 * `deploymentId` (this removal's history record).
 */
export async function removeStack(
  removal: StackRemoval,
  ports: Pick<AppPorts, 'engine' | 'config' | 'history' | 'signal' | 'progress'>,
  deploymentId: string,
): Promise<void> {
  const { engine, history, name } = { ...ports, name: removal.name };
  const lock = await acquireStackLock(engine, {
    stack: name,
    holder: newDeploymentLabel(),
    operation: 'remove',
    leaseMs: REMOVE_LEASE_MS,
    instanceLabel: ports.config.instanceLabel,
    signal: ports.signal,
  });
  try {
    await removeObjects(removal, ports);
    // Deploys that left objects behind are settled: those objects went with the stack.
    for (const j of history.openJournals(name))
      history.settleJournal(
        j.id,
        'failed',
        `reconciled: its leftovers were removed with the stack by remove_stack (${deploymentId})`,
      );
  } finally {
    await lock.release().catch(() => undefined);
  }
}

async function removeObjects(
  r: StackRemoval,
  { engine, signal, progress }: Pick<AppPorts, 'engine' | 'signal' | 'progress'>,
): Promise<void> {
  progress(1, 3, `stopping ${r.containers.length} containers`);
  // Graceful stop with each container's own stop timeout, all at once, then removal.
  await Promise.all(
    r.objects.containers
      .filter((c) => c.state === 'running' || c.state === 'restarting' || c.state === 'paused')
      .map((c) =>
        stopContainerGracefully(engine, c.id, {
          graceMs: STOP_GRACE_MS,
          signal,
          target: `container "${c.name}"`,
        }).catch(() => undefined),
      ),
  );
  await Promise.all(
    r.objects.containers.map((c) => removeContainer(engine, c.id, { force: true, volumes: true }, signal)),
  );
  progress(2, 3, `removing ${r.networks.length} networks`);
  for (const n of r.objects.networks) await removeNetwork(engine, n.id, signal);
  if (r.withVolumes) {
    progress(3, 3, `removing ${r.volumes.length} volumes`);
    for (const v of r.objects.volumes) await removeVolume(engine, v.name, signal);
  }
}
