import type { z } from 'zod';
import { ToolError, type ErrorKind } from '../docker/errors.js';
import { boundAnswer, capText, MAX_ANSWER_BYTES, TRUNCATED_META_KEY } from './bounds.js';
import { InputRequiredSignal } from './confirm.js';
import type { AnyTool, ToolContext } from './defineTool.js';

export interface ToolResult {
  [key: string]: unknown;
  content: { type: 'text'; text: string }[];
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  _meta?: Record<string, unknown>;
}

export const ERROR_META_KEY = 'io.docker-orchestration-mcp/error';

function issuesText(err: z.ZodError): string {
  return err.issues
    .slice(0, 8)
    .map((i) => {
      const path = i.path.length ? i.path.map(String).join('.') : 'arguments';
      return `${path}: ${i.message}`;
    })
    .join('; ');
}

/** An error message longer than this is cut: errors explain, they do not carry data. */
const MAX_ERROR_CHARS = 8 * 1024;

export function errorResult(kind: ErrorKind, message: string): ToolResult {
  return {
    content: [{ type: 'text', text: `Error (${kind}): ${capText(message, MAX_ERROR_CHARS)}` }],
    isError: true,
    _meta: { [ERROR_META_KEY]: { kind } },
  };
}

/**
 * Validates arguments, runs the handler and shapes the answer: structuredContent plus a
 * short text, or a tool error with a stable kind. Never throws for a tool's own failure.
 */
export async function invokeTool(tool: AnyTool, rawArgs: unknown, ctx: ToolContext): Promise<ToolResult | { inputRequired: unknown }> {
  const parsed = tool.input.safeParse(rawArgs ?? {});
  if (!parsed.success) {
    return errorResult('invalid_input', `Invalid arguments for ${tool.name}: ${issuesText(parsed.error)}.`);
  }
  const started = Date.now();
  try {
    const answer = await tool.handler(parsed.data, ctx);
    const bounded = boundAnswer(answer.text, answer.data as Record<string, unknown>);
    if (!bounded) {
      ctx.log.warn({ tool: tool.name, ms: Date.now() - started }, 'answer too large even when shortened');
      return errorResult('failed', `The answer of ${tool.name} is too large to send (over ${MAX_ANSWER_BYTES} bytes even shortened). Narrow the request (limit, filters, tail).`);
    }
    ctx.log.info({ tool: tool.name, ms: Date.now() - started, ...(bounded.truncatedFrom ? { truncatedFrom: bounded.truncatedFrom } : {}) }, 'tool call');
    const result: ToolResult = { content: [{ type: 'text', text: bounded.text }], structuredContent: bounded.data };
    if (bounded.truncatedFrom !== undefined) result._meta = { [TRUNCATED_META_KEY]: { bytes: bounded.truncatedFrom, limit: MAX_ANSWER_BYTES } };
    return result;
  } catch (err) {
    if (err instanceof InputRequiredSignal) return { inputRequired: err.result };
    if (err instanceof ToolError) {
      ctx.log.info({ tool: tool.name, ms: Date.now() - started, kind: err.kind, msg: err.message }, 'tool error');
      return errorResult(err.kind, err.message);
    }
    ctx.log.error({ tool: tool.name, err }, 'unexpected tool failure');
    return errorResult('failed', `${tool.name} failed unexpectedly: ${(err as Error)?.message ?? String(err)}`);
  }
}
