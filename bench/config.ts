/**
 * Bench settings, all from the environment so a quick smoke run and the full run use the
 * same code:
 *   BENCH_QUICK=1          small counts everywhere (smoke run; results go to bench/results/quick/)
 *   BENCH_ITER, BENCH_WARMUP          interleaved rounds per tier for the call-overhead section
 *   BENCH_TIERS=1,50,500              containers present for the call-overhead section
 *   BENCH_DEPLOY_RUNS, BENCH_SCALE_RUNS   runs per side (ours / docker-compose), alternating
 *   BENCH_SCALE_SERVICES=30           services in the scale stack
 *   BENCH_RSS_CALLS=1000, BENCH_COLD_RUNS   memory and cold-start section
 *   BENCH_PACKAGE_RUNS=3              runs per variant of the package section (pack, install, first answer)
 *   BENCH_PACKAGE_BEFORE=DIR|TGZ      a built checkout or a tarball to compare with this checkout
 *   BENCH_PACKAGE_SHARED_CACHE=1      install with npm's own cache instead of an empty one per run
 *   BENCH_SECTIONS=overhead,deploy,scale,memory,package,catalogue   which sections to run
 *   BENCH_OUT=DIR                     where results go
 *   BENCH_NO_PEER_INSTALL=1           do not npm-install the peers into bench/.peers
 */
export interface BenchConfig {
  quick: boolean;
  iterations: number;
  warmup: number;
  tiers: number[];
  deployRuns: number;
  scaleRuns: number;
  scaleServices: number;
  rssCalls: number;
  coldRuns: number;
  packageRuns: number;
  packageBefore?: string;
  packageSharedCache: boolean;
  sections: Set<string>;
  outDir: string;
  installPeers: boolean;
  busyboxImage: string;
  nginxImage: string;
  postgresImage: string;
  redisImage: string;
}

function int(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${v}"`);
  return n;
}

export const SECTIONS = ['overhead', 'deploy', 'scale', 'memory', 'package', 'catalogue'] as const;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  const tiers = (env.BENCH_TIERS ?? (quick ? '1,50' : '1,50,500'))
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  const sections = new Set((env.BENCH_SECTIONS ?? SECTIONS.join(',')).split(',').map((s) => s.trim()));
  for (const s of sections)
    if (!(SECTIONS as readonly string[]).includes(s))
      throw new Error(`BENCH_SECTIONS: unknown section "${s}" (${SECTIONS.join(', ')})`);
  return {
    quick,
    iterations: int('BENCH_ITER', quick ? 5 : 30),
    warmup: int('BENCH_WARMUP', quick ? 1 : 3),
    tiers,
    deployRuns: int('BENCH_DEPLOY_RUNS', quick ? 1 : 3),
    scaleRuns: int('BENCH_SCALE_RUNS', quick ? 1 : 3),
    scaleServices: int('BENCH_SCALE_SERVICES', 30),
    rssCalls: int('BENCH_RSS_CALLS', quick ? 200 : 1000),
    coldRuns: int('BENCH_COLD_RUNS', quick ? 3 : 10),
    packageRuns: int('BENCH_PACKAGE_RUNS', quick ? 1 : 3),
    ...(env.BENCH_PACKAGE_BEFORE ? { packageBefore: env.BENCH_PACKAGE_BEFORE } : {}),
    packageSharedCache: env.BENCH_PACKAGE_SHARED_CACHE === '1',
    sections,
    outDir: env.BENCH_OUT ?? new URL(quick ? './results/quick/' : './results/', import.meta.url).pathname,
    installPeers: env.BENCH_NO_PEER_INSTALL !== '1',
    busyboxImage: env.BENCH_BUSYBOX_IMAGE ?? 'dom-test/busybox:1',
    nginxImage: env.BENCH_NGINX_IMAGE ?? 'dom-test/nginx:1',
    postgresImage: env.BENCH_POSTGRES_IMAGE ?? 'dom-test/postgres:1',
    redisImage: env.BENCH_REDIS_IMAGE ?? 'dom-test/redis:1',
  };
}
