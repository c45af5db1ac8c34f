import { z } from 'zod';
import {
  inspectContainer,
  removeContainer,
  restartContainer,
  startContainer,
  stopContainer,
  target,
} from '../../docker/containers.js';
import { ToolError } from '../../kernel/errors.js';
import { timedStep } from '../../history/record.js';
import { vetExistingContainer } from '../../policy/hostAccessEngine.js';
import { assertInScope } from '../../policy/scope.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { confirmArg, destructiveOutcome, idArg } from '../schemas.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';

const stateAnswer = z.object({
  id: z.string(),
  name: z.string(),
  state: z.string(),
  health: z.string().optional(),
  message: z.string(),
});

async function stateOf(
  ctx: ToolContext,
  id: string,
  message: string,
): Promise<{ data: z.infer<typeof stateAnswer>; text: string }> {
  const c = await inspectContainer(ctx.engine, id, ctx.signal);
  const data: z.infer<typeof stateAnswer> = {
    id: c.Id.slice(0, 12),
    name: c.Name.replace(/^\//, ''),
    state: c.State.Status,
    message,
  };
  if (c.State.Health?.Status) data.health = c.State.Health.Status;
  return { data, text: `${message} (${data.name}: ${data.state}${data.health ? `, ${data.health}` : ''})` };
}

function nameOf(c: { Name: string }): string {
  return c.Name.replace(/^\//, '');
}

/** Inspects the container and checks the ownership scope before anything changes. */
async function ownedContainer(ctx: ToolContext, id: string) {
  const c = await inspectContainer(ctx.engine, id, ctx.signal);
  assertInScope(ctx.config, c.Config.Labels, target(nameOf(c)));
  return c;
}

export const startContainerTool = defineTool({
  name: 'start_container',
  title: 'Start container',
  description: 'Start a stopped container (no error if running).',
  toolset: 'containers',
  kind: 'update',
  input: z.object({ id: idArg }),
  output: stateAnswer,
  async handler({ id }, ctx) {
    const c = await ownedContainer(ctx, id);
    // Binds are mounted again at start: judge them as they resolve now.
    if (!c.State.Running) await vetExistingContainer(ctx.engine, ctx.config, c, ctx.signal);
    const outcome = await startContainer(ctx.engine, c.Id, ctx.signal);
    return stateOf(ctx, c.Id, outcome === 'started' ? 'Started' : 'Already running');
  },
});

export const stopContainerTool = defineTool({
  name: 'stop_container',
  title: 'Stop container',
  description: 'Stop a running container: SIGTERM, then SIGKILL after timeout seconds.',
  toolset: 'containers',
  kind: 'update',
  input: z.object({
    id: idArg,
    timeout: z.number().int().min(0).max(3600).optional().describe('Seconds before SIGKILL (default 10).'),
  }),
  output: stateAnswer,
  async handler({ id, timeout }, ctx) {
    const c = await ownedContainer(ctx, id);
    if (!c.State.Running) {
      throw new ToolError(
        'conflict',
        `Container "${c.Name.replace(/^\//, '')}" is not running (state: ${c.State.Status}); nothing to stop.`,
      );
    }
    try {
      await stopContainer(ctx.engine, c.Id, timeout ?? 10, ctx.signal);
    } catch (err) {
      // Stopped by someone else since the inspect above (the Engine answers 304): same answer as when it was already stopped.
      if (err instanceof ToolError && /already stopped/i.test(err.message)) {
        throw new ToolError(
          'conflict',
          `Container "${c.Name.replace(/^\//, '')}" is not running (it stopped meanwhile); nothing to stop.`,
        );
      }
      throw err;
    }
    return stateOf(ctx, c.Id, 'Stopped');
  },
});

export const restartContainerTool = defineTool({
  name: 'restart_container',
  title: 'Restart container',
  description: 'Restart a container (stopped ones too).',
  toolset: 'containers',
  kind: 'update',
  input: z.object({
    id: idArg,
    timeout: z.number().int().min(0).max(3600).optional().describe('Seconds before SIGKILL (default 10).'),
  }),
  output: stateAnswer,
  async handler({ id, timeout }, ctx) {
    const c = await ownedContainer(ctx, id);
    await vetExistingContainer(ctx.engine, ctx.config, c, ctx.signal);
    await restartContainer(ctx.engine, c.Id, timeout ?? 10, ctx.signal);
    return stateOf(ctx, c.Id, 'Restarted');
  },
});

export const removeContainerTool = defineDestructiveTool({
  name: 'remove_container',
  title: 'Remove container',
  description: 'Remove a container; a running one only with force. Destructive: needs confirmation.',
  toolset: 'containers',
  input: z.object({
    id: idArg,
    force: z.boolean().optional(),
    volumes: z.boolean().optional().describe('Also its anonymous volumes.'),
    confirm: confirmArg,
  }),
  output: z.object({ id: z.string(), name: z.string(), ...destructiveOutcome }),
  async resolve({ id }, ctx) {
    const c = await inspectContainer(ctx.engine, id, ctx.signal);
    return { scope: [{ what: target(nameOf(c)), labels: c.Config.Labels }], found: c };
  },
  async plan(c, { id, force, volumes, confirm }, ctx) {
    const name = nameOf(c);
    if (c.State.Running && !force) {
      throw new ToolError(
        'conflict',
        `Container "${name}" is running: stop it first, or pass force: true to kill and remove it.`,
      );
    }
    const base = { id: c.Id.slice(0, 12), name };
    return {
      summary: `Remove container "${name}" (${c.State.Status}, image ${c.Config.Image})${volumes ? ' and its anonymous volumes' : ''}.`,
      record: { target: name, source: 'container', inputs: { id, force, volumes, confirm } },
      refused: (message) => ({ ...base, done: false, message }),
      async run(h) {
        await timedStep(h, 'remove', () =>
          removeContainer(ctx.engine, c.Id, { force: force ?? false, volumes: volumes ?? false }, ctx.signal),
        );
        const message = `Removed container "${name}".`;
        return { data: { ...base, done: true, message }, text: message };
      },
    };
  },
});
