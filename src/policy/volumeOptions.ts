import { ToolError } from '../kernel/errors.js';

/**
 * What a named volume's driver and options give a container on the host. The local driver runs
 * mount(2) on the host with the volume's `type`, `device` and `o`: with `o` containing bind/rbind it
 * is a bind mount of `device` in disguise; another filesystem type mounts a host device, a kernel
 * filesystem (proc, sysfs) or a network share with the host's identity. Keys are compared
 * case-insensitively and mount flags one by one, so no spelling slips through.
 */

export type VolumeAccess =
  /** A plain local volume (no options) or tmpfs. */
  | { kind: 'none' }
  /** A bind of a host path (local driver with o=bind/rbind). */
  | { kind: 'bind'; device: string }
  /** Another filesystem type of the local driver. */
  | { kind: 'filesystem'; type: string; device?: string }
  /** A volume plugin other than local: what it mounts is the plugin's business. */
  | { kind: 'driver'; driver: string };

const LOCAL_OPTION_KEYS = ['type', 'device', 'o', 'size'];
const BIND_FLAGS = new Set(['bind', 'rbind']);
const TMPFS_FLAGS = new Set([
  'size',
  'mode',
  'uid',
  'gid',
  'nr_inodes',
  'nr_blocks',
  'huge',
  'mpol',
  'inode64',
  'ro',
  'rw',
  'noexec',
  'exec',
  'nosuid',
  'suid',
  'nodev',
  'dev',
  'noatime',
  'atime',
  'nodiratime',
  'diratime',
  'relatime',
  'norelatime',
  'strictatime',
  'nostrictatime',
  'sync',
  'async',
  'dirsync',
  'defaults',
]);

/** "local", "LOCAL", " local:latest " -> "local"; plugin names lower-cased without ":latest". */
export function normaliseVolumeDriver(driver: string | undefined): string {
  const d = (driver ?? '')
    .trim()
    .toLowerCase()
    .replace(/:latest$/, '');
  return d === '' ? 'local' : d;
}

/** Options with keys lower-cased and trimmed; two keys that differ only in case are refused. */
function normaliseOptions(options: Record<string, string>, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options)) {
    const key = k.trim().toLowerCase();
    if (key in out)
      throw new ToolError(
        'invalid_input',
        `${where}: driver option "${key}" is given twice (keys differ only in case or spaces).`,
      );
    out[key] = String(v);
  }
  return out;
}

/** Mount flags of `o`, names lower-cased ("Bind, ro" -> ["bind", "ro"]). */
export function mountFlags(o: string | undefined): string[] {
  return (o ?? '')
    .split(',')
    .map((f) => f.trim().split('=')[0]?.trim().toLowerCase() ?? '')
    .filter(Boolean);
}

export function classifyVolume(
  driver: string | undefined,
  options: Record<string, string> | null | undefined,
  where: string,
): VolumeAccess {
  const d = normaliseVolumeDriver(driver);
  if (d !== 'local') return { kind: 'driver', driver: d };
  const opts = normaliseOptions(options ?? {}, where);
  if (Object.keys(opts).length === 0) return { kind: 'none' };
  const unknown = Object.keys(opts).filter((k) => !LOCAL_OPTION_KEYS.includes(k));
  if (unknown.length) {
    throw new ToolError(
      'invalid_input',
      `${where}: unknown local driver option(s) ${unknown.map((k) => `"${k}"`).join(', ')}; the local driver knows type, device, o and size.`,
    );
  }
  const type = (opts.type ?? '').trim().toLowerCase();
  const device = opts.device?.trim();
  if (mountFlags(opts.o).some((f) => BIND_FLAGS.has(f))) {
    if (!device) throw new ToolError('invalid_input', `${where}: a bind volume (o=bind) needs a device path.`);
    return { kind: 'bind', device };
  }
  if (type === 'tmpfs') {
    // Only flags that shape the tmpfs itself: others (remount, move, propagation...) act on host mounts.
    const odd = mountFlags(opts.o).filter((f) => !TMPFS_FLAGS.has(f));
    if (odd.length)
      throw new ToolError(
        'invalid_input',
        `${where}: mount flag(s) ${odd.map((f) => `"${f}"`).join(', ')} are not supported for a tmpfs volume (use ${[...TMPFS_FLAGS].slice(0, 6).join(', ')}, ...).`,
      );
    return { kind: 'none' };
  }
  const fs: VolumeAccess = { kind: 'filesystem', type: type || '(none)' };
  if (device) fs.device = device;
  return fs;
}
