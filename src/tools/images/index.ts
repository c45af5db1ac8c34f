import type { AnyTool } from '../defineTool.js';

export const imageTools: AnyTool[] = [];
