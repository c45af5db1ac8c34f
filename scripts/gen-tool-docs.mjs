// Regenerates the tool reference in README.md from the built tool definitions.
import { readFileSync, writeFileSync } from 'node:fs';
import { ALL_TOOLS } from '../dist/tools/registry.js';
import { renderToolReference, withToolReference } from '../dist/tools/reference.js';

const path = new URL('../README.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withToolReference(before, renderToolReference(ALL_TOOLS));
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'README tool reference is up to date' : 'README tool reference regenerated');
