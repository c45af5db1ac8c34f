import type { Config } from '../config.js';
import type { Engine } from '../docker/engine.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';

/**
 * What a use case works with, handed in by its caller (an MCP tool, the CLI, the self-heal
 * watcher): the Engine, the deployment history, the server's configuration (its policy), who
 * asked, a progress callback and the caller's cancellation.
 */
export interface AppPorts {
  engine: Engine;
  history: HistoryPort;
  config: Config;
  log: Logger;
  /** Who asked, for the history: the MCP client's name and version, or "cli". */
  who: string;
  signal: AbortSignal;
  progress: (current: number, total: number, message: string) => void;
}
