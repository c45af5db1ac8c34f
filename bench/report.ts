import type { BenchConfig } from './config.js';
import type { Summary } from './lib/stats.js';
import type { DeployResult, PhaseResult } from './suites/deploy.js';
import type { OverheadResult } from './suites/overhead.js';
import { catalogueSection, type CatalogueResult } from './suites/catalogue.js';
import type { PackageResult } from './suites/package.js';
import type { MemoryResult, ScaleResult } from './suites/scale.js';

export interface Machine {
  date: string;
  nproc: number;
  memoryMiB: number;
  cpuModel: string;
  kernel: string;
  engineVersion: string;
  engineApi: string;
  storageDriver: string;
  cgroup: string;
  node: string;
  dockerCompose: string;
  peers: Record<string, string>;
  loadavgStart: number[];
  loadavgEnd?: number[];
}

export interface Results {
  quick: boolean;
  machine: Machine;
  config: Omit<BenchConfig, 'sections'> & { sections: string[] };
  overhead?: OverheadResult;
  deploy?: DeployResult;
  scale?: ScaleResult;
  memory?: MemoryResult;
  package?: PackageResult;
  catalogue?: CatalogueResult;
  errors: Record<string, string>;
  cleanupProblems: string[];
  durationS?: number;
}

const ms = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
const x = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(2)}x`);
const kb = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v / 1024).toFixed(1)} MiB`);
const bytes = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : v >= 10_240 ? `${(v / 1024).toFixed(1)} KiB` : `${v} B`;

interface Target {
  target: string;
  measured: string;
  ok: boolean | undefined;
}

function targets(r: Results): Target[] {
  const out: Target[] = [];
  const t50 = r.overhead?.tiers.find((t) => t.benchContainers === 50);
  if (t50) {
    const v = t50.ratios['list stdio / raw'];
    out.push({
      target: 'list_containers over stdio, 50 containers: <= 1.3x raw Engine call',
      measured: x(v),
      ok: v === undefined || !Number.isFinite(v) ? undefined : v <= 1.3,
    });
    const cliPeer = Object.entries(t50.ratios).find(([k]) => k.startsWith('@0xshariq') && k.endsWith('/ list stdio'));
    if (cliPeer)
      out.push({
        target: '>= 10x faster than the CLI-calling peer (same listing, 50 containers)',
        measured: x(cliPeer[1]),
        ok: Number.isFinite(cliPeer[1]) ? cliPeer[1] >= 10 : undefined,
      });
    const sz = t50.ratios['bytes: raw inspect-all / ours'];
    out.push({
      target: 'answer >= 5x smaller than raw inspect-style answers (50 containers)',
      measured: x(sz),
      ok: Number.isFinite(sz) ? (sz ?? 0) >= 5 : undefined,
    });
  }
  const fresh = r.deploy?.phases['fresh deploy to healthy'];
  if (fresh)
    out.push({
      target: 'milestone stack to healthy: no worse than docker-compose + same wait',
      measured: x(fresh.ratio),
      ok: Number.isFinite(fresh.ratio) ? fresh.ratio <= 1 : undefined,
    });
  const again = r.deploy?.phases['unchanged redeploy'];
  if (again)
    out.push({
      target: 'unchanged redeploy < 1 s',
      measured: `${ms(again.ours.median)} ms`,
      ok: again.ours.median < 1000,
    });
  const scale = r.scale
    ? Object.entries(r.scale.phases).find(([k]) => k.endsWith('deploy to running'))?.[1]
    : undefined;
  if (scale) {
    const speedup = scale.ours.median ? scale.compose.median / scale.ours.median : NaN;
    out.push({
      target: `${r.scale?.services}-service stack >= 1.5x faster than docker-compose`,
      measured: `${speedup.toFixed(2)}x faster`,
      ok: Number.isFinite(speedup) ? speedup >= 1.5 : undefined,
    });
  }
  // Issue 14, with a Compose v2 baseline (it has `up --wait`): at or below Compose's own time.
  for (const [label, p] of [
    ['milestone stack to healthy', fresh],
    [`${r.scale?.services}-service stack to running`, scale],
  ] as const) {
    if (!p?.composePoll) continue;
    out.push({
      target: `${label}: at or below Compose v2 \`up -d --wait\``,
      measured: `${x(p.ratio)} (${x(p.ratioPoll ?? NaN)} of \`up -d\` + polling from outside)`,
      ok: Number.isFinite(p.ratio) ? p.ratio <= 1 : undefined,
    });
  }
  const cold = r.memory?.coldStart['ours: spawn to first tools/list'];
  if (cold)
    out.push({
      target: 'cold start < 400 ms to first answer',
      measured: `${ms(cold.median)} ms`,
      ok: Number.isFinite(cold.median) ? cold.median < 400 : undefined,
    });
  const rss = r.memory?.rss[`ours after ${r.memory.calls} calls`];
  if (r.memory)
    out.push({
      target: `RSS < 120 MB after ${r.memory.calls} calls${r.memory.calls < 1000 ? ' (target is after 1,000)' : ''}`,
      measured: kb(rss),
      ok: rss === undefined ? undefined : rss / 1024 < 120,
    });
  return out;
}

function summaryRow(
  name: string,
  s: (Partial<Summary> & { error?: string }) | undefined,
  base: number | undefined,
): string {
  if (!s) return `| ${name} | n/a | | | |`;
  if (s.error) return `| ${name} | failed: ${s.error.replace(/\|/g, '/').slice(0, 120)} | | | |`;
  return `| ${name} | ${ms(s.median)} | ${ms(s.p90)} | ${s.n ?? 0} | ${x(base && s.median !== undefined ? s.median / base : NaN)} |`;
}

function phaseTable(phases: Record<string, PhaseResult>): string[] {
  const poll = Object.values(phases).some((p) => p.composePoll);
  const lines = poll
    ? [
        '| phase | ours median (ms) | compose up --wait median (ms) | ours / compose | compose up -d + poll median (ms) | ours / that | runs (ours, compose, poll) |',
        '|---|---:|---:|---:|---:|---:|---|',
      ]
    : [
        '| phase | ours median (ms) | docker-compose median (ms) | ours / compose | runs (ours, compose) |',
        '|---|---:|---:|---:|---|',
      ];
  for (const [name, p] of Object.entries(phases)) {
    lines.push(
      poll
        ? `| ${name} | ${ms(p.ours.median)} | ${ms(p.compose.median)} | ${x(p.ratio)} | ${ms(p.composePoll?.median)} | ${x(p.ratioPoll ?? NaN)} | ${p.ours.n}, ${p.compose.n}, ${p.composePoll?.n ?? 0} |`
        : `| ${name} | ${ms(p.ours.median)} | ${ms(p.compose.median)} | ${x(p.ratio)} | ${p.ours.n}, ${p.compose.n} |`,
    );
  }
  return lines;
}

export function markdown(r: Results): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(
    `# Benchmark results${r.quick ? ' — QUICK SMOKE RUN (small counts, machine under load: not the reference numbers)' : ''}`,
    '',
  );
  if (r.quick)
    L.push(
      '> Produced with `BENCH_QUICK=1` while other work was running on the machine. Ratios are indicative only; the reference run is a full `npm run bench` on a quiet machine.',
      '',
    );
  L.push(
    'Every number is a median of interleaved runs measured in the same process run as its baseline; ratios are ours / baseline unless stated otherwise.',
    '',
  );
  L.push('## Machine', '', '| | |', '|---|---|');
  L.push(
    `| date | ${m.date} |`,
    `| CPUs (nproc) | ${m.nproc} (${m.cpuModel}) |`,
    `| memory | ${m.memoryMiB} MiB |`,
    `| kernel | ${m.kernel} |`,
  );
  L.push(
    `| Docker Engine | ${m.engineVersion} (API ${m.engineApi}, ${m.storageDriver}, cgroup ${m.cgroup}) |`,
    `| Node | ${m.node} |`,
    `| docker-compose | ${m.dockerCompose} |`,
  );
  L.push(
    `| peers | ${
      Object.entries(m.peers)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    } |`,
  );
  L.push(
    `| load average at start / end | ${m.loadavgStart.map((v) => v.toFixed(2)).join(' ')} / ${(m.loadavgEnd ?? []).map((v) => v.toFixed(2)).join(' ')} |`,
  );
  L.push(
    `| settings | iterations ${r.config.iterations} (+${r.config.warmup} warm-up), tiers ${r.config.tiers.join('/')}, deploy runs ${r.config.deployRuns}, scale runs ${r.config.scaleRuns}, RSS calls ${r.config.rssCalls}, cold runs ${r.config.coldRuns} |`,
  );
  if (r.durationS) L.push(`| suite duration | ${r.durationS.toFixed(0)} s |`);
  L.push('');

  const t = targets(r);
  if (t.length) {
    L.push('## Targets (issue 7)', '', '| target | measured | met? |', '|---|---|---|');
    for (const row of t)
      L.push(`| ${row.target} | ${row.measured} | ${row.ok === undefined ? 'n/a' : row.ok ? 'yes' : '**no**'} |`);
    L.push('');
  }

  if (r.overhead) {
    L.push('## 1. Tool-call overhead (ms per call, medians)', '');
    for (const tier of r.overhead.tiers) {
      L.push(
        `### ${tier.benchContainers} bench container(s) (${tier.containersPresent} present on the Engine, all listed)`,
        '',
      );
      L.push('| listing | median | p90 | n | x raw |', '|---|---:|---:|---:|---:|');
      const rawList = tier.list['Engine API (raw socket, keep-alive)']?.median;
      for (const [k, v] of Object.entries(tier.list)) L.push(summaryRow(k, v, rawList));
      L.push('', '| inspect one (stopped) container | median | p90 | n | x raw |', '|---|---:|---:|---:|---:|');
      const rawI = tier.inspect['Engine API inspect (raw socket)']?.median;
      for (const [k, v] of Object.entries(tier.inspect)) L.push(summaryRow(k, v, rawI));
      L.push('', '| answer size (same listing) | bytes |', '|---|---:|');
      for (const [k, v] of Object.entries(tier.bytes)) L.push(`| ${k} | ${bytes(v)} |`);
      L.push('', '| ratio | value |', '|---|---:|');
      for (const [k, v] of Object.entries(tier.ratios)) L.push(`| ${k} | ${x(v)} |`);
      L.push('');
    }
    if (r.overhead.running) {
      L.push(
        '### get_container_info on a running container (the server adds one stats sample)',
        '',
        '| call | median | p90 | n | x raw inspect |',
        '|---|---:|---:|---:|---:|',
      );
      const base = r.overhead.running.list['Engine API inspect (raw socket)']?.median;
      for (const [k, v] of Object.entries(r.overhead.running.list)) L.push(summaryRow(k, v, base));
      L.push('', '| ratio | value |', '|---|---:|');
      for (const [k, v] of Object.entries(r.overhead.running.ratios)) L.push(`| ${k} | ${x(v)} |`);
      L.push('');
    }
    for (const n of r.overhead.notes) L.push(`- ${n}`);
    L.push(
      '- get_container_info targets a created, never-started container, so our server takes no stats sample for it.',
      '',
    );
  }
  if (r.deploy) {
    L.push(
      `## 3. Milestone stack (templates/web-stack.yml, dom-test images), ${r.deploy.runs} run(s) per side, alternating`,
      '',
      ...phaseTable(r.deploy.phases),
      '',
    );
    const sr = r.deploy.phases['fresh deploy to healthy']?.oursServerReported;
    if (sr) L.push(`- Server-reported timeToHealthyMs (fresh deploy): median ${ms(sr.median)} ms.`);
    for (const n of r.deploy.notes) L.push(`- ${n}`);
    L.push('');
  }
  if (r.scale) {
    L.push(
      `## 4. Scale: ${r.scale.services}-service busybox stack, ${r.scale.runs} run(s) per side, alternating`,
      '',
      ...phaseTable(r.scale.phases),
      '',
    );
    for (const n of r.scale.notes) L.push(`- ${n}`);
    L.push('');
  }
  if (r.memory) {
    L.push('## 4. Memory and cold start', '', '| process | RSS |', '|---|---:|');
    for (const [k, v] of Object.entries(r.memory.rss)) L.push(`| ${k} | ${kb(v)} |`);
    L.push('', '| cold start | median (ms) | p90 | n | x node -e 0 |', '|---|---:|---:|---:|---:|');
    const base = r.memory.coldStart['node -e 0 (spawn to exit)']?.median;
    for (const [k, v] of Object.entries(r.memory.coldStart)) L.push(summaryRow(k, v, base));
    L.push('', '| ratio | value |', '|---|---:|');
    for (const [k, v] of Object.entries(r.memory.ratios)) L.push(`| ${k} | ${x(v)} |`);
    L.push('');
    for (const n of r.memory.notes) L.push(`- ${n}`);
    L.push('');
  }
  if (r.package) L.push(...packageSection(r.package));
  if (r.catalogue) L.push(...catalogueSection(r.catalogue));
  if (Object.keys(r.errors).length) {
    L.push('## Errors', '');
    for (const [k, v] of Object.entries(r.errors)) L.push(`- ${k}: ${v}`);
    L.push('');
  }
  if (r.cleanupProblems.length) {
    L.push('## Clean-up problems', '');
    for (const p of r.cleanupProblems) L.push(`- ${p}`);
    L.push('');
  }
  return L.join('\n');
}

const mb = (v: number | undefined) => (v === undefined ? 'n/a' : `${(v / 1e6).toFixed(2)} MB`);
const s3 = (v: Summary | undefined) => (v ? `${v.median.toFixed(2)} (${v.min.toFixed(2)}-${v.max.toFixed(2)})` : 'n/a');

function packageSection(p: PackageResult): string[] {
  const labels = Object.keys(p.variants);
  const col = (f: (v: PackageResult['variants'][string]) => string) =>
    labels
      .map((l) => {
        const v = p.variants[l];
        return v ? f(v) : 'n/a';
      })
      .join(' | ');
  const L = [
    `## 5. Package: pack, install (--ignore-scripts, ${p.cache} npm cache), first answer; ${p.runs} run(s) per variant`,
    '',
  ];
  L.push(`| | ${labels.join(' | ')} |`, `|---|${labels.map(() => '---:').join('|')}|`);
  L.push(`| tarball | ${col((v) => mb(v.tarballBytes))} |`);
  L.push(`| unpacked (files) | ${col((v) => `${mb(v.unpackedBytes)} (${v.files ?? '?'})`)} |`);
  L.push(`| installed node_modules (packages) | ${col((v) => `${mb(v.installedBytes)} (${v.packages ?? '?'})`)} |`);
  L.push(`| npm pack, s: median (min-max) | ${col((v) => s3(v.pack))} |`);
  L.push(`| npm install, s | ${col((v) => s3(v.install))} |`);
  L.push(`| spawn to first tools/list, s | ${col((v) => s3(v.firstToolsList))} |`);
  L.push(`| list_containers, s | ${col((v) => s3(v.listContainers))} |`);
  L.push(`| total, s | ${col((v) => s3(v.total))} |`);
  L.push('');
  for (const l of labels) {
    const v = p.variants[l];
    if (v?.error) L.push(`- ${l} failed: ${v.error.slice(0, 300)}`);
    if (v) L.push(`- ${l}: ${v.source}`);
  }
  for (const n of p.notes) L.push(`- ${n}`);
  L.push('');
  return L;
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Hand-written SVG: per phase, ours vs docker-compose medians, each row on its own scale. */
export function deploySvg(r: Results): string {
  const rows: { label: string; p: PhaseResult }[] = [];
  for (const [k, p] of Object.entries(r.deploy?.phases ?? {})) rows.push({ label: `web-stack: ${k}`, p });
  for (const [k, p] of Object.entries(r.scale?.phases ?? {})) rows.push({ label: k, p });
  const W = 820;
  const left = 300;
  const barW = W - left - 120;
  const rowH = 56;
  const top = 60;
  const H = top + rows.length * rowH + 40;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  const title = `Stack deploy: docker-orchestration-mcp vs docker-compose ${r.machine.dockerCompose} (median ms, lower is better)${r.quick ? ' — QUICK/LOADED' : ''}`;
  out.push(`<text x="12" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`);
  out.push(
    `<text x="12" y="40" fill="#555">${esc(`${r.machine.date.slice(0, 10)}, ${r.machine.nproc} CPUs, Engine ${r.machine.engineVersion}, Node ${r.machine.node}; each row on its own scale`)}</text>`,
  );
  out.push(
    `<rect x="${W - 230}" y="30" width="12" height="12" fill="#2b6cb0"/><text x="${W - 214}" y="40">ours</text>`,
  );
  out.push(
    `<rect x="${W - 160}" y="30" width="12" height="12" fill="#a0aec0"/><text x="${W - 144}" y="40">docker-compose</text>`,
  );
  rows.forEach(({ label, p }, i) => {
    const y = top + i * rowH;
    const max = Math.max(p.ours.median || 0, p.compose.median || 0) || 1;
    const bar = (v: number, dy: number, color: string) => {
      const w = Number.isFinite(v) ? Math.max(1, (v / max) * barW) : 0;
      out.push(`<rect x="${left}" y="${y + dy}" width="${w.toFixed(1)}" height="18" fill="${color}"/>`);
      out.push(
        `<text x="${left + w + 6}" y="${y + dy + 13}">${esc(Number.isFinite(v) ? `${ms(v)} ms` : 'n/a')}</text>`,
      );
    };
    out.push(`<text x="12" y="${y + 18}">${esc(label)}</text>`);
    out.push(`<text x="12" y="${y + 36}" fill="#555">${esc(`ours / compose = ${x(p.ratio)}`)}</text>`);
    bar(p.ours.median, 2, '#2b6cb0');
    bar(p.compose.median, 24, '#a0aec0');
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
