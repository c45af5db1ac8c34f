import { z } from 'zod';
import { findStackRemoval, removeStack } from '../../app/removeStack.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { confirmArg, destructiveOutcome } from '../schemas.js';
import { stackNameArg } from './shared.js';

export const removeStackTool = defineDestructiveTool({
  name: 'remove_stack',
  title: 'Remove stack',
  description:
    'Remove every container and network of a stack; named volumes only with volumes: true. Destructive: needs confirmation.',
  toolset: 'stacks',
  input: z.object({
    name: stackNameArg,
    volumes: z.boolean().optional().describe('Also its named volumes (data lost).'),
    confirm: confirmArg,
  }),
  output: z.object({
    name: z.string(),
    containers: z.array(z.string()),
    networks: z.array(z.string()),
    volumes: z.array(z.string()),
    ...destructiveOutcome,
  }),
  async resolve({ name, volumes }, ctx) {
    const { removal, subjects } = await findStackRemoval({ name, volumes: volumes ?? false }, ctx);
    return { scope: subjects, found: removal };
  },
  async plan(removal, { name, volumes }, ctx) {
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
