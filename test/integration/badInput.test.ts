import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, TEST_LABEL } from './engine.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('badinput');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;
let running: string;
let stopped: string;

beforeAll(async () => {
  mcp = await startClient();
  running = uniqueName('running');
  stopped = uniqueName('stopped');
  await mcp.ok('deploy_container', { image: BUSYBOX, name: running, labels, init: true, command: ['sleep', '600'] });
  await mcp.ok('deploy_container', { image: BUSYBOX, name: stopped, labels, init: true, command: ['sleep', '600'] });
  await mcp.ok('stop_container', { id: stopped, timeout: 0 });
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

const expectToolError = (tool: string, args: Record<string, unknown>, kind: string, pattern: RegExp) =>
  mcp.fails(tool, args, kind, pattern);

describe('bad input gets a clear tool error and the server keeps serving', () => {
  it('empty image', () => expectToolError('deploy_container', { image: '' }, 'invalid_input', /image is empty/));

  it('a missing image with pull: never', () =>
    expectToolError(
      'deploy_container',
      { image: 'dom-test/does-not-exist:1', pull: 'never', labels },
      'not_found',
      /not present locally.*pull/,
    ));

  it('malformed ports', async () => {
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, ports: ['80:99999'] },
      'invalid_input',
      /ports\[0\].*1 to 65535/,
    );
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, ports: ['a:b:c:d'] },
      'invalid_input',
      /Invalid ports\[0\]/,
    );
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, ports: ['nothost:8080:80'] },
      'invalid_input',
      /IP address/,
    );
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, ports: [{ target: 80, protocol: 'http' }] },
      'invalid_input',
      /protocol/,
    );
  });

  it('malformed volumes', async () => {
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, volumes: ['data:relative/path'] },
      'invalid_input',
      /absolute container path/,
    );
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, volumes: ['bad name!:/x'] },
      'invalid_input',
      /volume name/,
    );
    await expectToolError(
      'deploy_container',
      { image: BUSYBOX, volumes: ['data:/x:rx'] },
      'invalid_input',
      /mode ro or rw/,
    );
  });

  it('wrong argument types are named by field', () =>
    expectToolError(
      'deploy_container',
      { image: BUSYBOX, ports: 'not-an-array', restart: 5 },
      'invalid_input',
      /ports.*restart|restart.*ports/s,
    ));

  it('an unknown id', async () => {
    await expectToolError('get_container_info', { id: 'no-such-container-xyz' }, 'not_found', /no-such-container-xyz/);
    await expectToolError('stop_container', { id: 'no-such-container-xyz' }, 'not_found', /Check the name or id/);
    await expectToolError('get_container_logs', { id: 'no-such-container-xyz' }, 'not_found', /no-such-container-xyz/);
  });

  it('a name already taken', () =>
    expectToolError(
      'deploy_container',
      { image: BUSYBOX, name: running, labels, command: ['sleep', '1'] },
      'conflict',
      /already in use/,
    ));

  it('stopping a stopped container', () =>
    expectToolError('stop_container', { id: stopped }, 'conflict', /not running/));

  it('removing a running container without force', () =>
    expectToolError('remove_container', { id: running, confirm: true }, 'conflict', /running.*force: true/));

  it('a restart policy that does not exist', () =>
    expectToolError('deploy_container', { image: BUSYBOX, restart: 'sometimes' }, 'invalid_input', /on-failure/));

  it('an unknown network', () =>
    expectToolError(
      'deploy_container',
      { image: BUSYBOX, network: 'no-such-network-xyz', labels, command: ['true'] },
      'not_found',
      /network/,
    ));

  it('still serves after all of that', async () => {
    const list = await mcp.ok<{ containers: { name: string }[] }>('list_containers', {
      filters: { label: [`${TEST_LABEL}=${run}`] },
    });
    expect(list.containers.map((c) => c.name)).toEqual([running]);
  });
});

describe('Engine down', () => {
  it('answers engine_unavailable within the timeout and keeps serving', async () => {
    const down = await startClient({
      env: { DOCKER_HOST: 'unix:///tmp/no-such-docker.sock', DOM_ENGINE_TIMEOUT_MS: '3000' },
    });
    try {
      const started = Date.now();
      const r = await down.call('list_containers', {});
      expect(Date.now() - started).toBeLessThan(5000);
      expect(r.isError).toBe(true);
      expect(errorKind(r)).toBe('engine_unavailable');
      expect(errorText(r)).toMatch(/Docker Engine unreachable.*DOCKER_HOST/);
      const again = await down.call('get_system_info', {});
      expect(errorKind(again)).toBe('engine_unavailable');
      const tools = await down.client.listTools();
      expect(tools.tools.length).toBeGreaterThan(5);
    } finally {
      await down.close();
    }
  });
});
