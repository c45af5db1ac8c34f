import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { execFile } from 'node:child_process';
import { connect, createServer as createNetServer } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, eachLimited, TEST_LABEL } from './engine.js';
import { CLI, startClient, uniqueName, type TestClient } from './mcpClient.js';

const exec = promisify(execFile);
const run = uniqueName('protocol');
const SEED_TOOLS = [
  'deploy_container',
  'list_containers',
  'get_container_info',
  'start_container',
  'stop_container',
  'restart_container',
  'remove_container',
  'get_container_logs',
  'get_system_info',
];

let mcp: TestClient;
beforeAll(async () => {
  mcp = await startClient();
});
afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

describe('MCP surface', () => {
  it('lists every tool with an output schema and annotations derived from its kind', async () => {
    const { tools } = await mcp.client.listTools();
    const names = tools.map((t) => t.name);
    for (const n of SEED_TOOLS) expect(names).toContain(n);
    for (const t of tools) {
      expect(t.outputSchema, t.name).toBeDefined();
      expect(t.annotations?.readOnlyHint, t.name).toBeTypeOf('boolean');
      expect(t.inputSchema.type).toBe('object');
    }
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName.list_containers?.annotations).toMatchObject({
      readOnlyHint: true,
      destructiveHint: false,
      idempotentHint: true,
    });
    expect(byName.remove_container?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(byName.deploy_container?.annotations).toMatchObject({
      readOnlyHint: false,
      destructiveHint: false,
      idempotentHint: false,
    });
  });

  it('--read-only lists only read tools', async () => {
    const ro = await startClient({ args: ['--read-only'] });
    try {
      const { tools } = await ro.client.listTools();
      expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);
      expect(tools.map((t) => t.name)).toContain('list_containers');
      expect(tools.map((t) => t.name)).not.toContain('deploy_container');
      // health is a read: read-only users see it; healing is not offered
      expect(tools.map((t) => t.name)).toContain('health_monitoring');
      expect(tools.map((t) => t.name)).not.toContain('heal_containers');
      // A toolset's resources come with its read tools: templates and stacks stay readable.
      const uris = (await ro.client.listResources()).resources.map((r) => r.uri);
      expect(uris).toContain('docker-orchestration-mcp://templates/web-stack');
    } finally {
      await ro.close();
    }
  });

  it('a toolset that is not offered brings no resources or prompts', async () => {
    const ops = await startClient({ args: ['--toolsets', 'operations'] });
    try {
      expect((await ops.client.listPrompts().catch(() => ({ prompts: [] }))).prompts).toEqual([]);
      const uris = (await ops.client.listResources().catch(() => ({ resources: [] }))).resources.map((r) => r.uri);
      expect(uris.some((u) => u.includes('templates'))).toBe(false);
    } finally {
      await ops.close();
    }
  });

  it('--toolsets and --disable-destructive narrow what is offered', async () => {
    const narrow = await startClient({ args: ['--toolsets', 'stacks,operations', '--disable-destructive'] });
    try {
      const names = (await narrow.client.listTools()).tools.map((t) => t.name);
      expect(names).toContain('deploy_application_stack');
      expect(names).toContain('get_system_info');
      expect(names).not.toContain('list_containers');
      expect(names).not.toContain('remove_stack');
      expect(names).toContain('health_monitoring');
      expect(names).not.toContain('heal_containers');
    } finally {
      await narrow.close();
    }
    const bad = await exec(process.execPath, [CLI, 'tools', '--toolsets', 'containers,nope']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
    expect((bad as { stderr: string }).stderr).toMatch(/unknown toolset "nope"/);
  });

  it('a 2025-era client (SDK 1.x Client) lists and calls tools', async () => {
    const transport = new V1StdioClientTransport({
      command: process.execPath,
      args: [CLI],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DOM_LOG_LEVEL: 'warn',
        DOM_HISTORY_PATH: ':memory:',
      },
      stderr: 'pipe',
    });
    const client = new V1Client({ name: 'v1-client', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(SEED_TOOLS));
      const info = await client.callTool({ name: 'get_system_info', arguments: {} });
      expect(info.isError).toBeFalsy();
      expect((info.structuredContent as { engine: { apiVersionInUse: string } }).engine.apiVersionInUse).toMatch(
        /^1\.\d+$/,
      );
      const name = uniqueName('v1');
      const deployed = await client.callTool({
        name: 'deploy_container',
        arguments: { image: BUSYBOX, name, init: true, command: ['sleep', '600'], labels: { [TEST_LABEL]: run } },
      });
      expect(deployed.isError).toBeFalsy();
      expect((deployed.structuredContent as { state: string }).state).toBe('running');
    } finally {
      await client.close();
    }
  });

  it('stdout carries only protocol: logs are JSON on stderr', async () => {
    await mcp.ok('get_system_info', {});
    const lines = mcp.stderr().split('\n').filter(Boolean);
    for (const l of lines) expect(() => JSON.parse(l)).not.toThrow();
  });
});

describe('resources', () => {
  it('container logs as a resource template', async () => {
    const name = uniqueName('logres');
    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name,
      init: true,
      command: ['sh', '-c', 'echo resource-line; sleep 600'],
      labels: { [TEST_LABEL]: run },
    });
    const templates = await mcp.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((t) => t.uriTemplate)).toContain('docker://containers/{id}/logs');
    let text = '';
    for (let i = 0; i < 25 && !text.includes('resource-line'); i++) {
      const r = await mcp.client.readResource({ uri: `docker://containers/${name}/logs` });
      text = (r.contents[0] as { text?: string }).text ?? '';
      if (!text.includes('resource-line')) await new Promise((res) => setTimeout(res, 200));
    }
    expect(text).toContain('resource-line');
    await expect(mcp.client.readResource({ uri: 'docker://containers/no-such-thing-xyz/logs' })).rejects.toThrow();
  });
});

describe('stack templates as resources and prompts', () => {
  it('lists a prompt per template and renders it with variables', async () => {
    const { prompts } = await mcp.client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(
      expect.arrayContaining(['deploy-web-stack', 'deploy-web-db', 'deploy-microservices']),
    );
    const p = await mcp.client.getPrompt({
      name: 'deploy-web-stack',
      arguments: { stack_name: 'shop', NGINX_PORT: '8081' },
    });
    const text = (p.messages[0]?.content as { text: string }).text;
    expect(text).toContain('deploy_application_stack');
    expect(text).toContain('"NGINX_PORT":"8081"');
    expect(text).toMatch(/POSTGRES_PASSWORD/);
  });

  it('serves template Compose text and stack status as resources', async () => {
    const { resources } = await mcp.client.listResources();
    expect(resources.map((r) => r.uri)).toContain('docker-orchestration-mcp://templates/web-stack');
    const t = await mcp.client.readResource({ uri: 'docker-orchestration-mcp://templates/web-stack' });
    expect((t.contents[0] as { text: string }).text).toMatch(/services:/);
    const templates = await mcp.client.listResourceTemplates();
    expect(templates.resourceTemplates.map((x) => x.uriTemplate)).toContain('docker://stacks/{name}');
    await expect(mcp.client.readResource({ uri: 'docker://stacks/no-such-stack-xyz' })).rejects.toThrow();
  });
});

describe('confirmation through elicitation', () => {
  async function deployVictim(): Promise<string> {
    const name = uniqueName('victim');
    await mcp.ok('deploy_container', {
      image: BUSYBOX,
      name,
      init: true,
      command: ['sleep', '600'],
      labels: { [TEST_LABEL]: run },
    });
    return name;
  }

  it('a client that accepts the form confirms a removal without confirm: true', async () => {
    const name = await deployVictim();
    const asked: string[] = [];
    const c = await startClient({ elicit: (m) => (asked.push(m), { action: 'accept', content: { confirm: true } }) });
    try {
      const r = await c.ok<{ done: boolean }>('remove_container', { id: name, force: true });
      expect(r.done).toBe(true);
      expect(asked[0]).toMatch(new RegExp(`Remove container "${name}"`));
      await expect(docker.getContainer(name).inspect()).rejects.toMatchObject({ statusCode: 404 });
    } finally {
      await c.close();
    }
  });

  it('a declined form changes nothing and says what would have happened', async () => {
    const name = await deployVictim();
    const c = await startClient({ elicit: () => ({ action: 'decline' }) });
    try {
      const r = await c.ok<{ done: boolean; message: string }>('remove_container', { id: name, force: true });
      expect(r.done).toBe(false);
      expect(r.message).toMatch(/Would: Remove container/);
      expect((await docker.getContainer(name).inspect()).State.Running).toBe(true);
    } finally {
      await c.close();
    }
  });
});

describe('DOCKER_HOST', () => {
  it('tcp:// reaches the Engine (through a loopback TCP relay to the socket made by the test)', async () => {
    const relay = createNetServer((client) => {
      const upstream = connect('/var/run/docker.sock');
      client.pipe(upstream).pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', () => r()));
    const port = (relay.address() as { port: number }).port;
    const viaTcp = await startClient({ env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` } });
    try {
      const info = await viaTcp.ok<{ engine: { version: string } }>('get_system_info', {});
      expect(info.engine.version).toBeTruthy();
    } finally {
      await viaTcp.close();
      relay.close();
    }
  });

  it('a malformed DOCKER_HOST is a clear start-up error', async () => {
    const bad = await exec(process.execPath, [CLI, 'call', 'get_system_info'], {
      env: { PATH: process.env.PATH ?? '', DOCKER_HOST: 'ftp://nowhere', DOM_HISTORY_PATH: ':memory:' },
    }).catch((e: { code: number; stdout: string; stderr: string }) => e);
    expect(`${(bad as { stdout: string }).stdout}${(bad as { stderr: string }).stderr}`).toMatch(
      /DOCKER_HOST scheme "ftp:" is not supported/,
    );
  });
});

describe('CLI', () => {
  it('`tools` lists the tools and `call` runs one with the same validation', async () => {
    const list = await exec(process.execPath, [CLI, 'tools']);
    for (const n of SEED_TOOLS) expect(list.stdout).toContain(n);
    const info = await exec(process.execPath, [CLI, 'call', 'get_system_info'], {
      env: { ...process.env, DOM_LOG_LEVEL: 'warn' },
    });
    expect(JSON.parse(info.stdout).engine.version).toBeTruthy();
    const bad = await exec(process.execPath, [CLI, 'call', 'deploy_container', '{"image":""}']).catch(
      (e: { code: number; stdout: string }) => e,
    );
    expect(bad).toMatchObject({ code: 1 });
    expect(JSON.parse((bad as { stdout: string }).stdout).error.kind).toBe('invalid_input');
  });
});

describe('context economy', () => {
  it('a listing of 50 containers stays under 8 KB of text', async () => {
    const label = `${TEST_LABEL}=${run}`;
    const names = Array.from({ length: 50 }, (_, i) => `${run}-bulk-${String(i).padStart(2, '0')}`);
    // Created directly for speed; the listing under test is the tool's.
    await eachLimited(names, 4, async (name) => {
      const c = await docker.createContainer({
        name,
        Image: BUSYBOX,
        Cmd: ['sleep', '600'],
        Labels: { [TEST_LABEL]: run, 'io.docker-orchestration-mcp.managed': 'true' },
        HostConfig: { Init: true },
      });
      await c.start();
    });
    const r = await mcp.call('list_containers', { filters: { label: [label] }, limit: 50 });
    const sc = r.structuredContent as { containers: unknown[]; total: number };
    expect(sc.containers.length).toBe(50);
    const text = r.content[0]?.text ?? '';
    expect(Buffer.byteLength(text)).toBeLessThan(8 * 1024);
    // Text-only clients (n8n) get every field: one human line, then the structured result.
    expect(JSON.parse(text.slice(text.indexOf('\n') + 1))).toEqual(sc);
    expect(Buffer.byteLength(JSON.stringify(sc))).toBeLessThan(12 * 1024);

    const first = await mcp.ok<{ containers: { name: string }[]; nextCursor?: string }>('list_containers', {
      filters: { label: [label] },
      limit: 20,
    });
    expect(first.containers).toHaveLength(20);
    const second = await mcp.ok<{ containers: { name: string }[]; nextCursor?: string }>('list_containers', {
      filters: { label: [label] },
      limit: 40,
      cursor: first.nextCursor,
    });
    expect((second.containers[0]?.name ?? '') > (first.containers.at(-1)?.name ?? '')).toBe(true);
    expect(first.containers.length + second.containers.length).toBeGreaterThanOrEqual(50);
  });
});
