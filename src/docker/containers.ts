import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import { sleep } from '../util/timeout.js';
import { endpointConfig, toCreateBody, type ContainerSpec } from './containerSpec.js';
import { compareApiVersions, type Engine } from './engine.js';
import { ToolError } from '../kernel/errors.js';
import { containerRow, type ContainerRow } from './projections.js';
import { assertObjectRef } from './refs.js';
import { readSplitOutput, type SplitOutput } from './streams.js';

/** Container operations on the Engine, each one bounded by a deadline. */

export function target(id: string): string {
  return `container "${id}"`;
}

export async function inspectContainer(
  engine: Engine,
  id: string,
  signal?: AbortSignal,
): Promise<Docker.ContainerInspectInfo> {
  if (!id || !id.trim()) throw new ToolError('invalid_input', 'id is empty: give a container name, id or id prefix.');
  assertObjectRef(id, 'container');
  return engine.call('inspect', (d) => d.getContainer(id).inspect(), { target: target(id), signal });
}

export interface ListFilters {
  all?: boolean;
  status?: string[];
  name?: string[];
  label?: string[];
  stack?: string;
}

export async function listContainers(engine: Engine, f: ListFilters, signal?: AbortSignal): Promise<ContainerRow[]> {
  const filters: Record<string, string[]> = {};
  if (f.status?.length) filters.status = f.status;
  if (f.name?.length) filters.name = f.name;
  const labels = [...(f.label ?? [])];
  if (f.stack) labels.push(`com.docker.compose.project=${f.stack}`);
  if (labels.length) filters.label = labels;
  const all = f.all ?? false;
  const raw = await engine.call('list containers', (d) => d.listContainers({ all, filters }), { signal });
  return raw.map(containerRow);
}

/**
 * Creates a container. The spec travels in the request body only: docker-modem would
 * otherwise copy every option (env secrets included) into the query string.
 */
export async function createContainer(engine: Engine, spec: ContainerSpec, signal?: AbortSignal): Promise<string> {
  const name = spec.name;
  let multiNetwork = false;
  const created = await engine.call(
    'create',
    async (d) => {
      // Decided here, once connected: the API version is known only then.
      multiNetwork = engine.supports('multiNetworkCreate');
      const body = toCreateBody(spec, { multiNetwork });
      const opts = { _query: name ? { name } : {}, _body: body } as unknown as Docker.ContainerCreateOptions;
      return d.createContainer(opts);
    },
    {
      target: name ? target(name) : 'container',
      signal,
      notFound: spec.networks.length
        ? `image ${spec.image} or network ${spec.networks.map((n) => n.name).join(' / ')} not found`
        : `image ${spec.image} not found`,
      conflict: `the name "${name}" is already in use by another container: choose another name or remove that container`,
    },
  );
  for (const net of multiNetwork ? [] : spec.networks.slice(1)) {
    await engine.call(
      'connect to network',
      (d) => d.getNetwork(net.name).connect({ Container: created.id, EndpointConfig: endpointConfig(net) }),
      {
        target: `network "${net.name}"`,
        signal,
      },
    );
  }
  return created.id;
}

export async function startContainer(
  engine: Engine,
  id: string,
  signal?: AbortSignal,
): Promise<'started' | 'already running'> {
  try {
    await engine.call('start', (d) => d.getContainer(id).start(), { target: target(id), signal });
    return 'started';
  } catch (err) {
    // 304: the container was already running; that is the state the caller wanted.
    if (err instanceof ToolError && /304|already started/i.test(err.message)) return 'already running';
    throw err;
  }
}

export async function stopContainer(
  engine: Engine,
  id: string,
  timeoutSec: number,
  signal?: AbortSignal,
): Promise<void> {
  await engine.call('stop', (d) => d.getContainer(id).stop({ t: timeoutSec }), {
    target: target(id),
    signal,
    timeoutMs: engine.timeoutMs + timeoutSec * 1000,
  });
}

export async function restartContainer(
  engine: Engine,
  id: string,
  timeoutSec: number,
  signal?: AbortSignal,
): Promise<void> {
  await engine.call('restart', (d) => d.getContainer(id).restart({ t: timeoutSec }), {
    target: target(id),
    signal,
    timeoutMs: engine.timeoutMs + timeoutSec * 1000,
  });
}

export async function removeContainer(
  engine: Engine,
  id: string,
  opts: { force: boolean; volumes: boolean },
  signal?: AbortSignal,
): Promise<void> {
  await engine.call('remove', (d) => d.getContainer(id).remove({ force: opts.force, v: opts.volumes }), {
    target: target(id),
    signal,
    conflict: 'it is running: stop it first or pass force: true',
  });
}

export interface LogOptions {
  tail?: number;
  since?: number;
  until?: number;
  timestamps?: boolean;
  stdout?: boolean;
  stderr?: boolean;
  maxBytes: number;
}

/** Reads logs as a stream into bounded tails: a huge log never sits whole in memory. */
export async function readLogs(
  engine: Engine,
  id: string,
  tty: boolean,
  o: LogOptions,
  signal?: AbortSignal,
): Promise<SplitOutput> {
  const query: Record<string, string | number | boolean> = {
    stdout: o.stdout ?? true,
    stderr: o.stderr ?? true,
    timestamps: o.timestamps ?? false,
    follow: false,
    tail: o.tail === undefined ? 'all' : String(o.tail),
  };
  if (o.since !== undefined) query.since = o.since;
  if (o.until !== undefined) query.until = o.until;
  return engine.call(
    'read logs of',
    async (d, sig) => {
      const stream = await new Promise<Readable>((resolve, reject) => {
        d.modem.dial(
          {
            path: `/containers/${encodeURIComponent(id)}/logs?`,
            method: 'GET',
            options: query,
            isStream: true,
            abortSignal: sig,
            statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
          } as never,
          (err: unknown, res: unknown) => (err ? reject(err) : resolve(res as Readable)),
        );
      });
      return readSplitOutput(stream, tty, o.maxBytes, sig);
    },
    { target: target(id), signal },
  );
}

/**
 * One stats frame. The Engine answers at its next collection tick (up to ~1 s); `one-shot`
 * (API 1.41+) skips the second tick it would otherwise wait for to fill precpu.
 */
export async function statsOnce(
  engine: Engine,
  id: string,
  opts: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Record<string, unknown>> {
  assertObjectRef(id, 'container');
  const oneShot = compareApiVersions(engine.apiVersion ?? '1.41', '1.41') >= 0;
  return engine.call(
    'read stats of',
    (d) =>
      d
        .getContainer(id)
        .stats({ stream: false, ...(oneShot ? { 'one-shot': true } : {}) } as never) as unknown as Promise<
        Record<string, unknown>
      >,
    {
      target: target(id),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    },
  );
}

export type WaitCondition = 'running' | 'healthy';

export interface WaitResult {
  reached: boolean;
  state: string;
  health?: string;
  reason?: string;
}

// Health gates decide when dependants start: poll often (an inspect costs ~1 ms).
const POLL_MS = 100;

/**
 * Polls until the container is running (and, for `healthy`, its healthcheck passes),
 * it exits, or the deadline passes. Returns instead of throwing so callers can report.
 */
export async function waitForContainer(
  engine: Engine,
  id: string,
  cond: WaitCondition,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<WaitResult> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await inspectContainer(engine, id, signal);
    const st = c.State;
    const health = st.Health?.Status;
    const base = { state: st.Status, ...(health ? { health } : {}) };
    if (cond === 'running' && st.Running) return { reached: true, ...base };
    if (cond === 'healthy') {
      if (!c.Config.Healthcheck?.Test || c.Config.Healthcheck.Test[0] === 'NONE') {
        if (!health)
          return {
            reached: st.Running,
            ...base,
            reason: 'the container has no healthcheck; waited for running instead',
          };
      }
      if (health === 'healthy' && st.Running) return { reached: true, ...base };
      if (health === 'unhealthy') {
        const last = st.Health?.Log?.at(-1);
        const output = last?.Output.trim().slice(0, 300);
        return {
          reached: false,
          ...base,
          reason: `healthcheck failed${last ? ` (exit ${last.ExitCode})` : ''}${output ? `: ${output}` : ''}`,
        };
      }
    }
    if (!st.Running && (st.Status === 'exited' || st.Status === 'dead')) {
      return {
        reached: false,
        ...base,
        reason: `the container exited with code ${st.ExitCode}${st.Error ? ` (${st.Error})` : ''}`,
      };
    }
    if (Date.now() >= deadline)
      return { reached: false, ...base, reason: `not ${cond} after ${Math.round(timeoutMs / 1000)} s` };
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())), signal);
  }
}
