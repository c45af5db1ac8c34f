import type { AnyTool } from '../defineTool.js';
import {
  connectContainerToNetworkTool,
  createNetworkTool,
  disconnectContainerFromNetworkTool,
  listNetworksTool,
  removeNetworkTool,
} from './networks.js';

export const networkTools: AnyTool[] = [
  createNetworkTool,
  listNetworksTool,
  removeNetworkTool,
  connectContainerToNetworkTool,
  disconnectContainerFromNetworkTool,
];
