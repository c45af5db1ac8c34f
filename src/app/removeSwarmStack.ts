import {
  listFileObjects,
  listNetworksByLabel,
  listServicesByLabel,
  listTasksByLabel,
  removeFileObject,
  removeNetwork,
  removeService,
  swarmManagerState,
  type SwarmFileKind,
} from '../docker/swarmServices.js';
import { ToolError } from '../kernel/errors.js';
import { STACK_NAMESPACE } from '../swarm/cluster.js';
import { sleep } from '../util/timeout.js';
import type { AppPorts } from './ports.js';
import type { RemovalSubject } from './removeStack.js';

/**
 * Removes a stack from a Swarm as `docker stack rm --detach=false` does: its services, then,
 * once the Swarm has no task of the stack left, its secrets, configs and networks. Waiting for
 * the tasks matters beyond tidiness: a network removed while tasks still hold it is refused,
 * and one removed at once frees its subnet for the next stack while nodes still hold their copy.
 */

/** How long the removal waits for the Swarm to drop the stack's tasks. */
const TASKS_GONE_MS = 90_000;
const POLL_MS = 500;

interface SwarmObject {
  id: string;
  name: string;
  labels: Record<string, string>;
}

export interface SwarmStackRemoval {
  name: string;
  services: SwarmObject[];
  networks: SwarmObject[];
  files: (SwarmObject & { kind: SwarmFileKind })[];
}

const byName = (a: SwarmObject, b: SwarmObject) => a.name.localeCompare(b.name);

/**
 * The stack's Swarm objects (by the stack namespace label), each named for the caller's
 * ownership-scope check; undefined when the Engine is no Swarm manager or has none of them.
 */
export async function findSwarmStack(
  name: string,
  ports: Pick<AppPorts, 'engine' | 'signal'>,
): Promise<{ removal: SwarmStackRemoval; subjects: RemovalSubject[] } | undefined> {
  const { engine, signal } = ports;
  if (!(await swarmManagerState(engine, signal)).manager) return undefined;
  const label = `${STACK_NAMESPACE}=${name}`;
  const [services, networks, secrets, configs] = await Promise.all([
    listServicesByLabel(engine, label, signal),
    listNetworksByLabel(engine, label, signal),
    listFileObjects(engine, 'secret', label, signal),
    listFileObjects(engine, 'config', label, signal),
  ]);
  // A node-local network (not ours to remove from the manager) can carry the label too.
  const swarmNetworks = networks.filter((n) => n.scope === 'swarm');
  if (!services.length && !swarmNetworks.length && !secrets.length && !configs.length) return undefined;
  const removal: SwarmStackRemoval = {
    name,
    services: services.map((s) => ({ id: s.id, name: s.name, labels: s.labels })).sort(byName),
    networks: swarmNetworks.map((n) => ({ id: n.id, name: n.name, labels: n.labels })).sort(byName),
    files: [
      ...secrets.map((o) => ({ ...o, kind: 'secret' as const })),
      ...configs.map((o) => ({ ...o, kind: 'config' as const })),
    ].sort(byName),
  };
  const subjects: RemovalSubject[] = [
    ...removal.services.map((s) => ({ what: `service "${s.name}" of stack "${name}"`, labels: s.labels })),
    ...removal.networks.map((n) => ({ what: `network "${n.name}" of stack "${name}"`, labels: n.labels })),
    ...removal.files.map((f) => ({ what: `${f.kind} "${f.name}" of stack "${name}"`, labels: f.labels })),
  ];
  return { removal, subjects };
}

const gone = (err: unknown) => err instanceof ToolError && err.kind === 'not_found';

/** Removes what findSwarmStack found; resolves once the Swarm has let go of all of it. */
export async function removeSwarmStack(
  r: SwarmStackRemoval,
  ports: Pick<AppPorts, 'engine' | 'signal' | 'progress'>,
): Promise<void> {
  const { engine, signal, progress } = ports;
  const removed: string[] = [];
  const problems: string[] = [];
  /** Tries every object, so one that fails (e.g. a network another stack uses) does not hide the rest. */
  const removeEach = async <T extends SwarmObject>(
    what: (o: T) => string,
    objects: T[],
    fn: (o: T) => Promise<void>,
  ) => {
    for (const o of objects) {
      try {
        await fn(o);
        removed.push(what(o));
      } catch (err) {
        if (gone(err)) removed.push(what(o));
        else if (signal.aborted) throw partial(r.name, removed, [`cancelled: ${(err as Error).message}`]);
        else problems.push(`${what(o)}: ${(err as Error).message}`);
      }
    }
  };

  progress(1, 3, `removing ${r.services.length} services`);
  await removeEach(
    (s) => `service ${s.name}`,
    r.services,
    (s) => removeService(engine, s.id, signal),
  );
  // A service still there keeps its tasks: waiting for them would only time out.
  if (problems.length) throw partial(r.name, removed, problems);

  progress(2, 3, 'waiting for the Swarm to remove their tasks');
  const ours = new Set(r.services.map((s) => s.id));
  const deadline = Date.now() + TASKS_GONE_MS;
  const label = `${STACK_NAMESPACE}=${r.name}`;
  for (;;) {
    let left: number;
    try {
      // By label (the service filter fails once a service is gone), then only the removed services' tasks.
      left = (await listTasksByLabel(engine, label, signal)).filter((t) => ours.has(t.serviceId)).length;
      if (left && Date.now() < deadline) await sleep(POLL_MS, signal);
    } catch (err) {
      throw partial(r.name, removed, [`waiting for their tasks: ${(err as Error).message}`]);
    }
    if (!left) break;
    if (Date.now() >= deadline) {
      throw partial(r.name, removed, [
        `the Swarm still had ${left} of their tasks after ${TASKS_GONE_MS / 1000} s (nodes down?)`,
      ]);
    }
  }

  progress(3, 3, `removing ${r.files.length} secrets/configs and ${r.networks.length} networks`);
  await removeEach(
    (f) => `${f.kind} ${f.name}`,
    r.files,
    (f) => removeFileObject(engine, f.kind, f.id, signal),
  );
  await removeEach(
    (n) => `network ${n.name}`,
    r.networks,
    (n) => removeNetwork(engine, n.id, signal),
  );
  if (problems.length) throw partial(r.name, removed, problems);
}

/** A removal that stopped part way: what went, what did not, and that calling again finishes it. */
function partial(stack: string, removed: string[], problems: string[]): ToolError {
  return new ToolError(
    'failed',
    `Removal of Swarm stack "${stack}" is incomplete. Removed: ${removed.join(', ') || 'nothing'}. Not done: ${problems.join('; ')}. Call remove_stack again to remove what is left.`,
    { removed, problems },
  );
}
