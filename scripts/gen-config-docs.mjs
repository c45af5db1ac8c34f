// Regenerates the configuration tables in README.md from the settings schema (src/config/settings.ts).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigReference, withConfigReference } from '../dist/config/reference.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withConfigReference(before, renderConfigReference());
if (after !== before) writeFileSync(path, after);
console.log(
  after === before ? 'README configuration tables are up to date' : 'README configuration tables regenerated',
);
