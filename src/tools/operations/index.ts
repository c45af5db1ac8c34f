import type { AnyTool } from '../defineTool.js';
import { getSystemInfoTool } from './system.js';

export const operationsTools: AnyTool[] = [getSystemInfoTool];
