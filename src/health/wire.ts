import type { Config } from '../config.js';
import type { Engine } from '../docker/engine.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import { reconcileAll } from '../stacks/journal.js';

/**
 * Settles stack deploys that a killed server (or a lost Engine) left unfinished: rolled back
 * from their journals, each under its stack's lock. Call once at server start; never throws.
 */
export function reconcileAtStart(config: Config, engine: Engine, history: HistoryPort, log: Logger): void {
  if (config.readOnly) return;
  void reconcileAll(engine, history, config.instanceLabel, log);
}
