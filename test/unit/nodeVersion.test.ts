import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MIN_NODE, unsupportedNode } from '../../src/util/nodeVersion.js';

describe('the Node.js the CLI starts on', () => {
  it('refuses one older than 22.13, naming the version and what is needed', () => {
    expect(unsupportedNode('20.20.2')).toMatch(/^Node\.js 20\.20\.2 is too old: .*22\.13 or newer/);
    expect(unsupportedNode('22.12.0')).toBeDefined();
    expect(unsupportedNode('21.7.3')).toBeDefined();
  });

  it('takes 22.13 and anything newer', () => {
    for (const v of ['22.13.0', '22.22.1', '24.11.0', '26.0.0']) expect(unsupportedNode(v)).toBeUndefined();
  });

  it('has the floor package.json engines declares', () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      engines: { node: string };
    };
    expect(pkg.engines.node).toBe(`>=${MIN_NODE}`);
  });
});
