import type { Config } from '../config.js';
import {
  createContainer,
  inspectContainer,
  readLogs,
  removeContainer,
  startContainer,
  waitForContainer,
  type WaitCondition,
} from '../docker/containers.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import type { Engine } from '../docker/engine.js';
import { ensureImage, type PullPolicy } from '../docker/images.js';
import { healthOf, publishedPorts, shortId } from '../docker/projections.js';
import type { HistoryPort } from '../history/port.js';
import { recorded, timedStep } from '../history/record.js';
import { ToolError } from '../kernel/errors.js';
import type { Logger } from '../logger.js';
import { withDefaultLimits } from '../policy/containerPolicy.js';
import { vetContainerSpec } from '../policy/hostAccessEngine.js';
import { checkContainerOnEngine, formatFinding } from '../validation/index.js';

/**
 * The deploy-container use case: vet the spec (policy, host access, default limits), check its
 * host ports, then pull, create, start and wait, recorded as one deployment; on failure after
 * create the container goes again. Plain inputs and ports in, a plain result out: the
 * deploy_container tool is an adapter over it.
 */

const LOG_LINES_ON_FAILURE = 20;

export interface DeployContainerPorts {
  engine: Engine;
  history: HistoryPort;
  /** The policy (host access, default limits), the instance label, and where the Engine is. */
  config: Config;
  log: Logger;
  progress: (progress: number, total?: number, message?: string) => void;
  signal: AbortSignal;
}

export interface DeployContainerRequest {
  /** What to run, as parsed from the caller's arguments (before policy). */
  spec: ContainerSpec;
  pull: PullPolicy;
  wait: WaitCondition | 'none';
  timeoutMs: number;
  /** For the history: who asked, and their arguments with secrets masked. */
  who: string;
  inputs: unknown;
}

export interface DeployedContainer {
  id: string;
  name: string;
  image: string;
  state: string;
  health?: string;
  ports: string[];
  pulled: boolean;
  waitedMs: number;
}

/** The last log lines and health output of a container, for an error message. Never throws. */
export async function describeContainerFailure(engine: Engine, id: string): Promise<string> {
  const parts: string[] = [];
  try {
    const c = await inspectContainer(engine, id);
    const last = c.State.Health?.Log?.at(-1);
    if (last)
      parts.push(`last healthcheck (exit ${last.ExitCode}): ${last.Output.trim().slice(0, 500) || '(no output)'}`);
    const logs = await readLogs(engine, id, c.Config.Tty ?? false, { tail: LOG_LINES_ON_FAILURE, maxBytes: 4096 });
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

/** The policy and host-access model, then the host-port check; returns the spec that passed (normalised). */
async function vetted(ports: DeployContainerPorts, req: DeployContainerRequest): Promise<ContainerSpec> {
  const { engine, config, signal } = ports;
  const wanted = withDefaultLimits(config.policy, req.spec);
  const spec = await vetContainerSpec(engine, config, wanted, `container ${wanted.name ?? wanted.image}`, signal);
  // configuration_validation's host-port check: the Engine would only notice at start, after create.
  const taken = (
    await checkContainerOnEngine(engine, spec, {
      pull: req.pull,
      engineIsLocal: engine.local,
      signal,
      only: new Set(['port'] as const),
    })
  ).filter((f) => f.severity === 'error');
  if (taken.length) {
    throw new ToolError(
      'conflict',
      `Cannot deploy container ${spec.name ?? spec.image}; nothing was changed:\n${taken.map((f) => `- ${formatFinding(f)}. ${f.fix}`).join('\n')}`,
    );
  }
  return spec;
}

export async function deployContainer(
  ports: DeployContainerPorts,
  req: DeployContainerRequest,
): Promise<DeployedContainer> {
  const { engine, signal, progress } = ports;
  const spec = await vetted(ports, req);
  const label = spec.name ?? spec.image;
  const record = {
    kind: 'deploy_container',
    target: label,
    source: 'container',
    who: req.who,
    inputs: req.inputs,
  } as const;
  const { id, pulled, started } = await recorded(ports.history, record, signal, async (h) => {
    const { pulled } = await timedStep(h, `pull ${spec.image}`, () =>
      ensureImage(engine, spec.image, req.pull, {
        signal,
        onProgress: (p) => progress(p.current, p.total || undefined, `pull ${spec.image}: ${p.message}`),
      }),
    );
    const id = await timedStep(h, 'create', () => createContainer(engine, spec, signal));
    const started = Date.now();
    try {
      await timedStep(h, 'start', () => startContainer(engine, id, signal));
      const wait = req.wait;
      if (wait !== 'none') {
        progress(0, undefined, `waiting for ${spec.name ?? shortId(id)} to be ${wait}`);
        await timedStep(h, `wait ${wait}`, async () => {
          const r = await waitForContainer(engine, id, wait, req.timeoutMs, signal);
          if (!r.reached) {
            const why = await describeContainerFailure(engine, id);
            throw new ToolError(
              r.reason?.startsWith('not ') ? 'timeout' : 'failed',
              `Container ${spec.name ?? shortId(id)} did not become ${wait}: ${r.reason ?? r.state}. It was removed.${why ? `\n${why}` : ''}`,
            );
          }
        });
      }
    } catch (err) {
      // Never leave half a deployment: the container we created goes.
      await timedStep(h, 'remove (rollback)', () => removeContainer(engine, id, { force: true, volumes: true })).catch(
        (e: unknown) => ports.log.warn({ err: e, id }, 'could not remove container after failed deploy'),
      );
      throw err;
    }
    return { id, pulled, started };
  });
  const c = await inspectContainer(engine, id, signal);
  const out: DeployedContainer = {
    id: shortId(c.Id),
    name: c.Name.replace(/^\//, ''),
    image: spec.image,
    state: c.State.Status,
    ports: publishedPorts(c),
    pulled,
    waitedMs: Date.now() - started,
  };
  const health = healthOf(c);
  if (health) out.health = health;
  return out;
}
