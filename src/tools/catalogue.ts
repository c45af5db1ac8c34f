import type { Config } from '../config.js';
import { annotationsFor, TOOLSETS, type AnyTool } from './defineTool.js';
import { ALL_TOOLS, enabledTools } from './registry.js';
import { publishedInputSchema, publishedOutputSchema } from './publish.js';

/**
 * What a tool catalogue costs a model on every turn: the tools/list entries it is given
 * (name, description, input schema), and with output schemas. Tokens are estimated as
 * characters / 4, the usual rule of thumb for English and JSON.
 */
export interface CatalogueSize {
  tools: number;
  bytes: number;
  tokens: number;
  bytesWithOutput: number;
}

export function catalogueSize(tools: AnyTool[]): CatalogueSize {
  let chars = 0;
  let bytes = 0;
  let bytesWithOutput = 0;
  for (const t of tools) {
    const entry = JSON.stringify({ name: t.name, description: t.description, inputSchema: publishedInputSchema(t) });
    chars += entry.length;
    bytes += Buffer.byteLength(entry);
    bytesWithOutput += Buffer.byteLength(entry) + Buffer.byteLength(JSON.stringify(publishedOutputSchema(t)));
  }
  return { tools: tools.length, bytes, tokens: Math.ceil(chars / 4), bytesWithOutput };
}

/** The configurations whose tools/list is kept as a golden file (test/golden/). */
export interface CatalogueConfig {
  name: string;
  toolsets: string[];
  readOnly: boolean;
}

export const CATALOGUE_CONFIGS: CatalogueConfig[] = [
  { name: 'default', toolsets: [], readOnly: false },
  { name: 'read-only', toolsets: [], readOnly: true },
  { name: 'all', toolsets: ['all'], readOnly: false },
  ...TOOLSETS.map((t) => ({ name: `toolset-${t}`, toolsets: [t], readOnly: false })),
];

/** The tools of a configuration as tools/list shows them (name, title, description, annotations, schemas). */
export function toolListing(cfg: CatalogueConfig, tools: AnyTool[] = ALL_TOOLS): Record<string, unknown>[] {
  const enabled = enabledTools(
    { toolsets: cfg.toolsets, readOnly: cfg.readOnly, disableDestructive: false } as unknown as Config,
    tools,
  );
  return enabled.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    annotations: annotationsFor(t.kind, t.title),
    inputSchema: publishedInputSchema(t),
    outputSchema: publishedOutputSchema(t),
  }));
}
