import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { extract } from 'tar-stream';
import { afterAll, describe, expect, it } from 'vitest';
import { isIgnored, parseDockerignore } from '../../../src/stacks/build/dockerignore.js';
import { contextHash, contextTar, scanContext, type ScanOptions } from '../../../src/stacks/build/context.js';
import { buildInputsHash } from '../../../src/stacks/build.js';
import { createFileReader } from '../../../src/policy/fileReader.js';

const ignored = (patterns: string, path: string) => isIgnored(path, parseDockerignore(patterns));

describe('.dockerignore matching', () => {
  it('matches names, folders and everything under a matched folder', () => {
    expect(ignored('secret.txt', 'secret.txt')).toBe(true);
    expect(ignored('secret.txt', 'sub/secret.txt')).toBe(false);
    expect(ignored('node_modules', 'node_modules/a/b.js')).toBe(true);
    expect(ignored('/build/', 'build/out.o')).toBe(true);
    expect(ignored('*.log', 'a.log')).toBe(true);
    expect(ignored('*.log', 'logs/a.log')).toBe(false);
    expect(ignored('*/*.log', 'logs/a.log')).toBe(true);
    expect(ignored('file?.txt', 'file1.txt')).toBe(true);
    expect(ignored('file[0-9].txt', 'filex.txt')).toBe(false);
  });

  it('"**" spans any number of folders, including none', () => {
    expect(ignored('**/*.pyc', 'a.pyc')).toBe(true);
    expect(ignored('**/*.pyc', 'a/b/c.pyc')).toBe(true);
    expect(ignored('docs/**', 'docs/x/y.md')).toBe(true);
    expect(ignored('a/**/z', 'a/z')).toBe(true);
    expect(ignored('a/**/z', 'a/b/c/z')).toBe(true);
    expect(ignored('a/**/z', 'b/z')).toBe(false);
  });

  it('"!" re-includes, and the last matching line decides', () => {
    const rules = '*.md\n!README.md\n# comment\n\nlogs\n!logs/keep.log';
    expect(ignored(rules, 'CHANGES.md')).toBe(true);
    expect(ignored(rules, 'README.md')).toBe(false);
    expect(ignored(rules, 'logs/a.log')).toBe(true);
    expect(ignored(rules, 'logs/keep.log')).toBe(false);
    expect(ignored('!README.md\n*.md', 'README.md')).toBe(true);
  });
});

const root = mkdtempSync(join(tmpdir(), 'dom-ctx-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const reader = createFileReader({ roots: [root], maxBytes: 64 * 1024, readTimeoutMs: 2000, protectedPaths: [] });

function makeContext(name: string): string {
  const dir = join(root, name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  mkdirSync(join(dir, 'cache'), { recursive: true });
  writeFileSync(join(dir, 'Dockerfile'), 'FROM scratch\nCOPY . /\n');
  writeFileSync(join(dir, 'src', 'main.js'), 'console.log(1)\n');
  writeFileSync(join(dir, 'secret.env'), 'TOKEN=x\n');
  writeFileSync(join(dir, 'cache', 'big.bin'), Buffer.alloc(1000));
  writeFileSync(join(dir, '.dockerignore'), 'secret.env\ncache\nDockerfile\n.dockerignore\n');
  symlinkSync('/etc/passwd', join(dir, 'passwd-link'));
  return dir;
}

const opts = (extra: Partial<ScanOptions> = {}): ScanOptions => ({
  maxBytes: 10_000,
  readText: (abs, what, optional) => reader.readText(abs, what, { optional }),
  ...extra,
});

async function tarEntries(
  stream: Readable,
): Promise<Record<string, { type: string; linkname?: string; body: string; uid?: number }>> {
  const out: Record<string, { type: string; linkname?: string; body: string; uid?: number }> = {};
  const ex = extract();
  ex.on('entry', (header, body, next) => {
    const chunks: Buffer[] = [];
    body.on('data', (c: unknown) => chunks.push(c as Buffer));
    body.on('end', () => {
      out[header.name] = {
        type: header.type ?? 'file',
        body: Buffer.concat(chunks).toString(),
        ...(header.linkname ? { linkname: header.linkname } : {}),
        ...(header.uid !== undefined ? { uid: header.uid } : {}),
      };
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.pipe(ex);
  });
  return out;
}

describe('build context', () => {
  it('sends what .dockerignore keeps, always the Dockerfile and .dockerignore, and symlinks as links', async () => {
    const dir = makeContext('tar');
    const ctx = await scanContext(dir, opts());
    const entries = await tarEntries(contextTar(ctx));
    expect(Object.keys(entries).sort()).toEqual(['.dockerignore', 'Dockerfile', 'passwd-link', 'src', 'src/main.js']);
    expect(entries['src/main.js']).toMatchObject({ type: 'file', body: 'console.log(1)\n', uid: 0 });
    expect(entries['passwd-link']).toMatchObject({ type: 'symlink', linkname: '/etc/passwd', body: '' });
    expect(ctx.dockerfile).toBe('Dockerfile');
  });

  it('adds an inline Dockerfile under a name of its own', async () => {
    const dir = makeContext('inline');
    const ctx = await scanContext(dir, opts({ dockerfileInline: 'FROM busybox\n' }));
    const entries = await tarEntries(contextTar(ctx));
    expect(ctx.dockerfile).toMatch(/^\.dockerfile\.[0-9a-f]{12}$/);
    expect(entries[ctx.dockerfile]?.body).toBe('FROM busybox\n');
  });

  it('never reads a Dockerfile or .dockerignore that links outside the roots', async () => {
    const dir = makeContext('links');
    rmSync(join(dir, 'Dockerfile'));
    symlinkSync('/etc/hostname', join(dir, 'Dockerfile'));
    await expect(scanContext(dir, opts())).rejects.toThrow(/Refused to read Dockerfile/);
    writeFileSync(join(dir, 'Dockerfile'.replace('Dockerfile', 'D2')), 'FROM x\n');
    rmSync(join(dir, '.dockerignore'));
    symlinkSync('/etc/hostname', join(dir, '.dockerignore'));
    await expect(scanContext(dir, opts({ dockerfile: 'D2' }))).rejects.toThrow(/Refused to read .dockerignore/);
  });

  it('refuses a context over the size cap', async () => {
    const dir = makeContext('big');
    writeFileSync(join(dir, 'src', 'large.bin'), Buffer.alloc(20_000));
    await expect(scanContext(dir, opts())).rejects.toThrow(
      /over the limit of 10000 bytes.*DOM_MAX_BUILD_CONTEXT_BYTES/,
    );
  });

  it('hashes contents and the file list, not ignored files or times', async () => {
    const dir = makeContext('hash');
    const hash = async () => contextHash(await scanContext(dir, opts()));
    const first = await hash();
    expect(await hash()).toBe(first);
    writeFileSync(join(dir, 'secret.env'), 'TOKEN=changed\n');
    writeFileSync(join(dir, 'cache', 'big.bin'), Buffer.alloc(999));
    expect(await hash()).toBe(first);
    writeFileSync(join(dir, 'src', 'main.js'), 'console.log(2)\n');
    const second = await hash();
    expect(second).not.toBe(first);
    writeFileSync(join(dir, 'src', 'new.js'), '');
    expect(await hash()).not.toBe(second);
  });

  it('build inputs: args, target and the Dockerfile change the hash, the context path does not', () => {
    const def = { context: '.', args: { A: '1' }, labels: {}, extraHosts: [], cacheFrom: [] };
    const base = buildInputsHash({ build: def }, 'files', 'FROM x');
    expect(buildInputsHash({ build: { ...def, context: '/elsewhere' } }, 'files', 'FROM x')).toBe(base);
    expect(buildInputsHash({ build: { ...def, args: { A: '2' } } }, 'files', 'FROM x')).not.toBe(base);
    expect(buildInputsHash({ build: { ...def, target: 'prod' } }, 'files', 'FROM x')).not.toBe(base);
    expect(buildInputsHash({ build: def }, 'files', 'FROM y')).not.toBe(base);
    expect(buildInputsHash({ build: def }, 'other', 'FROM x')).not.toBe(base);
  });
});
