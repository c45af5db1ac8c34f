import type { ComposeCase } from './compose.js';
import { isOwn, type OwnObjects, type RefKind } from './targets.js';
import { SAFE_PROGRAMS, type FuzzRun } from './toolArgs.js';

/**
 * The last word before a fuzzed call goes out, whatever the generators produced: it may
 * only name objects this run owns or names nobody can own, publish ports on 127.0.0.1,
 * use images without a registry host, run commands that only read or sleep, and really
 * deploy only structured Compose projects. Anything else is rewritten (and counted).
 */

type Args = Record<string, unknown>;

const REF_FIELDS: Record<string, [string, RefKind][]> = {
  get_container_info: [['id', 'container']],
  get_container_logs: [['id', 'container']],
  get_container_stats: [
    ['id', 'container'],
    ['stack', 'stack'],
  ],
  start_container: [['id', 'container']],
  stop_container: [['id', 'container']],
  restart_container: [['id', 'container']],
  remove_container: [['id', 'container']],
  exec_in_container: [['id', 'container']],
  remove_image: [['id', 'image']],
  remove_network: [['id', 'network']],
  connect_container_to_network: [
    ['network', 'network'],
    ['container', 'container'],
  ],
  disconnect_container_from_network: [
    ['network', 'network'],
    ['container', 'container'],
  ],
  remove_volume: [['id', 'volume']],
  get_stack_status: [['name', 'stack']],
  remove_stack: [['name', 'stack']],
  health_monitoring: [['target', 'target']],
  heal_containers: [['target', 'target']],
};

const NAME = /^[a-z0-9][a-z0-9_.-]*$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9_.:/@-]*$/;

/** What a lenient server might make of a value: no invisible characters, no leading slashes, one case. */
function normalised(v: string): string {
  return v
    .normalize('NFKC')
    .replace(/[\s\p{Cc}\p{Cf}]/gu, '')
    .replace(/^\/+/, '')
    .toLowerCase();
}

/** True when no Engine object of anyone else can be named by `v`. */
export function cannotNameOthers(v: string, alphabet = NAME): boolean {
  const n = normalised(v);
  return n.includes('fuzz-nx') || !alphabet.test(n);
}

/** "host/x", "host:5000/x", "localhost/x": a registry the Engine would contact. */
function hasRegistryHost(image: string): boolean {
  const first = image.split('/')[0] ?? '';
  return image.includes('/') && (/[.:]/.test(first) || first.toLowerCase() === 'localhost');
}

const SAFE_SCRIPTS = new Set([
  'sleep 3600',
  'exit 3',
  'exit 7',
  'exec "$@"',
  'echo out; echo err >&2',
  'i=0; while [ $i -lt 3000 ]; do echo line-$i; i=$((i+1)); done',
]);

function argv(cmd: unknown): string[] | undefined {
  if (typeof cmd === 'string') return cmd.trim().split(/\s+/);
  if (Array.isArray(cmd) && cmd.every((c) => typeof c === 'string')) return cmd as string[];
  return undefined;
}

function safeCommand(cmd: unknown): boolean {
  const a = argv(cmd);
  if (!a) return true; // not a command the schema accepts
  const [prog = '', , script] = a;
  if (prog.includes('fuzz-nx') || prog === '') return true;
  if (!SAFE_PROGRAMS.includes(prog)) return false;
  return (
    prog !== 'sh' ||
    typeof cmd === 'string' ||
    (a[1] === '-c' && script !== undefined && SAFE_SCRIPTS.has(script) && a.length <= 4)
  );
}

function loopbackOrBroken(p: unknown): boolean {
  if (typeof p === 'string')
    return (
      /^127\.0\.0\.1:\d+:\d+(\/(tcp|udp))?$/.test(p) ||
      p.includes('fuzz-nx') ||
      /:(-\d+|\d{6,}|[7-9]\d{4})(:|$)/.test(p)
    );
  if (typeof p === 'number') return p < 1 || p > 65535;
  if (p && typeof p === 'object') {
    const o = p as { host_ip?: unknown; published?: unknown; target?: unknown };
    return (
      o.host_ip === '127.0.0.1' ||
      (typeof o.target === 'number' && o.target < 1) ||
      (typeof o.published === 'string' && o.published.includes('fuzz-nx'))
    );
  }
  return true;
}

function outsideOurSubnets(v: unknown): boolean {
  if (typeof v !== 'string' || v.includes('fuzz-nx')) return false;
  return (/^\d+\.\d+\.\d+\.\d+/.test(v) && !v.startsWith('10.231.')) || /^[0-9a-f:]*:[0-9a-f:]*(\/\d+)?$/i.test(v);
}

export interface SafeCall {
  args: Args;
  /** What was rewritten, for the report (should be rare). */
  rewrites: string[];
}

export function makeSafe(tool: string, input: Args, own: OwnObjects, run: FuzzRun, composes: ComposeCase[]): SafeCall {
  const args: Args = Object.assign(Object.create(null) as Args, input);
  const rewrites: string[] = [];
  const rewrite = (key: string, value: unknown, why: string) => {
    rewrites.push(`${key}: ${why}`);
    if (value === undefined) delete args[key];
    else args[key] = value;
  };

  for (const [key, kind] of REF_FIELDS[tool] ?? []) {
    const v = args[key];
    if (typeof v !== 'string' || isOwn(own, kind, v)) continue;
    if (!cannotNameOthers(v, kind === 'image' ? IMAGE_REF : NAME))
      rewrite(key, `fuzz-nx-${v.slice(0, 200)}`, 'could name a foreign object');
  }

  if (tool === 'deploy_container' || tool === 'pull_image') {
    if (typeof args.image === 'string' && hasRegistryHost(args.image))
      rewrite('image', 'fuzz-nx-image', 'registry host');
  }
  if (tool === 'deploy_container') {
    if (Array.isArray(args.ports) && !args.ports.every(loopbackOrBroken))
      rewrite('ports', args.ports.filter(loopbackOrBroken), 'port not on loopback');
    if (Array.isArray(args.volumes)) {
      const fixed = args.volumes.map((v) => ownedVolume(v, own, run));
      if (JSON.stringify(fixed) !== JSON.stringify(args.volumes)) rewrite('volumes', fixed, 'named volume not ours');
    }
    if (
      typeof args.network === 'string' &&
      !isOwn(own, 'network', args.network) &&
      !['none', 'host', 'bridge'].includes(args.network) &&
      !cannotNameOthers(args.network)
    ) {
      rewrite('network', 'fuzz-nx-network', 'foreign network');
    }
    for (const key of ['command', 'entrypoint'])
      if (!safeCommand(args[key])) rewrite(key, ['sleep', '3600'], 'unvetted command');
  }
  if (tool === 'exec_in_container' && !safeCommand(args.command))
    rewrite('command', ['echo', 'fuzz'], 'unvetted command');

  if (tool === 'deploy_application_stack' && args.dry_run !== true) {
    const vetted =
      (typeof args.compose === 'string' &&
        args.file === undefined &&
        args.template === undefined &&
        composes.some((c) => c.deployable)) ||
      (args.file === `${run.dir}/compose.yml` && args.compose === undefined && args.template === undefined);
    if (!vetted) rewrite('dry_run', true, 'unvetted source: plan only');
  }
  if (tool === 'heal_containers' && (typeof args.target !== 'string' || !isOwn(own, 'target', args.target))) {
    // No target heals every managed container on the Engine, other servers' too.
    rewrite('target', 'fuzz-nx-target', 'heal only what we own');
  }
  if (tool === 'create_network') {
    for (const key of ['subnet', 'gateway', 'ip_range'])
      if (outsideOurSubnets(args[key])) rewrite(key, 'fuzz-nx', 'address outside 10.231/16');
    if (
      typeof args.driver === 'string' &&
      !['bridge', 'host', 'null', ''].includes(args.driver) &&
      !args.driver.includes('fuzz-nx')
    )
      rewrite('driver', 'fuzz-nx-driver', 'driver');
    if (args.options && typeof args.options === 'object') {
      const opts = Object.entries(args.options).filter(([k]) => k.includes('fuzz-nx'));
      if (opts.length !== Object.keys(args.options).length)
        rewrite('options', Object.fromEntries(opts), 'network option');
    }
  }
  if (
    (tool === 'connect_container_to_network' || tool === 'disconnect_container_from_network') &&
    outsideOurSubnets(args.ipv4_address)
  ) {
    rewrite('ipv4_address', 'fuzz-nx', 'address outside 10.231/16');
  }
  if (tool === 'create_volume') {
    if (typeof args.driver === 'string' && !['local', ''].includes(args.driver) && !args.driver.includes('fuzz-nx'))
      rewrite('driver', 'fuzz-nx-driver', 'driver');
    if (args.driver_opts && typeof args.driver_opts === 'object') {
      const opts = Object.entries(args.driver_opts).filter(([k]) => k.includes('fuzz-nx'));
      if (opts.length !== Object.keys(args.driver_opts).length)
        rewrite('driver_opts', Object.fromEntries(opts), 'volume option');
    }
  }
  return { args, rewrites };
}

/** A named volume source we do not own becomes one with our prefix (removed at the end); binds and tmpfs stay. */
function ownedVolume(v: unknown, own: OwnObjects, run: FuzzRun): unknown {
  const fix = (source: string) =>
    !NAME.test(source.toLowerCase()) || isOwn(own, 'volume', source) || source.startsWith(run.prefix)
      ? source
      : `${run.prefix}-v-x`;
  if (typeof v === 'string') {
    const [source = '', ...rest] = v.split(':');
    return rest.length ? [fix(source), ...rest].join(':') : v;
  }
  if (v && typeof v === 'object') {
    const o = v as { type?: unknown; source?: unknown };
    if ((o.type === undefined || o.type === 'volume') && typeof o.source === 'string')
      return { ...o, source: fix(o.source) };
  }
  return v;
}
