import { z } from 'zod';
import { findStackRemoval, removeStack, type StackRemoval } from '../../app/removeStack.js';
import { findSwarmStack, removeSwarmStack, type SwarmStackRemoval } from '../../app/removeSwarmStack.js';
import { ToolError } from '../../kernel/errors.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { confirmArg, destructiveOutcome } from '../schemas.js';
import { stackNameArg } from './shared.js';
import type { RemovalSubject } from '../../app/removeStack.js';
import type { ToolContext } from '../defineTool.js';

type Found = { local: StackRemoval } | { swarm: SwarmStackRemoval };

/** A stack on a Swarm; its volumes live on the nodes that ran its tasks and stay, as with docker stack rm. */
function planSwarm(r: SwarmStackRemoval, ctx: ToolContext) {
  const names = (xs: { name: string }[]) => xs.map((x) => x.name);
  const base = {
    name: r.name,
    containers: [],
    networks: names(r.networks),
    volumes: [],
    services: names(r.services),
    files: names(r.files),
  };
  const list = (xs: string[]) => xs.join(', ') || '(none)';
  return {
    summary: `Remove Swarm stack "${r.name}": services ${list(base.services)}; networks ${list(base.networks)}; secrets and configs ${list(base.files)}. Volumes stay on the nodes.`,
    record: { target: r.name, stack: r.name, inputs: { name: r.name, target: 'swarm' } },
    refused: (message: string) => ({ ...base, done: false, message }),
    run: async (record: { step: (s: { name: string; durationMs: number; outcome: 'ok' }) => void }) => {
      const t0 = Date.now();
      await removeSwarmStack(r, ctx);
      record.step({
        name: `remove ${base.services.length} services, ${base.files.length} secrets/configs, ${base.networks.length} networks`,
        durationMs: Date.now() - t0,
        outcome: 'ok',
      });
      const message = `Removed Swarm stack "${r.name}": ${base.services.length} services, ${base.networks.length} networks, ${base.files.length} secrets/configs; every task gone. Volumes stay on the nodes.`;
      return { data: { ...base, done: true, message }, text: message };
    },
  };
}

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
    try {
      const { removal, subjects } = await findStackRemoval({ name, volumes: volumes ?? false }, ctx);
      return { scope: subjects, found: { local: removal } };
    } catch (err) {
      // Nothing of it on this Engine as containers: a stack on the Swarm it manages?
      if (!(err instanceof ToolError && err.kind === 'not_found')) throw err;
      const swarm = await findSwarmStack(name, ctx);
      if (!swarm) throw err;
      return { scope: swarm.subjects, found: { swarm: swarm.removal } };
    }
  },
  async plan(found, { name, volumes }, ctx) {
    if ('swarm' in found) return planSwarm(found.swarm, ctx);
    const removal = found.local;
    const { containers, networks, volumes: vols, kept } = removal;
    const summary = `Remove stack "${name}": containers ${containers.join(', ') || '(none)'}; networks ${networks.join(', ') || '(none)'}${
      volumes
        ? `; volumes ${vols.join(', ') || '(none)'} (data lost)`
        : kept.length
          ? `; volumes ${kept.join(', ')} are kept`
          : ''
    }.`;
    const base = { name, containers, networks, volumes: vols };
    return {
      summary,
      record: { target: name, stack: name, inputs: { name, volumes: volumes ?? false } },
      refused: (message) => ({ ...base, done: false, message }),
      run: async (record) => {
        const t0 = Date.now();
        await removeStack(removal, ctx, record.id);
        record.step({
          name: `remove ${containers.length} containers, ${networks.length} networks, ${vols.length} volumes`,
          durationMs: Date.now() - t0,
          outcome: 'ok',
        });
        const message = `Removed stack "${name}": ${containers.length} containers, ${networks.length} networks${
          volumes ? `, ${vols.length} volumes` : kept.length ? `; kept volumes ${kept.join(', ')}` : ''
        }.`;
        return { data: { ...base, done: true, message }, text: message };
      },
    };
  },
});
