import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// Note: busybox-static's `wget -T` crashes (exit 139); the exec timeout bounds these calls instead.
import { BUSYBOX, cleanupByLabel, docker, sleeperArgs, TEST_LABEL } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('networks');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;

beforeAll(async () => {
  mcp = await startClient();
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

interface ExecAnswer {
  done: boolean;
  exitCode?: number;
  stdout?: string;
  stderr?: string;
  message: string;
}

const expectToolError = (tool: string, args: Record<string, unknown>, kind: string, pattern: RegExp) =>
  mcp.fails(tool, args, kind, pattern);

describe('networks and service discovery over MCP', () => {
  it('two containers on a created network reach each other by name and by alias', async () => {
    const net = uniqueName('appnet');
    const web = uniqueName('web');
    const client = uniqueName('client');
    const created = await mcp.ok<{ name: string; driver: string; subnets: string[] }>('create_network', {
      name: net,
      subnet: '10.213.7.0/24',
      gateway: '10.213.7.1',
      labels,
    });
    expect(created).toMatchObject({ name: net, driver: 'bridge', subnets: ['10.213.7.0/24'] });
    const inspected = await docker.getNetwork(net).inspect();
    expect(inspected.Labels?.['io.docker-orchestration-mcp.managed']).toBe('true');

    // The web server starts on the default bridge and joins our network with an alias afterwards.
    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name: web,
      labels,
      init: true,
      command: ['httpd', '-f', '-p', '80', '-h', '/www'],
    });
    const connected = await mcp.ok<{ changed: boolean; aliases: string[]; ip?: string }>(
      'connect_container_to_network',
      {
        network: net,
        container: web,
        aliases: ['web-alias', 'www.internal'],
      },
    );
    expect(connected.changed).toBe(true);
    expect(connected.aliases).toEqual(expect.arrayContaining(['web-alias', 'www.internal']));
    expect(connected.ip).toMatch(/^10\.213\.7\.\d+$/);
    const again = await mcp.ok<{ changed: boolean }>('connect_container_to_network', {
      network: net,
      container: web,
      aliases: ['web-alias'],
    });
    expect(again.changed).toBe(false);

    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name: client,
      labels,
      init: true,
      network: net,
      command: ['sleep', '600'],
    });

    for (const host of [web, 'web-alias', 'www.internal']) {
      const r = await mcp.ok<ExecAnswer>('exec_in_container', {
        id: client,
        command: ['wget', '-qO-', `http://${host}/`],
        confirm: true,
        timeout: 20,
      });
      expect(r.exitCode, `${host}: ${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('hello from busybox');
    }

    const info = await mcp.ok<{ networks: { name: string; ip?: string; aliases: string[] }[] }>('get_container_info', {
      id: web,
    });
    const onNet = info.networks.find((n) => n.name === net);
    expect(onNet?.aliases).toEqual(expect.arrayContaining(['web-alias', 'www.internal']));
    expect(onNet?.ip).toBe(connected.ip);

    const listed = await mcp.ok<{
      networks: { name: string; containers: string[]; containerCount: number; managed: boolean; subnets: string[] }[];
    }>('list_networks', { filters: { name: [net] } });
    expect(listed.networks).toHaveLength(1);
    expect(listed.networks[0]).toMatchObject({
      name: net,
      managed: true,
      containerCount: 2,
      subnets: ['10.213.7.0/24'],
    });
    expect(listed.networks[0]?.containers.sort()).toEqual([client, web].sort());

    // In use: refused, naming both containers.
    const msg = await expectToolError('remove_network', { id: net, confirm: true }, 'conflict', /still has 2 attached/);
    expect(msg).toContain(web);
    expect(msg).toContain(client);

    // Disconnecting the web container: the client can no longer reach it by alias.
    const disc = await mcp.ok<{ changed: boolean }>('disconnect_container_from_network', {
      network: net,
      container: web,
    });
    expect(disc.changed).toBe(true);
    expect(
      (await mcp.ok<{ changed: boolean }>('disconnect_container_from_network', { network: net, container: web }))
        .changed,
    ).toBe(false);
    const gone = await mcp.ok<ExecAnswer>('exec_in_container', {
      id: client,
      command: ['wget', '-qO-', 'http://web-alias/'],
      confirm: true,
      timeout: 20,
    });
    expect(gone.exitCode).not.toBe(0);

    await mcp.ok('remove_container', { id: client, force: true, confirm: true });
    const preview = await mcp.ok<{ done: boolean; message: string }>('remove_network', { id: net });
    expect(preview.done).toBe(false);
    expect(preview.message).toMatch(/confirm: true/);
    expect((await mcp.ok<{ done: boolean }>('remove_network', { id: net, confirm: true })).done).toBe(true);
    await expect(docker.getNetwork(net).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('bad input: invalid subnet, gateway outside it, duplicate name, unknown driver', async () => {
    const name = uniqueName('badnet');
    await expectToolError(
      'create_network',
      { name, subnet: '10.300.0.0/16', labels },
      'invalid_input',
      /Invalid subnet "10\.300\.0\.0\/16"/,
    );
    await expectToolError(
      'create_network',
      { name, subnet: '10.214.0.0/33', labels },
      'invalid_input',
      /Invalid subnet/,
    );
    await expectToolError('create_network', { name, subnet: 'banana', labels }, 'invalid_input', /CIDR/);
    await expectToolError(
      'create_network',
      { name, subnet: '10.214.0.0/24', gateway: '10.215.0.1', labels },
      'invalid_input',
      /not inside subnet/,
    );
    await expectToolError(
      'create_network',
      { name, driver: 'no-such-driver', labels },
      'invalid_input',
      /unknown network driver "no-such-driver"/,
    );
    await expectToolError('create_network', { name: 'bad name!', labels }, 'invalid_input', /Invalid network name/);

    await mcp.ok('create_network', { name, labels });
    await expectToolError('create_network', { name, labels }, 'conflict', /already exists/);
    const same = await docker.listNetworks({ filters: { name: [name] } });
    expect(same.filter((n) => n.Name === name)).toHaveLength(1);
  });

  it('a malformed ipv4_address is refused before the Engine stores it (found by the fuzz test: the container could not start again)', async () => {
    const net = uniqueName('ipnet');
    const c = uniqueName('ipc');
    await mcp.ok('create_network', { name: net, labels });
    await mcp.ok('deploy_container', sleeperArgs(c, labels));
    await mcp.ok('stop_container', { id: c, timeout: 1 });
    for (const ip of ['10.231.0.999', '10.1.2', ' 10.1.2.3', 'fe80::1', '']) {
      await expectToolError(
        'connect_container_to_network',
        { network: net, container: c, ipv4_address: ip },
        'invalid_input',
        /is not an IPv4 address/,
      );
    }
    expect((await mcp.ok<{ state: string }>('start_container', { id: c })).state).toBe('running');
  });

  it('unknown objects and foreign networks', async () => {
    await expectToolError(
      'remove_network',
      { id: 'no-such-network-xyz', confirm: true },
      'not_found',
      /no-such-network-xyz/,
    );
    await expectToolError('remove_network', { id: 'bridge', confirm: true }, 'denied', /not created by this server/);
    await expectToolError(
      'connect_container_to_network',
      { network: 'no-such-network-xyz', container: 'no-such-container-xyz' },
      'not_found',
      /no-such/,
    );
  });
});
