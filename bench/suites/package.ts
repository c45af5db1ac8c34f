/**
 * The package as a user gets it (issue 11): `npm pack`, then `npm install --ignore-scripts`
 * of the tarball into an empty prefix with an empty npm cache (the registry is reached for
 * any dependency), then the installed bin started over stdio until its first `tools/list`
 * answer and one `list_containers` call. Also the sizes: tarball, unpacked, installed.
 *
 * "after" is this checkout (built: npm run bench builds first). "before", when
 * BENCH_PACKAGE_BEFORE names a built checkout (packed here) or a .tgz, runs in the same
 * rounds, alternating with "after".
 */
import { Client } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { existsSync, lstatSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import type { BenchConfig } from '../config.js';
import { serverEnv } from '../lib/mcp.js';
import { run } from '../lib/proc.js';
import { msSince, summarize, type Summary } from '../lib/stats.js';

export interface PackageVariant {
  source: string;
  tarballBytes?: number;
  unpackedBytes?: number;
  files?: number;
  installedBytes?: number;
  packages?: number;
  /** Seconds per run. */
  pack?: Summary;
  install?: Summary;
  firstToolsList?: Summary;
  listContainers?: Summary;
  total?: Summary;
  error?: string;
}

export interface PackageResult {
  runs: number;
  cache: 'empty' | 'shared';
  variants: Record<string, PackageVariant>;
  notes: string[];
}

const ROOT = new URL('../../', import.meta.url).pathname;

interface Packed {
  tgz: string;
  packS?: number;
  unpackedBytes?: number;
  files?: number;
}

/** Packs a checkout into `dest` (timed), or takes a tarball as it is. */
async function pack(source: string, dest: string): Promise<Packed> {
  if (source.endsWith('.tgz')) {
    const listing = await run('tar', ['-tvzf', source]);
    const sizes = listing.stdout
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('-'))
      .map((l) => Number(l.trim().split(/\s+/)[2]));
    return { tgz: source, unpackedBytes: sizes.reduce((a, b) => a + b, 0), files: sizes.length };
  }
  // npm run bench has built the checkout: time the packing, not the prepack build.
  const t0 = process.hrtime.bigint();
  const r = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dest], {
    cwd: source,
    timeoutMs: 300_000,
  });
  const packS = msSince(t0) / 1000;
  const [info] = JSON.parse(r.stdout) as { filename: string; unpackedSize: number; entryCount: number }[];
  if (!info) throw new Error(`npm pack in ${source} printed no package`);
  return { tgz: join(dest, info.filename), packS, unpackedBytes: info.unpackedSize, files: info.entryCount };
}

/** Bytes of regular files under `dir` (symlinks not followed), and how many packages it holds. */
function installedSize(nodeModules: string): { bytes: number; packages: number } {
  let bytes = 0;
  let packages = 0;
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) {
        const parent = basename(dir);
        if (parent === 'node_modules' && !entry.name.startsWith('@') && !entry.name.startsWith('.')) packages++;
        else if (parent.startsWith('@') && basename(dirname(dir)) === 'node_modules') packages++;
        walk(p);
      } else if (entry.isFile()) bytes += lstatSync(p).size;
    }
  };
  walk(nodeModules);
  return { bytes, packages };
}

interface RunTimes {
  pack?: number;
  install: number;
  firstToolsList: number;
  listContainers: number;
}

async function oneRun(source: string, sharedCache: boolean, sizes: PackageVariant): Promise<RunTimes> {
  const work = mkdtempSync(join(tmpdir(), 'dom-bench-package-'));
  try {
    const packed = await pack(source, work);
    const prefix = join(work, 'prefix');
    const args = ['install', '--prefix', prefix, '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'];
    if (!sharedCache) args.push('--cache', join(work, 'npm-cache'));
    const t0 = process.hrtime.bigint();
    await run('npm', [...args, packed.tgz], { cwd: work, timeoutMs: 900_000 });
    const install = msSince(t0) / 1000;

    const name = (
      JSON.parse((await run('tar', ['-xzOf', packed.tgz, 'package/package.json'])).stdout) as { name: string }
    ).name;
    const bin = join(prefix, 'node_modules', '.bin', name);
    const size = installedSize(join(prefix, 'node_modules'));
    Object.assign(sizes, {
      tarballBytes: statSync(packed.tgz).size,
      unpackedBytes: packed.unpackedBytes,
      files: packed.files,
      installedBytes: size.bytes,
      packages: size.packages,
    });

    let stderr = '';
    const t1 = process.hrtime.bigint();
    const transport = new StdioClientTransport({
      command: bin,
      args: ['serve'],
      env: serverEnv({ DOM_INSTANCE: 'dom-bench' }),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'dom-bench-package', version: '1.0.0' });
    try {
      await client.connect(transport);
      const { tools } = await client.listTools();
      const firstToolsList = msSince(t1) / 1000;
      if (!tools.some((t) => t.name === 'list_containers')) throw new Error('tools/list has no list_containers');
      const t2 = process.hrtime.bigint();
      const answer = await client.callTool({ name: 'list_containers', arguments: { all: true } });
      const listContainers = msSince(t2) / 1000;
      if (answer.isError) throw new Error(`list_containers failed: ${JSON.stringify(answer.content).slice(0, 300)}`);
      return { ...(packed.packS === undefined ? {} : { pack: packed.packS }), install, firstToolsList, listContainers };
    } catch (err) {
      throw new Error(`${(err as Error).message}; server stderr: ${stderr.slice(-500)}`, { cause: err });
    } finally {
      await client.close().catch(() => undefined);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export async function packageSuite(cfg: BenchConfig, log: (s: string) => void): Promise<PackageResult> {
  const sources: Record<string, string> = { after: ROOT };
  if (cfg.packageBefore) {
    const before = resolve(cfg.packageBefore);
    if (!existsSync(before)) throw new Error(`BENCH_PACKAGE_BEFORE: ${before} does not exist`);
    sources.before = before;
  }
  const labels = Object.keys(sources).sort();
  const samples: Record<string, RunTimes[]> = Object.fromEntries(labels.map((l) => [l, []]));
  const variants: Record<string, PackageVariant> = Object.fromEntries(
    labels.map((l) => [l, { source: sources[l] ?? '' }]),
  );
  for (let i = 0; i < cfg.packageRuns; i++) {
    // Alternate which variant goes first, so neither always meets a warmer machine.
    const order = i % 2 ? [...labels].reverse() : labels;
    for (const label of order) {
      const v = variants[label];
      if (!v || v.error) continue;
      try {
        const t = await oneRun(v.source, cfg.packageSharedCache, v);
        samples[label]?.push(t);
        log(
          `package ${label} run ${i + 1}: pack ${t.pack?.toFixed(2) ?? '-'} s, install ${t.install.toFixed(2)} s, first tools/list ${t.firstToolsList.toFixed(2)} s, list_containers ${t.listContainers.toFixed(3)} s`,
        );
      } catch (err) {
        v.error = (err as Error).message;
        log(`package ${label} failed: ${v.error}`);
      }
    }
  }
  for (const label of labels) {
    const s = samples[label] ?? [];
    const v = variants[label];
    if (!v || !s.length) continue;
    const packs = s.flatMap((t) => (t.pack === undefined ? [] : [t.pack]));
    if (packs.length) v.pack = summarize(packs);
    v.install = summarize(s.map((t) => t.install));
    v.firstToolsList = summarize(s.map((t) => t.firstToolsList));
    v.listContainers = summarize(s.map((t) => t.listContainers));
    v.total = summarize(s.map((t) => (t.pack ?? 0) + t.install + t.firstToolsList + t.listContainers));
  }
  const notes = [
    `npm install --ignore-scripts into an empty prefix, ${cfg.packageSharedCache ? "with npm's shared cache" : 'with an empty npm cache per run (dependencies come from the registry)'}; the server runs with DOM_HISTORY_PATH=:memory:.`,
    'total = pack (when packed here) + install + spawn to first tools/list + one list_containers call.',
  ];
  return { runs: cfg.packageRuns, cache: cfg.packageSharedCache ? 'shared' : 'empty', variants, notes };
}
