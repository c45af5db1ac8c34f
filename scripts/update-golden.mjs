// Rewrites test/golden/tools-*.json, the tools/list of each configuration, from the built
// registry (run `npm run build` first). Review the diff: it is what every client will see.
import { mkdirSync, writeFileSync } from 'node:fs';
import { CATALOGUE_CONFIGS, toolListing } from '../dist/tools/catalogue.js';

const dir = new URL('../test/golden/', import.meta.url);
mkdirSync(dir, { recursive: true });
for (const cfg of CATALOGUE_CONFIGS) {
  writeFileSync(new URL(`tools-${cfg.name}.json`, dir), `${JSON.stringify(toolListing(cfg), null, 2)}\n`);
}
console.log(`wrote ${CATALOGUE_CONFIGS.length} golden tools/list files to test/golden/`);
