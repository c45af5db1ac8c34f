import type { Config } from '../config.js';
import { deployContainerTool } from './containers/deploy.js';
import { getContainerInfoTool, getContainerLogsTool, listContainersTool } from './containers/inspect.js';
import { removeContainerTool, restartContainerTool, startContainerTool, stopContainerTool } from './containers/lifecycle.js';
import { TOOLSETS, type AnyTool } from './defineTool.js';
import { getSystemInfoTool } from './system.js';

/** Every tool this server has, in the order they are listed. */
export const ALL_TOOLS: AnyTool[] = [
  deployContainerTool,
  listContainersTool,
  getContainerInfoTool,
  startContainerTool,
  stopContainerTool,
  restartContainerTool,
  removeContainerTool,
  getContainerLogsTool,
  getSystemInfoTool,
];

export class UnknownToolsetError extends Error {}

/** The tools the configuration allows: toolsets, read-only mode, destructive tools disabled. */
export function enabledTools(config: Config, tools: AnyTool[] = ALL_TOOLS): AnyTool[] {
  for (const t of config.toolsets) {
    if (!(TOOLSETS as readonly string[]).includes(t)) {
      throw new UnknownToolsetError(`unknown toolset "${t}"; known toolsets: ${TOOLSETS.join(', ')}`);
    }
  }
  return tools.filter((t) => {
    if (config.toolsets.length && !config.toolsets.includes(t.toolset)) return false;
    if (config.readOnly && t.kind !== 'read') return false;
    if (config.disableDestructive && t.kind === 'destructive') return false;
    return true;
  });
}
