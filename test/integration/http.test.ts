import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1HttpTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, TEST_LABEL } from './engine.js';
import { CLI, freePort, uniqueName } from './mcpClient.js';

const TOKEN = 'test-token-0123456789abcdef';
let child: ChildProcess;
let port: number;
let base: string;

/** A raw HTTP request, so headers like Host can be forged. */
function raw(path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});
const JSON_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

beforeAll(async () => {
  port = await freePort();
  base = `http://127.0.0.1:${port}/mcp`;
  child = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', String(port)], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/root',
      DOM_HTTP_TOKEN: TOKEN,
      DOM_LOG_LEVEL: 'warn',
      DOM_HISTORY_PATH: ':memory:',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (let i = 0; i < 100; i++) {
    if ((await raw('/healthz', {}).catch(() => 0)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('HTTP server did not start');
});

afterAll(() => {
  if (child?.pid) child.kill('SIGTERM');
});

describe('Streamable HTTP transport', () => {
  it('/healthz answers without auth', async () => {
    expect(await raw('/healthz', {})).toBe(200);
  });

  it('no token -> 401, wrong token -> 401', async () => {
    expect(await raw('/mcp', JSON_HEADERS, INIT)).toBe(401);
    expect(await raw('/mcp', { ...JSON_HEADERS, authorization: 'Bearer wrong-token-wrong-token' }, INIT)).toBe(401);
    expect(await raw('/mcp', { ...JSON_HEADERS, authorization: `Basic ${TOKEN}` }, INIT)).toBe(401);
  });

  it('forged Host -> 403, forged Origin -> 403 (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${TOKEN}` };
    expect(await raw('/mcp', { ...JSON_HEADERS, ...auth, host: `evil.example:${port}` }, INIT)).toBe(403);
    expect(await raw('/mcp', { ...JSON_HEADERS, ...auth, origin: 'http://evil.example' }, INIT)).toBe(403);
    expect(await raw('/mcp', { ...JSON_HEADERS, ...auth, origin: `http://localhost:${port}` }, INIT)).toBe(200);
  });

  it('a body over the limit -> 413', async () => {
    const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(5 * 1024 * 1024) } });
    expect(await raw('/mcp', { ...JSON_HEADERS, authorization: `Bearer ${TOKEN}` }, big)).toBe(413);
  });

  it('good token works from the SDK v2 client', async () => {
    const client = new Client({ name: 'http-v2', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(base), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('list_containers');
      const r = await client.callTool({ name: 'get_system_info', arguments: {} });
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { engine: { version: string } }).engine.version).toBeTruthy();
    } finally {
      await client.close();
    }
  });

  it('good token works from a 2025-era client (SDK 1.x)', async () => {
    const client = new V1Client({ name: 'http-v1', version: '1.0.0' });
    await client.connect(
      new V1HttpTransport(new URL(base), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }),
    );
    try {
      const r = await client.callTool({ name: 'list_containers', arguments: { limit: 1 } });
      expect(r.isError).toBeFalsy();
      expect(r.structuredContent).toHaveProperty('containers');
    } finally {
      await client.close();
    }
  });

  it('good token works from the MCP Inspector CLI; no token fails there too', async () => {
    const inspector = new URL('../../node_modules/.bin/mcp-inspector', import.meta.url).pathname;
    const run = promisify(execFile);
    const args = ['--cli', base, '--transport', 'http'];
    const ok = await run(
      inspector,
      [
        ...args,
        '--header',
        `Authorization: Bearer ${TOKEN}`,
        '--method',
        'tools/call',
        '--tool-name',
        'get_system_info',
      ],
      {
        timeout: 60_000,
      },
    );
    expect(JSON.parse(ok.stdout).structuredContent.engine.version).toBeTruthy();
    // Inspector 2 answers a 401 by starting OAuth; --stored-auth-only makes it report the refusal instead.
    const denied = await run(inspector, [...args, '--stored-auth-only', '--method', 'tools/list'], {
      timeout: 60_000,
    }).catch((e: { stdout: string; stderr: string }) => e);
    expect(`${(denied as { stdout: string }).stdout}${(denied as { stderr: string }).stderr}`).toMatch(/Unauthorized/);
  });

  it('SIGTERM lets an in-flight call finish, then exits', async () => {
    const p2 = await freePort();
    const run = uniqueName('graceful');
    const srv = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', String(p2)], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/root',
        DOM_HTTP_TOKEN: TOKEN,
        DOM_LOG_LEVEL: 'warn',
        DOM_HISTORY_PATH: ':memory:',
        DOM_INSTANCE: 'dom-test',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => srv.on('exit', resolve));
    const client = new Client({ name: 'graceful', version: '1.0.0' });
    try {
      for (let i = 0; i < 100; i++) {
        const up = await fetch(`http://127.0.0.1:${p2}/healthz`)
          .then((r) => r.ok)
          .catch(() => false);
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await client.connect(
        new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${p2}/mcp`), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      const slow = client.callTool(
        {
          name: 'deploy_container',
          arguments: {
            image: BUSYBOX,
            name: run,
            labels: { [TEST_LABEL]: run },
            init: true,
            command: 'sh -c "sleep 2; touch /tmp/ready; sleep 600"',
            healthcheck: { test: ['CMD', 'ls', '/tmp/ready'], interval: '300ms', retries: 30 },
            wait: 'healthy',
          },
        },
        { timeout: 60_000 },
      );
      await new Promise((r) => setTimeout(r, 800));
      srv.kill('SIGTERM');
      const r = await slow;
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { health: string }).health).toBe('healthy');
      const answered = Date.now();
      expect(await exited).toBe(0);
      // Idle keep-alive sockets do not hold the shutdown up.
      expect(Date.now() - answered).toBeLessThan(2000);
    } finally {
      srv.kill('SIGKILL');
      await cleanupByLabel(run);
    }
  });

  it('refuses to start without a token', async () => {
    const p = spawn(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', '0'], {
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    p.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => p.on('exit', resolve));
    expect(code).toBe(2);
    expect(err).toMatch(/DOM_HTTP_TOKEN/);
  });
});
