import type { AnyTool } from '../defineTool.js';
import { createVolumeTool, listVolumesTool, removeVolumeTool } from './volumes.js';

export const volumeTools: AnyTool[] = [createVolumeTool, listVolumesTool, removeVolumeTool];
