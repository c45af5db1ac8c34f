import { z } from 'zod';
import {
  createContainer,
  inspectContainer,
  readLogs,
  removeContainer,
  startContainer,
  waitForContainer,
} from '../../docker/containers.js';
import { ToolError } from '../../kernel/errors.js';
import { ensureImage } from '../../docker/images.js';
import { healthOf, publishedPorts, shortId } from '../../docker/projections.js';
import { recorded, timedStep } from '../../history/record.js';
import { withDefaultLimits } from '../../policy/containerPolicy.js';
import { vetContainerSpec } from '../../policy/hostAccessEngine.js';
import { maskEnvMap } from '../../util/mask.js';
import { checkContainerOnEngine, formatFinding } from '../../validation/index.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { deployContainerInput, toContainerSpec } from './deploySpec.js';

const LOG_LINES_ON_FAILURE = 20;

function stringEnv(env: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** The last log lines and health output of a container, for an error message. */
export async function failureContext(ctx: ToolContext, id: string): Promise<string> {
  const parts: string[] = [];
  try {
    const c = await inspectContainer(ctx.engine, id);
    const last = c.State.Health?.Log?.at(-1);
    if (last)
      parts.push(`last healthcheck (exit ${last.ExitCode}): ${last.Output.trim().slice(0, 500) || '(no output)'}`);
    const logs = await readLogs(ctx.engine, id, c.Config.Tty ?? false, { tail: LOG_LINES_ON_FAILURE, maxBytes: 4096 });
    const text = [logs.stdout, logs.stderr]
      .filter((s) => s.trim())
      .join('\n')
      .trim();
    parts.push(text ? `last log lines:\n${text}` : 'no log output');
  } catch {
    // Best effort: the container may already be gone.
  }
  return parts.join('\n');
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
    const wanted = withDefaultLimits(ctx.config.policy, toContainerSpec(args, ctx.config.instanceLabel));
    // The policy and host-access model; what passed is the normalised spec, and that is what is created.
    const spec = await vetContainerSpec(
      ctx.engine,
      ctx.config,
      wanted,
      `container ${wanted.name ?? wanted.image}`,
      ctx.signal,
    );
    // configuration_validation's host-port check: the Engine would only notice at start, after create.
    const host = ctx.config.docker.host;
    const taken = (
      await checkContainerOnEngine(ctx.engine, spec, {
        pull: args.pull ?? 'missing',
        engineIsLocal: !host || host.startsWith('unix://'),
        signal: ctx.signal,
        only: new Set(['port'] as const),
      })
    ).filter((f) => f.severity === 'error');
    if (taken.length) {
      throw new ToolError(
        'conflict',
        `Cannot deploy container ${spec.name ?? spec.image}; nothing was changed:\n${taken.map((f) => `- ${formatFinding(f)}. ${f.fix}`).join('\n')}`,
      );
    }
    const inputs = args.env ? { ...args, env: maskEnvMap(stringEnv(args.env)) } : args;
    const record = {
      kind: 'deploy_container',
      target: spec.name ?? spec.image,
      source: 'container',
      who: ctx.who,
      inputs,
    } as const;
    const { id, pulled, started } = await recorded(ctx.history, record, ctx.signal, async (h) => {
      const { pulled } = await timedStep(h, `pull ${spec.image}`, () =>
        ensureImage(ctx.engine, spec.image, args.pull ?? 'missing', {
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(p.current, p.total || undefined, `pull ${spec.image}: ${p.message}`),
        }),
      );
      const id = await timedStep(h, 'create', () => createContainer(ctx.engine, spec, ctx.signal));
      const started = Date.now();
      try {
        await timedStep(h, 'start', () => startContainer(ctx.engine, id, ctx.signal));
        const wait = args.wait ?? 'running';
        if (wait !== 'none') {
          ctx.progress(0, undefined, `waiting for ${spec.name ?? shortId(id)} to be ${wait}`);
          await timedStep(h, `wait ${wait}`, async () => {
            const r = await waitForContainer(ctx.engine, id, wait, (args.timeout ?? 60) * 1000, ctx.signal);
            if (!r.reached) {
              const why = await failureContext(ctx, id);
              throw new ToolError(
                r.reason?.startsWith('not ') ? 'timeout' : 'failed',
                `Container ${spec.name ?? shortId(id)} did not become ${wait}: ${r.reason ?? r.state}. It was removed.${why ? `\n${why}` : ''}`,
              );
            }
          });
        }
      } catch (err) {
        // Never leave half a deployment: the container we created goes.
        await timedStep(h, 'remove (rollback)', () =>
          removeContainer(ctx.engine, id, { force: true, volumes: true }),
        ).catch((e: unknown) => ctx.log.warn({ err: e, id }, 'could not remove container after failed deploy'));
        throw err;
      }
      return { id, pulled, started };
    });
    const c = await inspectContainer(ctx.engine, id, ctx.signal);
    const data: {
      id: string;
      name: string;
      image: string;
      state: string;
      health?: string;
      ports: string[];
      pulled: boolean;
      waitedMs: number;
    } = {
      id: shortId(c.Id),
      name: c.Name.replace(/^\//, ''),
      image: spec.image,
      state: c.State.Status,
      ports: publishedPorts(c),
      pulled,
      waitedMs: Date.now() - started,
    };
    const health = healthOf(c);
    if (health) data.health = health;
    const text = `Deployed ${data.name} (${data.id}) from ${data.image}: ${data.state}${health ? `, ${health}` : ''}${
      data.ports.length ? `; ports ${data.ports.join(', ')}` : ''
    }${pulled ? '; image pulled' : ''}.`;
    return { data, text };
  },
});
