import { engineVersion } from '../../docker/queries.js';
import { z } from 'zod';
import type { Engine } from '../../docker/engine.js';
import { isToolError } from '../../kernel/errors.js';
import { defineTool } from '../defineTool.js';

/** How long list_engines waits for one Engine: an unreachable host must not hold the answer for the full engine timeout. */
const PROBE_TIMEOUT_MS = 5000;

const engineRow = z.object({
  name: z.string(),
  default: z.boolean(),
  endpoint: z.string().describe('Address without credentials.'),
  reachable: z.boolean(),
  version: z.string().optional(),
  apiVersion: z.string().optional(),
  apiVersionInUse: z.string().optional(),
  error: z.string().optional().describe('Why it could not be reached.'),
});
type EngineRow = z.infer<typeof engineRow>;

async function probe(engine: Engine, isDefault: boolean, signal: AbortSignal): Promise<EngineRow> {
  const row: EngineRow = { name: engine.name, default: isDefault, endpoint: engine.endpoint, reachable: false };
  try {
    const v = await engineVersion(engine, signal, Math.min(PROBE_TIMEOUT_MS, engine.timeoutMs));
    row.reachable = true;
    row.version = v.Version;
    row.apiVersion = v.ApiVersion;
    if (engine.apiVersion) row.apiVersionInUse = engine.apiVersion;
  } catch (err) {
    row.error = isToolError(err) ? `${err.kind}: ${err.message}` : String(err);
  }
  return row;
}

export const listEnginesTool = defineTool({
  name: 'list_engines',
  title: 'List Docker Engines',
  description:
    'The Docker Engines this server can act on, with reachability and version. Tools take `engine` to pick one.',
  toolset: 'operations',
  kind: 'read',
  allEngines: true,
  input: z.object({}),
  output: z.object({ engines: z.array(engineRow) }),
  async handler(_args, ctx) {
    const engines = ctx.engines?.all ?? [ctx.engine];
    const defaultEngine = ctx.engines?.default ?? ctx.engine;
    const rows = await Promise.all(engines.map((e) => probe(e, e === defaultEngine, ctx.signal)));
    const text = rows
      .map(
        (r) =>
          `${r.name}${r.default ? ' (default)' : ''}  ${r.endpoint}  ${r.reachable ? `Engine ${r.version} (API ${r.apiVersion})` : `unreachable: ${r.error ?? ''}`}`,
      )
      .join('\n');
    return { data: { engines: rows }, text: `${rows.length} Engine(s)\n${text}` };
  },
});
