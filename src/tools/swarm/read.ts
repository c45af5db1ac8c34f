import { z } from 'zod';
import { listNodes, listServices, listTasks, readServiceLogs, requireManager } from '../../docker/swarmCluster.js';
import {
  clusterView,
  nodeNames,
  relabelLogLine,
  runningPerNode,
  serviceProblems,
  serviceView,
  sortTasks,
  STACK_NAMESPACE,
  taskView,
} from '../../swarm/cluster.js';
import { toUnixSeconds } from '../../util/time.js';
import { defineTool } from '../defineTool.js';
import { pagingInput, paginate } from '../paging.js';
import { stringFromNumber } from '../portable.js';
import { moreHint } from '../render.js';
import { nodeSchema, perNodeText, serviceArg, serviceFor, taskSchema } from './shared.js';

export const getClusterStatusTool = defineTool({
  name: 'get_cluster_status',
  title: 'Swarm cluster status',
  description:
    'The Swarm cluster this Engine manages: nodes (role, availability, state, Engine version, manager reachability, running tasks), manager quorum, and problems (nodes down, quorum lost).',
  toolset: 'swarm',
  kind: 'read',
  input: z.object({}),
  output: z.object({
    clusterId: z.string(),
    thisNode: z.string(),
    nodes: z.array(nodeSchema),
    quorum: z.object({
      managers: z.number(),
      reachable: z.number(),
      needed: z.number(),
      hasQuorum: z.boolean(),
      faultTolerance: z.number().describe('Managers that may still be lost without losing quorum.'),
    }),
    problems: z.array(z.string()),
  }),
  async handler(_args, ctx) {
    const info = await requireManager(ctx.engine, ctx.signal);
    const [raw, tasks] = await Promise.all([
      listNodes(ctx.engine, ctx.signal),
      listTasks(ctx.engine, { desiredState: 'running' }, ctx.signal),
    ]);
    const view = clusterView(info, raw);
    const running = new Map<string, number>();
    for (const t of tasks)
      if (t.NodeID && t.Status.State === 'running')
        running.set(t.NodeID.slice(0, 12), (running.get(t.NodeID.slice(0, 12)) ?? 0) + 1);
    const nodes = view.nodes.map((n) => ({ ...n, runningTasks: running.get(n.id) ?? 0 }));
    const q = view.quorum;
    const lines = [
      `${nodes.length} nodes, ${q.managers} manager${q.managers === 1 ? '' : 's'} (${q.reachable} reachable, quorum ${q.hasQuorum ? 'held' : 'LOST'}, tolerates ${q.faultTolerance} more lost)`,
      ...nodes.map(
        (n) =>
          `${n.hostname} ${n.role}${n.manager?.leader ? ' (leader)' : ''}: ${n.state}, ${n.availability}, Engine ${n.engineVersion}, ${n.runningTasks} tasks running${n.message ? ` - ${n.message}` : ''}`,
      ),
      ...view.problems.map((p) => `problem: ${p}`),
    ];
    return { data: { ...view, nodes }, text: lines.join('\n') };
  },
});

const serviceRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  mode: z.string(),
  desired: z.number(),
  running: z.number(),
  stack: z.string().optional(),
  ports: z.array(z.string()),
  update: z.object({ state: z.string(), message: z.string().optional() }).optional(),
  managed: z.boolean(),
});

export const listServicesTool = defineTool({
  name: 'list_services',
  title: 'List Swarm services',
  description:
    'Swarm services as compact rows: name, image, mode, running/desired tasks, stack, published ports, rolling update state.',
  toolset: 'swarm',
  kind: 'read',
  input: z.object({
    filters: z
      .object({
        name: z.array(z.string().max(256)).optional(),
        label: z.array(z.string().max(512)).optional(),
        stack: z.string().max(256).optional(),
      })
      .optional(),
    ...pagingInput,
  }),
  output: z.object({ services: z.array(serviceRowSchema), total: z.number(), nextCursor: z.string().optional() }),
  async handler({ filters, limit, cursor }, ctx) {
    await requireManager(ctx.engine, ctx.signal);
    const label = [...(filters?.label ?? [])];
    if (filters?.stack) label.push(`${STACK_NAMESPACE}=${filters.stack}`);
    const raw = await listServices(ctx.engine, { label, ...(filters?.name ? { name: filters.name } : {}) }, ctx.signal);
    const page = paginate(raw.map(serviceView), (s) => s.name, limit ?? 50, cursor);
    const data: { services: typeof page.items; total: number; nextCursor?: string } = {
      services: page.items,
      total: page.total,
    };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const text = page.items.length
      ? page.items
          .map(
            (s) =>
              `${s.id}  ${s.name}  ${s.running}/${s.desired} ${s.mode}  ${s.image}${s.stack ? `  stack=${s.stack}` : ''}${s.ports.length ? `  ${s.ports.join(',')}` : ''}${s.update ? `  update ${s.update.state}` : ''}`,
          )
          .join('\n') + moreHint(page.items.length, page.total, page.nextCursor)
      : 'No services.';
    return { data, text };
  },
});

const MAX_TASKS = 100;

export const getServiceInfoTool = defineTool({
  name: 'get_service_info',
  title: 'Swarm service details',
  description:
    'One Swarm service: image, mode, replicas, update/rollback state, and its tasks per node (state, desired state, the error of failed tasks in plain words, e.g. an image missing on a node). Use to see where a service runs and why tasks fail.',
  toolset: 'swarm',
  kind: 'read',
  input: z.object({
    service: serviceArg,
    history: z.boolean().optional().describe('Include finished and failed tasks (default true).'),
  }),
  output: z.object({
    service: serviceRowSchema,
    healthcheck: z.boolean().describe('The service has a healthcheck: its tasks run only once healthy.'),
    previousImage: z.string().optional().describe('The image a rollback returns to.'),
    perNode: z.record(z.string(), z.number()).describe('Running tasks per node.'),
    tasks: z.array(taskSchema),
    problems: z.array(z.string()),
  }),
  async handler({ service, history }, ctx) {
    const svc = await serviceFor(ctx, service, false);
    const [nodes, raw] = await Promise.all([
      listNodes(ctx.engine, ctx.signal),
      listTasks(ctx.engine, { service: svc.ID }, ctx.signal),
    ]);
    // inspect has no ServiceStatus: count from the tasks.
    const row = serviceView(svc);
    const names = nodeNames(nodes);
    let tasks = sortTasks(raw.map((t) => taskView(t, svc.Spec.Name, names)));
    row.running = tasks.filter((t) => t.state === 'running' && t.desiredState === 'running').length;
    row.desired =
      row.mode === 'replicated'
        ? (svc.Spec.Mode?.Replicated?.Replicas ?? 1)
        : tasks.filter((t) => t.desiredState === 'running').length;
    if (history === false) tasks = tasks.filter((t) => t.desiredState === 'running');
    const problems = serviceProblems(tasks);
    if (svc.UpdateStatus?.State === 'paused' || svc.UpdateStatus?.State === 'rollback_paused')
      problems.unshift(
        `the ${svc.UpdateStatus.State === 'paused' ? 'update' : 'rollback'} is paused: ${svc.UpdateStatus.Message ?? ''}; roll back (rollback_service) or update again`,
      );
    const healthTest = svc.Spec.TaskTemplate.ContainerSpec?.Healthcheck?.Test;
    const data: {
      service: typeof row;
      healthcheck: boolean;
      previousImage?: string;
      perNode: Record<string, number>;
      tasks: typeof tasks;
      problems: string[];
    } = {
      service: row,
      healthcheck: Boolean(healthTest?.length && healthTest[0] !== 'NONE'),
      perNode: runningPerNode(tasks),
      tasks: tasks.slice(0, MAX_TASKS),
      problems: problems.slice(0, 20),
    };
    const prev = svc.PreviousSpec?.TaskTemplate.ContainerSpec?.Image;
    if (prev) data.previousImage = prev.split('@')[0] ?? prev;
    const lines = [
      `${row.name} (${row.id}) ${row.mode}, image ${row.image}: ${row.running}/${row.desired} running${row.update ? `, update ${row.update.state}` : ''}`,
      `per node: ${perNodeText(data.perNode)}`,
      ...data.tasks.map(
        (t) =>
          `${t.id}  ${t.name}  ${t.node}  ${t.state} (desired ${t.desiredState})${t.problem ? `  ${t.problem}` : t.error ? `  ${t.error}` : ''}`,
      ),
      ...data.problems.map((p) => `problem: ${p}`),
    ];
    return { data, text: lines.join('\n') };
  },
});

const MAX_LOG_BYTES = 1024 * 1024;
// The manager gathers logs from every node; a node that is down would keep the stream open.
const LOG_SETTLE_MS = 10_000;

export const getServiceLogsTool = defineTool({
  name: 'get_service_logs',
  title: 'Swarm service logs',
  description:
    'Recent logs of every task of a Swarm service, each line prefixed with its task and node, bounded by tail per task (default 100), since and max_bytes (oldest part cut).',
  toolset: 'swarm',
  kind: 'read',
  input: z.object({
    service: serviceArg,
    tail: z.number().int().min(0).max(100_000).optional(),
    since: stringFromNumber().optional().describe('ISO time, unix seconds or "10m" ago.'),
    timestamps: z.boolean().optional(),
    stream: z.enum(['both', 'stdout', 'stderr']).optional(),
    max_bytes: z.number().int().min(256).max(MAX_LOG_BYTES).optional(),
  }),
  output: z.object({
    service: z.string(),
    stdout: z.string(),
    stderr: z.string(),
    truncated: z.boolean(),
    droppedBytes: z.number(),
    partial: z.boolean().describe('Some nodes did not answer in time (a node down): their lines are missing.'),
  }),
  async handler(a, ctx) {
    const svc = await serviceFor(ctx, a.service, false);
    const stream = a.stream ?? 'both';
    const [nodes, tasks] = await Promise.all([
      listNodes(ctx.engine, ctx.signal),
      listTasks(ctx.engine, { service: svc.ID }, ctx.signal),
    ]);
    const out = await readServiceLogs(
      ctx.engine,
      svc,
      {
        tail: a.tail ?? 100,
        ...(a.since !== undefined ? { since: toUnixSeconds(a.since, 'since') } : {}),
        timestamps: a.timestamps ?? false,
        stdout: stream !== 'stderr',
        stderr: stream !== 'stdout',
        maxBytes: a.max_bytes ?? 16 * 1024,
        settleMs: LOG_SETTLE_MS,
      },
      ctx.signal,
    );
    const names = nodeNames(nodes);
    const taskNames = new Map(tasks.map((t) => [t.ID, taskView(t, svc.Spec.Name, names)]));
    const label = (line: string) => relabelLogLine(line, taskNames);
    const data = {
      service: svc.Spec.Name,
      stdout: out.stdout.split('\n').map(label).join('\n'),
      stderr: out.stderr.split('\n').map(label).join('\n'),
      truncated: out.truncated,
      droppedBytes: out.droppedBytes,
      partial: out.partial,
    };
    const parts: string[] = [];
    if (out.partial) parts.push('[partial: some nodes did not answer within 10 s (a node down?)]');
    if (out.truncated)
      parts.push(`[truncated: ${out.droppedBytes} older bytes not shown; raise max_bytes or narrow tail/since]`);
    if (stream !== 'stderr') parts.push(`--- stdout ---\n${data.stdout || '(empty)'}`);
    if (stream !== 'stdout') parts.push(`--- stderr ---\n${data.stderr || '(empty)'}`);
    return { data, text: parts.join('\n') };
  },
});
