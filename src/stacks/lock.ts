import { hostname } from 'node:os';
import type { Engine } from '../docker/engine.js';
import {
  createPlaceholderContainer,
  findContainerLabels,
  forceRemoveContainer,
  listImageSummaries,
} from '../docker/stackObjects.js';
import { ToolError } from '../kernel/errors.js';
import { COMPOSE_PROJECT, LABEL_INSTANCE } from '../docker/labels.js';

/**
 * One deploy (or removal) per stack at a time, across server processes and hosts that share an
 * Engine. The Engine is the only place they all share, and its one atomic "create if absent"
 * is container create by name (409 on conflict; network names may duplicate on old Engines and
 * volume create is idempotent). So the lock is a container that is created, never started:
 * `dom-lock-<stack>`, labelled with who holds it (deployment, host, pid, since, lease).
 *
 * The image: a created container needs one that is present (it never runs). The lock uses the
 * image the caller names (the stack's own) when the Engine has it, else the largest image
 * without Compose labels, else the caller's image as named.
 *
 * Staleness without heartbeats (a container's labels cannot change): a lock is taken over when
 * its holder is certainly gone: the same host and its pid no longer runs, or its lease (the
 * holder's own bound on its work: the deploy timeout plus a margin) has passed by LEASE_GRACE.
 * Takeover removes the stale lock by its id (a racing taker that removed it first makes this a
 * 404; one that already holds a new lock has another id), then creates again: still atomic.
 */

export const LABEL_LOCK = 'io.docker-orchestration-mcp.lock';
const L = {
  holder: 'io.docker-orchestration-mcp.lock.holder',
  host: 'io.docker-orchestration-mcp.lock.host',
  pid: 'io.docker-orchestration-mcp.lock.pid',
  since: 'io.docker-orchestration-mcp.lock.since',
  lease: 'io.docker-orchestration-mcp.lock.lease-ms',
  what: 'io.docker-orchestration-mcp.lock.operation',
};
/** Past its lease a lock held from another host is taken over only after this much more. */
export const LEASE_GRACE_MS = 60_000;

export function lockName(stack: string): string {
  return `dom-lock-${stack}`;
}

export interface LockHolder {
  holder: string;
  host: string;
  pid: number;
  since: string;
  leaseMs: number;
  operation: string;
}

export interface StackLock {
  readonly id: string;
  release(): Promise<void>;
}

export interface AcquireOptions {
  stack: string;
  /** The deployment label of the operation taking the lock. */
  holder: string;
  operation: 'deploy' | 'remove' | 'reconcile';
  /** How long the holder may need at most; past it (plus grace) a lock from another host is stale. */
  leaseMs: number;
  instanceLabel: string;
  /** An image to use when the Engine has none listed (the caller makes sure it is present). */
  fallbackImage?: string;
  signal?: AbortSignal;
}

function holderOf(labels: Record<string, string> | undefined): LockHolder {
  const l = labels ?? {};
  return {
    holder: l[L.holder] ?? '?',
    host: l[L.host] ?? '?',
    pid: Number(l[L.pid] ?? NaN),
    since: l[L.since] ?? '',
    leaseMs: Number(l[L.lease] ?? NaN),
    operation: l[L.what] ?? '?',
  };
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether the holder is certainly gone (see the module comment). */
export function isStale(h: LockHolder, now: number, host = hostname()): boolean {
  const since = Date.parse(h.since);
  if (h.host === host && Number.isInteger(h.pid)) return !processAlive(h.pid);
  if (!Number.isFinite(since) || !Number.isFinite(h.leaseMs)) return true;
  return now > since + h.leaseMs + LEASE_GRACE_MS;
}

async function lockImage(engine: Engine, fallback: string | undefined, signal?: AbortSignal): Promise<string> {
  const images = await listImageSummaries(engine, signal);
  // A container inherits its image's labels: an image built for a stack carries Compose's
  // project label, and a lock made from it would be listed as a container of that stack.
  const usable = images.filter((i) => i.id && !i.labels[COMPOSE_PROJECT]);
  // The stack's own image when present; else the largest image, a long-lived base rather than
  // some small one-off that a remove_image would then find in use while the deploy runs.
  const wanted = fallback && (/:[^/]+$/.test(fallback) || fallback.includes('@') ? fallback : `${fallback}:latest`);
  const own = wanted ? usable.find((i) => i.repoTags.includes(wanted) || i.repoDigests.includes(wanted)) : undefined;
  if (own) return own.id;
  const largest = usable.sort((a, b) => b.size - a.size)[0];
  if (largest) return largest.id;
  if (fallback) return fallback;
  throw new ToolError('failed', 'cannot lock the stack: the Engine has no image to create the lock container from');
}

/**
 * Takes the stack's lock or throws `conflict` naming its holder. A stale lock is taken over
 * (its removal by id is safe against a racing taker).
 */
export async function acquireStackLock(engine: Engine, o: AcquireOptions): Promise<StackLock> {
  const name = lockName(o.stack);
  const image = await lockImage(engine, o.fallbackImage, o.signal);
  for (let attempt = 0; attempt < 3; attempt++) {
    const since = new Date().toISOString();
    const target = `lock "${name}"`;
    try {
      const id = await createPlaceholderContainer(
        engine,
        {
          name,
          image,
          labels: {
            [LABEL_LOCK]: o.stack,
            [LABEL_INSTANCE]: o.instanceLabel,
            [L.holder]: o.holder,
            [L.host]: hostname(),
            [L.pid]: String(process.pid),
            [L.since]: since,
            [L.lease]: String(o.leaseMs),
            [L.what]: o.operation,
          },
        },
        { signal: o.signal, target },
      );
      return { id, release: () => forceRemoveContainer(engine, id, { action: 'release lock', target }) };
    } catch (err) {
      if (!(err instanceof ToolError && err.kind === 'conflict')) throw err;
    }
    const current = await findContainerLabels(engine, name, { signal: o.signal, target, action: 'inspect lock' });
    if (!current) continue; // released meanwhile
    const h = holderOf(current.labels);
    if (!isStale(h, Date.now())) {
      throw new ToolError(
        'conflict',
        `Stack "${o.stack}" is busy: a ${h.operation} (deployment ${h.holder}) by process ${h.pid} on ${h.host} holds its lock since ${h.since}. Wait for it to finish and call again; list_deployments shows its outcome.`,
        { holder: h },
      );
    }
    await forceRemoveContainer(engine, current.id, { action: 'remove stale lock', target });
  }
  throw new ToolError('conflict', `Stack "${o.stack}" is busy: its lock changed hands while taking it; call again.`);
}
