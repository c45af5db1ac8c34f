import { constants } from 'node:fs';
import { open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { isAbsolute, normalize, sep } from 'node:path';
import type { FilesConfig } from '../config.js';
import { ToolError } from '../kernel/errors.js';
import type { FileReader } from '../kernel/fileReader.js';

// The interface is a kernel-level port, so the domain (stacks/build.ts) can take a reader without
// importing policy; this module is its one implementation.
export type { FileReader };

/** Kernel pseudo filesystems: their "regular" files (e.g. /proc/self/environ) are views of process memory. */
const PSEUDO_ROOTS = ['/proc', '/sys', '/dev'];

const ROOTS_SETTING = 'DOM_FILE_ROOTS (or --file-root)';
const SIZE_SETTING = 'DOM_MAX_FILE_BYTES';

/** Whether `path` is `root` or inside it; both absolute and normalised. */
export function isWithin(path: string, root: string): boolean {
  if (root === sep) return true;
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function kindOf(stat: {
  isDirectory(): boolean;
  isFIFO(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isSocket(): boolean;
}): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export function createFileReader(config: FilesConfig): FileReader {
  let realRoots: Promise<string[]> | undefined;
  const roots = () =>
    (realRoots ??= Promise.all(config.roots.map((r) => realpath(r).catch(() => normalize(r)))).then((real) => [
      ...new Set([...config.roots.map((r) => normalize(r)), ...real]),
    ]));

  const rootsText = () => (config.roots.length ? config.roots.join(', ') : 'none (the server was started from "/")');
  const outside = (path: string, what: string) =>
    new ToolError(
      'denied',
      `Refused to read ${what} ${path}: files are read only from the configured folders (${rootsText()}). Put the file in one of them, or ask the operator to add its folder with ${ROOTS_SETTING}.`,
    );

  // The server's own keys and state (Docker config, TLS keys, history and its digest key, token file) stay unread even inside a root.
  const refuseProtected = (path: string, what: string) => {
    if (config.protectedPaths.some((p) => isWithin(path, p)))
      throw new ToolError(
        'denied',
        `Refused to read ${what} ${path}: it is part of the server's own state or credentials (history, keys, Docker config), which are never read for a tool.`,
      );
  };

  const inRoots = async (path: string) => {
    if (PSEUDO_ROOTS.some((p) => isWithin(path, p))) return false;
    return (await roots()).some((root) => isWithin(path, root));
  };

  /**
   * The path judged as written, then as resolved (symlinks, ".."): both inside a root. Undefined
   * when it does not exist and `optional` is set; `kind` words the "does not exist" hint.
   */
  const resolveInRoots = async (
    path: string,
    what: string,
    kind: string,
    optional = false,
  ): Promise<{ lexical: string; real: string } | undefined> => {
    if (!isAbsolute(path) || path.includes('\0'))
      throw new ToolError(
        'invalid_input',
        `The path of ${what} must be absolute, got ${JSON.stringify(path.slice(0, 200))}.`,
      );
    const lexical = normalize(path);
    // Lexically outside: refuse before touching the filesystem, so existence outside the roots is not revealed.
    if (!(await inRoots(lexical))) throw outside(lexical, what);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') {
        if (optional) return undefined;
        throw new ToolError(
          'not_found',
          `${capital(what)} ${lexical} does not exist: give ${kind} inside ${rootsText()}.`,
        );
      }
      throw new ToolError('denied', `Cannot read ${what} ${lexical} (${errnoCode(err) ?? 'error'}).`);
    }
    // A symlink (or "..") may lead outside the roots: decide on the real path.
    if (!(await inRoots(real))) throw outside(lexical, what);
    return { lexical, real };
  };

  return {
    baseDir: config.roots[0] ?? process.cwd(),
    async realFolder(path, what) {
      const { lexical, real } = (await resolveInRoots(path, what, 'a folder')) as { lexical: string; real: string };
      // A folder sent whole (a build context) must not hold the server's own state either.
      if (config.protectedPaths.some((p) => isWithin(p, real) || isWithin(real, p)))
        throw new ToolError(
          'denied',
          `Refused to use ${what} ${lexical}: it holds the server's own state or credentials (history, keys, Docker config). Use a folder of its own.`,
        );
      const st = await stat(real).catch(() => undefined);
      if (!st?.isDirectory()) throw new ToolError('invalid_input', `${capital(what)} ${lexical} is not a folder.`);
      return real;
    },
    async readText(path, what, opts = {}) {
      const found = await resolveInRoots(path, what, 'the path of a file', opts.optional);
      if (!found) return undefined;
      const { lexical, real } = found;
      refuseProtected(lexical, what);
      refuseProtected(real, what);
      const handle = await openRegular(real, lexical, what);
      try {
        // The path may have been swapped between realpath and open: check what was opened.
        const opened = await readlink(`/proc/self/fd/${handle.fd}`).catch(() => real);
        if (!(await inRoots(opened))) throw outside(lexical, what);
        refuseProtected(opened, what);
        const stat = await handle.stat();
        if (!stat.isFile())
          throw new ToolError(
            'denied',
            `Refused to read ${what} ${lexical}: it is ${kindOf(stat)}, and only regular files are read.`,
          );
        if (stat.size > config.maxBytes) throw tooLarge(lexical, what, config.maxBytes, stat.size);
        const bytes = await readCapped(handle, config.maxBytes, config.readTimeoutMs, lexical, what);
        return decodeText(bytes, lexical, what);
      } finally {
        await handle.close().catch(() => undefined);
      }
    },
  };
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function tooLarge(path: string, what: string, max: number, size?: number): ToolError {
  return new ToolError(
    'invalid_input',
    `${capital(what)} ${path} is ${size === undefined ? 'larger than' : `${size} bytes,`} over the limit of ${max} bytes. Use a smaller file, or ask the operator to raise ${SIZE_SETTING}.`,
  );
}

/** Opens without following a final symlink and without blocking on a FIFO, so fstat can decide. */
async function openRegular(real: string, shown: string, what: string): Promise<FileHandle> {
  try {
    return await open(real, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW | constants.O_NOCTTY);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ELOOP')
      throw new ToolError(
        'denied',
        `Refused to read ${what} ${shown}: it changed into a symbolic link while being opened.`,
      );
    if (code === 'ENXIO')
      throw new ToolError(
        'denied',
        `Refused to read ${what} ${shown}: it is a socket or a FIFO, and only regular files are read.`,
      );
    if (code === 'EACCES' || code === 'EPERM')
      throw new ToolError('denied', `The server may not read ${what} ${shown} (permission denied).`);
    if (code === 'ENOENT') throw new ToolError('not_found', `${capital(what)} ${shown} does not exist.`);
    throw new ToolError('failed', `Cannot open ${what} ${shown} (${code ?? 'error'}).`);
  }
}

/** Reads at most max+1 bytes (a file may grow after fstat), within a deadline. */
async function readCapped(
  handle: FileHandle,
  max: number,
  timeoutMs: number,
  shown: string,
  what: string,
): Promise<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ToolError(
            'timeout',
            `Reading ${what} ${shown} took longer than ${timeoutMs} ms; the file system did not answer in time.`,
          ),
        ),
      timeoutMs,
    );
  });
  const work = (async () => {
    const buffer = Buffer.alloc(Math.min(max + 1, 64 * 1024));
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.length, max + 1 - total), null);
      if (bytesRead === 0) break;
      chunks.push(Buffer.from(buffer.subarray(0, bytesRead)));
      total += bytesRead;
      if (total > max) throw tooLarge(shown, what, max);
    }
    return Buffer.concat(chunks, total);
  })();
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    work.catch(() => undefined);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(bytes: Buffer, shown: string, what: string): string {
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new ToolError('invalid_input', `${capital(what)} ${shown} is not UTF-8 text.`);
  }
  if (text.includes('\0'))
    throw new ToolError('invalid_input', `${capital(what)} ${shown} is not a text file (it contains NUL bytes).`);
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}
