import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './engine.js';
import { startClient, type CallResult, type TestClient } from './mcpClient.js';

/**
 * Throws random and adversarial arguments at every tool over a real MCP client and
 * checks that each answer is a clean tool error or a valid answer: no crash, no
 * unexpected failure, no protocol error, and no Engine object left behind except by a
 * call that said it created it.
 */

const SEED = Number(process.env.DOM_FUZZ_SEED ?? 20261125);
const TOTAL_RUNS = Number(process.env.DOM_FUZZ_RUNS ?? 3000);
// Names and ids always start with this, so no fuzzed call can reach another test's objects.
const PREFIX = 'fuzz-';
const NAME_KEYS = new Set(['id', 'name', 'container', 'network', 'volume', 'stack', 'target', 'alias']);

const adversarialString = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom(
    '',
    ' ',
    '../../../../etc/passwd',
    '/var/run/docker.sock:/x',
    '$(reboot)',
    '`id`; rm -rf /',
    'a'.repeat(100_000),
    '\u0000',
    '\u202e\u0301',
    '${HOME:?boom}',
    '127.0.0.1:80:80',
    '0.0.0.0:1:99999',
    'nginx:latest',
    'host',
    'sha256:deadbeef',
    '{"a":1}',
    'null',
  ),
);

const leaf = fc.oneof(adversarialString, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constant(undefined));
const value = fc.letrec((tie) => ({
  v: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, fc.array(tie('v'), { maxLength: 4 }), fc.dictionary(fc.string({ maxLength: 8 }), tie('v'), { maxKeys: 4 })),
})).v;

let mcp: TestClient;
let tools: { name: string; keys: string[] }[] = [];

beforeAll(async () => {
  mcp = await startClient({ env: { DOM_ENGINE_TIMEOUT_MS: '10000' } });
  const listed = await mcp.client.listTools();
  tools = listed.tools.map((t) => ({ name: t.name, keys: Object.keys((t.inputSchema as { properties?: object }).properties ?? {}) }));
});

async function fuzzObjects(): Promise<string[]> {
  const [containers, networks, volumes] = await Promise.all([
    docker.listContainers({ all: true }),
    docker.listNetworks(),
    docker.listVolumes(),
  ]);
  return [
    ...containers.flatMap((c) => c.Names.map((n) => n.replace(/^\//, ''))),
    ...networks.map((n) => n.Name),
    ...(volumes.Volumes ?? []).map((v) => v.Name),
  ].filter((n) => n.startsWith(PREFIX) || n.includes(`_${PREFIX}`));
}

afterAll(async () => {
  await mcp?.close();
  // Remove whatever successful fuzzed calls created.
  for (const c of await docker.listContainers({ all: true })) {
    if (c.Names.some((n) => n.startsWith(`/${PREFIX}`))) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  for (const n of await docker.listNetworks()) if (n.Name.startsWith(PREFIX)) await docker.getNetwork(n.Id).remove().catch(() => undefined);
  for (const v of (await docker.listVolumes()).Volumes ?? []) if (v.Name.startsWith(PREFIX)) await docker.getVolume(v.Name).remove().catch(() => undefined);
});

function argsFor(keys: string[]) {
  // Name-like keys are always present, so no call can default to "everything" (e.g. heal all).
  const named = keys.filter((k) => NAME_KEYS.has(k));
  const others = keys.filter((k) => !NAME_KEYS.has(k));
  const known = fc.subarray(others).map((ks) => [...named, ...ks]);
  return fc
    .tuple(
      known.chain((ks) => fc.tuple(...ks.map((k) => (NAME_KEYS.has(k) ? adversarialString.map((s) => `${PREFIX}${s}`) : value).map((v) => [k, v] as const)))),
      fc.dictionary(fc.string({ maxLength: 10 }), value, { maxKeys: 2 }),
      fc.boolean(),
    )
    .map(([pairs, extra, withExtra]) => ({ ...(withExtra ? extra : {}), ...Object.fromEntries(pairs) }) as Record<string, unknown>);
}

describe('fuzzing every tool with adversarial arguments', () => {
  it(`answers ${TOTAL_RUNS} random calls cleanly (seed ${SEED})`, async () => {
    expect(tools.length).toBeGreaterThan(5);
    const before = new Set(await fuzzObjects());
    const created = new Set<string>();
    const unexpected: string[] = [];
    const arb = fc.constantFrom(...tools).chain((t) => argsFor(t.keys).map((args) => ({ tool: t.name, args })));
    await fc.assert(
      fc.asyncProperty(arb, async ({ tool, args }) => {
        let r: CallResult;
        try {
          r = await mcp.call(tool, args);
        } catch (err) {
          const serverLog = mcp.stderr().split('\n').slice(-15).join('\n');
          throw new Error(`${tool} threw a protocol error for ${JSON.stringify(args).slice(0, 300)}: ${(err as Error).message}\nserver stderr:\n${serverLog}`, { cause: err });
        }
        const text = r.content.map((c) => c.text ?? '').join('\n');
        if (r.isError) {
          expect(text).toMatch(/^Error \((not_found|conflict|invalid_input|denied|engine_unavailable|timeout|failed)\): /);
          if (/failed unexpectedly/.test(text)) unexpected.push(`${tool}: ${text.slice(0, 300)}`);
        } else {
          expect(r.structuredContent).toBeTypeOf('object');
          const sc = r.structuredContent as { name?: string; done?: boolean };
          if (typeof sc.name === 'string' && sc.done !== false) created.add(sc.name);
        }
      }),
      { seed: SEED, numRuns: TOTAL_RUNS, endOnFailure: true },
    );
    expect(unexpected).toEqual([]);
    // The server is still alive and serving.
    await mcp.client.ping();
    const left = (await fuzzObjects()).filter((n) => !before.has(n) && !created.has(n));
    expect(left, 'objects left behind by calls that did not report creating them').toEqual([]);
  }, 600_000);
});
