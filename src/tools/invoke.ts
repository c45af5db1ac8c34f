import { z } from 'zod';
import { ToolError, type ErrorKind } from '../kernel/errors.js';
import { boundAnswer, capText, MAX_ANSWER_BYTES, TRUNCATED_META_KEY } from './bounds.js';
import { maskAnswer, maskText } from '../util/mask.js';
import { InputRequiredSignal } from './confirm.js';
import type { AnyTool, ToolContext } from './defineTool.js';
import { contextForEngine, takeEngineArg } from './engineArg.js';

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

const ownFieldsCache = new WeakMap<AnyTool, ReadonlySet<string>>();

/** The property names a tool's output schema declares: its own fields, never secrets by name. */
function ownFields(tool: AnyTool): ReadonlySet<string> {
  let fields = ownFieldsCache.get(tool);
  if (!fields) {
    const names = new Set<string>();
    const walk = (node: unknown): void => {
      if (!node || typeof node !== 'object') return;
      const props = (node as { properties?: Record<string, unknown> }).properties;
      if (props && typeof props === 'object') for (const k of Object.keys(props)) names.add(k);
      for (const v of Object.values(node)) walk(v);
    };
    try {
      walk(z.toJSONSchema(tool.output, { unrepresentable: 'any' }));
    } catch {
      // A schema that cannot be described: every key is then judged by its name.
    }
    fields = names;
    ownFieldsCache.set(tool, fields);
  }
  return fields;
}

/** The longest human line before the JSON of an answer. */
const MAX_HEADLINE_CHARS = 200;

/** The first line of a handler's rendering (its summary), cut short. */
export function headline(text: string): string {
  const first = text.split('\n', 1)[0] ?? '';
  return first.length > MAX_HEADLINE_CHARS ? `${first.slice(0, MAX_HEADLINE_CHARS - 1)}…` : first;
}

/**
 * The text block of an answer: one short human line, then the structured result as compact JSON,
 * so a client that reads only text (n8n) still gets every field. A cut answer keeps its notice.
 */
export function answerText(line: string, data: Record<string, unknown>): string {
  return `${line}\n${JSON.stringify(data)}`;
}

export function errorResult(kind: ErrorKind, message: string): ToolResult {
  return {
    content: [{ type: 'text', text: `Error (${kind}): ${capText(maskText(message), MAX_ERROR_CHARS)}` }],
    isError: true,
    _meta: { [ERROR_META_KEY]: { kind } },
  };
}

/**
 * Validates arguments, runs the handler and shapes the answer: structuredContent plus a
 * short text, or a tool error with a stable kind. Never throws for a tool's own failure.
 * Every answer and error passes the secret masker (src/util/mask.ts) on its way out, so
 * env, labels, commands, logs and exec output are masked whatever the tool did.
 */
export async function invokeTool(
  tool: AnyTool,
  rawArgs: unknown,
  callerCtx: ToolContext,
): Promise<ToolResult | { inputRequired: unknown }> {
  const { engine: engineName, args } = takeEngineArg(rawArgs);
  let ctx: ToolContext;
  try {
    ctx = contextForEngine(callerCtx, engineName);
  } catch (err) {
    if (err instanceof ToolError) return errorResult(err.kind, err.message);
    throw err;
  }
  const parsed = tool.input.safeParse(args ?? {});
  if (!parsed.success) {
    return errorResult('invalid_input', `Invalid arguments for ${tool.name}: ${issuesText(parsed.error)}.`);
  }
  const started = Date.now();
  try {
    const answer = await tool.handler(parsed.data, ctx);
    // Mask, then bound. The text repeats the data, so each of the two gets half the budget.
    const bounded = boundAnswer(
      headline(maskText(answer.text)),
      maskAnswer(answer.data, ownFields(tool)) as Record<string, unknown>,
      MAX_ANSWER_BYTES / 2,
    );
    if (!bounded) {
      ctx.log.warn({ tool: tool.name, ms: Date.now() - started }, 'answer too large even when shortened');
      return errorResult(
        'failed',
        `The answer of ${tool.name} is too large to send (over ${MAX_ANSWER_BYTES} bytes even shortened). Narrow the request (limit, filters, tail).`,
      );
    }
    ctx.log.info(
      {
        tool: tool.name,
        ...(ctx.engines?.several ? { engine: ctx.engine.name } : {}),
        ms: Date.now() - started,
        ...(bounded.truncatedFrom ? { truncatedFrom: bounded.truncatedFrom } : {}),
      },
      'tool call',
    );
    const result: ToolResult = {
      content: [{ type: 'text', text: answerText(bounded.text, bounded.data) }],
      structuredContent: bounded.data,
    };
    if (bounded.truncatedFrom !== undefined)
      result._meta = { [TRUNCATED_META_KEY]: { bytes: bounded.truncatedFrom, limit: MAX_ANSWER_BYTES } };
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
