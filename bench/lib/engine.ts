import { Agent, request } from 'node:http';
import Docker from 'dockerode';

/**
 * The baseline: the Engine API over the unix socket with a keep-alive agent, no library in
 * between. Also used for set-up, health polling and clean-up.
 */
export const SOCKET = process.env.BENCH_DOCKER_SOCKET ?? '/var/run/docker.sock';
export const API = 'v1.41';
export const LABEL = 'dom-bench';
export const PREFIX = 'dombench';

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

export interface RawAnswer {
  status: number;
  body: Buffer;
}

export function raw(method: string, path: string, body?: unknown): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      {
        socketPath: SOCKET,
        agent,
        method,
        path: `/${API}${path}`,
        headers: {
          host: 'docker',
          ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export async function rawJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await raw(method, path, body);
  if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${r.body.toString().slice(0, 300)}`);
  return (r.body.length ? JSON.parse(r.body.toString()) : undefined) as T;
}

export interface ListedContainer {
  Id: string;
  Names: string[];
  State: string;
  Labels: Record<string, string>;
}

export function listAll(filters?: Record<string, string[]>): Promise<ListedContainer[]> {
  const q = filters ? `&filters=${encodeURIComponent(JSON.stringify(filters))}` : '';
  return rawJson<ListedContainer[]>('GET', `/containers/json?all=1${q}`);
}

export const docker = new Docker({ socketPath: SOCKET });

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
}

/** Creates (never starts) `count` labelled busybox containers; returns their ids. */
export async function createIdle(count: number, image: string, startIndex: number, runId: string): Promise<string[]> {
  const ids: string[] = [];
  await pool(
    Array.from({ length: count }, (_, i) => startIndex + i),
    8,
    async (n) => {
      const c = await docker.createContainer({
        name: `${PREFIX}-idle-${runId}-${String(n).padStart(4, '0')}`,
        Image: image,
        Cmd: ['sleep', '600'],
        Labels: { [LABEL]: '1' },
        HostConfig: { Init: true },
      });
      ids.push(c.id);
    },
  );
  return ids;
}

/**
 * Removes everything this bench may have made: containers labelled dom-bench=1 and
 * containers, networks and volumes of Compose projects / stacks whose name starts with
 * "dombench". Never touches anything else. Errors are collected, not thrown.
 */
export async function cleanup(): Promise<string[]> {
  const problems: string[] = [];
  const note = (what: string) => (err: unknown) =>
    problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
  const ours = (p: string | undefined) => !!p && p.startsWith(PREFIX);
  const containers = await listAll().catch((err: unknown) => {
    note('list containers')(err);
    return [] as ListedContainer[];
  });
  const doomed = containers.filter(
    (c) =>
      c.Labels?.[LABEL] === '1' ||
      ours(c.Labels?.['com.docker.compose.project']) ||
      c.Names.some((n) => n.startsWith(`/${PREFIX}`)),
  );
  await pool(doomed, 8, async (c) => {
    const r = await raw('DELETE', `/containers/${c.Id}?force=1&v=1`).catch((err: unknown) => ({
      status: 0,
      body: Buffer.from(String(err)),
    }));
    if (r.status >= 300 && r.status !== 404)
      problems.push(`remove container ${c.Names[0]}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  });
  const networks = await rawJson<{ Id: string; Name: string; Labels?: Record<string, string> }[]>(
    'GET',
    '/networks',
  ).catch((err: unknown) => {
    note('list networks')(err);
    return [];
  });
  for (const n of networks.filter((n) => n.Name.startsWith(PREFIX) || ours(n.Labels?.['com.docker.compose.project']))) {
    const r = await raw('DELETE', `/networks/${n.Id}`).catch(() => ({ status: 0, body: Buffer.alloc(0) }));
    if (r.status >= 300 && r.status !== 404)
      problems.push(`remove network ${n.Name}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  }
  const vols = await rawJson<{ Volumes: { Name: string; Labels?: Record<string, string> | null }[] | null }>(
    'GET',
    '/volumes',
  ).catch((err: unknown) => {
    note('list volumes')(err);
    return { Volumes: [] };
  });
  for (const v of (vols.Volumes ?? []).filter(
    (v) => v.Name.startsWith(PREFIX) || ours(v.Labels?.['com.docker.compose.project'] ?? undefined),
  )) {
    const r = await raw('DELETE', `/volumes/${encodeURIComponent(v.Name)}`).catch(() => ({
      status: 0,
      body: Buffer.alloc(0),
    }));
    if (r.status >= 300 && r.status !== 404)
      problems.push(`remove volume ${v.Name}: ${r.status} ${r.body.toString().slice(0, 200)}`);
  }
  return problems;
}

interface Inspected {
  State: { Status: string; Running: boolean; Health?: { Status: string } };
  Config: { Healthcheck?: { Test?: string[] } };
}

/**
 * The "same wait" for docker-compose: polls the Engine until the project has `expected`
 * containers, every one running, and every one with a healthcheck healthy.
 */
export async function waitProject(project: string, expected: number, timeoutMs: number, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const cs = await listAll({ label: [`com.docker.compose.project=${project}`] });
    if (cs.length >= expected) {
      const states = await Promise.all(cs.map((c) => rawJson<Inspected>('GET', `/containers/${c.Id}/json`)));
      const ready = states.every((s) => {
        const hasHc = !!s.Config.Healthcheck?.Test?.length && s.Config.Healthcheck.Test[0] !== 'NONE';
        return s.State.Running && (!hasHc || s.State.Health?.Status === 'healthy');
      });
      if (ready) return;
    }
    if (Date.now() > deadline) throw new Error(`project ${project}: not healthy within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}
