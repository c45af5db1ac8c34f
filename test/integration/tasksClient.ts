import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { createTaskSessionFromClient, type TaskEnabledSession } from '@modelcontextprotocol/ext-tasks/client';
import { randomUUID } from 'node:crypto';
import { TOKEN } from '../security/helpers.js';

/**
 * A Tasks-aware client over Streamable HTTP: the SDK v2 Client (2026-07-28, declaring the
 * io.modelcontextprotocol/tasks extension) wrapped by the official ext-tasks session. The SDK's
 * own codec refuses a `resultType: "task"` answer, so, as ext-tasks documents, the host gives it
 * a raw dispatch: here plain JSON-RPC POSTs to /mcp with the 2026 routing headers.
 */

const PROTOCOL = '2026-07-28';
const TASKS = 'io.modelcontextprotocol/tasks';
const clientInfo = { name: 'dom-tasks-test', version: '1.0.0' };
const clientCapabilities = { extensions: { [TASKS]: {} } };

export interface TasksClient {
  client: Client;
  session: TaskEnabledSession;
  close(): Promise<void>;
}

type Rpc = { id?: unknown; method?: string; params?: Record<string, unknown> };

/** The JSON-RPC answer to `id` in a JSON or SSE body. */
function answerIn(text: string, contentType: string, id: unknown): Record<string, unknown> | undefined {
  if (!contentType.includes('text/event-stream')) return JSON.parse(text) as Record<string, unknown>;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    const msg = JSON.parse(line.slice(5)) as Record<string, unknown>;
    if (msg.id === id && ('result' in msg || 'error' in msg)) return msg;
  }
  return undefined;
}

export function rawDispatchFor(url: string) {
  return async (request: unknown) => {
    const r = request as Rpc;
    const params = r.params ?? {};
    const name = r.method === 'tools/call' ? params.name : params.taskId;
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': PROTOCOL,
        'mcp-method': String(r.method),
        ...(typeof name === 'string' ? { 'mcp-name': name } : {}),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: r.id ?? randomUUID(), ...r }),
    });
    const msg = answerIn(await res.text(), res.headers.get('content-type') ?? '', r.id);
    if (!msg) throw new Error(`no answer to ${r.method} (HTTP ${res.status})`);
    if ('error' in msg) return { kind: 'error' as const, error: msg.error as { code: number; message: string } };
    return { kind: 'result' as const, result: msg.result as never };
  };
}

/** `elicit`: the client can ask its user, and answers every question (a task's input_required) so. */
export async function connectTasksClient(
  url: string,
  elicit?: (message: string) => { action: 'accept' | 'decline' | 'cancel'; content?: Record<string, boolean> },
): Promise<TasksClient> {
  const capabilities = elicit ? { ...clientCapabilities, elicitation: { form: {} } } : clientCapabilities;
  const client = new Client(clientInfo, {
    versionNegotiation: { mode: { pin: PROTOCOL } },
    capabilities: capabilities as never,
  });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }),
  );
  const session = createTaskSessionFromClient(client, {
    endpointId: url,
    rawDispatch: rawDispatchFor(url) as never,
    v2RequestFraming: { protocolVersion: PROTOCOL, clientInfo, clientCapabilities: capabilities },
    ...(elicit
      ? {
          onInputRequest: async (request: { kind: string; params?: unknown }) => {
            if (request.kind !== 'elicitation') throw new Error(`unexpected input request ${request.kind}`);
            return elicit((request.params as { message: string }).message) as never;
          },
        }
      : {}),
  });
  return {
    client,
    session,
    close: async () => {
      await session.close().catch(() => undefined);
      await client.close();
    },
  };
}
