import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { BenchConfig } from '../config.js';
import { PREFIX, waitProject } from '../lib/engine.js';
import { freePort, mustCall, ourStdio, type Conn } from '../lib/mcp.js';
import { run } from '../lib/proc.js';
import { ratio, summarize, timed, type Summary } from '../lib/stats.js';

export const TEMPLATE = new URL('../../templates/web-stack.yml', import.meta.url).pathname;
const WAIT_TIMEOUT_MS = 300_000;

export interface PhaseResult {
  ours: Summary;
  /** The Compose baseline: `up -d --wait` when the binary has it (v2), else `up -d` + polling. */
  compose: Summary;
  /** ours median / docker-compose median (< 1: we are faster). */
  ratio: number;
  oursSamples: number[];
  composeSamples: number[];
  /** With Compose v2 also `up -d` + polling every 100 ms (no crash window at all), and ours / it. */
  composePoll?: Summary;
  ratioPoll?: number;
  composePollSamples?: number[];
  /** Server-reported time to healthy (deploy_application_stack's timeToHealthyMs), when present. */
  oursServerReported?: Summary;
}

/** Who deploys in one run: us, Compose waiting by itself (v2), or Compose `up -d` + our polling. */
export type Who = 'ours' | 'compose' | 'composePoll';

let waitSupport: Promise<boolean> | undefined;
/** Whether the Compose baseline has `up --wait` (Compose v2; docker-compose 1.29 has not). */
export function composeHasWait(): Promise<boolean> {
  waitSupport ??= run(COMPOSE_BIN, ['up', '--help'], { allowFail: true, timeoutMs: 30_000 }).then(
    (r) => /--wait\b/.test(r.stdout + r.stderr),
    () => false,
  );
  return waitSupport;
}

/** The sides of one run, in an order that rotates from run to run. */
export async function sidesOfRun(index: number): Promise<Who[]> {
  const all: Who[] = (await composeHasWait()) ? ['ours', 'compose', 'composePoll'] : ['ours', 'compose'];
  return all.map((_, i) => all[(i + index) % all.length]!);
}

/** Medians and ratios of one phase's samples per side. */
export function phaseResult(s: Record<Who, number[]>, server: number[] = []): PhaseResult {
  const ours = summarize(s.ours);
  const compose = summarize(s.compose);
  const out: PhaseResult = {
    ours,
    compose,
    ratio: ratio(ours.median, compose.median),
    oursSamples: s.ours,
    composeSamples: s.compose,
  };
  if (s.composePoll.length) {
    out.composePoll = summarize(s.composePoll);
    out.ratioPoll = ratio(ours.median, out.composePoll.median);
    out.composePollSamples = s.composePoll;
  }
  if (server.length) out.oursServerReported = summarize(server);
  return out;
}

export async function composeBaselineNote(): Promise<string> {
  return (await composeHasWait())
    ? `Compose side: \`${COMPOSE_BIN} up -d --wait\` (Compose's own wait: it checks every 500 ms until every container runs and every healthchecked one is healthy, and fails on an exited one); a third side, "compose up -d + poll", runs \`up -d\` and polls the Engine every 100 ms from outside (no crash check at all).`
    : 'docker-compose side: `docker-compose up -d` followed by polling the Engine every 100 ms until every container runs and every healthchecked one is healthy (1.29 has no --wait).';
}

export interface DeployResult {
  runs: number;
  phases: Record<string, PhaseResult>;
  notes: string[];
}

/** One stack under test, deployed by us or by docker-compose. */
interface Side {
  deploy(vars: Record<string, string>): Promise<number | undefined>;
  remove(): Promise<void>;
}

export function composeEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  // docker-compose interpolates the same ${VAR:-default} text itself.
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    ...(process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {}),
    ...vars,
  };
}

/**
 * The Compose baseline: docker-compose 1.29 from PATH, or BENCH_COMPOSE (e.g. the Compose v2
 * binary `test/engine28/compose-v2.sh` prints, which runs standalone with the same arguments).
 */
export const COMPOSE_BIN = process.env.BENCH_COMPOSE || 'docker-compose';

/**
 * The Compose baseline with a project directory of its own: `up -d --wait` (Compose's own wait),
 * or with `poll`, `up -d` then polling the Engine from outside.
 */
export function composeSide(
  project: string,
  composeText: string,
  expected: number,
  poll: boolean,
): Side & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), `${PREFIX}-compose-`));
  const file = join(dir, 'docker-compose.yml');
  writeFileSync(file, composeText);
  // `down` must interpolate the file with the same variables (${VAR:?} ones fail otherwise).
  let lastVars: Record<string, string> = {};
  return {
    dir,
    async deploy(vars) {
      lastVars = vars;
      const wait = poll ? [] : ['--wait', '--wait-timeout', String(WAIT_TIMEOUT_MS / 1000)];
      await run(COMPOSE_BIN, ['-p', project, '-f', file, 'up', '-d', ...wait], { env: composeEnv(vars), cwd: dir });
      if (poll) await waitProject(project, expected, WAIT_TIMEOUT_MS);
      return undefined;
    },
    async remove() {
      await run(COMPOSE_BIN, ['-p', project, '-f', file, 'down', '-v', '--remove-orphans'], {
        env: composeEnv(lastVars),
        cwd: dir,
        allowFail: true,
      });
    },
  };
}

export function ourSide(conn: Conn, name: string, source: { template: string } | { compose: string }): Side {
  return {
    async deploy(vars) {
      const args =
        'template' in source
          ? { name, template: source.template, variables: vars }
          : { name, compose: source.compose, env: vars };
      const r = await mustCall(conn, 'deploy_application_stack', {
        ...args,
        wait: 'healthy',
        timeout: WAIT_TIMEOUT_MS / 1000,
      });
      const sc = r.structuredContent as { timeToHealthyMs?: number } | undefined;
      return sc?.timeToHealthyMs;
    },
    async remove() {
      await mustCall(conn, 'remove_stack', { name, volumes: true, confirm: true });
    },
  };
}

function hex(): string {
  return randomBytes(3).toString('hex');
}

/** Section 3: the milestone stack (web-stack template) against docker-compose + the same wait. */
export async function deploySuite(cfg: BenchConfig, log: (s: string) => void): Promise<DeployResult> {
  const notes: string[] = [];
  const templateText = readFileSync(TEMPLATE, 'utf8');
  const samples: Record<string, Record<Who, number[]>> = {};
  const server: number[] = [];
  const add = (phase: string, side: Who, ms: number) => {
    samples[phase] ??= { ours: [], compose: [], composePoll: [] };
    samples[phase][side].push(ms);
  };
  const conn = await ourStdio();
  const dirs: string[] = [];
  try {
    for (let i = 0; i < cfg.deployRuns; i++) {
      for (const who of await sidesOfRun(i)) {
        const id = hex();
        const vars: Record<string, string> = {
          NGINX_IMAGE: cfg.nginxImage,
          POSTGRES_IMAGE: cfg.postgresImage,
          REDIS_IMAGE: cfg.redisImage,
          POSTGRES_PASSWORD: `bench-${id}-pw`,
          NGINX_PORT: String(await freePort()),
          NGINX_BIND: '127.0.0.1',
          NETWORK_NAME: `${PREFIX}-net-${id}`,
        };
        let side: Side;
        if (who === 'ours') side = ourSide(conn, `${PREFIX}-web-${id}`, { template: 'web-stack' });
        else {
          const c = composeSide(`${PREFIX}cweb${id}`, templateText, 3, who === 'composePoll');
          dirs.push(c.dir);
          side = c;
        }
        log(`  run ${i + 1}/${cfg.deployRuns}: ${who}`);
        let ok = false;
        try {
          const fresh = await timed(() => side.deploy(vars));
          add('fresh deploy to healthy', who, fresh.ms);
          if (who === 'ours' && fresh.value !== undefined) server.push(fresh.value);
          const again = await timed(() => side.deploy(vars));
          add('unchanged redeploy', who, again.ms);
          const changed = { ...vars, NGINX_PORT: String(await freePort()) };
          const one = await timed(() => side.deploy(changed));
          add('one-service change (web port)', who, one.ms);
          ok = true;
        } finally {
          const rm = await timed(() => side.remove());
          if (ok) add('remove (with volumes)', who, rm.ms);
        }
      }
    }
  } finally {
    await conn.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const phases: Record<string, PhaseResult> = {};
  for (const [phase, s] of Object.entries(samples))
    phases[phase] = phaseResult(s, phase === 'fresh deploy to healthy' ? server : []);
  notes.push(`${await composeBaselineNote()} Compose interpolates the same template text with the same variables.`);
  notes.push('One-service change: NGINX_PORT changes, so only `web` is recreated on both sides.');
  return { runs: cfg.deployRuns, phases, notes };
}
