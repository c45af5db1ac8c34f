import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { mapEngineError } from '../kernel/errors.js';
import { withDeadline } from '../util/timeout.js';
import type { Engine } from './engine.js';

/**
 * The Engine calls the health monitor and the self-heal watcher make, typed so that
 * src/health needs neither dockerode nor raw `engine.call`. Each has a deadline and
 * honours its AbortSignal.
 */

/** A container as `inspect` reports it. */
export type ContainerInspect = Docker.ContainerInspectInfo;

/** A container as the list call reports it, reduced to what the watcher reads. */
export interface ListedContainer {
  /** Full id. */
  id: string;
  name: string;
  labels: Record<string, string>;
  /** created | running | paused | restarting | removing | exited | dead */
  state: string;
  /** e.g. "Up 3 minutes (unhealthy)" */
  status: string;
}

/** Every container (running or not) that carries all of `labels` ("KEY=VALUE" or "KEY"). */
export async function listContainersByLabel(
  engine: Engine,
  labels: readonly string[],
  signal?: AbortSignal,
): Promise<ListedContainer[]> {
  const rows = await engine.call(
    'list containers',
    (d) => d.listContainers({ all: true, filters: { label: [...labels] } }),
    signal ? { signal } : {},
  );
  return rows.map((r) => ({
    id: r.Id,
    name: (r.Names?.[0] ?? r.Id).replace(/^\//, ''),
    labels: r.Labels ?? {},
    state: r.State ?? '',
    status: r.Status ?? '',
  }));
}

export interface ContainerEventFilter {
  /** Only containers with all these labels ("KEY=VALUE"). */
  labels: readonly string[];
  /** Only these actions (die, stop, health_status...). */
  events: readonly string[];
}

/**
 * Opens the Engine's event stream (GET /events) for containers: a stream of JSON lines that
 * stays open until the Engine ends it or `signal` aborts. Opening it has the Engine deadline;
 * the stream itself has none (it is quiet for as long as nothing happens).
 */
export async function openContainerEvents(
  engine: Engine,
  filter: ContainerEventFilter,
  signal: AbortSignal,
): Promise<Readable> {
  const action = 'follow Engine events';
  try {
    return await withDeadline(
      action,
      engine.timeoutMs,
      async (deadline) => {
        const docker = await engine.streamingClient();
        const stream = (await docker.getEvents({
          filters: { type: ['container'], label: [...filter.labels], event: [...filter.events] },
          abortSignal: signal,
        } as never)) as unknown as Readable;
        // Opened after the deadline fired: nobody waits for it any more.
        if (deadline.aborted) stream.destroy();
        return stream;
      },
      signal,
    );
  } catch (err) {
    throw mapEngineError(err, { action });
  }
}
