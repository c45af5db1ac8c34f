import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_VERSION } from '../../src/server.js';
import { PACKAGE_VERSION } from '../../src/version.js';

describe('the version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

  it('comes from package.json', () => {
    expect(PACKAGE_VERSION).toBe(pkg.version);
    expect(SERVER_VERSION).toBe(pkg.version);
  });

  it('is written nowhere in the sources', () => {
    const root = new URL('../../src/', import.meta.url).pathname;
    const found: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && readFileSync(path, 'utf8').includes(`'${pkg.version}'`)) found.push(path);
      }
    };
    walk(root);
    expect(found).toEqual([]);
  });
});
