import type { AnyTool } from '../defineTool.js';
import { deployContainerTool } from './deploy.js';
import { getContainerInfoTool, getContainerLogsTool, listContainersTool } from './inspect.js';
import { removeContainerTool, restartContainerTool, startContainerTool, stopContainerTool } from './lifecycle.js';

export const containerTools: AnyTool[] = [
  deployContainerTool,
  listContainersTool,
  getContainerInfoTool,
  startContainerTool,
  stopContainerTool,
  restartContainerTool,
  removeContainerTool,
  getContainerLogsTool,
];
