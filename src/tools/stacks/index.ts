import type { AnyTool } from '../defineTool.js';
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
