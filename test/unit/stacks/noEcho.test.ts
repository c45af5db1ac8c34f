import { describe, expect, it } from 'vitest';
import { ToolError } from '../../../src/kernel/errors.js';
import { parseComposeYaml, parseDotEnv } from '../../../src/stacks/compose/parse.js';
import { loadProject } from '../../../src/stacks/compose/project.js';
import { yaml } from './helpers.js';

/** A Compose text may be any file the server read: problems are located, never quoted. */
const SECRET = 'sk-live-NEVER-QUOTE-ME';

function message(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ToolError) return `${err.message}\n${JSON.stringify(err.details ?? {})}`;
    throw err;
  }
  throw new Error('expected a ToolError');
}

describe('Compose errors never quote the text', () => {
  it('YAML syntax errors, whatever the library would quote (escapes, block headers)', () => {
    for (const bad of [`a: "${SECRET}`, `a: "\\q${SECRET}"`, `a: |${SECRET}\n  x`, `- ${SECRET}\nb: 1`]) {
      const m = message(() => parseComposeYaml(bad));
      expect(m).toMatch(/line \d/);
      expect(m, bad).not.toContain(SECRET);
    }
  });

  it('a file that is no Compose mapping at all (/etc/passwd)', () => {
    const m = message(() =>
      loadProject({ text: `root:x:0:0:root:/root:/bin/bash\n${SECRET}:x:1:1::/:/bin/sh\n`, projectName: 'p' }),
    );
    expect(m).toMatch(/expected a mapping, got a string/);
    expect(m).not.toContain(SECRET);
    expect(m).not.toContain('root:x');
  });

  it('interpolation errors name the place, not the value', () => {
    for (const value of [`${SECRET}\${OPEN`, `${SECRET}$`, `\${ ${SECRET}}`]) {
      const m = message(() =>
        loadProject({
          text: yaml('services:', '  web:', '    image: nginx', `    command: ${JSON.stringify(['echo', value])}`),
          projectName: 'p',
        }),
      );
      expect(m).toMatch(/services\.web\.command\[1\]/);
      expect(m, value).not.toContain(SECRET);
    }
  });

  it('env file lines that do not parse', () => {
    const m = message(() => parseDotEnv(`OK=1\n${SECRET} and more\n`, '/srv/app/.env'));
    expect(m).toMatch(/\/srv\/app\/\.env line 2: expected NAME=VALUE/);
    expect(m).not.toContain(SECRET);
  });

  it('wrong types say what the value is, not what it says', () => {
    const m = message(() => loadProject({ text: yaml('services:', `  web: ${SECRET}`), projectName: 'p' }));
    expect(m).toMatch(/services\.web .*expected a mapping, got a string \(\d+ characters\)/);
    expect(m).not.toContain(SECRET);
  });
});
