import { z } from 'zod';
import { removeContainer } from '../../docker/containers.js';
import { ToolError } from '../../kernel/errors.js';
import { containerName, stackObjects } from '../../stacks/engineState.js';
import { newDeploymentLabel } from '../../stacks/journal.js';
import { acquireStackLock } from '../../stacks/lock.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { confirmArg, destructiveOutcome } from '../schemas.js';
import { stackNameArg } from './shared.js';

const STOP_GRACE_MS = 60_000;

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
    const objects = await stackObjects(ctx.engine, name, ctx.signal);
    if (objects.containers.length === 0 && objects.networks.length === 0 && objects.volumes.length === 0) {
      throw new ToolError('not_found', `No stack named "${name}": list_stacks shows the stacks on this Engine.`);
    }
    const scope = [
      ...objects.containers.map((c) => ({
        what: `container "${containerName(c)}" of stack "${name}"`,
        labels: c.Labels,
      })),
      ...objects.networks.map((n) => ({ what: `network "${n.Name}" of stack "${name}"`, labels: n.Labels })),
      ...(volumes
        ? objects.volumes.map((v) => ({ what: `volume "${v.Name}" of stack "${name}"`, labels: v.Labels }))
        : []),
    ];
    return { scope, found: objects };
  },
  async plan(objects, { name, volumes }, ctx) {
    const containers = objects.containers.map(containerName).sort();
    const networks = objects.networks.map((n) => n.Name).sort();
    const vols = volumes ? objects.volumes.map((v) => v.Name).sort() : [];
    const kept = volumes ? [] : objects.volumes.map((v) => v.Name);
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
        // Not while a deploy of the stack runs (in this or another server process).
        const lock = await acquireStackLock(ctx.engine, {
          stack: name,
          holder: newDeploymentLabel(),
          operation: 'remove',
          leaseMs: 10 * 60_000,
          instanceLabel: ctx.config.instanceLabel,
          signal: ctx.signal,
        });
        try {
          await removeObjects();
          // Deploys that left objects behind are settled: those objects went with the stack.
          for (const j of ctx.history.openJournals(name))
            ctx.history.settleJournal(
              j.id,
              'failed',
              `reconciled: its leftovers were removed with the stack by remove_stack (${record.id})`,
            );
        } finally {
          await lock.release().catch(() => undefined);
        }
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

    async function removeObjects(): Promise<void> {
      ctx.progress(1, 3, `stopping ${containers.length} containers`);
      // Graceful stop with each container's own stop timeout, all at once, then removal.
      await Promise.all(
        objects.containers
          .filter((c) => c.State === 'running' || c.State === 'restarting' || c.State === 'paused')
          .map((c) =>
            ctx.engine
              .call('stop', (d) => d.getContainer(c.Id).stop(), {
                target: `container "${containerName(c)}"`,
                timeoutMs: ctx.engine.timeoutMs + STOP_GRACE_MS,
              })
              .catch(() => undefined),
          ),
      );
      await Promise.all(
        objects.containers.map((c) => removeContainer(ctx.engine, c.Id, { force: true, volumes: true })),
      );
      ctx.progress(2, 3, `removing ${networks.length} networks`);
      for (const n of objects.networks) {
        await ctx.engine.call('remove network', (d) => d.getNetwork(n.Id).remove(), { target: `network "${n.Name}"` });
      }
      if (volumes) {
        ctx.progress(3, 3, `removing ${vols.length} volumes`);
        for (const v of objects.volumes)
          await ctx.engine.call('remove volume', (d) => d.getVolume(v.Name).remove(), { target: `volume "${v.Name}"` });
      }
    }
  },
});
