import { z } from 'zod';
import { VERDICTS, type Verdict } from '../../health/assess.js';
import { collectSwarmHealth, worstVerdict, type SwarmHealth } from '../../health/services.js';
import type { ToolContext } from '../defineTool.js';

/**
 * The Swarm part of health_monitoring: when the Engine is a Swarm manager, services below
 * their desired replicas, tasks failing in a loop, nodes down. Kept apart from health.ts so
 * the hook there stays a few lines.
 */

const verdictSchema = z.enum(VERDICTS as [string, ...string[]]);

export const swarmHealthSchema = z
  .object({
    verdict: verdictSchema,
    problems: z.array(z.string()).describe('Cluster problems: nodes down, quorum lost.'),
    nodes: z.array(
      z.object({
        hostname: z.string(),
        role: z.string(),
        state: z.string(),
        availability: z.string(),
        verdict: verdictSchema,
        reasons: z.array(z.string()),
      }),
    ),
    services: z.array(
      z.object({
        name: z.string(),
        stack: z.string().optional(),
        desired: z.number(),
        running: z.number(),
        recentFailures: z.number(),
        verdict: verdictSchema,
        reasons: z.array(z.string()),
      }),
    ),
  })
  .optional()
  .describe('When the Engine is a Swarm manager (and no target is given): the cluster and its services.');

/** The cluster's health when the Engine is a manager; a failure to read it never fails the whole answer. */
export async function swarmHealthFor(ctx: ToolContext, target: string | undefined): Promise<SwarmHealth | undefined> {
  if (target) return undefined;
  try {
    return await collectSwarmHealth(ctx.engine, ctx.signal);
  } catch (err) {
    ctx.log.debug({ err }, 'swarm health skipped');
    return undefined;
  }
}

export function combinedVerdict(containers: Verdict, swarm: SwarmHealth | undefined): Verdict {
  return swarm ? worstVerdict([containers, swarm.verdict]) : containers;
}

export function swarmHealthText(s: SwarmHealth): string[] {
  const lines = [
    `swarm: ${s.verdict}, ${s.nodes.length} nodes (${s.nodes.filter((n) => n.state === 'ready').length} ready), ${s.services.length} services`,
  ];
  for (const p of s.problems) lines.push(`  problem: ${p}`);
  for (const sv of s.services)
    if (sv.verdict !== 'healthy' || sv.reasons.length)
      lines.push(
        `  service ${sv.name}: ${sv.verdict} (${sv.running}/${sv.desired} running)${sv.reasons.length ? ` - ${sv.reasons.join('; ')}` : ''}`,
      );
  return lines;
}
