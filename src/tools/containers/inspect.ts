import { z } from 'zod';
import { stringFromNumber } from '../portable.js';
import { inspectContainer, listContainers, readLogs, statsOnce } from '../../docker/containers.js';
import { containerDetail, statsSample } from '../../docker/projections.js';
import { toUnixSeconds } from '../../util/time.js';
import { defineTool } from '../defineTool.js';
import { pagingInput, paginate } from '../paging.js';
import { bytes, containerLine, moreHint } from '../render.js';
import { containerRowSchema, idArg, statsSampleShape } from '../schemas.js';

export const listContainersTool = defineTool({
  name: 'list_containers',
  title: 'List containers',
  description:
    'List containers as compact rows (id, name, image, state, health, ports, stack); running only unless all. Use to find ids and see what runs.',
  toolset: 'containers',
  kind: 'read',
  input: z.object({
    all: z.boolean().optional().describe('Include stopped ones.'),
    filters: z
      .object({
        status: z
          .array(z.enum(['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead']))
          .optional(),
        name: z.array(z.string().max(256)).optional(),
        label: z.array(z.string().max(512)).optional(),
        stack: z.string().max(256).optional(),
      })
      .optional(),
    ...pagingInput,
  }),
  output: z.object({
    containers: z.array(containerRowSchema),
    total: z.number(),
    nextCursor: z.string().optional(),
  }),
  async handler({ all, filters, limit, cursor }, ctx) {
    const rows = await listContainers(ctx.engine, { all: all ?? false, ...(filters ?? {}) }, ctx.signal);
    const page = paginate(rows, (r) => r.name, limit ?? 50, cursor);
    const data: { containers: typeof page.items; total: number; nextCursor?: string } = {
      containers: page.items,
      total: page.total,
    };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const text = page.items.length
      ? page.items.map(containerLine).join('\n') + moreHint(page.items.length, page.total, page.nextCursor)
      : `No containers${all ? '' : ' running (pass all: true to include stopped ones)'}.`;
    return { data, text };
  },
});

const detailSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  imageId: z.string(),
  created: z.string(),
  state: z.object({
    status: z.string(),
    running: z.boolean(),
    exitCode: z.number(),
    startedAt: z.string().optional(),
    finishedAt: z.string().optional(),
    error: z.string().optional(),
    oomKilled: z.boolean(),
    health: z.string().optional(),
    healthLog: z.array(z.object({ start: z.string(), exitCode: z.number(), output: z.string() })).optional(),
    restartCount: z.number(),
  }),
  config: z.object({
    command: z.array(z.string()).optional(),
    entrypoint: z.array(z.string()).optional(),
    env: z.array(z.string()),
    labels: z.record(z.string(), z.string()),
    workingDir: z.string().optional(),
    user: z.string().optional(),
    hostname: z.string().optional(),
    healthcheck: z
      .object({
        test: z.array(z.string()),
        interval: z.string().optional(),
        timeout: z.string().optional(),
        retries: z.number().optional(),
        startPeriod: z.string().optional(),
      })
      .optional(),
  }),
  restartPolicy: z.object({ name: z.string(), maximumRetryCount: z.number() }),
  limits: z.object({
    memoryBytes: z.number().optional(),
    nanoCpus: z.number().optional(),
    pidsLimit: z.number().optional(),
  }),
  mounts: z.array(
    z.object({
      type: z.string(),
      source: z.string(),
      destination: z.string(),
      readOnly: z.boolean(),
      name: z.string().optional(),
    }),
  ),
  networks: z.array(z.object({ name: z.string(), ip: z.string().optional(), aliases: z.array(z.string()) })),
  ports: z.array(z.string()),
  stack: z.string().optional(),
  service: z.string().optional(),
  managed: z.boolean(),
  stats: z.object(statsSampleShape).optional(),
});

const STATS_DEADLINE_MS = 1500;

export const getContainerInfoTool = defineTool({
  name: 'get_container_info',
  title: 'Container details',
  description:
    'One container in detail: config (secrets masked), state, exit code, health checks, restarts, limits, mounts, networks, ports, a stats sample. Use when a row of list_containers is not enough.',
  toolset: 'containers',
  kind: 'read',
  input: z.object({
    id: idArg,
    stats: z.boolean().optional().describe('Default true (~1 s).'),
  }),
  output: detailSchema,
  async handler({ id, stats }, ctx) {
    // The stats sample waits for the Engine's next collection tick (~1 s): ask for it
    // alongside the inspect, with a short deadline, and answer without it if it is late.
    const sample =
      stats === false
        ? undefined
        : statsOnce(ctx.engine, id, { signal: ctx.signal, timeoutMs: STATS_DEADLINE_MS }).catch((err: unknown) => {
            ctx.log.debug({ err }, 'stats sample skipped');
            return undefined;
          });
    const c = await inspectContainer(ctx.engine, id, ctx.signal);
    const detail: z.infer<typeof detailSchema> = containerDetail(c);
    const raw = c.State.Running ? await sample : undefined;
    if (raw) detail.stats = statsSample(raw as Parameters<typeof statsSample>[0]);
    const s = detail.state;
    const lines = [
      `${detail.name} (${detail.id}) image ${detail.image}: ${s.status}${s.health ? `, ${s.health}` : ''}${s.running ? '' : `, exit code ${s.exitCode}`}${s.oomKilled ? ', OOM-killed' : ''}`,
      `restart: ${detail.restartPolicy.name} (restarted ${s.restartCount}x)` +
        (detail.limits.memoryBytes ? `; memory limit ${bytes(detail.limits.memoryBytes)}` : '') +
        (detail.limits.nanoCpus ? `; cpus ${detail.limits.nanoCpus / 1e9}` : ''),
    ];
    if (detail.ports.length) lines.push(`ports: ${detail.ports.join(', ')}`);
    if (detail.networks.length)
      lines.push(
        `networks: ${detail.networks.map((n) => `${n.name}${n.ip ? ` ${n.ip}` : ''}${n.aliases.length ? ` aliases ${n.aliases.join(',')}` : ''}`).join('; ')}`,
      );
    if (detail.mounts.length)
      lines.push(
        `mounts: ${detail.mounts.map((m) => `${m.name ?? m.source} -> ${m.destination}${m.readOnly ? ' (ro)' : ''}`).join('; ')}`,
      );
    if (detail.config.env.length) lines.push(`env: ${detail.config.env.join(' ')}`);
    const lastCheck = s.healthLog?.at(-1);
    if (lastCheck)
      lines.push(`last healthcheck (exit ${lastCheck.exitCode}): ${lastCheck.output.trim().slice(0, 200)}`);
    if (detail.stats)
      lines.push(
        `memory ${bytes(detail.stats.memoryBytes)}${detail.stats.pids !== undefined ? `, pids ${detail.stats.pids}` : ''}`,
      );
    return { data: detail, text: lines.join('\n') };
  },
});

const MAX_LOG_BYTES = 1024 * 1024;

export const getContainerLogsTool = defineTool({
  name: 'get_container_logs',
  title: 'Container logs',
  description:
    'Recent logs of a container, stdout and stderr apart, bounded by tail (default 100), since/until and max_bytes (oldest part cut). Use to see why something fails.',
  toolset: 'containers',
  kind: 'read',
  input: z.object({
    id: idArg,
    tail: z.number().int().min(0).max(100_000).optional(),
    since: stringFromNumber().optional().describe('ISO time, unix seconds or "10m" ago.'),
    until: stringFromNumber().optional(),
    timestamps: z.boolean().optional(),
    stream: z.enum(['both', 'stdout', 'stderr']).optional(),
    max_bytes: z.number().int().min(256).max(MAX_LOG_BYTES).optional(),
  }),
  output: z.object({
    id: z.string(),
    name: z.string(),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z.boolean(),
    droppedBytes: z.number(),
  }),
  async handler(a, ctx) {
    const c = await inspectContainer(ctx.engine, a.id, ctx.signal);
    const stream = a.stream ?? 'both';
    const opts: Parameters<typeof readLogs>[3] = {
      tail: a.tail ?? 100,
      timestamps: a.timestamps ?? false,
      stdout: stream !== 'stderr',
      stderr: stream !== 'stdout',
      maxBytes: a.max_bytes ?? 16 * 1024,
    };
    if (a.since !== undefined) opts.since = toUnixSeconds(a.since, 'since');
    if (a.until !== undefined) opts.until = toUnixSeconds(a.until, 'until');
    const out = await readLogs(ctx.engine, c.Id, c.Config.Tty ?? false, opts, ctx.signal);
    const name = c.Name.replace(/^\//, '');
    const data = { id: c.Id.slice(0, 12), name, ...out };
    const parts: string[] = [];
    if (out.truncated)
      parts.push(`[truncated: ${out.droppedBytes} older bytes not shown; raise max_bytes or narrow tail/since]`);
    if (opts.stdout) parts.push(`--- stdout ---\n${out.stdout || '(empty)'}`);
    if (opts.stderr) parts.push(`--- stderr ---\n${out.stderr || '(empty)'}`);
    return { data, text: parts.join('\n') };
  },
});
