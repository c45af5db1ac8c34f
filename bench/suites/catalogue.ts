/**
 * What the tool catalogue costs a model on every turn (issue 15): the tools/list of our server
 * over stdio, default configuration and every toolset, as bytes and tokens (characters / 4) of
 * name + description + input schema, and with output schemas. "before" is another built checkout
 * (BENCH_CATALOGUE_BEFORE, e.g. the commit before the lean catalogue), measured the same way.
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { join } from 'node:path';
import type { BenchConfig } from '../config.js';
import { CLI, serverEnv } from '../lib/mcp.js';

export interface CatalogueSize {
  tools: number;
  bytes: number;
  tokens: number;
  bytesWithOutput: number;
}

export interface CatalogueResult {
  /** Variant ("after", "before") -> configuration ("default", "all") -> size. */
  variants: Record<string, Record<string, CatalogueSize | { error: string }>>;
}

async function measure(cli: string, toolsets: string | undefined): Promise<CatalogueSize> {
  const client = new Client({ name: 'dom-bench-catalogue', version: '1.0.0' });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'serve'],
      env: serverEnv(toolsets ? { DOM_TOOLSETS: toolsets } : {}),
      stderr: 'ignore',
    }),
  );
  try {
    const { tools } = await client.listTools();
    let chars = 0;
    let bytes = 0;
    let bytesWithOutput = 0;
    for (const t of tools) {
      const entry = JSON.stringify({ name: t.name, description: t.description, inputSchema: t.inputSchema });
      chars += entry.length;
      bytes += Buffer.byteLength(entry);
      bytesWithOutput += Buffer.byteLength(entry) + Buffer.byteLength(JSON.stringify(t.outputSchema ?? {}));
    }
    return { tools: tools.length, bytes, tokens: Math.ceil(chars / 4), bytesWithOutput };
  } finally {
    await client.close();
  }
}

const CONFIGS: Record<string, string | undefined> = {
  default: undefined,
  all: 'containers,images,networks,volumes,stacks,operations',
};

export async function catalogueSuite(_cfg: BenchConfig, log: (m: string) => void): Promise<CatalogueResult> {
  const variants: Record<string, string> = { after: CLI };
  const before = process.env.BENCH_CATALOGUE_BEFORE;
  if (before) variants.before = before.endsWith('.js') ? before : join(before, 'dist/cli.js');
  const out: CatalogueResult = { variants: {} };
  for (const [variant, cli] of Object.entries(variants)) {
    out.variants[variant] = {};
    for (const [name, toolsets] of Object.entries(CONFIGS)) {
      try {
        const size = await measure(cli, toolsets);
        out.variants[variant][name] = size;
        log(
          `catalogue ${variant}/${name}: ${size.tools} tools, ${size.bytes} B, ~${size.tokens} tokens (${size.bytesWithOutput} B with output schemas)`,
        );
      } catch (err) {
        out.variants[variant][name] = { error: err instanceof Error ? err.message : String(err) };
      }
    }
  }
  return out;
}

export function catalogueSection(r: CatalogueResult): string[] {
  const L = [
    '## Tool catalogue (per model turn)',
    '',
    '| variant | config | tools | bytes | tokens (chars/4) | bytes with output schemas |',
    '|---|---|---|---|---|---|',
  ];
  for (const [variant, configs] of Object.entries(r.variants)) {
    for (const [name, s] of Object.entries(configs)) {
      L.push(
        'error' in s
          ? `| ${variant} | ${name} | error: ${s.error} | | | |`
          : `| ${variant} | ${name} | ${s.tools} | ${s.bytes} | ${s.tokens} | ${s.bytesWithOutput} |`,
      );
    }
  }
  L.push('');
  return L;
}
