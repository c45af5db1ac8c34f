import { registerStackResources } from '../../resources/stacks.js';
import type { AnyTool } from '../defineTool.js';
import type { ToolsetDefinition } from '../toolset.js';
import { deployStackTool } from './deploy.js';
import { getStackStatusTool, listStacksTool, listStackTemplatesTool } from './read.js';
import { removeStackTool } from './remove.js';

export const stackTools: AnyTool[] = [
  deployStackTool,
  listStacksTool,
  getStackStatusTool,
  removeStackTool,
  listStackTemplatesTool,
];

/** Templates and running stacks as resources, one prompt per template. */
export const stacksToolset: ToolsetDefinition = { name: 'stacks', tools: stackTools, attach: registerStackResources };
