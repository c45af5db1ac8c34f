import { describe, expect, it } from 'vitest';
import { loadDotEnvFile, parseComposeYaml, parseDotEnv } from '../../../src/stacks/compose/parse.js';
import { issuesOf, yaml } from './helpers.js';

describe('parseComposeYaml', () => {
  it('gives the line of a syntax error', () => {
    const issues = issuesOf(() =>
      parseComposeYaml(yaml('services:', '  web:', '    image: nginx', '   ports: [80', 'x: 1')),
    );
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(4);
    expect(issues[0]?.line).toBeLessThanOrEqual(5);
  });

  it('says the line in the message', () => {
    expect(() => parseComposeYaml('services:\n  web: [\n')).toThrow(/^Invalid YAML \(\d problems?\):\n- line \d: /);
  });

  it('reads unquoted "no" as a string, as Compose does', () => {
    expect(parseComposeYaml('restart: no\n').data).toEqual({ restart: 'no' });
  });

  it('refuses duplicate keys with their line', () => {
    const issues = issuesOf(() => parseComposeYaml(yaml('services:', '  web:', '    image: a', '    image: b')));
    expect(issues[0]).toMatchObject({ line: 4, message: expect.stringMatching(/duplicate key/) });
  });

  it('refuses an anchor used inside itself (a cycle), which overflowed the stack (found by the fuzz test)', () => {
    expect(() => parseComposeYaml('services: &a\n  b: *a\n')).toThrow(/cannot be recursive/);
    expect(() => parseComposeYaml('x: &l [1, *l]\n')).toThrow(/cannot be recursive/);
    // The same anchor used twice side by side is no cycle.
    expect(parseComposeYaml('a: &e {k: 1}\nb: *e\nc: *e\n').data).toEqual({ a: { k: 1 }, b: { k: 1 }, c: { k: 1 } });
    expect(() => parseComposeYaml(`x: ${'['.repeat(80)}${']'.repeat(80)}\n`)).toThrow(/nested more than/);
  });

  it('refuses several documents', () => {
    expect(issuesOf(() => parseComposeYaml('a: 1\n---\nb: 2\n'))).toHaveLength(1);
  });

  it('locates keys, list items and merged keys', () => {
    const { data, locate } = parseComposeYaml(
      yaml(
        'x-base: &base',
        '  restart: always',
        'services:',
        '  web:',
        '    <<: *base',
        '    ports:',
        '      - "80"',
        '      - "81"',
      ),
    );
    expect(data).toEqual({
      'x-base': { restart: 'always' },
      services: { web: { restart: 'always', ports: ['80', '81'] } },
    });
    expect(locate(['services', 'web'])).toBe(4);
    expect(locate(['services', 'web', 'ports', 1])).toBe(8);
    expect(locate(['services', 'web', 'restart'])).toBe(4);
    expect(locate(['services', 'nope', 'image'])).toBe(3);
  });

  it('survives an alias bomb with an error', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 8; i++)
      bomb.push(`${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(',')}]`);
    expect(() => parseComposeYaml(bomb.join('\n'))).toThrow(/Invalid YAML/);
  });
});

describe('parseDotEnv', () => {
  it('reads KEY=VALUE with comments, quotes and export', () => {
    const text = [
      '# comment',
      '',
      'A=1',
      'export B = two words ',
      "C='single $NOT # kept'",
      'D="line\\nbreak \\"q\\""',
      'E=value # trailing comment',
      'F=',
      'G=a=b',
    ].join('\n');
    expect(parseDotEnv(text)).toEqual({
      A: '1',
      B: 'two words',
      C: 'single $NOT # kept',
      D: 'line\nbreak "q"',
      E: 'value',
      F: '',
      G: 'a=b',
    });
  });

  it('names the file and line of a bad line', () => {
    expect(() => parseDotEnv('A=1\nnot a pair\n', 'app.env')).toThrow('app.env line 2: expected NAME=VALUE');
    expect(() => parseDotEnv('A="open\n')).toThrow('.env line 1: unterminated " quote');
  });

  it('loads .env beside the project, or nothing', () => {
    const files: Record<string, string> = { '/p/.env': 'TAG=1.2\n' };
    const readFile = (p: string) => files[p];
    expect(loadDotEnvFile('/p', readFile)).toEqual({ TAG: '1.2' });
    expect(loadDotEnvFile('/q', readFile)).toEqual({});
  });
});
