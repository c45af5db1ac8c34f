import type { Engine } from './engine.js';
import { target } from './containers.js';

/**
 * PUT /containers/{id}/archive: extracts a tar into a container (created or running) at `path`.
 * The tar travels in the body only; the call has the Engine deadline and honours `signal`.
 * Error messages never include the body.
 */
export async function putArchive(
  engine: Engine,
  id: string,
  path: string,
  tar: Buffer,
  signal?: AbortSignal,
): Promise<void> {
  await engine.call(
    'copy files into',
    (d, sig) => d.getContainer(id).putArchive(tar, { path, noOverwriteDirNonDir: true, abortSignal: sig }),
    {
      target: target(id),
      signal,
      conflict: 'its root filesystem is read-only or a path is in use',
    },
  );
}

/** One regular file of a tar archive. */
export interface TarFile {
  /** Absolute or relative path; stored relative ("run/secrets/x"). */
  name: string;
  data: Buffer;
  mode: number;
  uid: number;
  gid: number;
  mtimeSec?: number;
}

/** A POSIX ustar archive of regular files (names up to 255 bytes, split into prefix and name). */
export function tarArchive(files: readonly TarFile[]): Buffer {
  const blocks: Buffer[] = [];
  for (const f of files) {
    blocks.push(tarHeader(f));
    blocks.push(f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) blocks.push(Buffer.alloc(pad));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function tarHeader(f: TarFile): Buffer {
  const h = Buffer.alloc(512);
  const name = f.name.replace(/^\/+/, '');
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 1);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut < 0 || Buffer.byteLength(prefix) > 155 || Buffer.byteLength(base) > 100)
      throw new RangeError(`tar entry name too long (${Buffer.byteLength(name)} bytes)`);
  }
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0') + '\0';
  h.write(base, 0, 100, 'utf8');
  h.write(octal(f.mode & 0o7777, 8), 100, 8, 'ascii');
  h.write(octal(f.uid, 8), 108, 8, 'ascii');
  h.write(octal(f.gid, 8), 116, 8, 'ascii');
  h.write(octal(f.data.length, 12), 124, 12, 'ascii');
  h.write(octal(f.mtimeSec ?? Math.floor(Date.now() / 1000), 12), 136, 12, 'ascii');
  h.write('        ', 148, 8, 'ascii');
  h.write('0', 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of h) sum += byte;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}
