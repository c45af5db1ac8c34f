import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  McpServer,
  type ClientCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Config } from './config.js';
import { Engine } from './docker/engine.js';
import { memoryHistory, type HistoryPort } from './history/port.js';
import type { Logger } from './logger.js';
import { createConfirmer, InputRequiredSignal, type Confirmer } from './tools/confirm.js';
import { annotationsFor, type AnyTool, type Progress, type ToolContext } from './tools/defineTool.js';
import { invokeTool } from './tools/invoke.js';
import { inputWireSchema, outputWireSchema } from './tools/wireSchemas.js';
import { registerContainerLogs } from './resources/containerLogs.js';
import { registerStackResources } from './resources/stacks.js';
import { enabledTools } from './tools/registry.js';
import { PACKAGE_VERSION } from './version.js';

export const SERVER_NAME = 'docker-orchestration-mcp';
export const SERVER_VERSION = PACKAGE_VERSION;


function progressFor(ctx: ServerContext, log: Logger): Progress {
  const token = ctx.mcpReq._meta?.progressToken;
  let step = 0;
  return (progress, total, message) => {
    if (token === undefined) return;
    // Progress must increase with every notification; fall back to a step counter.
    step = Math.max(step + 1, progress);
    const params: Record<string, unknown> = { progressToken: token, progress: step };
    if (total !== undefined && total >= step) params.total = total;
    if (message) params.message = message;
    ctx.mcpReq.notify({ method: 'notifications/progress', params }).catch((err: unknown) => log.debug({ err }, 'progress notification failed'));
  };
}

function clientName(server: McpServer): string {
  const info = server.server.getClientVersion();
  return info ? `${info.name}/${info.version}` : 'mcp-client';
}

const CONFIRM_KEY = 'confirm';

/**
 * Confirmation through MCP elicitation: on 2026-era requests as an input_required round
 * (the client asks the user and retries the call), on 2025-era connections as a pushed
 * elicitation/create request. Clients without elicitation fall back to `confirm: true`.
 */
function confirmerFor(server: McpServer, ctx: ServerContext): Confirmer {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const modernCaps = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  const caps = modernCaps ?? server.server.getClientCapabilities();
  const requestedSchema = (summary: string) => ({
    type: 'object' as const,
    properties: { confirm: { type: 'boolean' as const, title: 'Confirm', description: summary } },
    required: ['confirm'],
  });
  return createConfirmer({
    clientCanElicit: () => Boolean(caps?.elicitation),
    elicit: async (summary) => {
      const message = `${summary}\nConfirm?`;
      if (modernCaps) {
        const answer = inputResponse(ctx.mcpReq.inputResponses, CONFIRM_KEY);
        if (answer.kind === 'elicit') return answer.action === 'accept' && answer.content?.confirm === true;
        throw new InputRequiredSignal(
          inputRequired({ inputRequests: { [CONFIRM_KEY]: inputRequired.elicit({ message, requestedSchema: requestedSchema(summary) }) } }),
        );
      }
      const res = await ctx.mcpReq.elicitInput({ mode: 'form', message, requestedSchema: requestedSchema(summary) });
      return res.action === 'accept' && res.content?.confirm === true;
    },
  });
}

export interface CreatedServer {
  server: McpServer;
  engine: Engine;
  tools: AnyTool[];
  cleanup: () => Promise<void>;
}

/** Builds one MCP server with the tools the configuration allows. Transports live elsewhere. */
export function createServer(config: Config, log: Logger, engine = new Engine(config, log), history: HistoryPort = memoryHistory()): CreatedServer {
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: { tools: {}, logging: {}, resources: {}, prompts: {} },
      instructions:
        'Deploy and operate Docker containers. Lists are compact; use get_container_info for detail. Destructive tools (remove_*) need confirm: true unless the client supports elicitation.',
    },
  );
  const tools = enabledTools(config);
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: inputWireSchema(tool.name, tool.input),
        outputSchema: outputWireSchema(tool.name, tool.output),
        annotations: annotationsFor(tool.kind, tool.title),
      },
      async (args: unknown, ctx: ServerContext) => {
        const toolCtx: ToolContext = {
          engine,
          config,
          log,
          signal: ctx.mcpReq.signal,
          progress: progressFor(ctx, log),
          history,
          who: clientName(server),
          confirm: confirmerFor(server, ctx),
        };
        const result = await invokeTool(tool, args, toolCtx);
        if ('inputRequired' in result) return result.inputRequired as never;
        return result as never;
      },
    );
  }
  if (tools.some((t) => t.name === 'get_container_logs')) registerContainerLogs(server, engine);
  if (tools.some((t) => t.name === 'deploy_application_stack')) registerStackResources(server, engine);
  return {
    server,
    engine,
    tools,
    cleanup: async () => {
      await server.close();
    },
  };
}
