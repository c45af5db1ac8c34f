import type { AnyTool } from '../defineTool.js';

export const networkTools: AnyTool[] = [];
