import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { putArchive, tarArchive } from '../docker/archive.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import type { ServiceFile } from './compose/fileSources.js';
import { MASK } from '../util/mask.js';

/**
 * Compose mounts secrets and configs from files on the host. This server never binds host files
 * into containers (the host-access model), so it copies the content in instead: one tar with every
 * file at its target, mode and owner, put into the container after create and before start. The
 * file lives in the container's writable layer (Compose's default mode 0444 makes it read-only to
 * every user but root), survives restarts and goes with the container.
 */
export async function installSecretFiles(
  engine: Engine,
  containerId: string,
  files: readonly ServiceFile[] | undefined,
  signal?: AbortSignal,
): Promise<void> {
  if (!files?.length) return;
  const tar = tarArchive(
    files.map((f) => ({ name: f.target, data: f.content.bytes(), mode: f.mode, uid: f.uid, gid: f.gid })),
  );
  try {
    await putArchive(engine, containerId, '/', tar, signal);
  } catch (err) {
    const names = files.map((f) => `${f.kind} "${f.source}"`).join(', ');
    const kind = err instanceof ToolError ? err.kind : 'failed';
    throw new ToolError(kind, `could not copy ${names} into the container: ${(err as Error).message}`);
  }
}

/** Deploy inputs as history records them: variables that are secret or config content masked, whatever their name. */
export function maskContentVariables(
  env: Record<string, string>,
  names: readonly string[] | undefined,
): Record<string, string> {
  if (!names?.length) return env;
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, names.includes(k) ? MASK : v]));
}

const KEY_FILE = 'content-digest.key';
const keys = new Map<string, Promise<Buffer>>();

/**
 * The key of the digests of secret and config content in config hashes: 32 random bytes kept in a
 * file (mode 0600) beside the history database, so hashes stay the same across restarts and the
 * hash label cannot be used to guess a secret offline. With an in-memory history there is no
 * folder: the key lives as long as the process (a restart then recreates services with secrets).
 */
export function contentDigestKey(historyPath: string): Promise<Buffer> {
  let key = keys.get(historyPath);
  if (!key) {
    key =
      historyPath === ':memory:'
        ? Promise.resolve(randomBytes(32))
        : loadOrCreateKey(join(dirname(historyPath), KEY_FILE));
    keys.set(historyPath, key);
  }
  return key;
}

async function loadOrCreateKey(file: string): Promise<Buffer> {
  try {
    const existing = await readFile(file);
    if (existing.length >= 32) return existing;
  } catch {
    // Not there yet: create it below.
  }
  const key = randomBytes(32);
  try {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // "wx": two servers starting at once must not overwrite each other's key.
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(key);
    } finally {
      await handle.close();
    }
    return key;
  } catch {
    // Lost a race (read the winner's key) or the folder is not writable (keep a process key).
    const again = await readFile(file).catch(() => undefined);
    return again && again.length >= 32 ? again : key;
  }
}
