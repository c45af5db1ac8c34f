import { Experimental_StdioMCPTransport } from '@ai-sdk/mcp/mcp-stdio';
import { createMCPClient } from '@ai-sdk/mcp';
import { jsonSchemaToGeminiParameters } from '@langchain/google-common/utils';
import { loadMcpTools } from '@langchain/mcp-adapters';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport as V1StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { mcpToFunctionTool, type MCPServer } from '@openai/agents-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { CLI, freePort, TEST_INSTANCE, uniqueName } from './mcpClient.js';

/**
 * Third-party clients and the converters model providers put between a tool catalogue and a
 * model: every tool lists, converts (OpenAI strict mode, Gemini, LangChain) and is callable
 * with its documented argument forms, over stdio, through each client's own code.
 */

const run = uniqueName('clients');

function serverEnv(): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/root',
    DOM_LOG_LEVEL: 'warn',
    DOM_INSTANCE: TEST_INSTANCE,
    DOM_TOOLSETS: 'all',
    DOM_HISTORY_PATH: join(mkdtempSync(join(tmpdir(), 'dom-test-history-')), 'history.db'),
  };
}

/** deploy_container arguments in the published forms only (arrays of strings everywhere). */
async function deployArgs(name: string) {
  return {
    image: BUSYBOX,
    name,
    command: ['httpd', '-f', '-p', '80', '-h', '/data'],
    env: ['MODE=test', 'GREETING=a=b'],
    labels: [`${TEST_LABEL}=${run}`],
    ports: [`127.0.0.1:${await freePort()}:80`, '81'],
    volumes: [`${name}-vol:/data`],
    init: true,
    stop_timeout: 1,
  };
}

const v1 = new V1Client({ name: 'dom-clients-v1', version: '1.0.0' });
let tools: { name: string; description?: string; inputSchema: Record<string, unknown> }[] = [];

beforeAll(async () => {
  await v1.connect(
    new V1StdioClientTransport({ command: process.execPath, args: [CLI, 'serve'], env: serverEnv(), stderr: 'ignore' }),
  );
  tools = (await v1.listTools()).tools as typeof tools;
}, 60_000);

afterAll(async () => {
  await v1.close();
  await cleanupByLabel(run);
  const { Volumes } = await docker.listVolumes();
  await Promise.all(
    (Volumes ?? [])
      .filter((v) => v.Name.startsWith(run))
      .map((v) =>
        docker
          .getVolume(v.Name)
          .remove()
          .catch(() => undefined),
      ),
  );
});

describe('provider schema converters', () => {
  it('OpenAI strict mode (Agents SDK) converts every tool strictly, without falling back', () => {
    expect(tools.length).toBe(39);
    const server = { name: 'dom', cacheToolsList: false } as unknown as MCPServer;
    for (const t of tools) {
      const converted = mcpToFunctionTool(t as never, server, true) as { strict: boolean };
      expect(converted.strict, t.name).toBe(true);
    }
  });

  it('Gemini (LangChain google-common) converts every tool', () => {
    for (const t of tools) expect(() => jsonSchemaToGeminiParameters(t.inputSchema as never), t.name).not.toThrow();
  });
});

describe('LangChain MCP adapters', () => {
  it('load every tool and pass documented arguments through their client-side validation', async () => {
    const lc = await loadMcpTools('dom', v1 as never, { throwOnLoadError: true });
    expect(lc.map((t) => t.name).sort()).toEqual(tools.map((t) => t.name).sort());
    const byName = new Map(lc.map((t) => [t.name, t]));
    const name = `${run}-lc`;
    const text = (r: unknown) => (typeof r === 'string' ? r : JSON.stringify(r));
    const deployed = text(await byName.get('deploy_container')!.invoke(await deployArgs(name)));
    expect(deployed).toMatch(/"state":"running"/);
    const info = text(await byName.get('get_container_info')!.invoke({ id: name, stats: false }));
    expect(info).toMatch(/MODE/);
    const exec = text(
      await byName
        .get('exec_in_container')!
        .invoke({ id: name, command: ['sh', '-c', 'echo $MODE'], env: ['X=1'], confirm: true }),
    );
    expect(exec).toMatch(/test/);
    const removed = text(await byName.get('remove_container')!.invoke({ id: name, force: true, confirm: true }));
    expect(removed).toMatch(/"done":true/);
  }, 120_000);
});

describe('Vercel AI SDK MCP client', () => {
  it('lists every tool and calls them with the published argument forms', async () => {
    const client = await createMCPClient({
      transport: new Experimental_StdioMCPTransport({
        command: process.execPath,
        args: [CLI, 'serve'],
        env: serverEnv(),
      }),
    });
    try {
      const aiTools = await client.tools();
      expect(Object.keys(aiTools).sort()).toEqual(tools.map((t) => t.name).sort());
      const call = async (tool: string, args: Record<string, unknown>) => {
        const r = (await aiTools[tool]!.execute!(args, { toolCallId: tool, messages: [], context: {} } as never)) as {
          isError?: boolean;
          content: { text: string }[];
          structuredContent?: Record<string, unknown>;
        };
        expect(r.isError ?? false, `${tool}: ${r.content[0]?.text}`).toBe(false);
        return r;
      };
      const listed = await call('list_containers', { all: true, filters: { label: [`${TEST_LABEL}=${run}`] } });
      // The text block carries every field of the structured result.
      const text = listed.content[0]!.text;
      expect(JSON.parse(text.slice(text.indexOf('\n') + 1))).toEqual(listed.structuredContent);
      const name = `${run}-ai`;
      const deployed = await call('deploy_container', await deployArgs(name));
      expect(deployed.structuredContent).toMatchObject({ name, state: 'running' });
      const info = await call('get_container_info', { id: name, stats: false });
      const infoText = info.content[0]!.text;
      expect(JSON.parse(infoText.slice(infoText.indexOf('\n') + 1))).toEqual(info.structuredContent);
      await call('remove_container', { id: name, force: true, confirm: true });
    } finally {
      await client.close();
    }
  }, 120_000);
});

describe('mcp-use', () => {
  it('lists every tool and calls them with the published argument forms', async () => {
    // mcp-use 1.x loads LangChain when imported: loaded only by this test.
    const { MCPClient } = await import('mcp-use');
    const client = MCPClient.fromDict({
      mcpServers: { dom: { command: process.execPath, args: [CLI, 'serve'], env: serverEnv() } },
    });
    try {
      const session = await client.createSession('dom');
      expect(session.connector.tools.map((t) => t.name).sort()).toEqual(tools.map((t) => t.name).sort());
      const call = async (tool: string, args: Record<string, unknown>) => {
        const r = (await session.callTool(tool, args)) as {
          isError?: boolean;
          content: { text: string }[];
          structuredContent?: Record<string, unknown>;
        };
        expect(r.isError ?? false, `${tool}: ${r.content[0]?.text}`).toBe(false);
        return r;
      };
      await call('list_containers', {});
      const name = `${run}-use`;
      expect((await call('deploy_container', await deployArgs(name))).structuredContent).toMatchObject({
        name,
        state: 'running',
      });
      expect((await call('get_container_info', { id: name, stats: false })).structuredContent).toMatchObject({ name });
      await call('remove_container', { id: name, force: true, confirm: true });
    } finally {
      await client.closeAllSessions();
    }
  }, 120_000);
});
