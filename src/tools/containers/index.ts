import { registerContainerLogs } from '../../resources/containerLogs.js';
import type { AnyTool } from '../defineTool.js';
import type { ToolsetDefinition } from '../toolset.js';
import { deployContainerTool } from './deploy.js';
import { execInContainerTool } from './exec.js';
import { getContainerInfoTool, getContainerLogsTool, listContainersTool } from './inspect.js';
import { removeContainerTool, restartContainerTool, startContainerTool, stopContainerTool } from './lifecycle.js';
import { getContainerStatsTool } from './stats.js';

export const containerTools: AnyTool[] = [
  deployContainerTool,
  listContainersTool,
  getContainerInfoTool,
  startContainerTool,
  stopContainerTool,
  restartContainerTool,
  removeContainerTool,
  getContainerLogsTool,
  getContainerStatsTool,
  execInContainerTool,
];

/** The last log lines of each container as a resource (docker://containers/NAME/logs). */
export const containersToolset: ToolsetDefinition = {
  name: 'containers',
  tools: containerTools,
  attach: registerContainerLogs,
};
