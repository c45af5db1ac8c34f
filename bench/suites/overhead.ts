import type { BenchConfig } from '../config.js';
import { createIdle, listAll, pool, raw } from '../lib/engine.js';
import {
  mustCall,
  ourHttp,
  ourStdio,
  peerInstalled,
  peerStdio,
  PEERS,
  type CallAnswer,
  type Conn,
} from '../lib/mcp.js';
import { run } from '../lib/proc.js';
import { interleave, ratio, summarize, type Summary, type Variant } from '../lib/stats.js';

export interface Measured extends Partial<Summary> {
  error?: string;
}

export interface OverheadTier {
  benchContainers: number;
  containersPresent: number;
  list: Record<string, Measured>;
  inspect: Record<string, Measured>;
  /** Answer size in bytes of the same listing (and the raw inspect-style answers). */
  bytes: Record<string, number>;
  ratios: Record<string, number>;
}

export interface OverheadResult {
  /** get_container_info on a running container (the server takes a stats sample). */
  running?: { list: Record<string, Measured>; ratios: Record<string, number> };
  iterations: number;
  warmup: number;
  tiers: OverheadTier[];
  notes: string[];
}

const RAW = 'Engine API (raw socket, keep-alive)';
const STDIO = 'ours list_containers (stdio)';
const HTTP = 'ours list_containers (HTTP)';
const PS = 'docker ps -a (CLI)';
const RAW_I = 'Engine API inspect (raw socket)';
const STDIO_I = 'ours get_container_info (stdio)';
const HTTP_I = 'ours get_container_info (HTTP)';
const RAW_IS = 'Engine API inspect + stats?stream=false (raw, parallel)';
const RAW_ISO = 'Engine API inspect + stats?one-shot=true (raw, parallel)';

function bytesOf(v: unknown): number {
  return Buffer.byteLength(JSON.stringify(v ?? null));
}

function textBytes(r: CallAnswer): number {
  return (r.content ?? []).reduce((n, c) => n + Buffer.byteLength(c.text ?? ''), 0);
}

function collect(m: Map<string, { samples: number[]; error?: string }>): Record<string, Measured> {
  const out: Record<string, Measured> = {};
  for (const [k, v] of m)
    out[k] = v.error ? { error: v.error, ...(v.samples.length ? summarize(v.samples) : {}) } : summarize(v.samples);
  return out;
}

/** Sections 1 and 2: tool-call overhead against the raw Engine call, peers, answer sizes. */
export async function overheadSuite(cfg: BenchConfig, log: (s: string) => void): Promise<OverheadResult> {
  const notes: string[] = [];
  const tiers: OverheadTier[] = [];
  const stdio = await ourStdio();
  const http = await ourHttp();
  const peers: { id: string; conn: Conn; tool: string; args: Record<string, unknown> }[] = [];
  for (const p of PEERS) {
    if (!peerInstalled(p)) {
      notes.push(`${p.id}: not installed (npm install into bench/.peers failed or was skipped); left out.`);
      continue;
    }
    try {
      const conn = await peerStdio(p);
      const tools = await conn.listTools();
      if (!tools.includes(p.listTool)) throw new Error(`no tool ${p.listTool} (has ${tools.slice(0, 10).join(', ')})`);
      peers.push({ id: p.id, conn, tool: p.listTool, args: p.listArgs });
    } catch (err) {
      notes.push(`${p.id}: could not start (${err instanceof Error ? err.message : String(err)}); left out.`);
    }
  }
  const result: Partial<OverheadResult> = {};
  const runId = Date.now().toString(36);
  const created: string[] = [];
  try {
    for (const tier of cfg.tiers) {
      if (created.length < tier) {
        log(`  creating ${tier - created.length} idle containers (tier ${tier})`);
        created.push(...(await createIdle(tier - created.length, cfg.busyboxImage, created.length, runId)));
      }
      const present = (await listAll()).length;
      const limit = Math.min(1000, Math.max(50, present + 10));
      if (present > 1000)
        notes.push(`tier ${tier}: ${present} containers present, our listing is capped at limit 1000.`);
      const target = created[0] as string;
      const listArgs = { all: true, limit };
      log(`  tier ${tier}: ${present} containers present, ${cfg.iterations} interleaved rounds`);

      const listVariants: Variant[] = [
        { name: RAW, run: () => raw('GET', '/containers/json?all=1') },
        { name: STDIO, run: () => mustCall(stdio, 'list_containers', listArgs) },
        { name: HTTP, run: () => mustCall(http, 'list_containers', listArgs) },
        { name: PS, run: () => run('docker', ['ps', '-a']) },
        ...peers.map((p) => ({ name: `${p.id} ${p.tool}`, run: () => mustCall(p.conn, p.tool, p.args) })),
      ];
      const list = collect(await interleave(listVariants, cfg.iterations, cfg.warmup));
      const inspectVariants: Variant[] = [
        { name: RAW_I, run: () => raw('GET', `/containers/${target}/json`) },
        { name: STDIO_I, run: () => mustCall(stdio, 'get_container_info', { id: target }) },
        { name: HTTP_I, run: () => mustCall(http, 'get_container_info', { id: target }) },
      ];
      const inspect = collect(await interleave(inspectVariants, cfg.iterations, cfg.warmup));

      // Answer sizes for the same listing, measured once.
      const bytes: Record<string, number> = {};
      const rawList = await raw('GET', '/containers/json?all=1');
      bytes['Engine /containers/json?all=1'] = rawList.body.length;
      const ids = (JSON.parse(rawList.body.toString()) as { Id: string }[]).map((c) => c.Id);
      let inspectAll = 0;
      for (const id of ids) inspectAll += (await raw('GET', `/containers/${id}/json`)).body.length;
      bytes['Engine inspect of every container'] = inspectAll;
      const ours = await mustCall(stdio, 'list_containers', listArgs);
      bytes['ours: whole tool result (text + structuredContent)'] = bytesOf({
        content: ours.content,
        structuredContent: ours.structuredContent,
      });
      bytes['ours: text content'] = textBytes(ours);
      bytes['ours: structuredContent'] = bytesOf(ours.structuredContent);
      bytes['docker ps -a output'] = Buffer.byteLength((await run('docker', ['ps', '-a'])).stdout);
      for (const p of peers) {
        try {
          const r = await mustCall(p.conn, p.tool, p.args);
          bytes[`${p.id}: whole tool result`] = bytesOf({
            content: r.content,
            ...(r.structuredContent ? { structuredContent: r.structuredContent } : {}),
          });
        } catch (err) {
          notes.push(`${p.id} size probe failed: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const inspectOurs = await mustCall(stdio, 'get_container_info', { id: target });
      bytes['ours get_container_info: whole tool result'] = bytesOf({
        content: inspectOurs.content,
        structuredContent: inspectOurs.structuredContent,
      });
      bytes['Engine inspect of that container'] = (await raw('GET', `/containers/${target}/json`)).body.length;

      const oursWhole = bytes['ours: whole tool result (text + structuredContent)'] ?? NaN;
      const ratios: Record<string, number> = {
        'list stdio / raw': ratio(list[STDIO]?.median, list[RAW]?.median),
        'list HTTP / raw': ratio(list[HTTP]?.median, list[RAW]?.median),
        'docker ps -a / list stdio': ratio(list[PS]?.median, list[STDIO]?.median),
        'inspect stdio / raw': ratio(inspect[STDIO_I]?.median, inspect[RAW_I]?.median),
        'inspect HTTP / raw': ratio(inspect[HTTP_I]?.median, inspect[RAW_I]?.median),
        'bytes: raw list / ours': ratio(bytes['Engine /containers/json?all=1'], oursWhole),
        'bytes: raw inspect-all / ours': ratio(inspectAll, oursWhole),
      };
      for (const p of peers) {
        ratios[`${p.id} / list stdio`] = ratio(list[`${p.id} ${p.tool}`]?.median, list[STDIO]?.median);
        ratios[`bytes: ${p.id} / ours`] = ratio(bytes[`${p.id}: whole tool result`], oursWhole);
      }
      tiers.push({ benchContainers: created.length, containersPresent: present, list, inspect, bytes, ratios });
    }
    // get_container_info on a running container: inspect plus one stats sample.
    const started = created[0];
    if (started) {
      await raw('POST', `/containers/${started}/start`);
      const rounds = Math.max(1, Math.min(cfg.iterations, 5));
      log(`  running container: get_container_info with a stats sample, ${rounds} rounds`);
      const m = collect(
        await interleave(
          [
            { name: RAW_I, run: () => raw('GET', `/containers/${started}/json`) },
            {
              name: RAW_IS,
              run: async () =>
                Promise.all([
                  raw('GET', `/containers/${started}/json`),
                  raw('GET', `/containers/${started}/stats?stream=false`),
                ]),
            },
            {
              name: RAW_ISO,
              run: async () =>
                Promise.all([
                  raw('GET', `/containers/${started}/json`),
                  raw('GET', `/containers/${started}/stats?stream=false&one-shot=true`),
                ]),
            },
            { name: STDIO_I, run: () => mustCall(stdio, 'get_container_info', { id: started }) },
          ],
          rounds,
          1,
        ),
      );
      result.running = {
        list: m,
        ratios: {
          'ours / raw inspect': ratio(m[STDIO_I]?.median, m[RAW_I]?.median),
          'ours / raw inspect + stats(stream=false)': ratio(m[STDIO_I]?.median, m[RAW_IS]?.median),
          'ours / raw inspect + stats(one-shot)': ratio(m[STDIO_I]?.median, m[RAW_ISO]?.median),
        },
      };
    }
  } finally {
    await stdio.close().catch(() => undefined);
    await http.close().catch(() => undefined);
    for (const p of peers) await p.conn.close().catch(() => undefined);
    // Idle containers are removed by label in the run's final clean-up as well; do it now so
    // later sections run with a known container count.
    await pool(created, 8, async (id) => {
      await raw('DELETE', `/containers/${id}?force=1`).catch(() => undefined);
    });
  }
  return { ...result, iterations: cfg.iterations, warmup: cfg.warmup, tiers, notes };
}
