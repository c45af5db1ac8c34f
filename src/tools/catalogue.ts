import type { AnyTool } from './defineTool.js';
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
