import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, sleeperArgs, TEST_LABEL } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('health');
const labels = { [TEST_LABEL]: run };
const dir = mkdtempSync(join(tmpdir(), 'dom-health-it-'));

const stacks: string[] = [];

afterAll(async () => {
  await cleanupByLabel(run);
  // Stack networks carry the project label, not the test label.
  for (const stack of stacks) {
    const nets = await docker.listNetworks({ filters: { label: [`com.docker.compose.project=${stack}`] } });
    await Promise.all(
      nets.map((n) =>
        docker
          .getNetwork(n.Id)
          .remove()
          .catch(() => undefined),
      ),
    );
  }
  rmSync(dir, { recursive: true, force: true });
});

interface Assessment {
  name: string;
  state: string;
  health?: string;
  verdict: string;
  reasons: string[];
  healthchecks?: { exitCode: number; output: string }[];
  restartCount: number;
  exitCode?: number;
  errorLines?: string[];
  resources?: { memoryBytes?: number; memoryLimitBytes?: number };
}
interface HealAction {
  container: string;
  action: string;
  outcome: string;
  stateAfter?: string;
  historyId?: string;
}
interface Health {
  scope: string;
  verdict: string;
  services: { service: string; verdict: string }[];
  containers: Assessment[];
  watcher?: {
    connected: boolean;
    restarts: number;
    reconnects: number;
    crashLooping: { name: string; restarts: number }[];
  };
}
interface Heal {
  scope: string;
  done: boolean;
  message: string;
  actions: HealAction[];
  skipped: { container: string; reason: string }[];
}
interface Entry {
  kind: string;
  target: string;
  who: string;
  outcome: string;
  error?: string;
  steps: { name: string; outcome: string }[];
}

const sleeper = (name: string, extra: Record<string, unknown> = {}) => sleeperArgs(name, labels, extra);

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const inspect = (name: string) => docker.getContainer(name).inspect();

async function execIn(name: string, cmd: string[]): Promise<void> {
  const exec = await docker.getContainer(name).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({});
  await new Promise<void>((resolve) => {
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
    stream.resume();
  });
}

async function heals(client: TestClient, target: string): Promise<Entry[]> {
  const r = await client.ok<{ entries: Entry[] }>('get_deployment_history', { kind: 'heal', target, limit: 50 });
  return r.entries;
}

describe('health_monitoring', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await startClient({ env: { DOM_HISTORY_PATH: ':memory:', DOM_INSTANCE: uniqueName('dom-test-hm') } });
  });
  afterAll(async () => client?.close());

  it('reports a container whose healthcheck starts failing as unhealthy with the output, and heal restarts it', async () => {
    const name = uniqueName('hm-check');
    await client.ok(
      'deploy_container',
      sleeper(name, {
        command: ['sh', '-c', 'touch /tmp/ok; echo "ERROR: cannot reach db" >&2; sleep 600'],
        healthcheck: { test: 'ls /tmp/ok', interval: '1s', timeout: '1s', retries: 1 },
        resources: { memory: '64m' },
        wait: 'healthy',
        timeout: 30,
      }),
    );
    const healthy = await client.ok<Health>('health_monitoring', { target: name });
    expect(healthy.scope).toBe(`container ${name}`);
    expect(healthy.containers[0]).toMatchObject({
      name,
      state: 'running',
      health: 'healthy',
      verdict: 'degraded',
      errorLines: ['ERROR: cannot reach db'],
    });
    expect(healthy.containers[0]?.resources?.memoryLimitBytes).toBe(64 * 1024 * 1024);
    expect(healthy.containers[0]?.resources?.memoryBytes).toBeGreaterThan(0);

    await execIn(name, ['rm', '/tmp/ok']);
    await until('unhealthy', async () => (await inspect(name)).State.Health?.Status === 'unhealthy');
    const startedBefore = (await inspect(name)).State.StartedAt;

    const sick = await client.ok<Health>('health_monitoring', { target: name, resources: false });
    const c = sick.containers[0];
    expect(c?.verdict).toBe('unhealthy');
    expect(sick.verdict).toBe('unhealthy');
    expect(sick.services).toEqual([expect.objectContaining({ service: name, verdict: 'unhealthy' })]);
    expect(c?.healthchecks?.at(-1)).toMatchObject({
      exitCode: 1,
      output: expect.stringContaining('No such file or directory'),
    });
    expect(c?.reasons[0]).toMatch(/^healthcheck failing \(exit 1\): ls: \/tmp\/ok: No such file or directory/);

    // heal without confirmation: says what it would do, changes nothing, and is recorded as not confirmed
    const dry = await client.ok<Heal>('heal_containers', { target: name });
    expect(dry).toMatchObject({
      scope: `container ${name}`,
      done: false,
      actions: [{ container: name, action: 'restart', outcome: 'planned' }],
    });
    expect(dry.message).toMatch(/^Not confirmed; nothing changed/);
    expect((await inspect(name)).State.StartedAt).toBe(startedBefore);

    const healed = await client.ok<Heal>('heal_containers', { target: name, confirm: true });
    expect(healed).toMatchObject({
      done: true,
      actions: [{ container: name, action: 'restart', outcome: 'done' }],
    });
    const after = await inspect(name);
    expect(after.State.Running).toBe(true);
    expect(after.State.StartedAt).not.toBe(startedBefore);
    // the command recreates /tmp/ok on start, so the check passes again
    await until('healthy again', async () => (await inspect(name)).State.Health?.Status === 'healthy');
    const again = await client.ok<Heal>('heal_containers', { target: name, confirm: true });
    expect(again).toMatchObject({ done: true, message: 'Nothing to heal.', actions: [] });

    // the restart is its own record; the refusal is recorded against the scope, like every destructive tool's
    const history = await heals(client, name);
    expect(history.map((e) => e.outcome)).toEqual(['succeeded']);
    expect(history[0]).toMatchObject({
      kind: 'heal',
      who: 'dom-integration-test/1.0.0',
      steps: [{ name: `restart ${name}`, outcome: 'ok' }],
    });
    expect((await heals(client, `container ${name}`)).map((e) => e.outcome)).toEqual(['not_confirmed']);
  });

  it('starts a failed stack service, leaves a finished one-off container alone, and refuses unmanaged ones', async () => {
    const stack = uniqueName('hm-stack');
    stacks.push(stack);
    const compose = `services:\n  api:\n    image: ${BUSYBOX}\n    command: ["sleep", "600"]\n    init: true\n    stop_grace_period: 1s\n    labels:\n      ${TEST_LABEL}: ${run}\n`;
    await client.ok('deploy_application_stack', { name: stack, compose, wait: 'none' });
    const [api] = await docker.listContainers({
      all: true,
      filters: { label: [`com.docker.compose.project=${stack}`] },
    });
    expect(api).toBeDefined();
    await docker.getContainer(api?.Id ?? '').kill();
    const job = uniqueName('hm-job');
    await client.ok('deploy_container', sleeper(job, { command: ['true'], wait: 'none' }));
    await until('job exited', async () => (await inspect(job)).State.Status === 'exited');
    const foreign = uniqueName('hm-foreign');
    const f = await docker.createContainer({
      name: foreign,
      Image: BUSYBOX,
      Cmd: ['sh', '-c', 'exit 2'],
      Labels: labels,
      HostConfig: { RestartPolicy: { Name: 'always' } },
    });
    await f.start();
    await f.stop({ t: 0 }).catch(() => undefined);

    const st = await client.ok<Health>('health_monitoring', { target: stack, resources: false });
    expect(st.scope).toBe(`stack ${stack}`);
    expect(st.services).toEqual([expect.objectContaining({ service: 'api', verdict: 'unhealthy' })]);
    const healed = await client.ok<Heal>('heal_containers', { target: stack, confirm: true });
    expect(healed.actions).toEqual([
      expect.objectContaining({ action: 'start', outcome: 'done', stateAfter: 'running' }),
    ]);

    const jobState = await client.ok<Health>('health_monitoring', { target: job, resources: false });
    expect(jobState.containers[0]).toMatchObject({ verdict: 'stopped', exitCode: 0 });
    expect(await client.ok<Heal>('heal_containers', { target: job, confirm: true })).toMatchObject({
      done: true,
      actions: [],
    });

    const foreignState = await client.ok<Health>('health_monitoring', { target: foreign, resources: false });
    expect(foreignState.containers[0]).toMatchObject({ verdict: 'unhealthy' });
    const foreignHeal = await client.ok<Heal>('heal_containers', { target: foreign, confirm: true });
    expect(foreignHeal.actions).toEqual([]);
    expect(foreignHeal.skipped[0]?.reason).toMatch(/outside the ownership scope/);
    expect((await inspect(foreign)).State.Running).toBe(false);

    const missing = await client.call('health_monitoring', { target: uniqueName('no-such') });
    expect(missing.isError).toBe(true);
    expect((await client.call('heal_containers', { target: uniqueName('no-such'), confirm: true })).isError).toBe(true);
    expect(await client.ok('remove_stack', { name: stack, confirm: true })).toMatchObject({ done: true });
  });
});

describe('self-healing watcher (serve --self-heal)', () => {
  let client: TestClient;
  beforeAll(async () => {
    client = await startClient({
      args: ['--self-heal'],
      env: {
        DOM_HISTORY_PATH: ':memory:',
        DOM_INSTANCE: uniqueName('dom-test-watch'),
        DOM_SELF_HEAL_BACKOFF_MS: '200',
        DOM_SELF_HEAL_MAX_RESTARTS: '2',
        DOM_LOG_LEVEL: 'info',
      },
    });
    await until('watcher connected', async () => client.stderr().includes('self-heal watcher following Engine events'));
  });
  afterAll(async () => client?.close());

  async function watcherState(target: string): Promise<Health> {
    return client.ok<Health>('health_monitoring', { target, resources: false, logs: false });
  }

  it('restarts a managed container killed with docker kill, and not an unmanaged one', async () => {
    const managed = uniqueName('w-managed');
    await client.ok('deploy_container', sleeper(managed));
    expect((await watcherState(managed)).watcher?.connected).toBe(true);
    const unmanaged = uniqueName('w-unmanaged');
    const u = await docker.createContainer({
      name: unmanaged,
      Image: BUSYBOX,
      Cmd: ['sleep', '600'],
      Labels: labels,
      HostConfig: { Init: true },
    });
    await u.start();
    const before = (await inspect(managed)).State.StartedAt;

    await Promise.all([docker.getContainer(managed).kill(), u.kill()]);
    const back = await until('managed container running again', async () => {
      const c = await inspect(managed);
      return c.State.Running && c.State.StartedAt !== before ? c : undefined;
    });
    expect(back.State.Running).toBe(true);
    await new Promise((r) => setTimeout(r, 1500));
    const other = await inspect(unmanaged);
    expect(other.State.Running).toBe(false);
    expect(other.State.ExitCode).toBe(137);

    const entries = await heals(client, managed);
    expect(entries).toEqual([
      expect.objectContaining({
        kind: 'heal',
        who: 'self-heal watcher',
        outcome: 'succeeded',
        steps: [expect.objectContaining({ name: `start ${managed}`, outcome: 'ok' })],
      }),
    ]);
    expect(await heals(client, unmanaged)).toEqual([]);

    // a deliberate stop through the tools is not a death to heal (Engine 20.10 sends
    // kill -> die -> stop, Engine 28 kill -> stop -> die: both must be recognised)
    await client.ok('stop_container', { id: managed, timeout: 1 });
    // Longer than the watcher's wait for a stop event after an exit by signal (SIGNAL_SETTLE_MS,
    // 3 s): a wrongly healed stop would have happened by now.
    await new Promise((r) => setTimeout(r, 4500));
    expect((await inspect(managed)).State.Running).toBe(false);
    expect(await heals(client, managed)).toHaveLength(1);

    // nor is `docker stop` straight at the Engine, even when the process ignores SIGTERM and
    // the Engine has to SIGKILL it (exit code 137, like a crash)
    const stubborn = uniqueName('w-stubborn');
    await client.ok('deploy_container', sleeper(stubborn, { init: false }));
    await docker.getContainer(stubborn).stop({ t: 1 });
    expect((await inspect(stubborn)).State.ExitCode).toBe(137);
    await new Promise((r) => setTimeout(r, 4500));
    expect((await inspect(stubborn)).State.Running).toBe(false);
    expect(await heals(client, stubborn)).toEqual([]);

    // and a crash after such a stop and a fresh start is healed again
    await docker.getContainer(stubborn).start();
    const restartedBefore = (await inspect(stubborn)).State.StartedAt;
    await docker.getContainer(stubborn).kill();
    await until(
      'stubborn container healed',
      async () => (await heals(client, stubborn)).map((e) => e.outcome).join() === 'succeeded',
    );
    const healed = await inspect(stubborn);
    expect(healed.State.Running).toBe(true);
    expect(healed.State.StartedAt).not.toBe(restartedBefore);
  });

  it('restarts a managed container that turns unhealthy', async () => {
    const name = uniqueName('w-check');
    await client.ok(
      'deploy_container',
      sleeper(name, {
        command: ['sh', '-c', 'touch /tmp/ok; sleep 600'],
        healthcheck: { test: 'ls /tmp/ok', interval: '1s', timeout: '1s', retries: 1 },
        wait: 'healthy',
        timeout: 30,
      }),
    );
    const before = (await inspect(name)).State.StartedAt;
    await execIn(name, ['rm', '/tmp/ok']);
    await until('restarted and healthy', async () => {
      const c = await inspect(name);
      return c.State.StartedAt !== before && c.State.Health?.Status === 'healthy';
    });
    const entries = await heals(client, name);
    expect(entries[0]).toMatchObject({
      who: 'self-heal watcher',
      outcome: 'succeeded',
      steps: [{ name: `restart ${name}`, outcome: 'ok' }],
    });
  });

  it('gives up on a crash-looping container once its budget is spent and reports it', async () => {
    const name = uniqueName('w-loop');
    await client.ok('deploy_container', sleeper(name, { command: ['sh', '-c', 'sleep 1; exit 3'], restart: 'no' }));
    const state = await until(
      'crash-looping reported',
      async () => {
        const h = await watcherState(name);
        return h.containers[0]?.verdict === 'crash-looping' ? h : undefined;
      },
      30_000,
    );
    expect(state.watcher?.crashLooping).toEqual(
      expect.arrayContaining([expect.objectContaining({ name, restarts: 2 })]),
    );
    expect(state.containers[0]?.reasons[0]).toMatch(/exhausted its restart budget/);
    const entries = await heals(client, name);
    expect(entries.map((e) => e.outcome)).toEqual(['failed', 'succeeded', 'succeeded']);
    expect(entries[0]?.error).toMatch(/^crash-looping: .* after 2 restarts/);
    // and it stays down: no more restarts
    await new Promise((r) => setTimeout(r, 3000));
    expect((await inspect(name)).State.Running).toBe(false);
    expect(await heals(client, name)).toHaveLength(3);
  });
});

describe('self-healing watcher across an Engine connection loss', () => {
  let client: TestClient;
  let proxy: Server;
  const sockets = new Set<Socket>();
  const sock = join(dir, 'engine.sock');

  const listen = () =>
    new Promise<void>((resolve) => {
      proxy = createServer((downstream) => {
        const upstream = createConnection('/var/run/docker.sock');
        sockets.add(downstream);
        sockets.add(upstream);
        downstream.pipe(upstream).pipe(downstream);
        const drop = () => {
          downstream.destroy();
          upstream.destroy();
          sockets.delete(downstream);
          sockets.delete(upstream);
        };
        downstream.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      proxy.listen(sock, resolve);
    });

  beforeAll(async () => {
    await listen();
    client = await startClient({
      args: ['--self-heal'],
      env: {
        DOCKER_HOST: `unix://${sock}`,
        DOM_HISTORY_PATH: ':memory:',
        DOM_INSTANCE: uniqueName('dom-test-recon'),
        DOM_SELF_HEAL_BACKOFF_MS: '200',
        DOM_LOG_LEVEL: 'info',
      },
    });
  });
  afterAll(async () => {
    await client?.close();
    for (const s of sockets) s.destroy();
    proxy?.close();
  });

  it('reconnects to the event stream and keeps healing', async () => {
    const name = uniqueName('w-recon');
    await client.ok('deploy_container', sleeper(name));
    await until('watcher connected', async () => client.stderr().includes('self-heal watcher following Engine events'));
    // the Engine "goes away": every connection drops and new ones are refused for a while
    await new Promise<void>((resolve) => {
      proxy.close(() => resolve());
      for (const s of sockets) s.destroy();
    });
    await new Promise((r) => setTimeout(r, 1500));
    await listen();
    await until('reconnected', async () => client.stderr().includes('reconnected to the Engine event stream'), 40_000);
    expect(client.stderr()).toContain('lost the Engine event stream; reconnecting');
    const before = (await inspect(name)).State.StartedAt;
    await docker.getContainer(name).kill();
    await until('healed after reconnect', async () => {
      const c = await inspect(name);
      return c.State.Running && c.State.StartedAt !== before;
    });
    const state = await client.ok<Health>('health_monitoring', { target: name, resources: false, logs: false });
    expect(state.watcher).toMatchObject({ connected: true, restarts: 1 });
    expect(state.watcher?.reconnects).toBeGreaterThanOrEqual(1);
  });
});
