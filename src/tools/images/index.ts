import type { AnyTool } from '../defineTool.js';
import { listImagesTool, pullImageTool, removeImageTool } from './images.js';

export const imageTools: AnyTool[] = [listImagesTool, pullImageTool, removeImageTool];
