import { z } from 'zod';
import { resolveRegistryAuth } from '../../docker/registryAuth.js';
import {
  inspectService,
  listServices,
  updateService,
  type RawService,
  type RawServiceSpec,
} from '../../docker/swarmCluster.js';
import { checkImageAllowed } from '../../policy/containerPolicy.js';
import { refuse } from '../../policy/hostAccess.js';
import { ToolError } from '../../kernel/errors.js';
import { serviceMode, shortImage, STACK_NAMESPACE } from '../../swarm/cluster.js';
import { failedTasksText, waitForService, type ConvergeResult } from '../../swarm/rollout.js';
import { recorded } from '../../history/record.js';
import { defineTool, type ToolContext } from '../defineTool.js';
import { convergeSchema, perNodeText, serviceArg, serviceFor, timeoutArg } from './shared.js';

const DEFAULT_TIMEOUT_S = 120;

const changeAnswer = z.object({
  service: z.string(),
  image: z.string(),
  message: z.string(),
  warnings: z.array(z.string()),
  converge: convergeSchema,
});
type ChangeAnswer = z.infer<typeof changeAnswer>;

type NotWaited = Omit<ConvergeResult, 'outcome'> & { outcome: 'not_waited' };

function notWaited(): NotWaited {
  return { outcome: 'not_waited', desired: 0, running: 0, image: '', failedTasks: [], perNode: {}, elapsedMs: 0 };
}

function convergeData(r: ConvergeResult | NotWaited): ChangeAnswer['converge'] {
  const c: ChangeAnswer['converge'] = {
    outcome: r.outcome,
    desired: r.desired,
    running: r.running,
    perNode: r.perNode,
    failedTasks: r.failedTasks,
    elapsedMs: r.elapsedMs,
  };
  if (r.update) c.update = r.update;
  return c;
}

/** Records a change of a service in the deployment history (kind update_service, source: the tool). */
function recordService<T>(ctx: ToolContext, tool: string, service: string, inputs: unknown, work: () => Promise<T>) {
  return recorded(
    ctx.history,
    { kind: 'update_service', target: service, source: tool, who: ctx.who, inputs },
    ctx.signal,
    work,
  );
}

/** The spec to send: the current one with a change; everything else as it is. */
function withChange(svc: RawService, change: (spec: RawServiceSpec) => void): RawServiceSpec {
  const spec = structuredClone(svc.Spec);
  change(spec);
  return spec;
}

function waitFor(
  ctx: ToolContext,
  svc: RawService,
  expect: 'update' | 'rollback' | 'scale',
  since: number,
  timeoutS: number | undefined,
): Promise<ConvergeResult> {
  return waitForService(ctx.engine, svc.ID, {
    timeoutMs: (timeoutS ?? DEFAULT_TIMEOUT_S) * 1000,
    since,
    expect,
    signal: ctx.signal,
    progress: (done, total, message) => ctx.progress(done, total, message),
  });
}

function outcomeText(r: ConvergeResult): string {
  return `${r.running}/${r.desired} running (${perNodeText(r.perNode)}) after ${Math.round(r.elapsedMs / 1000)} s`;
}

export const scaleServiceTool = defineTool({
  name: 'scale_service',
  title: 'Scale Swarm service',
  description:
    'Set the number of replicas of a replicated Swarm service and wait (default) until that many tasks run (healthy where checked).',
  toolset: 'swarm',
  kind: 'update',
  input: z.object({
    service: serviceArg,
    replicas: z.number().int().min(0).max(1000),
    wait: z.boolean().optional().describe('Wait until the tasks run (default true).'),
    timeout: timeoutArg,
  }),
  output: changeAnswer,
  async handler(args, ctx) {
    const svc = await serviceFor(ctx, args.service, true);
    return recordService(ctx, 'scale_service', svc.Spec.Name, args, () => scale(ctx, svc, args));
  },
});

async function scale(
  ctx: ToolContext,
  svc: RawService,
  { replicas, wait, timeout }: { replicas: number; wait?: boolean | undefined; timeout?: number | undefined },
): Promise<{ data: ChangeAnswer; text: string }> {
  const mode = serviceMode(svc);
  if (mode !== 'replicated')
    throw new ToolError(
      'invalid_input',
      `Service "${svc.Spec.Name}" is ${mode}: only replicated services have a replica count (a global service runs one task per eligible node).`,
    );
  const before = svc.Spec.Mode?.Replicated?.Replicas ?? 1;
  if (replicas > before) await checkStackTasks(ctx, svc, replicas);
  const since = Date.now();
  const warnings =
    before === replicas
      ? []
      : await updateService(
          ctx.engine,
          svc,
          withChange(svc, (s) => {
            s.Mode = { Replicated: { Replicas: replicas } };
          }),
          { signal: ctx.signal },
        );
  const image = shortImage(svc.Spec.TaskTemplate.ContainerSpec?.Image);
  const changed = before === replicas ? `already at ${replicas} replicas` : `scaled from ${before} to ${replicas}`;
  if (wait === false) {
    const message = `Service "${svc.Spec.Name}" ${changed}; not waited for.`;
    return {
      data: { service: svc.Spec.Name, image, message, warnings, converge: convergeData(notWaited()) },
      text: message,
    };
  }
  const r = await waitFor(ctx, svc, 'scale', since, timeout);
  if (r.outcome !== 'converged') {
    throw new ToolError(
      'timeout',
      `Service "${svc.Spec.Name}" ${changed}, but only ${outcomeText(r)}${r.failedTasks.length ? `; failing: ${failedTasksText(r.failedTasks)}` : ''}. Swarm keeps trying; get_service_info shows the tasks.`,
    );
  }
  const message = `Service "${svc.Spec.Name}" ${changed}: ${outcomeText(r)}.`;
  return { data: { service: svc.Spec.Name, image, message, warnings, converge: convergeData(r) }, text: message };
}

/**
 * DOM_MAX_STACK_CONTAINERS holds for a scale as for a deploy: the replicas of every replicated
 * service of the stack (the service alone when it has no stack), with this one at its new count.
 */
async function checkStackTasks(ctx: ToolContext, svc: RawService, replicas: number): Promise<void> {
  const max = ctx.config.policy.maxContainersPerStack;
  const stack = svc.Spec.Labels?.[STACK_NAMESPACE];
  const others = stack
    ? (await listServices(ctx.engine, { label: [`${STACK_NAMESPACE}=${stack}`] }, ctx.signal)).filter(
        (s) => s.ID !== svc.ID,
      )
    : [];
  const total = others.reduce((n, s) => n + (s.Spec.Mode?.Replicated?.Replicas ?? 1), replicas);
  if (total > max)
    refuse(
      'max-containers-per-stack',
      `${stack ? `stack "${stack}"` : `service "${svc.Spec.Name}"`} would run ${total} tasks, more than ${max}`,
      `DOM_MAX_STACK_CONTAINERS=${total} or more`,
    );
}

/** Rolls a service back to its previous spec and waits for that to converge. */
async function rollBack(ctx: ToolContext, name: string, since: number, timeoutS: number | undefined) {
  const fresh = await inspectService(ctx.engine, name, ctx.signal);
  if (!fresh.PreviousSpec)
    throw new ToolError(
      'conflict',
      `Service "${fresh.Spec.Name}" has no previous version to roll back to (it was never updated).`,
    );
  const warnings = await updateService(ctx.engine, fresh, fresh.Spec, { rollback: true, signal: ctx.signal });
  const r = await waitFor(ctx, fresh, 'rollback', since, timeoutS);
  return { fresh, warnings, r };
}

export const updateServiceImageTool = defineTool({
  name: 'update_service_image',
  title: 'Update Swarm service image',
  description:
    "Rolling update of a Swarm service to another image, following the service's update_config (parallelism, delay, order, health-gated: a task counts only once healthy). Waits until every task runs the new image; on failure or timeout rolls back (unless rollback_on_failure: false; the rollback gets its own timeout) and names the failing tasks and nodes.",
  toolset: 'swarm',
  kind: 'update',
  input: z.object({
    service: serviceArg,
    image: z.string().min(1).max(512).describe('Image reference, e.g. "nginx:1.27" or "registry:5000/app:2".'),
    timeout: timeoutArg,
    rollback_on_failure: z.boolean().optional().describe('Default true.'),
  }),
  output: changeAnswer,
  async handler(args, ctx) {
    const svc = await serviceFor(ctx, args.service, true);
    return recordService(ctx, 'update_service_image', svc.Spec.Name, args, () => updateImage(ctx, svc, args));
  },
});

async function updateImage(
  ctx: ToolContext,
  svc: RawService,
  {
    image,
    timeout,
    rollback_on_failure,
  }: { image: string; timeout?: number | undefined; rollback_on_failure?: boolean | undefined },
): Promise<{ data: ChangeAnswer; text: string }> {
  const from = shortImage(svc.Spec.TaskTemplate.ContainerSpec?.Image);
  if (/\s/.test(image)) throw new ToolError('invalid_input', `image "${image.slice(0, 80)}" contains whitespace.`);
  checkImageAllowed(ctx.config.policy, image, `service "${svc.Spec.Name}"`);
  const { auth } = resolveRegistryAuth(ctx.config, image);
  const since = Date.now();
  const warnings = await updateService(
    ctx.engine,
    svc,
    withChange(svc, (s) => {
      s.TaskTemplate = { ...s.TaskTemplate, ContainerSpec: { ...s.TaskTemplate.ContainerSpec, Image: image } };
    }),
    { ...(auth ? { auth } : {}), signal: ctx.signal },
  );
  const r = await waitFor(ctx, svc, 'update', since, timeout);
  const name = svc.Spec.Name;
  if (r.outcome === 'converged') {
    const message = `Service "${name}" updated from ${from} to ${image}: ${outcomeText(r)}.`;
    return { data: { service: name, image, message, warnings, converge: convergeData(r) }, text: message };
  }
  const failing = r.failedTasks.length ? ` Failing tasks: ${failedTasksText(r.failedTasks)}.` : '';
  const why =
    r.outcome === 'timeout'
      ? `did not converge within ${timeout ?? DEFAULT_TIMEOUT_S} s (${outcomeText(r)})`
      : r.outcome === 'rolled_back'
        ? `failed and Swarm rolled it back by itself (update_config failure_action rollback)${r.update?.message ? `: ${r.update.message}` : ''}`
        : `failed and Swarm paused it${r.update?.message ? `: ${r.update.message}` : ''}`;
  if (r.outcome === 'rolled_back') {
    throw new ToolError(
      'failed',
      `Update of service "${name}" to ${image} ${why}.${failing} The service is back on ${r.image}: ${outcomeText(r)}.`,
    );
  }
  if (rollback_on_failure === false) {
    throw new ToolError(
      r.outcome === 'timeout' ? 'timeout' : 'failed',
      `Update of service "${name}" to ${image} ${why}.${failing} Left as it is (rollback_on_failure: false): roll back with rollback_service.`,
    );
  }
  const back = await rollBack(ctx, name, since, timeout);
  const end =
    back.r.outcome === 'converged'
      ? `Rolled back to ${back.r.image}: ${outcomeText(back.r)}.`
      : `The rollback to ${back.r.image} has not converged either (${outcomeText(back.r)}${back.r.failedTasks.length ? `; failing: ${failedTasksText(back.r.failedTasks)}` : ''}); get_service_info shows the tasks.`;
  throw new ToolError(
    r.outcome === 'timeout' ? 'timeout' : 'failed',
    `Update of service "${name}" to ${image} ${why}.${failing} ${end}`,
  );
}

export const rollbackServiceTool = defineTool({
  name: 'rollback_service',
  title: 'Roll back Swarm service',
  description:
    "Return a Swarm service to its previous version (Swarm's own rollback, following rollback_config) and wait until its tasks run.",
  toolset: 'swarm',
  kind: 'update',
  input: z.object({ service: serviceArg, timeout: timeoutArg }),
  output: changeAnswer,
  async handler(args, ctx) {
    const svc = await serviceFor(ctx, args.service, true);
    return recordService(ctx, 'rollback_service', svc.Spec.Name, args, () => rollbackTo(ctx, svc, args.timeout));
  },
});

async function rollbackTo(
  ctx: ToolContext,
  svc: RawService,
  timeout: number | undefined,
): Promise<{ data: ChangeAnswer; text: string }> {
  const from = shortImage(svc.Spec.TaskTemplate.ContainerSpec?.Image);
  const { fresh, warnings, r } = await rollBack(ctx, svc.ID, Date.now(), timeout);
  const name = fresh.Spec.Name;
  if (r.outcome !== 'converged') {
    throw new ToolError(
      r.outcome === 'timeout' ? 'timeout' : 'failed',
      `Rollback of service "${name}" ${r.outcome === 'timeout' ? 'did not converge in time' : `stopped (${r.update?.state ?? r.outcome}${r.update?.message ? `: ${r.update.message}` : ''})`}: ${outcomeText(r)}${r.failedTasks.length ? `; failing: ${failedTasksText(r.failedTasks)}` : ''}.`,
    );
  }
  const message = `Service "${name}" rolled back from ${from} to ${r.image}: ${outcomeText(r)}.`;
  return { data: { service: name, image: r.image, message, warnings, converge: convergeData(r) }, text: message };
}
