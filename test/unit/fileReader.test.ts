import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ToolError } from '../../src/kernel/errors.js';
import { createFileReader, isWithin } from '../../src/policy/fileReader.js';

let base: string;
let root: string;
const SECRET = 'TOKEN=do-not-show-me';

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'dom-reader-'));
  root = join(base, 'root');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(join(root, 'compose.yml'), 'services: {}\n');
  writeFileSync(join(base, 'outside.txt'), SECRET);
  writeFileSync(join(root, 'big.yml'), 'x'.repeat(2000));
  writeFileSync(join(root, 'binary.bin'), Buffer.from([0xff, 0xfe, 0x00, 0x41]));
  writeFileSync(join(root, 'nul.txt'), 'a\0b');
  symlinkSync(join(base, 'outside.txt'), join(root, 'link-out'));
  symlinkSync(join(root, 'compose.yml'), join(root, 'link-in'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
});

afterAll(() => rmSync(base, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<ToolError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ToolError) return err;
    throw err;
  }
  throw new Error('expected a ToolError');
}

describe('the confined file reader', () => {
  const reader = () => createFileReader({ roots: [root], maxBytes: 1024, readTimeoutMs: 2000, protectedPaths: [] });

  it('reads a regular file inside a root, also through a symlink that stays inside', async () => {
    expect(await reader().readText(join(root, 'compose.yml'), 'Compose file')).toBe('services: {}\n');
    expect(await reader().readText(join(root, 'link-in'), 'Compose file')).toBe('services: {}\n');
  });

  it('refuses paths outside the roots, ".." escapes and symlinks leading out, naming the setting', async () => {
    for (const path of [
      join(base, 'outside.txt'),
      join(root, 'sub', '..', '..', 'outside.txt'),
      join(root, 'link-out'),
      '/etc/passwd',
    ]) {
      const err = await failure(reader().readText(path, 'Compose file'));
      expect(err.kind, path).toBe('denied');
      expect(err.message).toMatch(/DOM_FILE_ROOTS/);
      expect(err.message).not.toContain('do-not-show-me');
    }
  });

  it("never reads the server's own keys and state, even inside a root (a secret `file` would copy them into a container)", async () => {
    const guarded = createFileReader({
      roots: [root],
      maxBytes: 1024,
      readTimeoutMs: 2000,
      protectedPaths: [join(root, 'sub')],
    });
    mkdirSync(join(root, 'sub'), { recursive: true });
    writeFileSync(join(root, 'sub', 'config.json'), '{"auths":{}}');
    const err = await failure(guarded.readText(join(root, 'sub', 'config.json'), 'secret file'));
    expect(err.kind).toBe('denied');
    expect(err.message).not.toContain('auths');
    expect(await guarded.readText(join(root, 'compose.yml'), 'Compose file')).toBe('services: {}\n');
  });

  it('refuses a FIFO at once instead of blocking, and a directory', async () => {
    const started = Date.now();
    const fifo = await failure(reader().readText(join(root, 'fifo'), 'Compose file'));
    expect(fifo.kind).toBe('denied');
    expect(fifo.message).toMatch(/FIFO/);
    expect(Date.now() - started).toBeLessThan(1000);
    const dir = await failure(reader().readText(join(root, 'sub'), 'Compose file'));
    expect(dir).toMatchObject({ kind: 'denied', message: expect.stringMatching(/directory/) });
  });

  it('never reads kernel pseudo files or devices, even with "/" as a root', async () => {
    const everything = createFileReader({ roots: ['/'], maxBytes: 1024, readTimeoutMs: 2000, protectedPaths: [] });
    for (const path of ['/proc/self/environ', '/dev/zero', '/sys/kernel/mm/transparent_hugepage/enabled']) {
      expect((await failure(everything.readText(path, 'Compose file'))).kind, path).toBe('denied');
    }
  });

  it('refuses files over the size cap before reading them, naming the setting', async () => {
    const err = await failure(reader().readText(join(root, 'big.yml'), 'Compose file'));
    expect(err.kind).toBe('invalid_input');
    expect(err.message).toMatch(/2000 bytes, over the limit of 1024 bytes.*DOM_MAX_FILE_BYTES/);
  });

  it('refuses binary files without quoting them', async () => {
    expect((await failure(reader().readText(join(root, 'binary.bin'), 'env_file'))).message).toMatch(/not UTF-8/);
    expect((await failure(reader().readText(join(root, 'nul.txt'), 'env_file'))).message).toMatch(/NUL/);
  });

  it('answers not_found for a missing file, or undefined when the file is optional', async () => {
    expect((await failure(reader().readText(join(root, 'nope.yml'), 'Compose file'))).kind).toBe('not_found');
    expect(await reader().readText(join(root, '.env'), '.env file', { optional: true })).toBeUndefined();
  });

  it('reads nothing when no root is configured', async () => {
    const none = createFileReader({ roots: [], maxBytes: 1024, readTimeoutMs: 2000, protectedPaths: [] });
    expect((await failure(none.readText(join(root, 'compose.yml'), 'Compose file'))).message).toMatch(/none/);
  });

  it('wants absolute paths', async () => {
    expect((await failure(reader().readText('compose.yml', 'Compose file'))).kind).toBe('invalid_input');
  });

  it('decides containment by whole path segments', () => {
    expect(isWithin('/srv/app/x', '/srv/app')).toBe(true);
    expect(isWithin('/srv/app', '/srv/app')).toBe(true);
    expect(isWithin('/srv/application/x', '/srv/app')).toBe(false);
    expect(isWithin('/anything', '/')).toBe(true);
  });
});
