import { z } from 'zod';
import { inspectService, requireManager, type RawService } from '../../docker/swarmCluster.js';
import { assertInScope } from '../../policy/scope.js';
import type { ToolContext } from '../defineTool.js';

/** Argument and answer pieces of the swarm toolset. */

export const serviceArg = z.string().min(1).max(256).describe('Service name or id (prefix).');
export const nodeArg = z.string().min(1).max(256).describe('Node hostname or id (prefix).');

export const timeoutArg = z
  .number()
  .int()
  .min(1)
  .max(3600)
  .optional()
  .describe('Seconds to wait for the tasks to converge (default 120).');

export const nodeSchema = z.object({
  id: z.string(),
  hostname: z.string(),
  role: z.string(),
  availability: z.string().describe('active, pause or drain'),
  state: z.string().describe('ready, down, unknown or disconnected'),
  message: z.string().optional(),
  address: z.string().optional(),
  engineVersion: z.string(),
  manager: z
    .object({ leader: z.boolean(), reachability: z.string(), address: z.string().optional() })
    .optional()
    .describe('Managers only.'),
  runningTasks: z.number(),
});

export const taskSchema = z.object({
  id: z.string(),
  name: z.string(),
  node: z.string(),
  state: z.string(),
  desiredState: z.string(),
  since: z.string().optional(),
  image: z.string(),
  message: z.string().optional(),
  error: z.string().optional(),
  exitCode: z.number().optional(),
  containerId: z.string().optional(),
  problem: z.string().optional().describe('What went wrong, in plain words, and what to do.'),
});

export const convergeSchema = z.object({
  outcome: z.enum(['converged', 'paused', 'rolled_back', 'timeout', 'not_waited']),
  desired: z.number(),
  running: z.number().describe('Tasks that should run and run the current image (healthy where checked).'),
  perNode: z.record(z.string(), z.number()).describe('Running tasks per node.'),
  failedTasks: z.array(taskSchema),
  update: z.object({ state: z.string(), message: z.string().optional() }).optional(),
  elapsedMs: z.number(),
});

/** The service, after checking this Engine is a manager and the service is in the ownership scope when `mutate`. */
export async function serviceFor(ctx: ToolContext, ref: string, mutate: boolean): Promise<RawService> {
  await requireManager(ctx.engine, ctx.signal);
  const svc = await inspectService(ctx.engine, ref, ctx.signal);
  if (mutate) assertInScope(ctx.config, svc.Spec.Labels, `service "${svc.Spec.Name}"`);
  return svc;
}

export function perNodeText(perNode: Record<string, number>): string {
  const parts = Object.entries(perNode)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([n, c]) => `${n}: ${c}`);
  return parts.length ? parts.join(', ') : 'none running';
}
