import { ToolError } from '../kernel/errors.js';
import { historyForEngine } from '../history/engineScope.js';
import type { AnyTool, ToolContext } from './defineTool.js';

/**
 * The `engine` argument every tool takes (issue 16), handled here once rather than in each
 * handler: it is taken out of the arguments before the tool's own schema sees them, names the
 * Engine the handler's context gets (default: the first configured), and scopes the history
 * to that Engine (src/history/engineScope.ts).
 *
 * It is published in the input schemas only when the server has more than one Engine: with one
 * there is nothing to choose, and the property would cost every tool's schema tokens on every
 * turn. It is still accepted then (naming the one Engine).
 */

export const ENGINE_ARG = 'engine';

/** Splits `engine` off a call's arguments; other values pass through untouched for the tool's own validation. */
export function takeEngineArg(raw: unknown): { engine: unknown; args: unknown } {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw) || !(ENGINE_ARG in raw)) {
    return { engine: undefined, args: raw };
  }
  const { [ENGINE_ARG]: engine, ...args } = raw as Record<string, unknown>;
  return { engine, args };
}

/** The context of a call on the Engine `name` asks for; invalid_input (listing the names) for an unknown one. */
export function contextForEngine(ctx: ToolContext, name: unknown): ToolContext {
  const names = ctx.engines?.names ?? [ctx.engine.name];
  if (name !== undefined && typeof name !== 'string') {
    throw new ToolError('invalid_input', `engine must be a string, one of ${names.map((n) => `"${n}"`).join(', ')}.`);
  }
  const engine = ctx.engines ? ctx.engines.get(name) : ctx.engine;
  if (!ctx.engines && name !== undefined && name.trim().toLowerCase() !== engine.name) {
    throw new ToolError('invalid_input', `Unknown engine "${name.slice(0, 64)}": this server has "${engine.name}".`);
  }
  const isDefault = ctx.engines ? engine === ctx.engines.default : true;
  return { ...ctx, engine, history: historyForEngine(ctx.history, engine.name, isDefault) };
}

/** Adds the `engine` property to a tool's published input schema when the server has several Engines. */
export function withEngineProperty(
  tool: AnyTool,
  json: Record<string, unknown>,
  names: readonly string[],
): Record<string, unknown> {
  if (names.length < 2 || tool.allEngines) return json;
  const properties = (json.properties as Record<string, unknown> | undefined) ?? {};
  return {
    ...json,
    properties: {
      ...properties,
      [ENGINE_ARG]: {
        type: 'string',
        enum: [...names],
        description: `Engine to act on (default "${names[0]}").`,
      },
    },
  };
}
