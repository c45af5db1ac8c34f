import { z } from 'zod';
import { deployContainer, describeContainerFailure } from '../../app/deployContainer.js';
import { maskEnvMap } from '../../util/mask.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { deployContainerInput, toContainerSpec } from './deploySpec.js';

function stringEnv(env: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** The last log lines and health output of a container, for an error message. */
export function failureContext(ctx: Pick<ToolContext, 'engine'>, id: string): Promise<string> {
  return describeContainerFailure(ctx.engine, id);
}

export const deployContainerTool = defineTool({
  name: 'deploy_container',
  title: 'Deploy container',
  description:
    'Run one container from an image (pulled when missing) and wait until running or healthy; for several services use deploy_application_stack. On failure nothing is left behind and the error has the last log lines. Host-access options (privileged, cap_add, devices, namespaces, security_opt, sysctls...) are refused unless the server allows them.',
  toolset: 'containers',
  kind: 'create',
  input: deployContainerInput,
  output: z.object({
    id: z.string(),
    name: z.string(),
    image: z.string(),
    state: z.string(),
    health: z.string().optional(),
    ports: z.array(z.string()),
    pulled: z.boolean(),
    waitedMs: z.number(),
  }),
  async handler(args, ctx) {
    const data = await deployContainer(ctx, {
      spec: toContainerSpec(args, ctx.config.instanceLabel),
      pull: args.pull ?? 'missing',
      wait: args.wait ?? 'running',
      timeoutMs: (args.timeout ?? 60) * 1000,
      who: ctx.who,
      inputs: args.env ? { ...args, env: maskEnvMap(stringEnv(args.env)) } : args,
    });
    const text = `Deployed ${data.name} (${data.id}) from ${data.image}: ${data.state}${data.health ? `, ${data.health}` : ''}${
      data.ports.length ? `; ports ${data.ports.join(', ')}` : ''
    }${data.pulled ? '; image pulled' : ''}.`;
    return { data, text };
  },
});
