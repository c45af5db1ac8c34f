// After tsc: bundle the CLI into one file (module loading is most of the start-up time),
// precompute every tool's JSON Schemas, and make the CLI executable.
import { build } from 'esbuild';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const cli = new URL('dist/cli.js', root).pathname;

/**
 * Left out of the bundle: ssh2's optional native speed-ups (cpu-features, its sshcrypto
 * addon), which it loads inside try/catch and does without (pure JS crypto) when absent.
 */
const BUNDLE_EXTERNAL = ['cpu-features', '*.node'];

const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));

// Everything the CLI imports is bundled, so the package installs no runtime dependency that
// only the bundle uses; node:sqlite and the other built-ins stay imports of Node itself.
await build({
  entryPoints: [new URL('src/cli.ts', root).pathname],
  outfile: cli,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node22',
  // No source map in the package: the bundle is not minified, so stack traces read as is.
  sourcemap: false,
  external: ['node:sqlite', ...BUNDLE_EXTERNAL],
  define: { __PACKAGE_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS packages in an ESM bundle still reach for require, __filename and __dirname.
  banner: {
    js: [
      "import { createRequire as __createRequire } from 'node:module';",
      "import { fileURLToPath as __fileURLToPath } from 'node:url';",
      "import { dirname as __pathDirname } from 'node:path';",
      'const require = __createRequire(import.meta.url);',
      'const __filename = __fileURLToPath(import.meta.url);',
      'const __dirname = __pathDirname(__filename);',
    ].join(' '),
  },
  logLevel: 'warning',
});
chmodSync(cli, 0o755);

// The SDK converts tool schemas to JSON Schema on every tools/list; ship them converted.
const { ALL_TOOLS } = await import(new URL('dist/tools/registry.js', root).href);
const { publishedInputSchema, publishedOutputSchema } = await import(new URL('dist/tools/publish.js', root).href);
const schemas = {};
for (const t of ALL_TOOLS) schemas[t.name] = { input: publishedInputSchema(t), output: publishedOutputSchema(t) };
writeFileSync(new URL('dist/tool-schemas.json', root), JSON.stringify(schemas));
