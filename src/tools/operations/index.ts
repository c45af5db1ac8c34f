import type { AnyTool } from '../defineTool.js';
import { listEnginesTool } from './engines.js';
import { getDeploymentHistoryTool } from './history.js';
import { healContainersTool } from './heal.js';
import { healthMonitoringTool } from './health.js';
import { getSystemInfoTool } from './system.js';
import { configurationValidationTool } from './validate.js';

export const operationsTools: AnyTool[] = [
  getSystemInfoTool,
  getDeploymentHistoryTool,
  configurationValidationTool,
  healthMonitoringTool,
  listEnginesTool,
  healContainersTool,
];
