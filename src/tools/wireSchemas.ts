import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';
import { PUBLISHED_TARGET, publishJsonSchema } from './publish.js';

/**
 * The schemas handed to the SDK. Their JSON Schema is converted once per tool and process
 * (the SDK converts on every tools/list, and HTTP builds a server per request).
 */

type Std = StandardSchemaWithJSON['~standard'];
type Converter = Std['jsonSchema'];
type Json = Record<string, unknown>;

/** The build writes dist/tool-schemas.json (draft 2020-12, the SDK's target); next to the bundle or one level up. */
const PRECOMPUTED_TARGET = PUBLISHED_TARGET;
let precomputed: Record<string, { input: Json; output: Json }> | undefined;

function precomputedSchemas(): Record<string, { input: Json; output: Json }> {
  if (!precomputed) {
    const file = ['./tool-schemas.json', '../tool-schemas.json']
      .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
      .find((f) => existsSync(f));
    precomputed = file ? (JSON.parse(readFileSync(file, 'utf8')) as typeof precomputed & object) : {};
  }
  return precomputed;
}

const cache = new WeakMap<z.ZodObject, Map<string, Json>>();

function memoizedConverter(tool: string, schema: z.ZodObject): Converter {
  const std = schema['~standard'] as unknown as Std;
  const memo = (io: 'input' | 'output') => (options: Parameters<Converter['input']>[0]) => {
    const shipped = options.target === PRECOMPUTED_TARGET ? precomputedSchemas()[tool]?.[io] : undefined;
    if (shipped) return shipped;
    let byKey = cache.get(schema);
    if (!byKey) cache.set(schema, (byKey = new Map()));
    const key = `${io}:${options.target}`;
    let json = byKey.get(key);
    if (!json) byKey.set(key, (json = publishJsonSchema(std.jsonSchema[io](options), { close: io === 'input' })));
    return json;
  };
  return { input: memo('input'), output: memo('output') };
}

/**
 * Advertises the zod schema but lets every argument object through the SDK, so that our own
 * validation answers bad input with an `invalid_input` tool error that names each field,
 * the same in MCP and in the CLI.
 */
export function inputWireSchema(
  tool: string,
  schema: z.ZodObject,
  /** Arguments added around the tool's own (the `engine` argument, src/tools/engineArg.ts). */
  extend: (json: Json) => Json = (json) => json,
): StandardSchemaWithJSON {
  const converter = memoizedConverter(tool, schema);
  return {
    '~standard': {
      version: 1,
      vendor: 'docker-orchestration-mcp',
      validate: (value: unknown) => ({ value }),
      jsonSchema: { input: (o) => extend(converter.input(o)), output: (o) => extend(converter.output(o)) },
    },
  } as StandardSchemaWithJSON;
}

/**
 * The output schema, advertised as JSON Schema converted once. Answers are built by typed
 * handlers (the compiler checks them against the same zod type) and clients validate what
 * they receive, so the server does not parse every answer a second time on the hot path.
 */
export function outputWireSchema(tool: string, schema: z.ZodObject): StandardSchemaWithJSON {
  return {
    '~standard': {
      version: 1,
      vendor: 'docker-orchestration-mcp',
      validate: (value: unknown) => ({ value }),
      jsonSchema: memoizedConverter(tool, schema),
    },
  } as StandardSchemaWithJSON;
}
