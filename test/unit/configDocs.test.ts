import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { renderConfigReference, withConfigReference } from '../../src/config/reference.js';
import { SETTINGS } from '../../src/config/settings.js';

describe('README configuration tables', () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

  it('are the ones generated from the settings schema (run `npm run docs` after changing a setting)', () => {
    expect(withConfigReference(readme, renderConfigReference())).toBe(readme);
  });

  it('name every environment variable and flag the schema declares', () => {
    for (const spec of Object.values(SETTINGS)) {
      if (spec.env) expect(readme).toContain(`\`${spec.env}`);
      if (spec.flag) expect(readme).toContain(`\`${spec.flag}`);
    }
  });
});
