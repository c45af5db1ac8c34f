import { Client } from '@modelcontextprotocol/client';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { StdioClientTransport } from '@modelcontextprotocol/client/stdio';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport as V1HttpClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHttpServer, TOKEN, type HttpServer } from '../security/helpers.js';
import { CLI, TEST_INSTANCE } from './mcpClient.js';

/**
 * Both protocol eras on both transports: a current client (SDK v2 with version negotiation)
 * gets 2026-07-28 over stdio as over HTTP, a 2025-era client (SDK v1, or v2 without
 * negotiation) keeps its initialize handshake; each lists the tools and calls one.
 */

const stdioParams = {
  command: process.execPath,
  args: [CLI, 'serve'],
  env: {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    DOM_LOG_LEVEL: 'warn',
    DOM_INSTANCE: TEST_INSTANCE,
    DOM_HISTORY_PATH: ':memory:',
  },
  stderr: 'pipe' as const,
};
const auth = { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } };

let http: HttpServer;
beforeAll(async () => {
  http = await startHttpServer();
});
afterAll(async () => {
  await http?.stop();
});

type Where = 'stdio' | 'http';

async function v2(where: Where, negotiate: boolean): Promise<Client> {
  const client = new Client(
    { name: 'eras-v2', version: '1.0.0' },
    negotiate ? { versionNegotiation: { mode: 'auto' } } : undefined,
  );
  await client.connect(
    where === 'stdio'
      ? new StdioClientTransport(stdioParams)
      : new StreamableHTTPClientTransport(new URL(http.url), auth),
  );
  return client;
}

async function listAndCall(client: {
  listTools: () => Promise<{ tools: { name: string }[] }>;
  callTool: (p: { name: string; arguments: Record<string, unknown> }) => Promise<unknown>;
}) {
  const { tools } = await client.listTools();
  expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['deploy_application_stack', 'get_system_info']));
  const info = (await client.callTool({ name: 'get_system_info', arguments: {} })) as {
    isError?: boolean;
    structuredContent?: { engine?: { apiVersionInUse?: string } };
  };
  expect(info.isError).toBeFalsy();
  expect(info.structuredContent?.engine?.apiVersionInUse).toMatch(/^1\.\d+$/);
}

describe.each(['stdio', 'http'] as const)('protocol eras over %s', (where) => {
  it('a current client (SDK v2, negotiating) gets 2026-07-28 and the Tasks extension', async () => {
    const client = await v2(where, true);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      expect(client.getServerCapabilities()?.extensions?.['io.modelcontextprotocol/tasks']).toEqual({});
      await listAndCall(client as never);
    } finally {
      await client.close();
    }
  });

  it('a 2025-era client (SDK v2 without negotiation) keeps the initialize handshake', async () => {
    const client = await v2(where, false);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2025-11-25');
      await listAndCall(client as never);
    } finally {
      await client.close();
    }
  });

  it('an SDK v1 client initializes and calls tools', async () => {
    const client = new V1Client({ name: 'eras-v1', version: '1.0.0' });
    await client.connect(
      where === 'stdio' ? new V1StdioClientTransport(stdioParams) : new V1HttpClientTransport(new URL(http.url), auth),
    );
    try {
      expect(client.getServerVersion()?.name).toBe('docker-orchestration-mcp');
      await listAndCall(client as never);
    } finally {
      await client.close();
    }
  });
});

describe('server/discover over stdio', () => {
  it('is answered by the first instance, not after a timeout', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [CLI, 'serve'], { env: stdioParams.env, stdio: ['pipe', 'pipe', 'ignore'] });
    try {
      const answer = new Promise<Record<string, unknown>>((resolve) => {
        let buf = '';
        child.stdout.on('data', (d: Buffer) => {
          buf += d.toString();
          const nl = buf.indexOf('\n');
          if (nl >= 0) resolve(JSON.parse(buf.slice(0, nl)) as Record<string, unknown>);
        });
      });
      const meta = {
        'io.modelcontextprotocol/protocolVersion': '2026-07-28',
        'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
        'io.modelcontextprotocol/clientCapabilities': {},
      };
      child.stdin.write(
        `${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'server/discover', params: { _meta: meta } })}\n`,
      );
      const reply = (await answer) as { id: number; result?: { supportedVersions?: string[] } };
      expect(reply.id).toBe(1);
      expect(reply.result?.supportedVersions).toContain('2026-07-28');
    } finally {
      child.kill('SIGTERM');
    }
  });
});
