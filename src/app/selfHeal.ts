import type { Config } from '../config.js';
import type { Engine } from '../docker/engine.js';
import { startSelfHealWatcher, type SelfHealWatcher } from '../health/watcher.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import { reconcileAll } from '../stacks/journal.js';
import { healContainer } from './heal.js';

/**
 * Starts the self-healing watcher when the configuration asks for it (`--self-heal`,
 * DOM_SELF_HEAL=1), else returns undefined. Call once per server process, after the
 * history is open, with the Engine the tools use; call `stop()` on shutdown before
 * closing the history. Read-only mode wins: a read-only server never restarts anything,
 * so the watcher is not started then (a warning says so). The watcher restarts through
 * the heal use case, the same one heal_containers runs.
 */
export function maybeStartWatcher(
  config: Config,
  engine: Engine,
  history: HistoryPort,
  log: Logger,
): SelfHealWatcher | undefined {
  if (!config.selfHeal.enabled) return undefined;
  if (config.readOnly) {
    log.warn('--self-heal is ignored in read-only mode: the watcher would restart containers');
    return undefined;
  }
  return startSelfHealWatcher({
    engine,
    config,
    history,
    log,
    heal: (req, signal) => healContainer({ engine, history }, req, signal),
    onReconnect: () => reconcileAll(engine, history, config.instanceLabel, log),
  });
}
