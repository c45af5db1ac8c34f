import type { Config } from '../config.js';
import { containerTools } from './containers/index.js';
import { TOOLSETS, type AnyTool, type Toolset } from './defineTool.js';
import { imageTools } from './images/index.js';
import { networkTools } from './networks/index.js';
import { operationsTools } from './operations/index.js';
import { stackTools } from './stacks/index.js';
import { swarmTools } from './swarm/index.js';
import { volumeTools } from './volumes/index.js';

/** Every tool this server has, in the order they are listed. Each toolset owns its index.ts. */
export const ALL_TOOLS: AnyTool[] = [
  ...containerTools,
  ...imageTools,
  ...networkTools,
  ...volumeTools,
  ...stackTools,
  ...operationsTools,
  ...swarmTools,
];

export class UnknownToolsetError extends Error {}

/**
 * The toolsets a server offers when none are configured: what most sessions need (run
 * containers and stacks, check and watch them), kept small because every tool's name,
 * description and input schema is sent to the model on every turn. `--toolsets all` (or a list
 * such as `containers,images`) offers the rest.
 */
export const DEFAULT_TOOLSETS: readonly Toolset[] = ['containers', 'stacks', 'operations'];

/** The toolsets a configuration selects: the default when none, every one for "all". */
export function selectedToolsets(config: Pick<Config, 'toolsets'>): readonly string[] {
  if (config.toolsets.length === 0) return DEFAULT_TOOLSETS;
  if (config.toolsets.includes('all')) return TOOLSETS;
  return config.toolsets;
}

/** The tools the configuration allows: toolsets, read-only mode, destructive tools disabled. */
export function enabledTools(config: Config, tools: AnyTool[] = ALL_TOOLS): AnyTool[] {
  for (const t of config.toolsets) {
    if (t !== 'all' && !(TOOLSETS as readonly string[]).includes(t)) {
      throw new UnknownToolsetError(`unknown toolset "${t}"; known toolsets: ${TOOLSETS.join(', ')} (or all)`);
    }
  }
  const toolsets = selectedToolsets(config);
  return tools.filter((t) => {
    if (!toolsets.includes(t.toolset)) return false;
    if (config.readOnly && t.kind !== 'read') return false;
    if (config.disableDestructive && t.kind === 'destructive') return false;
    return true;
  });
}
