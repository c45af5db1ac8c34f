import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineNode } from './engineNode.js';
import { startServer, stackHistory, type ServerUnderTest } from './server.js';
import { errorKind, errorText, type CallResult } from '../integration/mcpClient.js';

/*
 * Issue 13's fault-injection suite. A disposable Engine 28.5 (test/faults/engineNode.ts) that
 * the suite kills (SIGKILL of dockerd, then a restart), pauses (SIGSTOP/SIGCONT), plus SIGKILL
 * of the server and a concurrent deploy from a second server process, each at a scripted
 * moment of a deploy: network create, container create, health wait, rollback. Every case
 * checks that the Engine, the answer and the history agree on a whole state (the previous or
 * the new one, never a mix), and that the next deploy converges.
 */

const node = new EngineNode();
const tmp = mkdtempSync(join(tmpdir(), 'dom-faults-'));
const servers: ServerUnderTest[] = [];

beforeAll(async () => {
  await node.start();
}, 240_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  node.stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function server(historyPath: string): Promise<ServerUnderTest> {
  const s = await startServer(node.host, historyPath);
  servers.push(s);
  return s;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const V1 = `
services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "600"]
    init: true
    stop_grace_period: 1s
    volumes: [data:/data]
volumes:
  data: {}
`;

function v2(failing: boolean): string {
  return `
services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "601"]
    init: true
    stop_grace_period: 1s
    volumes: [data:/data]
    networks: [default, back]
  db:
    image: dom-test/busybox:1
    command: ["sh", "-c", "sleep 2; touch /tmp/ok; exec sleep 600"]
    init: true
    stop_grace_period: 1s
    networks: [back]
    volumes: [extra:/x]
    healthcheck: { test: ["CMD", "sh", "-c", "${failing ? 'exit 1' : '[ -f /tmp/ok ]'}"], interval: 1s, retries: 60 }
networks:
  back: {}
volumes:
  data: {}
  extra: {}
`;
}

interface Snapshot {
  containers: string[];
  appCommand: string;
  networks: string[];
  volumes: string[];
  running: number;
}

async function snapshot(stack: string): Promise<Snapshot> {
  const filters = { label: [`com.docker.compose.project=${stack}`] };
  const containers = await node.docker.listContainers({ all: true, filters });
  const app = containers.find((c) => c.Names?.[0] === `/${stack}-app-1`);
  const networks = await node.docker.listNetworks({ filters });
  const { Volumes } = await node.docker.listVolumes({ filters });
  return {
    containers: containers.map((c) => (c.Names?.[0] ?? '').replace(/^\//, '')).sort(),
    appCommand: app?.Command ?? '',
    networks: networks.map((n) => n.Name).sort(),
    volumes: (Volumes ?? []).map((v) => v.Name).sort(),
    running: containers.filter((c) => c.State === 'running').length,
  };
}

function sameState(a: Snapshot, b: Snapshot): boolean {
  return (
    JSON.stringify([a.containers, a.appCommand, a.networks, a.volumes]) ===
    JSON.stringify([b.containers, b.appCommand, b.networks, b.volumes])
  );
}

async function until<T>(what: string, ms: number, fn: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

type Moment = 'network create' | 'container create' | 'health wait' | 'rollback';
type Fault = 'engine kill' | 'engine pause' | 'server kill' | 'concurrent deploy';
const MOMENTS: Record<Moment, RegExp> = {
  'network create': /^create network /,
  'container create': /^create \S+-db-1$/,
  'health wait': /^wait for db to be healthy/,
  rollback: /^rollback$/,
};

const counts = {
  tried: 0,
  whole: 0,
  partial: 0,
  historyCorrect: 0,
  converged: 0,
  answeredOk: 0,
  answeredError: 0,
  noAnswer: 0,
  concurrentRefused: 0,
  concurrentAfter: 0,
};
const partials: string[] = [];

async function runCase(moment: Moment, fault: Fault): Promise<void> {
  const stack = `f-${randomBytes(3).toString('hex')}`;
  const historyPath = join(tmp, `${stack}.db`);
  let a = await server(historyPath);
  const base = await a.call('deploy_application_stack', { name: stack, compose: V1, timeout: 60 });
  expect(base.isError, errorText(base)).toBeFalsy();
  const before = await snapshot(stack);

  let injected: Promise<void> | undefined;
  let concurrent: CallResult | undefined;
  // The second process is up before the moment comes, so its deploy lands while A holds the stack.
  const b = fault === 'concurrent deploy' ? await server(historyPath) : undefined;
  const inject = async () => {
    if (fault === 'engine kill') {
      node.kill();
      await sleep(1000);
      await node.startDaemon();
    } else if (fault === 'engine pause') {
      node.pause();
      await sleep(3000);
      node.resume();
    } else if (fault === 'server kill') {
      a.kill();
    } else if (b) {
      concurrent = await b.call('deploy_application_stack', { name: stack, compose: V1, timeout: 60 });
    }
  };
  const failing = moment === 'rollback';
  const answer = await Promise.race([
    a.call('deploy_application_stack', { name: stack, compose: v2(failing), timeout: failing ? 4 : 60 }, (m) => {
      if (!injected && MOMENTS[moment].test(m)) injected = inject();
    }),
    // A killed server never answers: the race ends when the kill is done.
    new Promise<undefined>((resolve) => {
      const t = setInterval(() => {
        if (fault === 'server kill' && injected) {
          clearInterval(t);
          void injected.then(() => resolve(undefined));
        }
      }, 100);
      t.unref();
    }),
  ]).catch(
    (err: unknown) =>
      ({ isError: true, content: [{ type: 'text', text: `transport: ${(err as Error).message}` }] }) as CallResult,
  );
  await injected;
  expect(injected, `${moment}: the moment was never reached`).toBeDefined();
  counts.tried++;

  if (fault === 'server kill') {
    counts.noAnswer++;
    // A new server on the same history settles the dead deploy at start.
    a = await server(historyPath);
    await until('the interrupted deploy to be reconciled', 60_000, async () =>
      stackHistory(historyPath, stack).every((r) => r.journal === null && r.outcome !== 'running') ? true : undefined,
    );
  } else if (answer?.isError) counts.answeredError++;
  else counts.answeredOk++;
  // B's deploy is refused while A holds the stack; one that came after A finished may succeed
  // (it then deployed the old compose, last).
  const bWon = fault === 'concurrent deploy' && !!concurrent && !concurrent.isError;
  if (fault === 'concurrent deploy') {
    if (concurrent?.isError) {
      counts.concurrentRefused++;
      expect(errorKind(concurrent)).toBe('conflict');
    } else counts.concurrentAfter++;
  }

  await node.waitUp(60_000);
  const after = await snapshot(stack);
  const rows = stackHistory(historyPath, stack);
  const record = rows[1];

  // The next deploy converges to the new state.
  const next = await a.call('deploy_application_stack', { name: stack, compose: v2(false), timeout: 60 });
  expect(next.isError, errorText(next)).toBeFalsy();
  const target = await snapshot(stack);
  expect(target.running).toBe(2);
  counts.converged++;

  const isOld = sameState(after, before);
  const isNew = sameState(after, target);
  const label = `${moment} x ${fault}`;
  if (isOld || isNew) counts.whole++;
  else {
    counts.partial++;
    partials.push(`${label}: ${JSON.stringify(after)}`);
  }
  // Answer, Engine and history agree.
  if (answer)
    expect(
      answer.isError || bWon ? isOld : isNew,
      `${label}: answer ${answer.isError ? 'error' : 'success'} but Engine ${isOld ? 'old' : isNew ? 'new' : 'partial'}: ${errorText(answer)}`,
    ).toBe(true);
  const succeeded = answer ? !answer.isError : isNew;
  const historyOk =
    !!record &&
    rows.every((r) => r.journal === null) &&
    (record.outcome === 'succeeded') === succeeded &&
    (isOld || isNew);
  if (historyOk) counts.historyCorrect++;
  expect(historyOk, `${label}: history ${JSON.stringify(record)}`).toBe(true);
  if (moment === 'health wait' && fault === 'engine kill' && answer?.isError) {
    // Finding 2: the answer names what was undone, never "nothing to undo" with things left.
    expect(errorText(answer)).toMatch(new RegExp(`removed new container ${stack}-db-1`));
    expect(errorText(answer)).not.toMatch(/nothing to undo/);
  }
  await a.call('remove_stack', { name: stack, volumes: true, confirm: true });
}

describe('fault matrix: each moment x each fault ends whole, and the answer and the history agree', () => {
  for (const moment of Object.keys(MOMENTS) as Moment[]) {
    for (const fault of ['engine kill', 'engine pause', 'server kill', 'concurrent deploy'] as Fault[]) {
      it(`${moment} x ${fault}`, () => runCase(moment, fault), 240_000);
    }
  }

  afterAll(() => {
    console.log(`fault matrix: ${JSON.stringify(counts)}`);
    if (partials.length) console.log(`left partial:\n${partials.join('\n')}`);
  });

  it('counts: nothing left partial, history correct for every case', () => {
    expect(counts.tried).toBeGreaterThan(0);
    expect(counts.partial).toBe(0);
    expect(counts.historyCorrect).toBe(counts.tried);
  });
});

describe('findings', () => {
  it('finding 4: a managed container that died while the Engine was down is healed after the watcher reconnects', async () => {
    const stack = `f4-${randomBytes(3).toString('hex')}`;
    const s = await server(join(tmp, `${stack}.db`));
    const r = await s.call('deploy_application_stack', { name: stack, compose: V1, timeout: 60 });
    expect(r.isError, errorText(r)).toBeFalsy();
    node.kill();
    await sleep(1000);
    await node.startDaemon();
    // The Engine's restart killed it (restart policy "no"): exit 137, found only by a resync.
    const info = await node.docker.getContainer(`${stack}-app-1`).inspect();
    expect(info.HostConfig.RestartPolicy?.Name ?? 'no').toMatch(/^(no|)$/);
    await until('the watcher to start the container again', 60_000, async () =>
      (await node.docker.getContainer(`${stack}-app-1`).inspect()).State.Running ? true : undefined,
    );
    await s.call('remove_stack', { name: stack, volumes: true, confirm: true });
  }, 180_000);

  it('races: two processes deploy one stack name at once, different composes, one failing; a reported success keeps its containers', async () => {
    const results = { runs: 0, success: 0, conflict: 0, failed: 0, successWithContainersGone: 0 };
    for (let i = 0; i < 4; i++) {
      const stack = `fr-${randomBytes(3).toString('hex')}`;
      const [p, q] = [await server(join(tmp, `${stack}-p.db`)), await server(join(tmp, `${stack}-q.db`))];
      const failing = p.call('deploy_application_stack', { name: stack, compose: v2(true), timeout: 4 });
      await sleep([0, 300, 1000, 100][i] ?? 0);
      const healthy = q.call('deploy_application_stack', { name: stack, compose: V1, timeout: 60 });
      const [rf, rh] = await Promise.all([failing, healthy]);
      results.runs++;
      for (const r of [rf, rh]) {
        if (!r.isError) results.success++;
        else if (errorKind(r) === 'conflict') results.conflict++;
        else results.failed++;
      }
      if (!rh.isError) {
        const s = await snapshot(stack);
        if (!s.containers.includes(`${stack}-app-1`) || s.running !== 1) results.successWithContainersGone++;
      }
      await q.call('remove_stack', { name: stack, volumes: true, confirm: true });
    }
    console.log(`race check: ${JSON.stringify(results)}`);
    expect(results.successWithContainersGone).toBe(0);
  }, 240_000);
});
