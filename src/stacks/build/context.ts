import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { isAbsolute, posix, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pack as tarPack } from 'tar-stream';
import { ToolError } from '../../kernel/errors.js';
import { isIgnored, mayReinclude, parseDockerignore, type IgnoreRule } from './dockerignore.js';

export interface ContextEntry {
  /** Relative to the context, "/"-separated. */
  path: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  size: number;
  mtime: Date;
  /** For symlinks: the link text, sent as is (never followed). */
  linkTarget?: string;
}

export interface ScannedContext {
  /** Real path of the context folder. */
  root: string;
  entries: ContextEntry[];
  /** The Dockerfile's name inside the tar. */
  dockerfile: string;
  dockerfileText: string;
  /** A Dockerfile that does not live in the context (dockerfile_inline, or a path outside it), added to the tar. */
  extra?: { name: string; content: Buffer };
  /** Bytes of file content sent. */
  totalBytes: number;
}

export interface ScanOptions {
  dockerfile?: string;
  dockerfileInline?: string;
  /** Cap on the bytes of file content (DOM_MAX_BUILD_CONTEXT_BYTES). */
  maxBytes: number;
  /**
   * Reads the Dockerfile and `.dockerignore` through the file roots (a symlink among them may lead
   * elsewhere); undefined when an optional file does not exist.
   */
  readText: (absPath: string, what: string, optional: boolean) => Promise<string | undefined>;
  signal?: AbortSignal;
}

const MAX_ENTRIES = 100_000;
/** Files are opened without following a final symlink: one swapped in after the walk is not read. */
const NO_FOLLOW = constants.O_RDONLY | constants.O_NOFOLLOW;

/**
 * Lists what a build sends: every file, folder and symlink under `root` (already checked to be in
 * the file roots) that `.dockerignore` does not leave out, without following symlinks. The
 * Dockerfile and `.dockerignore` are always sent, as the docker CLI does. Throws when the content
 * is over the cap.
 */
export async function scanContext(root: string, opts: ScanOptions): Promise<ScannedContext> {
  const ignoreText = (await opts.readText(resolve(root, '.dockerignore'), '.dockerignore', true)) ?? '';
  let dockerfile: string;
  let dockerfileText: string;
  let extra: ScannedContext['extra'];
  if (opts.dockerfileInline !== undefined) {
    dockerfileText = opts.dockerfileInline;
    dockerfile = `.dockerfile.${sha256(dockerfileText).slice(0, 12)}`;
    extra = { name: dockerfile, content: Buffer.from(dockerfileText) };
  } else {
    const abs = resolve(root, opts.dockerfile ?? 'Dockerfile');
    const rel = relative(root, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) {
      dockerfileText = (await opts.readText(abs, 'Dockerfile', false)) as string;
      dockerfile = `.dockerfile.${sha256(dockerfileText).slice(0, 12)}`;
      extra = { name: dockerfile, content: Buffer.from(dockerfileText) };
    } else {
      dockerfile = rel.split(sep).join('/');
      const text = await opts.readText(abs, 'Dockerfile', true);
      if (text === undefined)
        throw new ToolError(
          'not_found',
          `The Dockerfile ${abs} does not exist: add it to the build context, or set "dockerfile" or "dockerfile_inline".`,
        );
      dockerfileText = text;
    }
  }
  const rules: IgnoreRule[] = [
    ...parseDockerignore(ignoreText),
    ...parseDockerignore(`!${dockerfile}\n!.dockerignore`),
  ];
  const walkIgnored = mayReinclude(rules);
  const entries: ContextEntry[] = [];
  let totalBytes = 0;

  const walk = async (dirAbs: string, dirRel: string): Promise<void> => {
    if (opts.signal?.aborted) throw new ToolError('failed', 'Cancelled while reading the build context.');
    const names = (await readdir(dirAbs)).sort();
    for (const name of names) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const abs = `${dirAbs}/${name}`;
      const st = await lstat(abs);
      const ignored = isIgnored(rel, rules);
      if (st.isDirectory()) {
        if (!ignored) entries.push({ path: rel, type: 'directory', mode: st.mode & 0o7777, size: 0, mtime: st.mtime });
        if (!ignored || walkIgnored) await walk(abs, rel);
      } else if (ignored) continue;
      else if (st.isFile()) {
        totalBytes += st.size;
        if (totalBytes > opts.maxBytes) {
          throw new ToolError(
            'invalid_input',
            `The build context ${root} is over the limit of ${opts.maxBytes} bytes: leave large files out with .dockerignore, or ask the operator to raise DOM_MAX_BUILD_CONTEXT_BYTES.`,
          );
        }
        entries.push({ path: rel, type: 'file', mode: st.mode & 0o7777, size: st.size, mtime: st.mtime });
      } else if (st.isSymbolicLink()) {
        entries.push({
          path: rel,
          type: 'symlink',
          mode: st.mode & 0o7777,
          size: 0,
          mtime: st.mtime,
          linkTarget: await readlink(abs),
        });
      }
      // Sockets, FIFOs and devices are not sent (the docker CLI cannot send them either).
      if (entries.length > MAX_ENTRIES)
        throw new ToolError(
          'invalid_input',
          `The build context ${root} has more than ${MAX_ENTRIES} entries: leave some out with .dockerignore.`,
        );
    }
  };
  await walk(root, '');
  return { root, entries, dockerfile, dockerfileText, ...(extra ? { extra } : {}), totalBytes };
}

function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 over the context's list of entries and their contents (not their times): what the build sees. */
export async function contextHash(ctx: ScannedContext): Promise<string> {
  const h = createHash('sha256');
  for (const e of ctx.entries) {
    h.update(`${e.type}\0${e.path}\0${e.mode.toString(8)}\0`);
    if (e.type === 'file') h.update(await fileHash(posix.join(ctx.root, e.path)));
    if (e.type === 'symlink') h.update(e.linkTarget ?? '');
    h.update('\n');
  }
  if (ctx.extra) h.update(`extra\0${ctx.extra.name}\0`).update(ctx.extra.content);
  return h.digest('hex');
}

async function fileHash(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of await openNoFollow(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function openNoFollow(path: string): Promise<Readable> {
  return (await open(path, NO_FOLLOW)).createReadStream();
}

/** The context as a tar stream (owner root, as the docker CLI sends it); errors end the stream. */
export function contextTar(ctx: ScannedContext): Readable {
  const pack = tarPack();
  const header = (e: ContextEntry) => ({ name: e.path, mode: e.mode, mtime: e.mtime, uid: 0, gid: 0 });
  void (async () => {
    for (const e of ctx.entries) {
      if (e.type === 'directory') await addEntry(pack, { ...header(e), type: 'directory' });
      else if (e.type === 'symlink')
        await addEntry(pack, { ...header(e), type: 'symlink', linkname: e.linkTarget ?? '' });
      else await addFile(pack, header(e), e.size, posix.join(ctx.root, e.path));
    }
    if (ctx.extra)
      await addEntry(pack, { name: ctx.extra.name, mode: 0o644, uid: 0, gid: 0, mtime: new Date() }, ctx.extra.content);
    pack.finalize();
  })().catch((err: unknown) => pack.destroy(err as Error));
  return pack as unknown as Readable;
}

type Pack = ReturnType<typeof tarPack>;
type Header = Parameters<Pack['entry']>[0];

function addEntry(pack: Pack, header: Header, content?: Buffer): Promise<void> {
  return new Promise((done, fail) => {
    pack.entry(header, content ?? Buffer.alloc(0), (err) => (err ? fail(err) : done()));
  });
}

async function addFile(pack: Pack, header: Header, size: number, path: string): Promise<void> {
  const source = await openNoFollow(path);
  await new Promise<void>((done, fail) => {
    const sink = pack.entry({ ...header, size, type: 'file' }, (err) => (err ? fail(err) : done()));
    source.on('error', (err) => {
      sink.destroy(err);
      fail(err);
    });
    source.pipe(sink);
  });
}
