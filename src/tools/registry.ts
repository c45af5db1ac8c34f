import type { Config } from '../config.js';
import { containerTools } from './containers/index.js';
import { TOOLSETS, type AnyTool } from './defineTool.js';
import { imageTools } from './images/index.js';
import { networkTools } from './networks/index.js';
import { operationsTools } from './operations/index.js';
import { stackTools } from './stacks/index.js';
import { volumeTools } from './volumes/index.js';

/** Every tool this server has, in the order they are listed. Each toolset owns its index.ts. */
export const ALL_TOOLS: AnyTool[] = [
  ...containerTools,
  ...imageTools,
  ...networkTools,
  ...volumeTools,
  ...stackTools,
  ...operationsTools,
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
