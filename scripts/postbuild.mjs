// After tsc: bundle the CLI into one file (module loading is most of the start-up time),
// precompute every tool's JSON Schemas, and make the CLI executable.
import { build } from 'esbuild';
import { chmodSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const cli = new URL('dist/cli.js', root).pathname;

await build({
  entryPoints: [new URL('src/cli.ts', root).pathname],
  outfile: cli,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  // Native or lazily loaded: resolved from node_modules at run time.
  external: ['better-sqlite3', 'dockerode'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  logLevel: 'warning',
});
chmodSync(cli, 0o755);

// The SDK converts tool schemas to JSON Schema on every tools/list; ship them converted.
const { ALL_TOOLS } = await import(new URL('dist/tools/registry.js', root).href);
const { z } = await import('zod');
const schemas = {};
for (const t of ALL_TOOLS) {
  schemas[t.name] = {
    input: z.toJSONSchema(t.input, { target: 'draft-2020-12', io: 'input' }),
    output: z.toJSONSchema(t.output, { target: 'draft-2020-12', io: 'output' }),
  };
}
writeFileSync(new URL('dist/tool-schemas.json', root), JSON.stringify(schemas));
