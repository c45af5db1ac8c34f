import { z } from 'zod';
import { inspectContainer, listContainers } from '../../docker/containers.js';
import { ToolError } from '../../kernel/errors.js';
import { assertObjectRef } from '../../docker/refs.js';
import { sampleStats } from '../../docker/stats.js';
import { defineTool } from '../defineTool.js';
import { bytes } from '../render.js';
import { statsSampleShape } from '../schemas.js';

const statsRowSchema = z.object({ id: z.string(), name: z.string(), ...statsSampleShape });

export const getContainerStatsTool = defineTool({
  name: 'get_container_stats',
  title: 'Container resource usage',
  description:
    'CPU %, memory, network and block I/O, pids of one container or of all running ones (optionally one stack); takes 1-2 s.',
  toolset: 'containers',
  kind: 'read',
  input: z.object({
    id: z.string().min(1).max(256).optional().describe('Omit for all running ones.'),
    stack: z.string().max(256).optional(),
    limit: z.number().int().min(1).max(200).optional(),
  }),
  output: z.object({
    containers: z.array(statsRowSchema),
    skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
    total: z.number(),
    sampledMs: z.number(),
  }),
  async handler({ id, stack, limit }, ctx) {
    let targets: { id: string; name: string }[];
    let total: number;
    if (id) {
      assertObjectRef(id, 'container');
      const c = await inspectContainer(ctx.engine, id, ctx.signal);
      const name = c.Name.replace(/^\//, '');
      if (!c.State.Running) {
        throw new ToolError(
          'conflict',
          `Container "${name}" is not running (state: ${c.State.Status}): stats exist only for running containers. Start it first.`,
        );
      }
      targets = [{ id: c.Id, name }];
      total = 1;
    } else {
      const rows = await listContainers(ctx.engine, { all: false, ...(stack ? { stack } : {}) }, ctx.signal);
      total = rows.length;
      targets = rows.slice(0, limit ?? 50).map((r) => ({ id: r.id, name: r.name }));
    }
    const started = Date.now();
    const { rows, skipped } = await sampleStats(ctx.engine, targets, ctx.signal);
    const data = { containers: rows, skipped, total, sampledMs: Date.now() - started };
    const lines = rows.map((r) => {
      const cpu = r.cpuPercent === undefined ? '?' : `${r.cpuPercent.toFixed(1)}%`;
      const mem = `${bytes(r.memoryBytes)}${r.memoryLimitBytes ? ` / ${bytes(r.memoryLimitBytes)} (${r.memoryPercent}%)` : ''}`;
      return `${r.name}  cpu ${cpu}  mem ${mem}  net ${bytes(r.networkRxBytes)}↓ ${bytes(r.networkTxBytes)}↑  io ${bytes(r.blockReadBytes)}r ${bytes(r.blockWriteBytes)}w  pids ${r.pids ?? '?'}`;
    });
    if (skipped.length) lines.push(`skipped: ${skipped.map((s) => s.name).join(', ')} (stopped meanwhile)`);
    if (targets.length < total) lines.push(`(${targets.length} of ${total} running containers; raise limit for more)`);
    return { data, text: lines.length ? lines.join('\n') : 'No running containers.' };
  },
});
