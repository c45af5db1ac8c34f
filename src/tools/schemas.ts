import { z } from 'zod';

/** Argument and answer pieces shared across toolsets, so conventions stay the same everywhere. */

export const idArg = z
  .string()
  .min(1, 'id is empty: give a name, a full id or an id prefix')
  .max(256)
  .describe('Name or id (prefix).');

export const confirmArg = z
  .boolean()
  .optional()
  .describe('true confirms when the client cannot ask the user; without it the tool only says what it would do.');

export const errorKindSchema = z.enum([
  'not_found',
  'conflict',
  'invalid_input',
  'denied',
  'engine_unavailable',
  'timeout',
  'failed',
]);

export const containerRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  image: z.string(),
  state: z.string(),
  health: z.string().optional(),
  ports: z.array(z.string()),
  stack: z.string().optional(),
  service: z.string().optional(),
  managed: z.boolean(),
});

/** The answer of a destructive tool: done, or what it would do when not confirmed. */
export const destructiveOutcome = {
  done: z.boolean().describe('false when the action was not confirmed and nothing changed'),
  message: z.string(),
};

/** One resource-usage sample (see statsSample in src/docker/projections.ts). */
export const statsSampleShape = {
  cpuPercent: z.number().optional().describe('100 = one full CPU core.'),
  memoryBytes: z.number().optional().describe('Usage without page cache.'),
  memoryLimitBytes: z.number().optional(),
  memoryPercent: z.number().optional(),
  pids: z.number().optional(),
  networkRxBytes: z.number().optional(),
  networkTxBytes: z.number().optional(),
  blockReadBytes: z.number().optional(),
  blockWriteBytes: z.number().optional(),
};
