import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { tarArchive } from '../../../src/docker/archive.js';
import { loadProject } from '../../../src/stacks/compose/project.js';
import { contentDigestKey } from '../../../src/stacks/secrets.js';
import { issuesOf, yaml } from './helpers.js';

const SECRET = 'hunter2-s3cr3t-value';
const files: Record<string, string> = { '/srv/demo/db_password.txt': SECRET, '/srv/demo/app.conf': 'port=80\n' };
const readFile = (path: string) => files[path];
const key = Buffer.alloc(32, 7);

const load = (text: string, extra: Partial<Parameters<typeof loadProject>[0]> = {}) =>
  loadProject({ text, projectName: 'demo', workingDir: '/srv/demo', readFile, contentKey: key, ...extra });

const stack = (secretSource = 'file: ./db_password.txt') =>
  yaml(
    'services:',
    '  db:',
    '    image: postgres',
    '    secrets:',
    '      - db_password',
    '      - source: token',
    '        target: api/token',
    '        uid: "103"',
    '        gid: 104',
    '        mode: 0400',
    '    configs:',
    '      - app_conf',
    '      - source: inline',
    '        target: /etc/inline.txt',
    'secrets:',
    '  db_password:',
    `    ${secretSource}`,
    '  token:',
    '    environment: API_TOKEN',
    'configs:',
    '  app_conf:',
    '    file: app.conf',
    '  inline:',
    '    content: "hello ${NAME}"',
  );

describe('secrets and configs', () => {
  it('puts secrets under /run/secrets and configs at /NAME, with mode and owner', () => {
    const p = load(stack(), { env: { API_TOKEN: 'tok-123', NAME: 'world' } });
    const f = p.services[0]?.files ?? [];
    expect(f.map((x) => [x.kind, x.target, x.mode.toString(8), x.uid, x.gid])).toEqual([
      ['secret', '/run/secrets/db_password', '444', 0, 0],
      ['secret', '/run/secrets/api/token', '400', 103, 104],
      ['config', '/app_conf', '444', 0, 0],
      ['config', '/etc/inline.txt', '444', 0, 0],
    ]);
    expect(f.map((x) => x.content.bytes().toString())).toEqual([SECRET, 'tok-123', 'port=80\n', 'hello world']);
  });

  it('never shows the content: JSON, inspect and String give [redacted]', () => {
    const p = load(stack(), { env: { API_TOKEN: 'tok-123', NAME: 'world' } });
    for (const text of [JSON.stringify(p), inspect(p, { depth: 20 }), String(p.services[0]?.files?.[0]?.content)]) {
      expect(text).not.toContain(SECRET);
      expect(text).not.toContain('tok-123');
    }
    expect(JSON.stringify(p)).toContain('[redacted]');
  });

  it('changes the config hash when a secret changes, and only under the same key it stays', () => {
    const a = load(stack(), { env: { API_TOKEN: 'a' } }).services[0]?.configHash;
    const b = load(stack(), { env: { API_TOKEN: 'b' } }).services[0]?.configHash;
    const a2 = load(stack(), { env: { API_TOKEN: 'a' } }).services[0]?.configHash;
    const otherKey = load(stack(), { env: { API_TOKEN: 'a' }, contentKey: Buffer.alloc(32, 1) }).services[0]
      ?.configHash;
    expect(a).toBe(a2);
    expect(b).not.toBe(a);
    expect(otherKey).not.toBe(a);
  });

  it('keeps the hash of a service without secrets or configs as it was', () => {
    const plain = yaml('services:', '  web:', '    image: nginx');
    expect(load(plain).services[0]?.configHash).toBe(
      load(plain, { contentKey: Buffer.alloc(32, 9) }).services[0]?.configHash,
    );
  });

  it('refuses what cannot work without Swarm, unknown names and missing sources, never quoting a value', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:',
          '  web:',
          '    image: nginx',
          '    secrets: [nope, ext, envless]',
          '    configs: [{source: c, target: "../../etc/x"}, {target: /x}]',
          'secrets:',
          '  ext:',
          '    external: true',
          '  envless:',
          '    environment: MISSING_VAR',
          '  both:',
          `    file: ./db_password.txt`,
          `    environment: ${SECRET}`,
          '  cont:',
          `    content: ${SECRET}`,
          'configs:',
          '  c:',
          '    content: x',
        ),
      ),
    );
    const text = JSON.stringify(issues);
    expect(text).not.toContain(SECRET);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual(
      expect.arrayContaining([
        'services.web.secrets[0]: secret "nope" is not declared under the top-level "secrets"',
        expect.stringMatching(/^secrets\.ext\.external: "external" is not supported: it needs Swarm/),
        'secrets.envless.environment: variable "MISSING_VAR" is not set: pass it in the deploy\'s "env" (or the project\'s .env)',
        'secrets.both: give only one of "file", "environment"',
        expect.stringMatching(/^secrets\.cont\.content: unknown key "content"/),
        'services.web.configs[0].target: the target must not contain ".." or NUL',
        'services.web.configs[1]: "source" is required',
      ]),
    );
  });

  it('needs a project folder for a relative file and file access at all', () => {
    const noDir = issuesOf(() =>
      loadProject({ text: stack(), projectName: 'demo', readFile, env: { API_TOKEN: 'x' } }),
    );
    expect(noDir.map((i) => i.message)).toContainEqual(
      expect.stringContaining('relative paths need the project directory'),
    );
    const noFiles = issuesOf(() =>
      loadProject({ text: stack(), projectName: 'demo', workingDir: '/srv/demo', env: { API_TOKEN: 'x' } }),
    );
    expect(noFiles.map((i) => i.message)).toContainEqual(expect.stringContaining('has no file access'));
  });

  it('reads modes as Compose does: a leading 0 or 0o is octal, other numbers decimal, strings octal', () => {
    const modeOf = (mode: string) =>
      load(
        yaml(
          'services:',
          '  s:',
          '    image: x',
          `    secrets: [{source: t, mode: ${mode}}]`,
          'secrets:',
          '  t:',
          '    content: x',
        ).replace('content', 'environment'),
        {
          env: { x: 'v' },
        },
      ).services[0]?.files?.[0]?.mode.toString(8);
    expect(modeOf('0440')).toBe('440');
    expect(modeOf('"0440"')).toBe('440');
    expect(modeOf('"0o600"')).toBe('600');
    expect(modeOf('288')).toBe('440');
    expect(modeOf('0o400')).toBe('400');
    expect(modeOf('420')).toBe('644');
  });
});

describe('tarArchive', () => {
  it('writes files that tar reads back with their mode, owner and content, long names included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom-tar-'));
    try {
      const long = `run/${'d'.repeat(120)}/file.txt`;
      const tar = tarArchive([
        { name: '/run/secrets/db', data: Buffer.from(SECRET), mode: 0o400, uid: 103, gid: 104 },
        { name: long, data: Buffer.alloc(700, 'a'), mode: 0o644, uid: 0, gid: 0 },
      ]);
      writeFileSync(join(dir, 'a.tar'), tar);
      const listing = execFileSync('tar', ['-tvf', join(dir, 'a.tar'), '--numeric-owner'], { encoding: 'utf8' });
      expect(listing).toMatch(/-r-------- 103\/104 +20 .* run\/secrets\/db/);
      execFileSync('tar', ['-xf', join(dir, 'a.tar'), '-C', dir]);
      expect(readFileSync(join(dir, 'run/secrets/db'), 'utf8')).toBe(SECRET);
      expect(statSync(join(dir, long)).size).toBe(700);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('contentDigestKey', () => {
  it('keeps one key per history folder across calls, in a file only the owner reads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dom-key-'));
    try {
      const a = await contentDigestKey(join(dir, 'h', 'history.db'));
      expect(a.length).toBe(32);
      const file = join(dir, 'h', 'content-digest.key');
      expect(readFileSync(file).equals(a)).toBe(true);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect((await contentDigestKey(':memory:')).length).toBe(32);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
