/**
 * The benchmark suite (issue 7): `npm run bench` builds the server and runs this file.
 * Every measurement runs side by side with its baseline in the same run; results go to
 * bench/results/ (bench/results/quick/ with BENCH_QUICK=1). See bench/README.md.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config.js';
import { cleanup, rawJson } from './lib/engine.js';
import { CLI, PEERS, PEERS_DIR, peerInstalled, peerVersion } from './lib/mcp.js';
import { run } from './lib/proc.js';
import { deploySvg, markdown, type Machine, type Results } from './report.js';
import { COMPOSE_BIN, deploySuite } from './suites/deploy.js';
import { overheadSuite } from './suites/overhead.js';
import { catalogueSuite } from './suites/catalogue.js';
import { packageSuite } from './suites/package.js';
import { memorySuite, scaleSuite } from './suites/scale.js';

const log = (s: string) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);

async function installPeers(): Promise<string[]> {
  const missing = PEERS.filter((p) => !peerInstalled(p));
  if (!missing.length) return [];
  log(`installing peers into ${PEERS_DIR}: ${missing.map((p) => p.pkg).join(' ')}`);
  mkdirSync(PEERS_DIR, { recursive: true });
  const r = await run(
    'npm',
    ['install', '--prefix', PEERS_DIR, '--no-audit', '--no-fund', ...missing.map((p) => p.pkg)],
    { allowFail: true, timeoutMs: 300_000 },
  );
  return r.code === 0 ? [] : [`npm install of peers failed (exit ${r.code}): ${r.stderr.slice(-300)}`];
}

async function machine(): Promise<Machine> {
  const info = await rawJson<{ ServerVersion: string; Driver: string; CgroupVersion?: string }>('GET', '/info');
  const ver = await rawJson<{ ApiVersion: string }>('GET', '/version');
  const compose = await run(COMPOSE_BIN, ['version', '--short'], { allowFail: true }).catch(() => ({
    stdout: 'not found',
    code: 1,
    stderr: '',
  }));
  const peers: Record<string, string> = {};
  for (const p of PEERS) if (peerInstalled(p)) peers[p.id] = peerVersion(p);
  return {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    memoryMiB: Math.round(totalmem() / 1024 / 1024),
    cpuModel: cpus()[0]?.model ?? '?',
    kernel: release(),
    engineVersion: info.ServerVersion,
    engineApi: ver.ApiVersion,
    storageDriver: info.Driver,
    cgroup: info.CgroupVersion ?? '?',
    node: process.version,
    dockerCompose: compose.stdout.trim() || '?',
    peers,
    loadavgStart: loadavg(),
  };
}

async function main(): Promise<number> {
  const cfg = loadConfig();
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm run bench does).`);
  const started = Date.now();
  const errors: Record<string, string> = {};
  const preNotes = cfg.installPeers ? await installPeers() : [];
  if (preNotes.length) errors.peers = preNotes.join('; ');
  const leftovers = await cleanup();
  if (leftovers.length) log(`clean-up before the run: ${leftovers.join('; ')}`);
  const results: Results = {
    quick: cfg.quick,
    machine: await machine(),
    config: { ...cfg, sections: [...cfg.sections] },
    errors,
    cleanupProblems: [],
  };
  log(
    `${cfg.quick ? 'QUICK ' : ''}run: sections ${[...cfg.sections].join(', ')}; load ${results.machine.loadavgStart.map((v) => v.toFixed(2)).join(' ')}`,
  );

  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${sig}: cleaning up, then exiting (signal again to exit at once)`);
    void cleanup().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const section = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (!cfg.sections.has(name)) return undefined;
    log(`section ${name}`);
    try {
      return await fn();
    } catch (err) {
      errors[name] = err instanceof Error ? err.message : String(err);
      log(`section ${name} failed: ${errors[name]}`);
      return undefined;
    } finally {
      const problems = await cleanup();
      results.cleanupProblems.push(...problems);
    }
  };
  try {
    const overhead = await section('overhead', () => overheadSuite(cfg, log));
    if (overhead) results.overhead = overhead;
    const deploy = await section('deploy', () => deploySuite(cfg, log));
    if (deploy) results.deploy = deploy;
    const scale = await section('scale', () => scaleSuite(cfg, log));
    if (scale) results.scale = scale;
    const memory = await section('memory', () => memorySuite(cfg, log));
    if (memory) results.memory = memory;
    const pkg = await section('package', () => packageSuite(cfg, log));
    if (pkg) results.package = pkg;
    const catalogue = await section('catalogue', () => catalogueSuite(cfg, log));
    if (catalogue) results.catalogue = catalogue;
  } finally {
    results.cleanupProblems.push(...(await cleanup()));
  }
  results.machine.loadavgEnd = loadavg();
  results.durationS = (Date.now() - started) / 1000;

  mkdirSync(cfg.outDir, { recursive: true });
  writeFileSync(join(cfg.outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(cfg.outDir, 'results.md'), markdown(results));
  if (results.deploy || results.scale) writeFileSync(join(cfg.outDir, 'deploy.svg'), deploySvg(results));
  log(`results in ${cfg.outDir} (${results.durationS.toFixed(0)} s)`);
  process.stdout.write(readFileSync(join(cfg.outDir, 'results.md'), 'utf8'));
  return Object.keys(errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  async (err: unknown) => {
    console.error(err);
    await cleanup().catch(() => undefined);
    process.exit(1);
  },
);
