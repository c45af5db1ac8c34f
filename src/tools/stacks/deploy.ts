import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { DEFAULT_STACK_TIMEOUT_S, deployStack, loadSwarmStack } from '../../app/deployStack.js';
import { deployToSwarm, stackTarget, targetArg } from './deploySwarm.js';
import { failureContext } from '../containers/deploy.js';
import { defineTool } from '../defineTool.js';
import { deployStackAnswer, deployStackOutput } from './deployView.js';
import { stackNameArg } from './shared.js';

export const deployStackTool = defineTool({
  name: 'deploy_application_stack',
  title: 'Deploy application stack',
  description:
    'Deploy or update a multi-container stack from Compose YAML (compose), a Compose file on the server (file) or a template (template + variables; see list_stack_templates). Services with build are built from a folder in the file roots. A redeploy recreates only changed services; dry_run returns the plan. Waits until healthy; on failure rolls back and names the failing service.',
  toolset: 'stacks',
  kind: 'create',
  input: z.object({
    name: stackNameArg,
    compose: z.string().max(1_000_000).optional(),
    file: z.string().max(4096).optional().describe("Compose file under the server's file roots."),
    template: z.string().max(100).optional(),
    variables: keyValueList().optional().describe('["KEY=VALUE"]'),
    env: keyValueList().optional().describe('["KEY=VALUE"] for ${VAR}'),
    profiles: z.array(z.string().min(1)).optional(),
    dry_run: z.boolean().optional(),
    wait: z.enum(['healthy', 'running', 'none']).optional().describe('default healthy'),
    timeout: z
      .number()
      .int()
      .min(1)
      .max(3600)
      .optional()
      .describe(`Seconds to wait for the stack (default ${DEFAULT_STACK_TIMEOUT_S}).`),
    pull: z.enum(['missing', 'always', 'never']).optional(),
    target: targetArg,
  }),
  output: deployStackOutput,
  async handler({ dry_run, timeout, target, ...args }, ctx) {
    const input = { ...args, ...(dry_run !== undefined ? { dryRun: dry_run } : {}), timeoutSec: timeout };
    if (stackTarget(target, ctx.config) === 'swarm') {
      const { source, project } = await loadSwarmStack(input, ctx);
      return deployToSwarm(ctx, { ...args, dry_run, timeout }, project, source, DEFAULT_STACK_TIMEOUT_S);
    }
    const result = await deployStack(input, { ...ctx, describeFailure: (id) => failureContext(ctx, id) });
    return deployStackAnswer(result);
  },
});
