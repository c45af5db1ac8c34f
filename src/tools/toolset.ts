import type { McpServer } from '@modelcontextprotocol/server';
import type { Engine } from '../docker/engine.js';
import type { AnyTool, Toolset } from './defineTool.js';

/**
 * A toolset owns its tools and what goes with them on the MCP side: resources and prompts,
 * registered when the configuration offers at least one of its tools.
 */
export interface ToolsetDefinition {
  name: Toolset;
  tools: AnyTool[];
  attach?: (server: McpServer, engine: Engine) => void;
}
