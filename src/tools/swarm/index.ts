import type { AnyTool } from '../defineTool.js';
import { rollbackServiceTool, scaleServiceTool, updateServiceImageTool } from './change.js';
import { activateNodeTool, drainNodeTool } from './nodes.js';
import { getClusterStatusTool, getServiceInfoTool, getServiceLogsTool, listServicesTool } from './read.js';

/** The swarm toolset: a Swarm cluster through one of its managers. Not in the default toolsets. */
export const swarmTools: AnyTool[] = [
  getClusterStatusTool,
  listServicesTool,
  getServiceInfoTool,
  getServiceLogsTool,
  scaleServiceTool,
  updateServiceImageTool,
  rollbackServiceTool,
  drainNodeTool,
  activateNodeTool,
];
