import type { Config } from '../config.js';
import type { Engine } from '../docker/engine.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import { reconcileAll } from '../stacks/journal.js';
import { startSelfHealWatcher, type SelfHealWatcher } from './watcher.js';

/**
 * Starts the self-healing watcher when the configuration asks for it (`--self-heal`,
 * DOM_SELF_HEAL=1), else returns undefined. Call once per server process, after the
 * history is open, with the Engine the tools use; call `stop()` on shutdown before
 * closing the history. Read-only mode wins: a read-only server never restarts anything,
 * so the watcher is not started then (a warning says so).
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
    onReconnect: () => reconcileAll(engine, history, config.instanceLabel, log),
  });
}

/**
 * Settles stack deploys that a killed server (or a lost Engine) left unfinished: rolled back
 * from their journals, each under its stack's lock. Call once at server start; never throws.
 */
export function reconcileAtStart(config: Config, engine: Engine, history: HistoryPort, log: Logger): void {
  if (config.readOnly) return;
  void reconcileAll(engine, history, config.instanceLabel, log);
}
