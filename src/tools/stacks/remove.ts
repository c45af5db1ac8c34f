import { z } from 'zod';
import { findStackRemoval, removeStack, type RemovalSubject, type StackRemoval } from '../../app/removeStack.js';
import { findSwarmStack, removeSwarmStack, type SwarmStackRemoval } from '../../app/removeSwarmStack.js';
import { ToolError } from '../../kernel/errors.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { confirmArg, destructiveOutcome } from '../schemas.js';
import { stackNameArg } from './shared.js';

/**
 * What a stack of this name is on the Engine: containers (and their networks and volumes), and,
 * when the Engine manages a Swarm, services. Both go when both are there.
 */
interface Found {
  local?: StackRemoval;
  swarm?: SwarmStackRemoval;
}

const names = (xs: { name: string }[]) => xs.map((x) => x.name);
const list = (xs: string[]) => xs.join(', ') || '(none)';

export const removeStackTool = defineDestructiveTool({
  name: 'remove_stack',
  title: 'Remove stack',
  description:
    'Remove a stack: containers, networks, Swarm services/secrets/configs; volumes if volumes: true. Destructive: needs confirmation.',
  toolset: 'stacks',
  input: z.object({
    name: stackNameArg,
    volumes: z.boolean().optional().describe('Also its volumes (data lost).'),
    confirm: confirmArg,
  }),
  output: z.object({
    name: z.string(),
    containers: z.array(z.string()),
    networks: z.array(z.string()),
    volumes: z.array(z.string()),
    /** A stack on a Swarm: its services, secrets and configs. */
    services: z.array(z.string()).optional(),
    files: z.array(z.string()).optional(),
    ...destructiveOutcome,
  }),
  async resolve({ name, volumes }, ctx): Promise<{ scope: RemovalSubject[]; found: Found }> {
    let local: Awaited<ReturnType<typeof findStackRemoval>> | undefined;
    let missing: unknown;
    try {
      local = await findStackRemoval({ name, volumes: volumes ?? false }, ctx);
    } catch (err) {
      if (!(err instanceof ToolError && err.kind === 'not_found')) throw err;
      missing = err;
    }
    const swarm = await findSwarmStack(name, ctx);
    if (!local && !swarm) throw missing;
    return {
      scope: [...(local?.subjects ?? []), ...(swarm?.subjects ?? [])],
      found: { ...(local ? { local: local.removal } : {}), ...(swarm ? { swarm: swarm.removal } : {}) },
    };
  },
  async plan({ local, swarm }, { name, volumes }, ctx) {
    const containers = local?.containers ?? [];
    const vols = local?.volumes ?? [];
    const kept = local?.kept ?? [];
    const base = {
      name,
      containers,
      networks: [...(local?.networks ?? []), ...(swarm ? names(swarm.networks) : [])],
      volumes: vols,
      ...(swarm ? { services: names(swarm.services), files: names(swarm.files) } : {}),
    };
    const parts: string[] = [];
    if (local) {
      parts.push(`containers ${list(containers)}; networks ${list(local.networks)}`);
      if (volumes) parts.push(`volumes ${list(vols)} (data lost)`);
      else if (kept.length) parts.push(`volumes ${kept.join(', ')} are kept`);
    }
    if (swarm) {
      parts.push(
        `Swarm services ${list(names(swarm.services))}; Swarm networks ${list(names(swarm.networks))}; secrets and configs ${list(names(swarm.files))} (volumes stay on the nodes)`,
      );
    }
    return {
      summary: `Remove stack "${name}": ${parts.join('; ')}.`,
      record: {
        target: name,
        stack: name,
        inputs: { name, volumes: volumes ?? false, ...(swarm ? { swarm: true } : {}) },
      },
      refused: (message) => ({ ...base, done: false, message }),
      run: async (record) => {
        const done: string[] = [];
        if (local) {
          const t0 = Date.now();
          await removeStack(local, ctx, record.id);
          record.step({
            name: `remove ${containers.length} containers, ${local.networks.length} networks, ${vols.length} volumes`,
            durationMs: Date.now() - t0,
            outcome: 'ok',
          });
          done.push(
            `${containers.length} containers, ${local.networks.length} networks${
              volumes ? `, ${vols.length} volumes` : kept.length ? ` (kept volumes ${kept.join(', ')})` : ''
            }`,
          );
        }
        if (swarm) {
          const t0 = Date.now();
          await removeSwarmStack(swarm, ctx);
          record.step({
            name: `remove ${swarm.services.length} Swarm services, ${swarm.files.length} secrets/configs, ${swarm.networks.length} networks`,
            durationMs: Date.now() - t0,
            outcome: 'ok',
          });
          done.push(
            `${swarm.services.length} Swarm services (every task gone), ${swarm.networks.length} Swarm networks, ${swarm.files.length} secrets/configs (volumes stay on the nodes)`,
          );
        }
        const message = `Removed stack "${name}": ${done.join('; ')}.`;
        return { data: { ...base, done: true, message }, text: message };
      },
    };
  },
});
