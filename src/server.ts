import {
  CLIENT_CAPABILITIES_META_KEY,
  inputRequired,
  inputResponse,
  McpServer,
  type ClientCapabilities,
  type ServerContext,
} from '@modelcontextprotocol/server';
import type { Config } from './config.js';
import type { Engine } from './docker/engine.js';
import { EngineSet } from './docker/engineSet.js';
import { memoryHistory, type HistoryPort } from './history/port.js';
import type { Logger } from './logger.js';
import { createConfirmer, InputRequiredSignal, type Confirmer, type ElicitAnswer } from './tools/confirm.js';
import { annotationsFor, type AnyTool, type Progress, type ToolContext } from './tools/defineTool.js';
import { invokeTool } from './tools/invoke.js';
import { withEngineProperty } from './tools/engineArg.js';
import { inputWireSchema, outputWireSchema } from './tools/wireSchemas.js';
import { attachToolsetExtras, enabledTools } from './tools/registry.js';
import { PACKAGE_VERSION } from './version.js';
import { installTasks, TASK_TOOLS } from './tasks/mcp.js';
import type { TaskRunner, Work } from './tasks/runner.js';

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
    ctx.mcpReq
      .notify({ method: 'notifications/progress', params })
      .catch((err: unknown) => log.debug({ err }, 'progress notification failed'));
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
 * elicitation/create request. When the client can ask, only the user's answer confirms;
 * `confirm: true` counts for clients that cannot (src/tools/confirm.ts has the rule).
 */
function confirmerFor(
  server: McpServer,
  ctx: ServerContext,
  config: Config,
  inputResponses: unknown = ctx.mcpReq.inputResponses,
): Confirmer {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const modernCaps = envelope?.[CLIENT_CAPABILITIES_META_KEY] as ClientCapabilities | undefined;
  const caps = modernCaps ?? server.server.getClientCapabilities();
  const requestedSchema = (summary: string) => ({
    type: 'object' as const,
    properties: { confirm: { type: 'boolean' as const, title: 'Confirm', description: summary } },
    required: ['confirm'],
  });
  const answerOf = (action: string, content: Record<string, unknown> | undefined): ElicitAnswer => {
    if (action === 'accept') return content?.confirm === true ? 'accept' : 'decline';
    return action === 'cancel' ? 'cancel' : 'decline';
  };
  return createConfirmer({
    confirmArgument: config.confirmArgument,
    clientCanElicit: () => Boolean(caps?.elicitation),
    elicit: async (summary) => {
      const message = `${summary}\nConfirm?`;
      if (modernCaps) {
        const answer = inputResponse(inputResponses as Parameters<typeof inputResponse>[0], CONFIRM_KEY);
        if (answer.kind === 'elicit') return answerOf(answer.action, answer.content);
        if (answer.kind !== 'missing') return 'decline';
        throw new InputRequiredSignal(
          inputRequired({
            inputRequests: {
              [CONFIRM_KEY]: inputRequired.elicit({ message, requestedSchema: requestedSchema(summary) }),
            },
          }),
        );
      }
      const res = await ctx.mcpReq.elicitInput({ mode: 'form', message, requestedSchema: requestedSchema(summary) });
      return answerOf(res.action, res.content);
    },
  });
}

export interface CreatedServer {
  server: McpServer;
  /** The default Engine. */
  engine: Engine;
  engines: EngineSet;
  tools: AnyTool[];
  cleanup: () => Promise<void>;
}

/** A task's progress as its status message: "3/7 create web-1". */
function progressMessage(progress: number, total: number | undefined, message: string | undefined): string {
  const count = total === undefined ? `${progress}` : `${progress}/${total}`;
  return message ? `${count} ${message}` : count;
}

/**
 * Builds one MCP server with the tools the configuration allows. Transports live elsewhere.
 * With a task runner (one per process), long tools also run as tasks for clients that opt in.
 * `engines`: the process's Engines (one set per process, shared by every session); each call
 * acts on the one its `engine` argument names (src/tools/engineArg.ts). Resources read the default.
 */
export function createServer(
  config: Config,
  log: Logger,
  engines = new EngineSet(config, log),
  history: HistoryPort = memoryHistory(),
  tasks?: TaskRunner,
): CreatedServer {
  const engine = engines.default;
  const server = new McpServer(
    { name: SERVER_NAME, version: SERVER_VERSION },
    {
      capabilities: { tools: {}, logging: {}, resources: {}, prompts: {} },
      instructions:
        'Deploy and operate Docker containers. Lists are compact; use get_container_info for detail. Destructive tools (remove_*, exec, heal) need confirmation: when the client supports elicitation the user is asked and only their answer counts; otherwise pass confirm: true.',
    },
  );
  const tools = enabledTools(config);
  for (const tool of tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: inputWireSchema(tool.name, tool.input, (json) => withEngineProperty(tool, json, engines.names)),
        outputSchema: outputWireSchema(tool.name, tool.output),
        annotations: annotationsFor(tool.kind, tool.title),
      },
      async (args: unknown, ctx: ServerContext) => {
        const toolCtx: ToolContext = {
          engine,
          engines,
          config,
          log,
          signal: ctx.mcpReq.signal,
          progress: progressFor(ctx, log),
          history,
          who: clientName(server),
          confirm: confirmerFor(server, ctx, config),
        };
        const result = await invokeTool(tool, args, toolCtx);
        if ('inputRequired' in result) return result.inputRequired as never;
        return result as never;
      },
    );
  }
  if (tasks && tools.some((t) => TASK_TOOLS.has(t.name))) {
    installTasks(server, tasks, (name, args, ctx): Work | undefined => {
      const tool = tools.find((t) => t.name === name);
      // Bad arguments get their error on the call itself, through the SDK's own path.
      if (!tool || !tool.input.safeParse(args ?? {}).success) return undefined;
      const who = clientName(server);
      // The task's own signal and progress: the work outlives the request that started it.
      return async ({ inputResponses, signal, progress }) => {
        const result = await invokeTool(tool, args, {
          engine,
          engines,
          config,
          log,
          signal,
          progress: (p, total, message) => progress(progressMessage(p, total, message)),
          history,
          who,
          confirm: confirmerFor(server, ctx, config, inputResponses),
        });
        if ('inputRequired' in result)
          return {
            inputRequests: (result.inputRequired as { inputRequests?: Record<string, unknown> }).inputRequests ?? {},
          };
        return { result: { resultType: 'complete', ...(result as unknown as Record<string, unknown>) } };
      };
    });
  }
  attachToolsetExtras(server, engine, tools);
  return {
    server,
    engine,
    engines,
    tools,
    cleanup: async () => {
      await server.close();
    },
  };
}
