import type { AnyTool } from '../defineTool.js';
import { getDeploymentHistoryTool } from './history.js';
import { getSystemInfoTool } from './system.js';

export const operationsTools: AnyTool[] = [getSystemInfoTool, getDeploymentHistoryTool];
