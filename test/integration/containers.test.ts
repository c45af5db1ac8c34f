import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { freePort, startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('containers');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;

beforeAll(async () => {
  mcp = await startClient();
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

interface Detail {
  name: string;
  state: { status: string; running: boolean; health?: string; restartCount: number; healthLog?: { output: string }[] };
  config: {
    env: string[];
    labels: Record<string, string>;
    healthcheck?: { test: string[]; interval?: string; retries?: number };
  };
  restartPolicy: { name: string; maximumRetryCount: number };
  limits: { memoryBytes?: number; nanoCpus?: number };
  mounts: { type: string; name?: string; destination: string; readOnly: boolean }[];
  ports: string[];
  managed: boolean;
}

describe('container lifecycle over MCP stdio against the real Engine', () => {
  it('deploys a busybox httpd on 127.0.0.1, shows its config, and runs the lifecycle', async () => {
    const port = await freePort();
    const name = uniqueName('web');
    const volume = uniqueName('webdata');
    const deployed = await mcp.ok<{ id: string; name: string; state: string; health?: string; ports: string[] }>(
      'deploy_container',
      {
        image: BUSYBOX,
        name,
        command: ['httpd', '-f', '-p', '80', '-h', '/www'],
        ports: [`127.0.0.1:${port}:80`],
        env: { APP_MODE: 'test', DB_PASSWORD: 'hunter2', API_TOKEN: 'abc123' },
        labels: { ...labels, tier: 'web' },
        volumes: [`${volume}:/data`],
        restart: 'on-failure:3',
        resources: { memory: '64m', cpus: 0.5 },
        healthcheck: { test: 'wget -q -O- http://127.0.0.1/ >/dev/null', interval: '1s', timeout: '2s', retries: 3 },
        stop_timeout: 1,
        wait: 'healthy',
        timeout: 60,
      },
    );
    expect(deployed.name).toBe(name);
    expect(deployed.state).toBe('running');
    expect(deployed.health).toBe('healthy');
    expect(deployed.ports).toEqual([`127.0.0.1:${port}->80/tcp`]);

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain('hello from busybox');

    const info = await mcp.ok<Detail>('get_container_info', { id: name });
    expect(info.config.env).toContain('APP_MODE=test');
    expect(info.config.env).toContain('DB_PASSWORD=******');
    expect(info.config.env).toContain('API_TOKEN=******');
    expect(JSON.stringify(info)).not.toContain('hunter2');
    expect(info.config.labels.tier).toBe('web');
    expect(info.config.labels['io.docker-orchestration-mcp.managed']).toBe('true');
    expect(info.managed).toBe(true);
    expect(info.mounts).toContainEqual(
      expect.objectContaining({ type: 'volume', name: volume, destination: '/data', readOnly: false }),
    );
    expect(info.restartPolicy).toEqual({ name: 'on-failure', maximumRetryCount: 3 });
    expect(info.limits.memoryBytes).toBe(64 * 1024 * 1024);
    expect(info.limits.nanoCpus).toBe(5e8);
    expect(info.config.healthcheck?.test).toEqual(['CMD-SHELL', 'wget -q -O- http://127.0.0.1/ >/dev/null']);
    expect(info.config.healthcheck?.retries).toBe(3);
    expect(info.state.health).toBe('healthy');
    expect(info.ports).toEqual([`127.0.0.1:${port}->80/tcp`]);
    await docker
      .getVolume(volume)
      .remove()
      .catch(() => undefined); // in use: removed by cleanup below

    const stopped = await mcp.ok<{ state: string }>('stop_container', { id: name, timeout: 1 });
    expect(stopped.state).toBe('exited');
    const started = await mcp.ok<{ state: string }>('start_container', { id: name });
    expect(started.state).toBe('running');
    const restarted = await mcp.ok<{ state: string }>('restart_container', { id: name, timeout: 1 });
    expect(restarted.state).toBe('running');
    // Starting a running container is no error: the Engine answers 304 Not Modified.
    const again = await mcp.ok<{ state: string; message: string }>('start_container', { id: name });
    expect(again).toMatchObject({ state: 'running', message: 'Already running' });

    const preview = await mcp.ok<{ done: boolean; message: string }>('remove_container', { id: name, force: true });
    expect(preview.done).toBe(false);
    expect(preview.message).toMatch(/confirm: true/);
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(true);

    const removed = await mcp.ok<{ done: boolean }>('remove_container', { id: name, force: true, confirm: true });
    expect(removed.done).toBe(true);
    await expect(docker.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await docker.getVolume(volume).remove();
  });

  it('reads logs with tail, stream selection and a byte cap', async () => {
    const name = uniqueName('logs');
    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name,
      labels,
      command: [
        'sh',
        '-c',
        'for i in 1 2 3 4 5; do echo out-$i; echo err-$i >&2; done; sleep 0.5; i=0; while [ $i -lt 300 ]; do echo filler-line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo last-line; sleep 600',
      ],
      init: true,
    });
    // Wait until the shell has written all of its output.
    for (let i = 0; i < 50; i++) {
      const probe = await mcp.ok<{ stdout: string }>('get_container_logs', { id: name, tail: 1 });
      if (probe.stdout.includes('last-line')) break;
      await new Promise((r) => setTimeout(r, 200));
    }

    const tail = await mcp.ok<{ stdout: string; stderr: string; truncated: boolean }>('get_container_logs', {
      id: name,
      tail: 2,
    });
    expect(tail.stdout.trim().split('\n').at(-1)).toBe('last-line');
    expect(tail.stdout.trim().split('\n')).toHaveLength(2);

    const errOnly = await mcp.ok<{ stdout: string; stderr: string }>('get_container_logs', {
      id: name,
      stream: 'stderr',
      tail: 100_000,
    });
    expect(errOnly.stdout).toBe('');
    expect(errOnly.stderr.trim().split('\n')).toEqual(['err-1', 'err-2', 'err-3', 'err-4', 'err-5']);

    const both = await mcp.ok<{ stdout: string; stderr: string }>('get_container_logs', { id: name, tail: 100_000 });
    expect(both.stdout).toContain('out-1');
    expect(both.stdout).not.toContain('err-1');
    expect(both.stderr).toContain('err-5');

    const capped = await mcp.call('get_container_logs', { id: name, tail: 100_000, max_bytes: 1024 });
    const sc = capped.structuredContent as { stdout: string; truncated: boolean; droppedBytes: number };
    expect(sc.truncated).toBe(true);
    expect(sc.droppedBytes).toBeGreaterThan(10_000);
    expect(Buffer.byteLength(sc.stdout)).toBeLessThanOrEqual(1024);
    expect(sc.stdout.trim().split('\n').at(-1)).toBe('last-line');
    expect(capped.content[0]?.text).toMatch(/truncated/);

    const ts = await mcp.ok<{ stdout: string }>('get_container_logs', { id: name, tail: 1, timestamps: true });
    expect(ts.stdout).toMatch(/^\d{4}-\d{2}-\d{2}T/);
  });

  it('wait: healthy waits for a real healthcheck to pass', async () => {
    const name = uniqueName('slowhealth');
    const started = Date.now();
    const r = await mcp.ok<{ health?: string; waitedMs: number }>('deploy_container', {
      image: BUSYBOX,
      name,
      labels,
      init: true,
      command: 'sh -c "sleep 2; touch /tmp/ready; sleep 600"',
      healthcheck: { test: ['CMD', 'ls', '/tmp/ready'], interval: '500ms', retries: 20 },
      wait: 'healthy',
      timeout: 30,
    });
    expect(r.health).toBe('healthy');
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(r.waitedMs).toBeGreaterThanOrEqual(1500);
  });

  it('a container that never becomes healthy fails the deploy, with health output, and is removed', async () => {
    const name = uniqueName('neverhealthy');
    const r = await mcp.call('deploy_container', {
      image: BUSYBOX,
      name,
      labels,
      init: true,
      command: ['sleep', '600'],
      healthcheck: { test: 'echo not-ready-yet; exit 1', interval: '300ms', retries: 2 },
      wait: 'healthy',
      timeout: 20,
    });
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toMatch(/did not become healthy/);
    expect(r.content[0]?.text).toMatch(/not-ready-yet/);
    await expect(docker.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('reports progress notifications while waiting', async () => {
    const name = uniqueName('progress');
    const seen: string[] = [];
    const r = await mcp.call(
      'deploy_container',
      { image: BUSYBOX, name, labels, init: true, command: ['sleep', '600'], wait: 'running' },
      { onprogress: (p) => seen.push(p.message ?? '') },
    );
    expect(r.isError).toBeFalsy();
    expect(seen.some((m) => /waiting for/.test(m))).toBe(true);
  });
});
