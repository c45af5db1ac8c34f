import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { BenchConfig } from '../config.js';
import { LABEL, PREFIX } from '../lib/engine.js';
import { hwmKb, mustCall, ourStdio, peerInstalled, peerStdio, PEERS, rssKb, type Conn } from '../lib/mcp.js';
import { ratio, summarize, timed, type Summary } from '../lib/stats.js';
import {
  composeBaselineNote,
  composeSide,
  ourSide,
  phaseResult,
  sidesOfRun,
  type PhaseResult,
  type Who,
} from './deploy.js';

export function scaleCompose(services: number, image: string): string {
  const lines = ['services:'];
  for (let i = 1; i <= services; i++) {
    const n = `s${String(i).padStart(2, '0')}`;
    lines.push(
      `  ${n}:`,
      `    image: ${image}`,
      `    command: ["sleep", "600"]`,
      `    init: true`,
      `    labels:`,
      `      ${LABEL}: "1"`,
    );
  }
  return lines.join('\n') + '\n';
}

export interface ScaleResult {
  services: number;
  runs: number;
  phases: Record<string, PhaseResult>;
  notes: string[];
}

/** Section 4a: a 30-service busybox stack, ours vs docker-compose, alternating. */
export async function scaleSuite(cfg: BenchConfig, log: (s: string) => void): Promise<ScaleResult> {
  const text = scaleCompose(cfg.scaleServices, cfg.busyboxImage);
  const samples: Record<string, Record<Who, number[]>> = {};
  const add = (phase: string, side: Who, ms: number) => {
    samples[phase] ??= { ours: [], compose: [], composePoll: [] };
    samples[phase][side].push(ms);
  };
  const conn = await ourStdio();
  const dirs: string[] = [];
  try {
    for (let i = 0; i < cfg.scaleRuns; i++) {
      for (const who of await sidesOfRun(i)) {
        const id = randomBytes(3).toString('hex');
        const side =
          who === 'ours'
            ? ourSide(conn, `${PREFIX}-scale-${id}`, { compose: text })
            : (() => {
                const c = composeSide(`${PREFIX}cscale${id}`, text, cfg.scaleServices, who === 'composePoll');
                dirs.push(c.dir);
                return c;
              })();
        log(`  run ${i + 1}/${cfg.scaleRuns}: ${who}`);
        let ok = false;
        try {
          add(`${cfg.scaleServices} services: deploy to running`, who, (await timed(() => side.deploy({}))).ms);
          add(`${cfg.scaleServices} services: unchanged redeploy`, who, (await timed(() => side.deploy({}))).ms);
          ok = true;
        } finally {
          const rm = await timed(() => side.remove());
          if (ok) add(`${cfg.scaleServices} services: remove`, who, rm.ms);
        }
      }
    }
  } finally {
    await conn.close().catch(() => undefined);
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  const phases: Record<string, PhaseResult> = {};
  for (const [phase, s] of Object.entries(samples)) phases[phase] = phaseResult(s);
  return {
    services: cfg.scaleServices,
    runs: cfg.scaleRuns,
    phases,
    notes: [
      'Every service: dom-test/busybox `sleep 600` with init: true, no healthcheck, so "ready" means running on both sides.',
      await composeBaselineNote(),
    ],
  };
}

export interface MemoryResult {
  calls: number;
  /** kB */
  rss: Record<string, number | undefined>;
  coldStart: Record<string, Summary & { error?: string }>;
  ratios: Record<string, number>;
  notes: string[];
}

function nodeBaselineRss(): Promise<number | undefined> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    setTimeout(() => {
      const v = rssKb(child.pid);
      child.kill('SIGTERM');
      resolve(v);
    }, 1000);
  });
}

function nodeE0(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Section 4b: RSS idle and after N tool calls; cold start to the first tools/list answer. */
export async function memorySuite(cfg: BenchConfig, log: (s: string) => void): Promise<MemoryResult> {
  const notes: string[] = [];
  const rss: Record<string, number | undefined> = {};
  rss['bare node (setInterval)'] = await nodeBaselineRss();

  const conn = await ourStdio();
  try {
    await conn.listTools();
    await settle(1000);
    rss['ours idle (after tools/list)'] = rssKb(conn.pid);
    // A target container so get_container_info has something to inspect. It is stopped right
    // away: on a running container the call waits 1-2 s for the Engine's stats sample, which
    // the overhead section measures on its own.
    const id = randomBytes(3).toString('hex');
    await mustCall(conn, 'deploy_container', {
      image: cfg.busyboxImage,
      name: `${PREFIX}-mem-${id}`,
      command: ['sleep', '600'],
      labels: { [LABEL]: '1' },
      wait: 'none',
    })
      .then(() => mustCall(conn, 'stop_container', { id: `${PREFIX}-mem-${id}`, timeout: 0 }))
      .catch(async (err: unknown) => {
        notes.push(
          `deploy_container for the memory target failed (${err instanceof Error ? err.message : String(err)}); calls use list_containers only.`,
        );
      });
    log(`  ${cfg.rssCalls} tool calls (list_containers / get_container_info alternating)`);
    const tm = await timed(async () => {
      for (let i = 0; i < cfg.rssCalls; i++) {
        if (i % 2 === 0 || notes.length) await mustCall(conn, 'list_containers', { all: true, limit: 100 });
        else await mustCall(conn, 'get_container_info', { id: `${PREFIX}-mem-${id}` });
      }
    });
    rss[`ours after ${cfg.rssCalls} calls`] = rssKb(conn.pid);
    rss[`ours peak (VmHWM) after ${cfg.rssCalls} calls`] = hwmKb(conn.pid);
    notes.push(
      `${cfg.rssCalls} sequential calls took ${Math.round(tm.ms)} ms (${(tm.ms / cfg.rssCalls).toFixed(1)} ms/call, stopped target container, so get_container_info takes no stats sample).`,
    );
  } finally {
    await conn.close().catch(() => undefined);
  }
  for (const p of PEERS.filter(peerInstalled)) {
    try {
      const c = await peerStdio(p);
      await c.listTools();
      await settle(1000);
      rss[`${p.id} idle (after tools/list)`] = rssKb(c.pid);
      await c.close();
    } catch (err) {
      notes.push(`${p.id} RSS: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  // Cold start, interleaved: spawn -> initialize -> first tools/list answer.
  const cold: Record<string, number[]> = {};
  const errors: Record<string, string> = {};
  // Each starter resolves once the first answer is in and returns how to shut down
  // (outside the timing).
  const starters: { name: string; fn: () => Promise<() => Promise<void>> }[] = [
    {
      name: 'node -e 0 (spawn to exit)',
      fn: async () => {
        await nodeE0();
        return async () => undefined;
      },
    },
    {
      name: 'ours: spawn to first tools/list',
      fn: async () => {
        const c: Conn = await ourStdio();
        await c.listTools();
        return () => c.close();
      },
    },
    ...PEERS.filter(peerInstalled).map((p) => ({
      name: `${p.id}: spawn to first tools/list`,
      fn: async () => {
        const c = await peerStdio(p);
        await c.listTools();
        return () => c.close();
      },
    })),
  ];
  log(`  cold start x${cfg.coldRuns}`);
  // Round 0 is a warm-up (page cache), not recorded.
  for (let i = 0; i < cfg.coldRuns + 1; i++) {
    for (let k = 0; k < starters.length; k++) {
      const s = starters[(i + k) % starters.length];
      if (!s || errors[s.name]) continue;
      try {
        const t0 = process.hrtime.bigint();
        const close = await s.fn();
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        await close().catch(() => undefined);
        if (i > 0) (cold[s.name] ??= []).push(ms);
      } catch (err) {
        errors[s.name] = err instanceof Error ? err.message : String(err);
      }
    }
  }
  const coldStart: Record<string, Summary & { error?: string }> = {};
  for (const s of starters)
    coldStart[s.name] = { ...summarize(cold[s.name] ?? []), ...(errors[s.name] ? { error: errors[s.name] } : {}) };
  const oursCold = coldStart['ours: spawn to first tools/list']?.median;
  const ratios: Record<string, number> = {
    'cold start ours / node -e 0': ratio(oursCold, coldStart['node -e 0 (spawn to exit)']?.median),
    'RSS ours after calls / ours idle': ratio(
      rss[`ours after ${cfg.rssCalls} calls`],
      rss['ours idle (after tools/list)'],
    ),
    'RSS ours idle / bare node': ratio(rss['ours idle (after tools/list)'], rss['bare node (setInterval)']),
  };
  for (const p of PEERS.filter(peerInstalled))
    ratios[`cold start ${p.id} / ours`] = ratio(coldStart[`${p.id}: spawn to first tools/list`]?.median, oursCold);
  return { calls: cfg.rssCalls, rss, coldStart, ratios, notes };
}
