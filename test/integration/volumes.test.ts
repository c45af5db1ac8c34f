import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('volumes');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;

beforeAll(async () => {
  mcp = await startClient();
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

const expectToolError = (tool: string, args: Record<string, unknown>, kind: string, pattern: RegExp) =>
  mcp.fails(tool, args, kind, pattern);

interface VolumeRow {
  name: string;
  driver: string;
  managed: boolean;
  usedBy: string[];
  usedByCount: number;
}

describe('volumes over MCP', () => {
  it('data survives removing and recreating the container that used it', async () => {
    const vol = uniqueName('appdata');
    const first = uniqueName('writer');
    const second = uniqueName('reader');
    const created = await mcp.ok<{ name: string; driver: string; labels: Record<string, string> }>('create_volume', {
      name: vol,
      labels,
    });
    expect(created).toMatchObject({ name: vol, driver: 'local' });
    expect(created.labels['io.docker-orchestration-mcp.managed']).toBe('true');

    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name: first,
      labels,
      init: true,
      volumes: [`${vol}:/data`],
      command: ['sleep', '600'],
    });
    const write = await mcp.ok<{ exitCode: number }>('exec_in_container', {
      id: first,
      command: ['sh', '-c', 'echo "$PAYLOAD" > /data/note.txt && mkdir -p /data/sub && echo deep > /data/sub/x'],
      env: { PAYLOAD: `kept-${run}` },
      confirm: true,
    });
    expect(write.exitCode).toBe(0);
    await mcp.ok('remove_container', { id: first, force: true, confirm: true });
    await expect(docker.getContainer(first).inspect()).rejects.toMatchObject({ statusCode: 404 });

    const unused = await mcp.ok<{ volumes: VolumeRow[] }>('list_volumes', { filters: { name: [vol] } });
    expect(unused.volumes).toEqual([expect.objectContaining({ name: vol, managed: true, usedBy: [], usedByCount: 0 })]);

    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name: second,
      labels,
      init: true,
      volumes: [`${vol}:/data:ro`],
      command: ['sleep', '600'],
    });
    const read = await mcp.ok<{ exitCode: number; stdout: string }>('exec_in_container', {
      id: second,
      command: ['cat', '/data/note.txt', '/data/sub/x'],
      confirm: true,
    });
    expect(read.exitCode).toBe(0);
    expect(read.stdout).toBe(`kept-${run}\ndeep\n`);

    const used = await mcp.ok<{ volumes: VolumeRow[] }>('list_volumes', { filters: { name: [vol] } });
    expect(used.volumes[0]).toMatchObject({ name: vol, usedBy: [second], usedByCount: 1 });

    // In use (also when the container is stopped): refused, naming it.
    await mcp.ok('stop_container', { id: second, timeout: 0 });
    await expectToolError(
      'remove_volume',
      { id: vol, confirm: true },
      'conflict',
      new RegExp(`in use by 1 container\\(s\\): "${second} \\(exited\\)"`),
    );

    await mcp.ok('remove_container', { id: second, confirm: true });
    const preview = await mcp.ok<{ done: boolean; message: string }>('remove_volume', { id: vol });
    expect(preview.done).toBe(false);
    expect((await docker.getVolume(vol).inspect()).Name).toBe(vol);
    expect((await mcp.ok<{ done: boolean }>('remove_volume', { id: vol, confirm: true })).done).toBe(true);
    await expect(docker.getVolume(vol).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('driver options, duplicate names, unknown drivers, foreign volumes', async () => {
    const tmpfs = uniqueName('tmpfsvol');
    await mcp.ok('create_volume', {
      name: tmpfs,
      driver_opts: { type: 'tmpfs', device: 'tmpfs', o: 'size=8m' },
      labels,
    });
    expect((await docker.getVolume(tmpfs).inspect()).Options).toEqual({ type: 'tmpfs', device: 'tmpfs', o: 'size=8m' });
    await expectToolError('create_volume', { name: tmpfs, labels }, 'conflict', /already exists/);
    await expectToolError(
      'create_volume',
      { name: uniqueName('x'), driver: 'no-such-driver', labels },
      'invalid_input',
      /unknown volume driver "no-such-driver"/,
    );
    await expectToolError('create_volume', { name: 'bad name!', labels }, 'invalid_input', /Invalid volume name/);
    await expectToolError(
      'remove_volume',
      { id: 'no-such-volume-xyz', confirm: true },
      'not_found',
      /no-such-volume-xyz/,
    );

    const foreign = uniqueName('foreign');
    await docker.createVolume({ Name: foreign, Labels: labels });
    await expectToolError('remove_volume', { id: foreign, confirm: true }, 'denied', /not created by this server/);
  });
});
