import {
  CLIENT_CAPABILITIES_META_KEY,
  ProtocolError,
  ProtocolErrorCode,
  type McpServer,
  type ServerContext,
} from '@modelcontextprotocol/server';
import { TASKS_EXTENSION_ID_V2 } from '@modelcontextprotocol/ext-tasks/core/v2';
import { z } from 'zod';
import type { TaskRunner, TaskView, Work } from './runner.js';

/**
 * The Tasks extension (io.modelcontextprotocol/tasks, protocol 2026-07-28) on one McpServer:
 * `tools/call` of a long tool answers with a task when the request's client capabilities carry
 * the extension; `tasks/get` reads it (with the result once completed), `tasks/update` brings the
 * user's answers to a task waiting for input, `tasks/cancel` stops it. Clients that do not opt in
 * (and every 2025-era client) get the tool's answer on the call itself, as before.
 */

/** The tools whose work may take minutes: they run as tasks when the client opts in. */
export const TASK_TOOLS: ReadonlySet<string> = new Set(['deploy_application_stack', 'pull_image', 'remove_stack']);

type RawHandler = (
  request: { method: string; params?: Record<string, unknown> },
  ctx: ServerContext,
) => Promise<unknown>;

/** Did this request's sender declare the Tasks extension (2026-07-28 per-request capabilities)? */
export function wantsTask(ctx: ServerContext): boolean {
  const envelope = ctx.mcpReq.envelope as Record<string, unknown> | undefined;
  const caps = envelope?.[CLIENT_CAPABILITIES_META_KEY] as { extensions?: Record<string, unknown> } | undefined;
  const ext = caps?.extensions?.[TASKS_EXTENSION_ID_V2];
  return ext !== undefined && ext !== null && typeof ext === 'object';
}

/** The Task object of the wire (createdAt/lastUpdatedAt as ISO 8601 text). */
function wireTask(t: TaskView): Record<string, unknown> {
  const task: Record<string, unknown> = {
    taskId: t.id,
    status: t.status,
    createdAt: new Date(t.createdAt).toISOString(),
    lastUpdatedAt: new Date(t.updatedAt).toISOString(),
    ttlMs: t.ttlMs,
    pollIntervalMs: t.pollIntervalMs,
  };
  if (t.statusMessage) task.statusMessage = t.statusMessage;
  return task;
}

/** tasks/get's answer: the task, plus its result, error or questions as its status says. */
export function detailedTask(t: TaskView): Record<string, unknown> {
  const task = wireTask(t);
  if (t.status === 'completed') task.result = t.result ?? { resultType: 'complete', content: [] };
  if (t.status === 'failed') task.error = t.error ?? { code: -32603, message: 'failed' };
  if (t.status === 'input_required') task.inputRequests = t.inputRequests ?? {};
  return task;
}

const TaskIdParams = z.looseObject({ taskId: z.string().min(1).max(200) });
const UpdateParams = z.looseObject({
  taskId: z.string().min(1).max(200),
  inputResponses: z.record(z.string(), z.unknown()).optional(),
});

function unknownTask(id: string): ProtocolError {
  return new ProtocolError(ProtocolErrorCode.InvalidParams, `No task "${id}": it never existed here or has expired.`);
}

/**
 * Installs the extension on `server`. `workFor` turns one tools/call into the task's work, or
 * returns undefined when that tool does not run as a task.
 */
export function installTasks(
  server: McpServer,
  runner: TaskRunner,
  workFor: (name: string, args: unknown, ctx: ServerContext) => Work | undefined,
): void {
  const low = server.server;
  low.registerCapabilities({ extensions: { [TASKS_EXTENSION_ID_V2]: {} } });

  // The SDK's own tools/call handler validates a complete CallToolResult; a task is another kind
  // of answer (resultType "task"), so the stored handler is wrapped, not replaced.
  const handlers = (low as unknown as { _requestHandlers: Map<string, RawHandler> })._requestHandlers;
  const sdkCall = handlers.get('tools/call');
  if (!sdkCall) throw new Error('installTasks: register the tools first');
  handlers.set('tools/call', async (request, ctx) => {
    const name = request.params?.name;
    if (typeof name === 'string' && TASK_TOOLS.has(name) && wantsTask(ctx)) {
      const work = workFor(name, request.params?.arguments ?? {}, ctx);
      if (work) return { resultType: 'task', ...wireTask(runner.start(name, work)) };
    }
    return sdkCall(request, ctx);
  });

  low.setRequestHandler('tasks/get', { params: TaskIdParams }, ({ taskId }) => {
    const task = runner.get(taskId);
    if (!task) throw unknownTask(taskId);
    return detailedTask(task) as never;
  });
  low.setRequestHandler('tasks/update', { params: UpdateParams }, ({ taskId, inputResponses }, ctx) => {
    // The SDK lifts params.inputResponses of a 2026-era request into the context before handlers.
    const answers = inputResponses ?? (ctx.mcpReq.inputResponses as Record<string, unknown> | undefined);
    if (!answers) throw new ProtocolError(ProtocolErrorCode.InvalidParams, 'tasks/update needs inputResponses.');
    const outcome = runner.update(taskId, answers);
    if (outcome === 'not_found') throw unknownTask(taskId);
    if (outcome === 'not_waiting')
      throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Task "${taskId}" is not waiting for input.`);
    return {} as never;
  });
  low.setRequestHandler('tasks/cancel', { params: TaskIdParams }, ({ taskId }) => {
    if (runner.cancel(taskId) === 'not_found') throw unknownTask(taskId);
    return {} as never;
  });
}
