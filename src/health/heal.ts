import type Docker from 'dockerode';
import { restartContainer, startContainer } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { COMPOSE_PROJECT } from '../docker/labels.js';
import { timedStep } from '../history/record.js';
import type { DeploymentStart, HistoryPort } from '../history/port.js';
import type { HealAction } from './assess.js';

/** One heal action on the Engine, recorded in the history as kind "heal". Shared by the tool and the watcher. */

export interface HealRequest {
  /** The container as inspected just before. */
  container: Docker.ContainerInspectInfo;
  action: HealAction;
  reason: string;
  /** Who asked: the MCP client, "cli" or "self-heal watcher". */
  who: string;
  /** "health_monitoring" or "self-heal watcher". */
  source: string;
  /** What to store as the inputs (no secrets: callers pass their own arguments and the trigger). */
  inputs: Record<string, unknown>;
}

export interface HealResult {
  outcome: 'done' | 'failed';
  error?: string;
  historyId: string;
}

/** Seconds a restart waits for the container to stop before killing it: its own stop timeout, else 10. */
export function stopTimeoutOf(c: Docker.ContainerInspectInfo): number {
  const t = (c.Config as { StopTimeout?: number } | undefined)?.StopTimeout;
  return typeof t === 'number' && t >= 0 ? t : 10;
}

export function healRecord(req: Omit<HealRequest, 'container'> & { name: string; stack?: string }): DeploymentStart {
  const start: DeploymentStart = {
    kind: 'heal',
    target: req.name,
    source: req.source,
    who: req.who,
    inputs: { ...req.inputs, action: req.action, reason: req.reason },
  };
  if (req.stack) start.stack = req.stack;
  return start;
}

export async function heal(
  engine: Engine,
  history: HistoryPort,
  req: HealRequest,
  signal?: AbortSignal,
): Promise<HealResult> {
  const c = req.container;
  const name = c.Name.replace(/^\//, '');
  const stack = c.Config?.Labels?.[COMPOSE_PROJECT];
  const h = history.begin(healRecord({ ...req, name, ...(stack ? { stack } : {}) }));
  try {
    await timedStep(h, `${req.action} ${name}`, async () => {
      if (req.action === 'start') await startContainer(engine, c.Id, signal);
      else await restartContainer(engine, c.Id, stopTimeoutOf(c), signal);
    });
    h.finish('succeeded');
    return { outcome: 'done', historyId: h.id };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    h.finish(signal?.aborted ? 'cancelled' : 'failed', error);
    return { outcome: 'failed', error, historyId: h.id };
  }
}
