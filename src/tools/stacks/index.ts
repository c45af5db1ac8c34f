import type { AnyTool } from '../defineTool.js';

export const stackTools: AnyTool[] = [];
