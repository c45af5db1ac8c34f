import { z } from 'zod';
import type { AnyTool } from './defineTool.js';

/**
 * The one place where tool schemas become the JSON Schema that clients and models see.
 * On top of zod's conversion: no `$schema` line, every input object closed
 * (`additionalProperties: false`, which OpenAI strict mode needs), no length limits, and below a node marked
 * with TERSE no descriptions (a nested copy of another tool's arguments, documented there).
 */

export const PUBLISHED_TARGET = 'draft-2020-12';

/** Meta key: descriptions below this node are dropped from the published schema. */
export const TERSE = 'x-terse';

type Json = Record<string, unknown>;

/**
 * Length and pattern limits are left out of what the model sees: the server enforces them and
 * answers with an invalid_input error that names the field, and every one of them costs tokens
 * on every turn. Number bounds (ports, timeouts, limits) stay: they tell the model the range.
 */
const LENGTH_KEYWORDS = new Set(['minLength', 'maxLength', 'minItems', 'maxItems', 'pattern']);

function tidy(node: unknown, terse: boolean, close: boolean): unknown {
  if (Array.isArray(node)) return node.map((n) => tidy(n, terse, close));
  if (!node || typeof node !== 'object') return node;
  const src = node as Json;
  const quiet = terse || src[TERSE] === true;
  const out: Json = {};
  for (const [k, v] of Object.entries(src)) {
    if (k === '$schema' || k === TERSE) continue;
    if (close && LENGTH_KEYWORDS.has(k)) continue;
    if (k === 'description' && terse) continue;
    // `properties` maps names to schemas: a property may be called "description".
    if (k === 'properties' && v && typeof v === 'object') {
      out[k] = Object.fromEntries(Object.entries(v as Json).map(([name, s]) => [name, tidy(s, quiet, close)]));
      continue;
    }
    out[k] = tidy(v, quiet, close);
  }
  if (close && out.type === 'object' && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

/** Input schemas are closed; output schemas stay as declared (clients validate answers against them). */
export function publishJsonSchema(json: Json, { close = true } = {}): Json {
  return tidy(json, false, close) as Json;
}

export function publishedInputSchema(tool: AnyTool, target: string = PUBLISHED_TARGET): Json {
  return publishJsonSchema(z.toJSONSchema(tool.input, { target: target as 'draft-2020-12', io: 'input' }) as Json);
}

export function publishedOutputSchema(tool: AnyTool, target: string = PUBLISHED_TARGET): Json {
  return publishJsonSchema(z.toJSONSchema(tool.output, { target: target as 'draft-2020-12', io: 'output' }) as Json, {
    close: false,
  });
}
