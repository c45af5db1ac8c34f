import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { ToolError } from '../kernel/errors.js';
import { Engine } from './engine.js';
import { DEFAULT_ENGINE_NAME } from '../config/engines.js';

/**
 * The Engines of one server process, by name, each with its own connection (and pinned API
 * version). Built once per process and shared by every MCP session, the CLI and the watchers.
 */
export class EngineSet {
  readonly all: readonly Engine[];

  constructor(config: Config, log: Logger) {
    const specs = config.engines?.length ? config.engines : [{ name: DEFAULT_ENGINE_NAME, docker: config.docker }];
    const named = specs.length > 1;
    this.all = specs.map((spec) => new Engine(config, log.child({ engine: spec.name }), spec, named));
  }

  /** The Engine a tool acts on without an `engine` argument: the first configured. */
  get default(): Engine {
    return this.all[0] as Engine;
  }

  get names(): string[] {
    return this.all.map((e) => e.name);
  }

  /** Whether the server has more than one Engine (tools then publish the `engine` argument). */
  get several(): boolean {
    return this.all.length > 1;
  }

  /** The Engine called `name` (any case); the default when `name` is undefined; invalid_input naming the choices otherwise. */
  get(name: string | undefined): Engine {
    if (name === undefined) return this.default;
    const wanted = name.trim().toLowerCase();
    const found = this.all.find((e) => e.name === wanted);
    if (found) return found;
    throw new ToolError(
      'invalid_input',
      `Unknown engine "${name.slice(0, 64)}": this server has ${this.names.map((n) => `"${n}"`).join(', ')} (list_engines shows them; without \`engine\` a tool uses "${this.default.name}").`,
    );
  }
}
