import type { ContainerInspect } from '../docker/healthQueries.js';
import type { DeploymentStart } from '../history/port.js';
import type { HealAction } from './assess.js';

/**
 * One heal action: what is asked, what came of it, and how it is recorded (kind "heal").
 * The workflow that does it is the heal use case (src/app/heal.ts), called by the
 * heal_containers tool and, through the port below, by the self-heal watcher.
 */

export interface HealRequest {
  /** The container as inspected just before. */
  container: ContainerInspect;
  action: HealAction;
  reason: string;
  /** Who asked: the MCP client, "cli" or "self-heal watcher". */
  who: string;
  /** "heal_containers" or "self-heal watcher". */
  source: string;
  /** What to store as the inputs (no secrets: callers pass their own arguments and the trigger). */
  inputs: Record<string, unknown>;
}

export interface HealResult {
  outcome: 'done' | 'failed';
  error?: string;
  historyId: string;
}

/** Does one heal action and records it; what the self-heal watcher is given to act with. */
export type HealOne = (req: HealRequest, signal?: AbortSignal) => Promise<HealResult>;

/** Seconds a restart waits for the container to stop before killing it: its own stop timeout, else 10. */
export function stopTimeoutOf(c: ContainerInspect): number {
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
