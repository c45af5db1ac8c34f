import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../../src/tools/registry.js';
import { renderToolReference, withToolReference } from '../../src/tools/reference.js';

describe('README', () => {
  it('carries the tool reference generated from the tool definitions (run `npm run docs` after changing a tool)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(withToolReference(readme, renderToolReference(ALL_TOOLS))).toBe(readme);
  });

  it('names the two commands: run the server and run the tests', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('npx docker-orchestration-mcp');
    expect(readme).toContain('npm test');
  });
});
