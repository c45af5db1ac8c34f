import type { AnyTool } from '../defineTool.js';

export const volumeTools: AnyTool[] = [];
