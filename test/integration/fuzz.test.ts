import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ALL_TOOLS } from '../../src/tools/registry.js';
import type { Schema } from '../fuzz/arbitraries.js';
import type { ComposeCase } from '../fuzz/compose.js';
import { makeSafe } from '../fuzz/safety.js';
import { Tally, type Outcome } from '../fuzz/tally.js';
import { fillPlaceholders, type OwnObjects } from '../fuzz/targets.js';
import { argsArbitrary, BUSYBOX, type FuzzRun } from '../fuzz/toolArgs.js';
import { docker } from './engine.js';
import { errorKind, errorText, freePort, startClient, type CallResult, type TestClient } from './mcpClient.js';

/**
 * Fuzzes every tool over a real MCP client against the real Engine. Arguments come from
 * each tool's zod schema (test/fuzz/arbitraries.ts), with hostile values mixed into the
 * leaves, and with the fields that name objects pointed at objects this run created (or at
 * names nobody can own). Counts per tool how many calls reached the handler and how each
 * ended, prints the table and writes it to .tmp/fuzz/report.json.
 *
 * FUZZ_SEED, FUZZ_RUNS and FUZZ_CONCURRENCY override the defaults.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261129);
const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 4);
const MIN_REACHED = 5;
const CALL_TIMEOUT_MS = 60_000;
const STABLE_KINDS = new Set([
  'not_found',
  'conflict',
  'invalid_input',
  'denied',
  'engine_unavailable',
  'timeout',
  'failed',
]);

const RUN_ID = randomBytes(3).toString('hex');
const INSTANCE = `dom-test-fuzz-${RUN_ID}`;
const INSTANCE_FILTER = { label: [`io.docker-orchestration-mcp.instance=${INSTANCE}`] };
const dir = mkdtempSync(join(tmpdir(), 'dom-fuzz-'));
const run: FuzzRun = { prefix: `fuzz-${RUN_ID}`, dir, templates: [] };
const own: OwnObjects = { containers: [], networks: [], volumes: [], stacks: [], images: [] };

let mcp: TestClient;

const SLEEPER = {
  image: BUSYBOX,
  command: ['sleep', '3600'],
  init: true,
  stop_timeout: 1,
  resources: { memory: '32m' },
};
const SMALL_STACK =
  'services:\n  a:\n    image: dom-test/busybox:1\n    command: ["sleep", "3600"]\n    init: true\n    stop_grace_period: 1s\n  b:\n    image: dom-test/busybox:1\n    command: ["sleep", "3600"]\n    init: true\n    stop_grace_period: 1s\n    depends_on: [a]\n    volumes: ["data:/data"]\nvolumes:\n  data: {}\n';

async function refreshOwn(): Promise<void> {
  const [containers, networks, volumes, prefixed, images] = await Promise.all([
    docker.listContainers({ all: true, filters: INSTANCE_FILTER }),
    docker.listNetworks({ filters: INSTANCE_FILTER }),
    docker.listVolumes({ filters: INSTANCE_FILTER }),
    docker.listVolumes({ filters: { name: [run.prefix] } }),
    docker.listImages({ filters: { reference: [`dom-test/${run.prefix}`] } }),
  ]);
  own.containers = containers.flatMap((c) => [...c.Names.map((n) => n.replace(/^\//, '')), c.Id.slice(0, 12)]);
  own.networks = networks.map((n) => n.Name);
  own.volumes = [...new Set([...(volumes.Volumes ?? []), ...(prefixed.Volumes ?? [])].map((v) => v.Name))];
  own.stacks = [
    ...new Set(containers.map((c) => c.Labels['com.docker.compose.project']).filter((p): p is string => Boolean(p))),
  ];
  own.images = images.flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(`dom-test/${run.prefix}:`));
}

/** Keeps a few objects of each kind around for the fuzzed calls to act on (these calls are not counted). */
async function replenish(): Promise<void> {
  const n = () => randomBytes(2).toString('hex');
  const made: Promise<unknown>[] = [];
  if (own.networks.length < 2) made.push(mcp.call('create_network', { name: `${run.prefix}-n-${n()}` }));
  if (own.volumes.length < 2) made.push(mcp.call('create_volume', { name: `${run.prefix}-v-${n()}` }));
  if (own.containers.length < 6)
    made.push(mcp.call('deploy_container', { ...SLEEPER, name: `${run.prefix}-c-${n()}` }));
  if (own.stacks.length < 1)
    made.push(
      mcp.call('deploy_application_stack', { name: `${run.prefix}-s-${n()}`, compose: SMALL_STACK, wait: 'running' }),
    );
  if (own.images.length < 2)
    made.push(docker.getImage(BUSYBOX).tag({ repo: `dom-test/${run.prefix}`, tag: `t${n()}` }));
  await Promise.all(made);
  if (made.length) await refreshOwn();
}

async function cleanup(): Promise<void> {
  const byName = { name: [run.prefix] };
  const containers = [
    ...(await docker.listContainers({ all: true, filters: INSTANCE_FILTER })),
    ...(await docker.listContainers({ all: true, filters: byName })),
  ];
  await Promise.all(
    [...new Set(containers.map((c) => c.Id))].map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch(() => undefined),
    ),
  );
  const networks = [
    ...(await docker.listNetworks({ filters: INSTANCE_FILTER })),
    ...(await docker.listNetworks({ filters: byName })),
  ];
  for (const id of new Set(networks.map((x) => x.Id)))
    await docker
      .getNetwork(id)
      .remove()
      .catch(() => undefined);
  const volumes = [
    ...((await docker.listVolumes({ filters: INSTANCE_FILTER })).Volumes ?? []),
    ...((await docker.listVolumes({ filters: byName })).Volumes ?? []),
  ];
  for (const name of new Set(volumes.map((v) => v.Name)))
    await docker
      .getVolume(name)
      .remove()
      .catch(() => undefined);
  for (const img of await docker.listImages({ filters: { reference: [`dom-test/${run.prefix}`] } })) {
    for (const tag of img.RepoTags ?? [])
      if (tag.startsWith(`dom-test/${run.prefix}:`))
        await docker
          .getImage(tag)
          .remove({ noprune: true })
          .catch(() => undefined);
  }
}

beforeAll(async () => {
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'compose.yml'), SMALL_STACK);
  mcp = await startClient({
    env: {
      DOM_INSTANCE: INSTANCE,
      DOM_ENGINE_TIMEOUT_MS: '15000',
      DOM_HISTORY_PATH: join(dir, 'history.db'),
      DOM_LOG_LEVEL: 'warn',
    },
  });
  const templates = await mcp.ok<{ templates: { name: string }[] }>('list_stack_templates');
  run.templates = templates.templates.map((t) => t.name);
  await replenish();
}, 120_000);

afterAll(async () => {
  await mcp?.close();
  await cleanup();
  rmSync(dir, { recursive: true, force: true });
}, 180_000);

function classify(tool: string, r: CallResult): Outcome {
  if (!r.isError)
    return r.structuredContent && typeof r.structuredContent === 'object'
      ? { type: 'ok' }
      : { type: 'broken', what: 'success without structuredContent' };
  const kind = errorKind(r);
  const text = errorText(r);
  if (!kind || !STABLE_KINDS.has(kind) || !text.startsWith(`Error (${kind}): `))
    return { type: 'broken', what: `error without a stable kind: ${text.slice(0, 300)}` };
  if (kind === 'invalid_input' && text.startsWith(`Error (invalid_input): Invalid arguments for ${tool}:`))
    return { type: 'rejected' };
  if (/failed unexpectedly/.test(text)) return { type: 'broken', what: `unexpected failure: ${text.slice(0, 300)}` };
  if (/:\s*\.?\s*$|:\s*\.\s/.test(text))
    return { type: 'broken', what: `error with an empty reason: ${text.slice(0, 300)}` };
  return { type: 'error', kind, message: text };
}

/** Host paths that are, or hold, the Docker socket, the host's root, its config or its kernel interfaces. */
const SENSITIVE_SOURCE =
  /^\/+(|run|var|var\/run|var\/lib|var\/lib\/docker|etc|proc|sys|dev|root|boot)\/*(:|$)|^\/+(run|var\/run|var\/lib\/docker|etc|proc|sys|dev|root|boot)\/|docker\.sock/;

/** A deploy the policy should have refused but that succeeded. */
function policyEscape(args: Record<string, unknown>): string | undefined {
  const mounts = (Array.isArray(args.volumes) ? args.volumes : []).map((v) =>
    typeof v === 'string'
      ? v.split(':')[0]
      : (v as { type?: string; source?: string }).type === 'bind'
        ? (v as { source?: string }).source
        : undefined,
  );
  const checks: [boolean, string][] = [
    [args.privileged === true, 'privileged'],
    [
      ['pid', 'ipc', 'uts'].some((k) => args[k] === 'host' || String(args[k] ?? '').startsWith('container:')),
      'host namespace',
    ],
    [args.userns_mode === 'host', 'userns host'],
    [args.network === 'host', 'host network'],
    [Array.isArray(args.devices) && args.devices.length > 0, 'devices'],
    [
      Array.isArray(args.cap_add) &&
        args.cap_add.some((c) => ['SYS_ADMIN', 'ALL', 'CAP_SYS_MODULE'].includes(String(c).toUpperCase())),
      'capability',
    ],
    [
      Array.isArray(args.security_opt) && args.security_opt.some((o) => /unconfined|label=disable/.test(String(o))),
      'unconfined',
    ],
    [mounts.some((m) => typeof m === 'string' && SENSITIVE_SOURCE.test(m)), `sensitive bind ${mounts.join(',')}`],
  ];
  return checks.find(([hit]) => hit)?.[1];
}

/** A Compose project (planned or deployed without error) with a service the stack policy should have refused. */
function stackPolicyEscape(compose: unknown): string | undefined {
  let doc: unknown;
  try {
    doc = parseYaml(String(compose));
  } catch {
    return undefined;
  }
  const services = (doc as { services?: unknown } | null)?.services;
  if (!services || typeof services !== 'object') return undefined;
  for (const [name, svc] of Object.entries(services as Record<string, Record<string, unknown> | null>)) {
    if (!svc || typeof svc !== 'object') continue;
    const why = policyEscape({ ...svc, network: svc.network_mode, volumes: svc.volumes });
    if (why) return `service ${name}: ${why}`;
  }
  return undefined;
}

describe('fuzzing every tool with schema-generated and hostile arguments', () => {
  it(`answers ${RUNS} calls cleanly and reaches every handler (seed ${SEED})`, async () => {
    console.log(
      `fuzz: seed ${SEED} (FUZZ_SEED to replay), ${RUNS} calls, concurrency ${CONCURRENCY}, instance ${INSTANCE}`,
    );
    const listed = (await mcp.client.listTools()).tools.map((t) => t.name);
    const tools = ALL_TOOLS.filter((t) => listed.includes(t.name));
    expect(tools.map((t) => t.name).sort()).toEqual([...listed].sort());

    const arbs = Object.fromEntries(
      tools.map((t) => [
        t.name,
        argsArbitrary({ name: t.name, input: t.input as unknown as Schema }, run, {
          hostileRate: 12,
          wrongTypeRate: 2,
        }),
      ]),
    );
    const callArb = fc
      .constantFrom(...tools.map((t) => t.name))
      .chain((tool) => (arbs[tool] as fc.Arbitrary<Record<string, unknown>>).map((args) => ({ tool, args })));
    const calls = fc.sample(callArb, { seed: SEED, numRuns: RUNS });

    const tally = new Tally(tools.map((t) => t.name));
    const escapes: string[] = [];
    const log: string[] = [];
    const started = Date.now();
    let next = 0;
    let sinceRefresh = 0;
    let stopped: string | undefined;
    const worker = async () => {
      while (next < calls.length && !stopped) {
        const { tool, args: generated } = calls[next++] as (typeof calls)[number];
        if (++sinceRefresh >= 30) {
          sinceRefresh = 0;
          await refreshOwn();
          await replenish();
        }
        const seen = { composes: [] as ComposeCase[] };
        const filled = (await fillPlaceholders(generated, own, freePort, seen)) as Record<string, unknown>;
        const { args, rewrites } = makeSafe(tool, filled, own, run, seen.composes);
        const t0 = Date.now();
        let outcome: Outcome;
        try {
          const r = (await mcp.client.callTool(
            { name: tool, arguments: args },
            { timeout: CALL_TIMEOUT_MS },
          )) as CallResult;
          outcome = classify(tool, r);
          const why =
            outcome.type !== 'ok'
              ? undefined
              : tool === 'deploy_container'
                ? policyEscape(args)
                : tool === 'deploy_application_stack'
                  ? stackPolicyEscape(args.compose)
                  : undefined;
          if (why) escapes.push(`${tool}: ${why}: ${JSON.stringify(args).slice(0, 400)}`);
        } catch (err) {
          outcome = { type: 'broken', what: `no tool answer: ${(err as Error).message}` };
          // A server that hangs would make every later call wait for its timeout: stop the run.
          const alive = await mcp.client.ping({ timeout: 5000 }).then(
            () => true,
            () => false,
          );
          if (!alive) stopped = `server stopped answering after ${tool} ${JSON.stringify(args).slice(0, 300)}`;
        }
        tally.record(tool, args, outcome, Date.now() - t0, rewrites.length > 0);
        log.push(JSON.stringify({ tool, args: JSON.stringify(args).slice(0, 1500), outcome, rewrites }));
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = (Date.now() - started) / 1000;

    // The server is still alive and serving.
    const final = stopped ? { isError: true } : await mcp.call('list_containers', { all: true });
    const stderr = mcp.stderr();
    const crashes = stderr.split('\n').filter((l) => /uncaught|unhandled|"level":(50|60)|^\s+at /i.test(l));

    console.log(`${tally.table()}\n${tally.totals().calls} calls in ${seconds.toFixed(1)} s`);
    const report = {
      seed: SEED,
      runs: RUNS,
      concurrency: CONCURRENCY,
      seconds,
      ...(tally.toJSON() as object),
      policyEscapes: escapes,
      stderrProblems: crashes.slice(0, 50),
    };
    mkdirSync('.tmp/fuzz', { recursive: true });
    writeFileSync('.tmp/fuzz/report.json', JSON.stringify(report, null, 2));
    writeFileSync('.tmp/fuzz/calls.jsonl', `${log.join('\n')}\n`);
    if (tally.broken.length)
      console.log('broken answers:\n' + tally.broken.map((b) => `- ${b.tool} ${b.args}\n  -> ${b.what}`).join('\n'));
    if (escapes.length) console.log('policy escapes:\n' + escapes.join('\n'));

    expect(stopped, 'the server hung or died').toBeUndefined();
    expect(final.isError ?? false).toBe(false);
    expect(
      tally.broken,
      'calls without a clean answer (protocol error, timeout, unstable or unexpected error)',
    ).toEqual([]);
    expect(crashes, 'server stderr: uncaught exceptions or error logs').toEqual([]);
    expect(escapes, 'deploys the container policy should have refused').toEqual([]);
    const starved = [...tally.tools.entries()]
      .filter(([, t]) => t.reached < MIN_REACHED)
      .map(([name, t]) => `${name} (${t.reached})`);
    expect(starved, `tools with fewer than ${MIN_REACHED} calls past argument validation`).toEqual([]);
  }, 900_000);
});
