import type { McpServer } from '@modelcontextprotocol/server';
import type { Config } from '../config.js';
import type { Engine } from '../docker/engine.js';
import type { ToolsetDefinition } from './toolset.js';
import { containersToolset } from './containers/index.js';
import { TOOLSETS, type AnyTool, type Toolset } from './defineTool.js';
import { imageTools } from './images/index.js';
import { networkTools } from './networks/index.js';
import { operationsTools } from './operations/index.js';
import { stacksToolset } from './stacks/index.js';
import { swarmTools } from './swarm/index.js';
import { volumeTools } from './volumes/index.js';

/** Every toolset, in the order their tools are listed. Each one is defined in its folder's index.ts. */
export const ALL_TOOLSETS: ToolsetDefinition[] = [
  containersToolset,
  { name: 'images', tools: imageTools },
  { name: 'networks', tools: networkTools },
  { name: 'volumes', tools: volumeTools },
  stacksToolset,
  { name: 'operations', tools: operationsTools },
  { name: 'swarm', tools: swarmTools },
];

/** Every tool this server has, in the order they are listed. */
export const ALL_TOOLS: AnyTool[] = ALL_TOOLSETS.flatMap((t) => t.tools);

/** Registers the resources and prompts of every toolset that offers at least one of `tools`. */
export function attachToolsetExtras(server: McpServer, engine: Engine, tools: readonly AnyTool[]): void {
  for (const ts of ALL_TOOLSETS) if (ts.attach && tools.some((t) => t.toolset === ts.name)) ts.attach(server, engine);
}

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
