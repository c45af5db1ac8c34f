import { z } from 'zod';
import { findStackRemoval, removeStack } from '../../app/removeStack.js';
import { defineTool } from '../defineTool.js';
import { confirmArg, destructiveOutcome } from '../schemas.js';
import { notConfirmedMessage } from '../confirm.js';
import { stackNameArg } from './shared.js';

export const removeStackTool = defineTool({
  name: 'remove_stack',
  title: 'Remove stack',
  description:
    'Remove every container and network of a stack; named volumes only with volumes: true. Destructive: needs confirmation.',
  toolset: 'stacks',
  kind: 'destructive',
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
  async handler({ name, volumes, confirm }, ctx) {
    const removal = await findStackRemoval({ name, volumes: volumes ?? false }, ctx);
    const { containers, networks, volumes: vols, kept } = removal;
    const summary = `Remove stack "${name}": containers ${containers.join(', ') || '(none)'}; networks ${networks.join(', ') || '(none)'}${
      volumes
        ? `; volumes ${vols.join(', ') || '(none)'} (data lost)`
        : kept.length
          ? `; volumes ${kept.join(', ')} are kept`
          : ''
    }.`;
    const base = { name, containers, networks, volumes: vols };
    const confirmation = await ctx.confirm(confirm, summary);
    if (!confirmation.confirmed) {
      const message = notConfirmedMessage(confirmation, summary);
      return { data: { ...base, done: false, message }, text: message };
    }

    const record = ctx.history.begin({
      kind: 'remove_stack',
      target: name,
      stack: name,
      who: ctx.who,
      inputs: { name, volumes: volumes ?? false },
    });
    const t0 = Date.now();
    try {
      await removeStack(removal, ctx, record.id);
    } catch (err) {
      record.finish('failed', (err as Error).message);
      throw err;
    }
    record.step({
      name: `remove ${containers.length} containers, ${networks.length} networks, ${vols.length} volumes`,
      durationMs: Date.now() - t0,
      outcome: 'ok',
    });
    record.finish('succeeded');
    const message = `Removed stack "${name}": ${containers.length} containers, ${networks.length} networks${
      volumes ? `, ${vols.length} volumes` : kept.length ? `; kept volumes ${kept.join(', ')}` : ''
    }.`;
    return { data: { ...base, done: true, message }, text: message };
  },
});
