import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, TEST_LABEL } from './engine.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('exec');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;
let box: string;

interface ExecAnswer {
  done: boolean;
  message: string;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  truncated?: boolean;
  droppedBytes?: number;
}

beforeAll(async () => {
  mcp = await startClient();
  box = uniqueName('box');
  await mcp.ok('deploy_container', { image: BUSYBOX, name: box, labels, init: true, command: ['sleep', '600'] });
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

const exec = (args: Record<string, unknown>) =>
  mcp.ok<ExecAnswer>('exec_in_container', { id: box, confirm: true, ...args });

describe('exec_in_container', () => {
  it('keeps stdout and stderr apart and returns the exit code', async () => {
    const r = await exec({ command: ['sh', '-c', 'echo to-out; echo to-err >&2; exit 3'] });
    expect(r).toMatchObject({ done: true, exitCode: 3, stdout: 'to-out\n', stderr: 'to-err\n', truncated: false });
  });

  it('applies working_dir, env and user', async () => {
    const r = await exec({
      command: ['sh', '-c', 'pwd; echo "$GREETING"; id -u'],
      working_dir: '/tmp',
      env: { GREETING: 'hi there' },
      user: '65534',
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('/tmp\nhi there\n65534\n');
  });

  it('caps large output per stream and says so', async () => {
    const r = await exec({
      command: [
        'sh',
        '-c',
        'i=0; while [ $i -lt 2000 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); done; echo small >&2',
      ],
      max_bytes: 1024,
    });
    expect(r.truncated).toBe(true);
    expect(r.droppedBytes).toBeGreaterThan(50_000);
    expect(Buffer.byteLength(r.stdout ?? '')).toBeLessThanOrEqual(1024);
    expect(r.stdout?.trim().split('\n').at(-1)).toBe('line-1999-xxxxxxxxxxxxxxxxxxxxxxxxxx');
    expect(r.stderr).toBe('small\n');
  });

  it('without confirmation answers what it would run and runs nothing', async () => {
    const marker = `/tmp/marker-${run}`;
    const r = await mcp.ok<ExecAnswer>('exec_in_container', {
      id: box,
      command: ['touch', marker],
      env: { DB_PASSWORD: 'hunter2' },
    });
    expect(r.done).toBe(false);
    expect(r.message).toMatch(/confirm: true/);
    expect(r.message).toContain(`touch ${marker}`);
    expect(r.message).toContain('DB_PASSWORD=******');
    expect(r.message).not.toContain('hunter2');
    const check = await exec({ command: ['ls', marker] });
    expect(check.exitCode).not.toBe(0);
  });

  it('a command that outlives its timeout returns a timeout error within the timeout', async () => {
    const started = Date.now();
    const r = await mcp.call('exec_in_container', {
      id: box,
      confirm: true,
      command: ['sh', '-c', 'echo started; sleep 30'],
      timeout: 1.5,
    });
    const took = Date.now() - started;
    expect(r.isError).toBe(true);
    expect(errorKind(r)).toBe('timeout');
    expect(errorText(r)).toMatch(/Timed out after 1\.5 s/);
    expect(errorText(r)).toMatch(/stdout so far: started/);
    // The deadline ended the call, not the command (sleep 30); loose, since the machine may be loaded.
    expect(took).toBeLessThan(20_000);
    // The server keeps serving.
    expect((await exec({ command: ['echo', 'still-here'] })).stdout).toBe('still-here\n');
  });

  it('bad input: stopped container, unknown container, empty command, missing program', async () => {
    const stopped = uniqueName('stopped');
    await mcp.ok('deploy_container', { image: BUSYBOX, name: stopped, labels, init: true, command: ['sleep', '600'] });
    await mcp.ok('stop_container', { id: stopped, timeout: 0 });
    let r = await mcp.call('exec_in_container', { id: stopped, command: ['ls'], confirm: true });
    expect(errorKind(r)).toBe('conflict');
    expect(errorText(r)).toMatch(/not running \(state: exited\).*start_container/);

    r = await mcp.call('exec_in_container', { id: 'no-such-container-xyz', command: ['ls'], confirm: true });
    expect(errorKind(r)).toBe('not_found');

    r = await mcp.call('exec_in_container', { id: box, command: [], confirm: true });
    expect(errorKind(r)).toBe('invalid_input');
    expect(errorText(r)).toMatch(/command is empty/);

    r = await mcp.call('exec_in_container', { id: box, command: ['ls'], working_dir: 'relative', confirm: true });
    expect(errorKind(r)).toBe('invalid_input');

    const missing = await exec({ command: ['no-such-program'] });
    expect([126, 127]).toContain(missing.exitCode);
    expect(`${missing.stdout}${missing.stderr}`).toMatch(/not found/);
  });
});

describe('get_container_stats', () => {
  it('reports CPU from two samples, memory against the limit, for one container or all running ones', async () => {
    const busy = uniqueName('busy');
    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name: busy,
      labels,
      init: true,
      resources: { memory: '32m' },
      command: ['sh', '-c', 'while :; do :; done'],
    });
    const one = await mcp.ok<{
      containers: {
        name: string;
        cpuPercent?: number;
        memoryLimitBytes?: number;
        memoryPercent?: number;
        pids?: number;
      }[];
      sampledMs: number;
    }>('get_container_stats', { id: busy });
    expect(one.containers).toHaveLength(1);
    const row = one.containers[0];
    expect(row?.name).toBe(busy);
    // A busy loop shows clearly above idle; how far above depends on what else the machine runs.
    expect(row?.cpuPercent).toBeGreaterThan(2);
    expect(row?.memoryLimitBytes).toBe(32 * 1024 * 1024);
    expect(row?.memoryPercent).toBeGreaterThan(0);
    expect(row?.pids).toBeGreaterThanOrEqual(2);

    const started = Date.now();
    const all = await mcp.ok<{ containers: { name: string; cpuPercent?: number }[]; total: number }>(
      'get_container_stats',
      {},
    );
    const took = Date.now() - started;
    const names = all.containers.map((c) => c.name);
    expect(names).toEqual(expect.arrayContaining([box, busy]));
    expect(all.containers.find((c) => c.name === box)?.cpuPercent).toBeLessThan(20);
    // Sampled in parallel (about one interval, not one per container): measured, not asserted.
    console.log(`stats for ${all.containers.length} running containers took ${took} ms`);

    const stopped = await mcp.call('get_container_stats', { id: 'no-such-container-xyz' });
    expect(errorKind(stopped)).toBe('not_found');
  });
});
