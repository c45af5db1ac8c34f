import { existsSync, lstatSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ToolError } from '../kernel/errors.js';

/**
 * Host paths as the Engine will mount them, and the host trees a container must not reach.
 *
 * A bind source is cleaned lexically first (`//`, `.`, `..`, a trailing slash), as the Engine cleans
 * bind sources, and then resolved as the kernel resolves it: each existing component's symlinks
 * followed (also /proc/self/root and friends), the rest of a path that does not exist yet appended.
 * Both forms are judged; the resolved one is what the Engine gets, so a symlink cannot be swapped in
 * between the check and the mount except by a race on a path that was free of symlinks.
 */

/** Trees that hold the host's configuration, the kernel's view of the host, or control of the Engine. */
export const SENSITIVE_TREES = [
  '/etc',
  '/root',
  '/boot',
  '/proc',
  '/sys',
  '/dev',
  '/usr',
  '/bin',
  '/sbin',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/run',
  '/var/run',
  '/var/lib',
  '/var/spool/cron',
  '/run/containerd',
] as const;

/**
 * Folders that may not be bound themselves (their subfolders may): they hold everyone's files or
 * software (/home/<user> included), so a writable bind of one reaches other users' ~/.ssh, shell
 * start-up files and the programs root runs.
 */
export const EXACT_PATHS = ['/opt', '/home', '/var', '/srv', '/mnt', '/media', '/usr/local'] as const;

function packageRoot(from: string): string | undefined {
  for (let d = from; d !== '/'; d = posix.dirname(d)) {
    if (existsSync(posix.join(d, 'package.json'))) return d;
  }
  return undefined;
}

/**
 * The server's own code and runtime, which run as root: its code folder (dist/, src/), its package's
 * dependencies and manifest, the folder of the node binary, and the user's ~/.ssh. A container that
 * could write them could rewrite the policy or the next root login.
 */
export function runtimePaths(): string[] {
  const out: string[] = [dirname(process.execPath), posix.join(homedir(), '.ssh')];
  const scripts = [fileURLToPath(import.meta.url), ...(process.argv[1]?.startsWith('/') ? [process.argv[1]] : [])];
  for (const script of scripts) {
    out.push(dirname(script));
    const root = packageRoot(dirname(script));
    if (root && root !== '/')
      out.push(...['dist', 'src', 'node_modules', 'package.json'].map((f) => posix.join(root, f)));
  }
  return out;
}

/** Where the Engine's socket lives unless DOCKER_HOST names another. */
export const DEFAULT_ENGINE_SOCKETS = [
  '/var/run/docker.sock',
  '/run/docker.sock',
  '/run/containerd/containerd.sock',
] as const;

function assertPlainPath(p: string, field: string): void {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(p))
    throw new ToolError('invalid_input', `${field}: host path ${JSON.stringify(p)} contains control characters.`);
}

/** `..`, `.` and `//` removed without touching the filesystem; no trailing slash. */
export function lexicalPath(p: string): string {
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The path the kernel would mount: components walked left to right, each existing one replaced by
 * its realpath (symlinks followed, also `/proc/self/root` and friends), `..` applied to what was
 * resolved so far; from the first component that does not exist on, the rest is appended lexically.
 */
export function resolvedPath(absolute: string): string {
  let current = '/';
  const parts = absolute.split('/').filter((s) => s !== '' && s !== '.');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as string;
    if (part === '..') {
      current = posix.dirname(current);
      continue;
    }
    const next = posix.join(current, part);
    if (!exists(next)) return lexicalPath(posix.join(next, ...parts.slice(i + 1)));
    try {
      current = realpathSync(next);
    } catch {
      // A dangling symlink: the kernel would fail or follow it; take the lexical form and let both checks judge.
      return lexicalPath(posix.join(next, ...parts.slice(i + 1)));
    }
  }
  return current;
}

export interface HostPath {
  /** As written, made absolute and cleaned lexically. */
  lexical: string;
  /** As the kernel resolves it on this machine: what the Engine is given. */
  resolved: string;
}

/** Normalises a host path; a relative one is resolved against `base` (refused without one). */
export function hostPath(raw: string, field: string, base?: string): HostPath {
  assertPlainPath(raw, field);
  const trimmed = raw.trim();
  if (!trimmed) throw new ToolError('invalid_input', `${field}: the host path is empty.`);
  let absolute: string;
  if (trimmed.startsWith('/')) absolute = trimmed;
  else if (base !== undefined) absolute = posix.join(base, trimmed);
  else throw new ToolError('invalid_input', `${field}: host path "${raw}" is relative; give an absolute path.`);
  const lexical = lexicalPath(absolute);
  return { lexical, resolved: resolvedPath(lexical) };
}

/** `path` is `root` or lies under it. */
export function isUnder(path: string, root: string): boolean {
  return path === root || root === '/' || path.startsWith(`${root}/`);
}

/** Each protected path (built-in and configured) as written and as resolved on this machine (/var/run is usually a link to /run). */
export function protectedPaths(configured: readonly string[]): string[] {
  const all = [...SENSITIVE_TREES, ...DEFAULT_ENGINE_SOCKETS, ...runtimePaths(), ...configured].map(lexicalPath);
  return [...new Set([...all, ...all.map(resolvedPath)])];
}

/**
 * Why a host path must not be bound into a container, or undefined: it lies in a sensitive tree, is an
 * Engine socket, or CONTAINS one of them (a folder above the socket hands the socket over too).
 */
export function hostPathProblem(p: HostPath, protectedList: readonly string[]): string | undefined {
  if (isHarmlessDevice(p.resolved)) return undefined;
  for (const form of new Set([p.lexical, p.resolved])) {
    if (form === '/') return 'the host root filesystem (it holds the Engine socket)';
    for (const q of protectedList) {
      if (isUnder(form, q)) return `${q} on the host${form !== p.lexical ? ` (${p.lexical} resolves to ${form})` : ''}`;
      if (isUnder(q, form))
        return `${q} on the host, which ${form} contains${form !== p.lexical ? ` (${p.lexical} resolves to ${form})` : ''}`;
    }
    if ((EXACT_PATHS as readonly string[]).includes(form) || /^\/home\/[^/]+$/.test(form) || form === homedir()) {
      return `${form} on the host, a folder of everyone's (or a user's whole) files and software; bind a folder inside it instead`;
    }
  }
  return aliasProblem(p.resolved, protectedList);
}

/**
 * The memory devices every container already has in its own /dev (Docker's default device rules):
 * binding one (`/dev/null:/app/file` hides a file) gives nothing of the host. Judged by what the
 * resolved path is (the character device's major:minor), not by its name.
 */
const HARMLESS_DEVICES: Readonly<Record<string, string>> = {
  '/dev/null': '1:3',
  '/dev/zero': '1:5',
  '/dev/full': '1:7',
  '/dev/random': '1:8',
  '/dev/urandom': '1:9',
};

function isHarmlessDevice(resolved: string): boolean {
  const expected = HARMLESS_DEVICES[resolved];
  if (expected === undefined) return false;
  try {
    const st = statSync(resolved);
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | (Math.floor(st.rdev / 4096) & 0xfff00);
    return st.isCharacterDevice() && `${major}:${minor}` === expected;
  } catch {
    return false;
  }
}

function identity(p: string): string | undefined {
  try {
    const st = statSync(p);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * A host path that is (or lies under) another name for a protected folder or socket: a bind mount
 * of /run made elsewhere on the host, a hard link to the socket. Same device and inode, other path.
 */
export function aliasProblem(resolved: string, protectedList: readonly string[]): string | undefined {
  const ids = new Map<string, string>();
  for (const q of ['/', ...protectedList]) {
    const id = identity(q);
    if (id && !ids.has(id)) ids.set(id, q);
  }
  for (let p = resolved; p !== '/'; p = posix.dirname(p)) {
    const id = identity(p);
    const q = id ? ids.get(id) : undefined;
    if (q) return `${q} on the host (${p} is another name for it)`;
  }
  return undefined;
}

/** The configured bind roots, resolved the same way as the sources they are compared with. */
export function underAllowedRoot(p: HostPath, roots: readonly string[]): boolean {
  return roots.some((r) => isUnder(p.resolved, hostPath(r, 'DOM_ALLOWED_BIND_ROOTS').resolved));
}
