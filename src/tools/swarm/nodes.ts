import { z } from 'zod';
import {
  inspectNode,
  inspectService,
  listNodes,
  listServices,
  listTasks,
  requireManager,
  updateNodeAvailability,
  updateService,
  type RawNode,
  type RawTask,
} from '../../docker/swarmCluster.js';
import { ToolError } from '../../kernel/errors.js';
import type { DeploymentStart } from '../../history/port.js';
import { isManaged } from '../../docker/labels.js';
import { nodeView } from '../../swarm/cluster.js';
import { waitForService } from '../../swarm/rollout.js';
import { sleep } from '../../util/timeout.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import type { ToolContext } from '../defineTool.js';
import { confirmArg, destructiveOutcome } from '../schemas.js';
import { nodeArg, timeoutArg } from './shared.js';

/**
 * drain_node and activate_node. Both are declared destructive: draining stops every task on
 * the node (Swarm starts replacements elsewhere), and activating with rebalance restarts
 * tasks of services to spread them again. Nodes carry no ownership label: the confirmation
 * is the guard. The confirmation goes through ctx.confirm like the other destructive tools.
 */

const DEFAULT_TIMEOUT_S = 120;

const nodeAnswer = z.object({
  node: z.string(),
  availability: z.string(),
  ...destructiveOutcome,
  /** Running tasks on the node, by service, before and after. */
  tasksBefore: z.number(),
  tasksAfter: z.number(),
  perNode: z.record(z.string(), z.number()).describe('Running tasks per node at the end.'),
  rebalanced: z.array(z.string()).optional().describe('Services restarted to spread their tasks (activate_node).'),
  skipped: z
    .array(z.object({ service: z.string(), reason: z.string() }))
    .optional()
    .describe('Services not rebalanced, and why.'),
});
type NodeAnswer = z.infer<typeof nodeAnswer>;

async function runningTasks(ctx: ToolContext): Promise<RawTask[]> {
  const tasks = await listTasks(ctx.engine, { desiredState: 'running' }, ctx.signal);
  return tasks.filter((t) => t.Status.State === 'running');
}

function perNode(tasks: RawTask[], nodes: RawNode[]): Record<string, number> {
  const names = new Map(nodes.map((n) => [n.ID, nodeView(n).hostname]));
  const out: Record<string, number> = {};
  for (const n of nodes) out[nodeView(n).hostname] = 0;
  for (const t of tasks) {
    const name = t.NodeID ? names.get(t.NodeID) : undefined;
    if (name) out[name] = (out[name] ?? 0) + 1;
  }
  return out;
}

function perNodeText(p: Record<string, number>): string {
  return Object.entries(p)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, c]) => `${n}: ${c}`)
    .join(', ');
}

function nodeRecord(tool: string, node: string, inputs: unknown): Omit<DeploymentStart, 'who' | 'kind'> {
  return { target: node, source: tool, inputs };
}

async function resolveNode(ctx: ToolContext, ref: string): Promise<RawNode> {
  await requireManager(ctx.engine, ctx.signal);
  return inspectNode(ctx.engine, ref, ctx.signal);
}

async function serviceNames(ctx: ToolContext, tasks: RawTask[]): Promise<Map<string, string>> {
  const services = await listServices(ctx.engine, {}, ctx.signal);
  const byId = new Map(services.map((s) => [s.ID, s.Spec.Name]));
  return new Map(tasks.map((t) => [t.ServiceID, byId.get(t.ServiceID) ?? t.ServiceID.slice(0, 12)]));
}

export const drainNodeTool = defineDestructiveTool({
  name: 'drain_node',
  title: 'Drain Swarm node',
  description:
    'Set a Swarm node to drain: its tasks stop and Swarm starts them on the other nodes; it takes no new tasks until activate_node. Waits until they moved. Destructive: needs confirmation.',
  toolset: 'swarm',
  historyKind: 'update_node',
  input: z.object({ node: nodeArg, timeout: timeoutArg, confirm: confirmArg }),
  output: nodeAnswer,
  // Nodes carry no ownership label: the confirmation is the guard.
  async resolve({ node }, ctx) {
    return { scope: [], found: await resolveNode(ctx, node) };
  },
  async plan(n, { node, timeout, confirm }, ctx) {
    const view = nodeView(n);
    const record = nodeRecord('drain_node', view.hostname, { node, timeout, confirm });
    const [nodes, tasks] = await Promise.all([listNodes(ctx.engine, ctx.signal), runningTasks(ctx)]);
    const mine = tasks.filter((t) => t.NodeID === n.ID);
    const before = perNode(tasks, nodes);
    const base = { node: view.hostname, tasksBefore: mine.length };
    if (view.availability === 'drain') {
      const message = `Node ${view.hostname} is already drained (${mine.length} tasks still running on it).`;
      return {
        data: { ...base, availability: 'drain', done: true, message, tasksAfter: mine.length, perNode: before },
        text: message,
      };
    }
    const names = await serviceNames(ctx, mine);
    const services = [...new Set(mine.map((t) => names.get(t.ServiceID) ?? ''))].sort();
    const others = nodes.filter(
      (o) => o.ID !== n.ID && o.Status.State === 'ready' && o.Spec.Availability === 'active',
    ).length;
    const summary =
      `Drain node ${view.hostname} (${view.role}, ${view.state}): ${mine.length} running task${mine.length === 1 ? '' : 's'}` +
      (services.length ? ` of ${services.join(', ')}` : '') +
      (others
        ? ` will stop there and start on the ${others} other active node${others === 1 ? '' : 's'}.`
        : ' will stop and have NO other active node to go to.');
    return {
      summary,
      record,
      refused: (message) => ({
        ...base,
        availability: view.availability,
        done: false,
        message,
        tasksAfter: mine.length,
        perNode: before,
      }),
      run: async () => {
        await updateNodeAvailability(ctx.engine, n, 'drain', ctx.signal);
        const after = await waitOffNode(ctx, n, [...new Set(mine.map((t) => t.ServiceID))], timeout);
        const message = `Drained node ${view.hostname}: ${after.left} tasks left on it; running per node: ${perNodeText(after.perNode)}.${after.note ? ` ${after.note}` : ''}`;
        return {
          data: { ...base, availability: 'drain', done: true, message, tasksAfter: after.left, perNode: after.perNode },
          text: message,
        };
      },
    };
  },
});

/** Waits until no task runs on the node and the services it ran are back to their replica count. */
async function waitOffNode(
  ctx: ToolContext,
  n: RawNode,
  serviceIds: string[],
  timeoutS: number | undefined,
): Promise<{ left: number; perNode: Record<string, number>; note?: string }> {
  const deadline = Date.now() + (timeoutS ?? DEFAULT_TIMEOUT_S) * 1000;
  let done = 0;
  const total = Math.max(serviceIds.length, 1);
  while (Date.now() < deadline) {
    const left = (await runningTasks(ctx)).filter((t) => t.NodeID === n.ID).length;
    ctx.progress(0, total, `${left} tasks still on ${nodeView(n).hostname}`);
    if (left === 0) break;
    await sleep(1000, ctx.signal);
  }
  const notes: string[] = [];
  for (const id of serviceIds) {
    const remaining = deadline - Date.now();
    if (remaining <= 0) break;
    const r = await waitForService(ctx.engine, id, {
      timeoutMs: remaining,
      since: Date.now(),
      expect: 'scale',
      signal: ctx.signal,
    }).catch(() => undefined);
    done++;
    ctx.progress(done, total, `service ${done} of ${total} back to its replica count`);
    if (r && r.outcome !== 'converged') notes.push(`a service has ${r.running}/${r.desired} running`);
  }
  const [nodes, tasks] = await Promise.all([listNodes(ctx.engine, ctx.signal), runningTasks(ctx)]);
  const left = tasks.filter((t) => t.NodeID === n.ID).length;
  if (left > 0) notes.push(`${left} tasks still on the node after the timeout`);
  return { left, perNode: perNode(tasks, nodes), ...(notes.length ? { note: notes.join('; ') } : {}) };
}

export const activateNodeTool = defineDestructiveTool({
  name: 'activate_node',
  title: 'Activate Swarm node',
  description:
    'Set a drained or paused Swarm node back to active. Swarm does not move running tasks back by itself: rebalance: true (default) restarts, rolling, the replicated services that have no task on it so their tasks spread again (managed ones only unless scope all). Destructive: needs confirmation.',
  toolset: 'swarm',
  historyKind: 'update_node',
  input: z.object({
    node: nodeArg,
    rebalance: z.boolean().optional().describe('Default true.'),
    timeout: timeoutArg,
    confirm: confirmArg,
  }),
  output: nodeAnswer,
  async resolve({ node }, ctx) {
    return { scope: [], found: await resolveNode(ctx, node) };
  },
  async plan(n, { node, rebalance, timeout, confirm }, ctx) {
    const view = nodeView(n);
    const record = nodeRecord('activate_node', view.hostname, { node, rebalance, timeout, confirm });
    const [nodes, tasks, services] = await Promise.all([
      listNodes(ctx.engine, ctx.signal),
      runningTasks(ctx),
      listServices(ctx.engine, {}, ctx.signal),
    ]);
    const mine = tasks.filter((t) => t.NodeID === n.ID);
    const before = perNode(tasks, nodes);
    const base = { node: view.hostname, tasksBefore: mine.length };
    const skipped: { service: string; reason: string }[] = [];
    const toRebalance: string[] = [];
    if (rebalance !== false) {
      const onNode = new Set(mine.map((t) => t.ServiceID));
      for (const s of services) {
        const replicas = s.Spec.Mode?.Replicated?.Replicas;
        if (replicas === undefined || replicas < 2 || onNode.has(s.ID)) continue;
        if (ctx.config.scope !== 'all' && !isManaged(s.Spec.Labels)) {
          skipped.push({ service: s.Spec.Name, reason: 'not managed by this server (scope managed)' });
          continue;
        }
        toRebalance.push(s.Spec.Name);
      }
    }
    if (view.availability === 'active' && toRebalance.length === 0) {
      const message = `Node ${view.hostname} is already active; nothing to rebalance.`;
      return {
        data: {
          ...base,
          availability: 'active',
          done: true,
          message,
          tasksAfter: mine.length,
          perNode: before,
          skipped,
        },
        text: message,
      };
    }
    const summary =
      `${view.availability === 'active' ? 'Node' : 'Activate node'} ${view.hostname} (${view.role}, ${view.state}, now ${view.availability})` +
      (toRebalance.length
        ? `; restart the tasks of ${toRebalance.join(', ')} (rolling, per their update_config) so they spread onto it.`
        : '.');
    return {
      summary,
      record,
      refused: (message) => ({
        ...base,
        availability: view.availability,
        done: false,
        message,
        tasksAfter: mine.length,
        perNode: before,
        skipped,
      }),
      run: async () => {
        if (view.availability !== 'active') await updateNodeAvailability(ctx.engine, n, 'active', ctx.signal);
        const deadline = Date.now() + (timeout ?? DEFAULT_TIMEOUT_S) * 1000;
        const rebalanced: string[] = [];
        const notes: string[] = [];
        for (const name of toRebalance) {
          const svc = await inspectService(ctx.engine, name, ctx.signal);
          const since = Date.now();
          const spec = structuredClone(svc.Spec);
          // What `docker service update --force` does: a new ForceUpdate value restarts every task.
          spec.TaskTemplate = { ...spec.TaskTemplate, ForceUpdate: (spec.TaskTemplate.ForceUpdate ?? 0) + 1 };
          await updateService(ctx.engine, svc, spec, { signal: ctx.signal });
          rebalanced.push(name);
          const r = await waitForService(ctx.engine, svc.ID, {
            timeoutMs: Math.max(1000, deadline - Date.now()),
            since,
            expect: 'update',
            signal: ctx.signal,
            progress: (d, t, m) => ctx.progress(d, t, m),
          });
          if (r.outcome !== 'converged') notes.push(`${name}: ${r.outcome}, ${r.running}/${r.desired} running`);
        }
        const [nodesAfter, tasksAfter] = await Promise.all([listNodes(ctx.engine, ctx.signal), runningTasks(ctx)]);
        const left = tasksAfter.filter((t) => t.NodeID === n.ID).length;
        const after = perNode(tasksAfter, nodesAfter);
        const message =
          `Node ${view.hostname} is active; ${left} tasks run on it; running per node: ${perNodeText(after)}.` +
          (rebalanced.length ? ` Rebalanced: ${rebalanced.join(', ')}.` : '') +
          (notes.length ? ` Not converged: ${notes.join('; ')}.` : '');
        const data: NodeAnswer = {
          ...base,
          availability: 'active',
          done: true,
          message,
          tasksAfter: left,
          perNode: after,
          rebalanced,
        };
        if (skipped.length) data.skipped = skipped;
        if (notes.length) throw new ToolError('timeout', message);
        return { data, text: message };
      },
    };
  },
});
