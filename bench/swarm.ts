/**
 * Stacks on a Swarm, side by side (issue 16): the milestone stack (3 nginx replicas, db, cache;
 * every service healthchecked) deployed by `deploy_application_stack` with target swarm, and by
 * `docker stack deploy` of the same file followed by polling until every service has all its
 * replicas running (a Swarm task with a healthcheck runs only once healthy). Time from the
 * start of the deploy to all replicas running and healthy; runs alternate which side goes
 * first; each stack is removed (docker stack rm) before the next run.
 *
 * Needs the cluster of test/swarm/up.sh and a built dist/ (npm run build):
 *   npx tsx bench/swarm.ts            (BENCH_SWARM_RUNS runs per side, default 3)
 * Writes bench/results/swarm.md and swarm.json.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { docker, loadCluster } from '../test/swarm/cluster.js';
import { milestoneSwarmCompose } from '../test/swarm/milestone.js';
import { mustCall, ourStdio } from './lib/mcp.js';

const cluster = loadCluster();
const RUNS = Number(process.env.BENCH_SWARM_RUNS ?? 3);
const OUT = process.env.BENCH_OUT ?? new URL('./results/', import.meta.url).pathname;
const TIMEOUT_MS = 240_000;
const log = (s: string) => console.error(`[bench swarm ${new Date().toISOString().slice(11, 19)}] ${s}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls until every service of the stack shows N/N replicas (3 services). */
async function waitAllRunning(stack: string): Promise<void> {
  const until = Date.now() + TIMEOUT_MS;
  for (;;) {
    const lines = (
      await docker(cluster.managerHost, [
        'service',
        'ls',
        '--filter',
        `label=com.docker.stack.namespace=${stack}`,
        '--format',
        '{{.Replicas}}',
      ])
    )
      .trim()
      .split('\n')
      .filter(Boolean);
    const done = lines.length === 3 && lines.every((l) => /^(\d+)\/\1( |$)/.test(l));
    if (done) return;
    if (Date.now() > until) throw new Error(`stack ${stack} not running after ${TIMEOUT_MS} ms: ${lines.join(', ')}`);
    await sleep(200);
  }
}

async function removeStack(stack: string): Promise<void> {
  await docker(cluster.managerHost, ['stack', 'rm', stack]).catch(() => undefined);
  for (let i = 0; i < 120; i++) {
    const left = (
      await docker(cluster.managerHost, [
        'network',
        'ls',
        '-q',
        '--filter',
        `label=com.docker.stack.namespace=${stack}`,
      ])
    ).trim();
    const tasks = (
      await Promise.all(
        cluster.nodeHosts.map((h) =>
          docker(h, ['ps', '-aq', '--filter', `label=com.docker.stack.namespace=${stack}`]).catch(() => ''),
        ),
      )
    )
      .join('')
      .trim();
    if (!left && !tasks) break;
    await sleep(500);
  }
  for (const h of cluster.nodeHosts) await docker(h, ['volume', 'rm', '-f', `${stack}_db-data`]).catch(() => undefined);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dombench-swarm-'));
  const file = join(dir, 'stack.yml');
  const text = milestoneSwarmCompose('dom-test/nginx:1');
  writeFileSync(file, text);
  const ours: number[] = [];
  const cli: number[] = [];
  const conn = await ourStdio({ DOCKER_HOST: cluster.managerHost, DOM_TOOLSETS: 'all' });
  try {
    for (let run = 0; run < RUNS; run++) {
      const sides = run % 2 === 0 ? (['ours', 'cli'] as const) : (['cli', 'ours'] as const);
      for (const side of sides) {
        const stack = `dombench-sw-${side}-${process.pid}-${run}`;
        const started = Date.now();
        if (side === 'ours') {
          await mustCall(conn, 'deploy_application_stack', {
            name: stack,
            compose: text,
            target: 'swarm',
            timeout: TIMEOUT_MS / 1000,
          });
          ours.push(Date.now() - started);
        } else {
          await docker(cluster.managerHost, ['stack', 'deploy', '--detach=true', '-c', file, stack], TIMEOUT_MS);
          await waitAllRunning(stack);
          cli.push(Date.now() - started);
        }
        log(`run ${run + 1} ${side}: ${Date.now() - started} ms`);
        await removeStack(stack);
      }
    }
  } finally {
    await conn.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const result = {
    date: new Date().toISOString(),
    runs: RUNS,
    cluster: '3 Engine 28.5 nodes (containers of the host Engine), test/swarm/up.sh',
    stack: 'milestone: web (3 replicas, host-mode port, dnsrr), db, cache; all healthchecked',
    oursMs: ours,
    dockerStackDeployMs: cli,
    medianOursMs: median(ours),
    medianDockerStackDeployMs: median(cli),
    ratio: median(ours) / median(cli),
  };
  mkdirSync(OUT, { recursive: true });
  writeFileSync(join(OUT, 'swarm.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(
    join(OUT, 'swarm.md'),
    [
      '# Stacks on a Swarm: time to all replicas running and healthy',
      '',
      `${result.date}; ${RUNS} runs per side, alternating which goes first; ${result.cluster}.`,
      `Stack: ${result.stack}.`,
      '',
      '| side | median ms | runs (ms) |',
      '|---|---|---|',
      `| deploy_application_stack target swarm (MCP stdio) | ${result.medianOursMs} | ${ours.join(', ')} |`,
      `| docker stack deploy + polling docker service ls | ${result.medianDockerStackDeployMs} | ${cli.join(', ')} |`,
      '',
      `Ratio ours / docker stack deploy: ${result.ratio.toFixed(2)}.`,
      '',
    ].join('\n'),
  );
  log(`medians: ours ${result.medianOursMs} ms, docker stack deploy ${result.medianDockerStackDeployMs} ms`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
