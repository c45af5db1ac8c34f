import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../integration/mcpClient.js';
import { startHttpServer, TOKEN, type HttpServer } from './helpers.js';

/** Raw requests of a 2025-era session (2025-03-26 still has JSON-RPC batches); the session id is added once known. */
const HEADERS: Record<string, string> = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  authorization: `Bearer ${TOKEN}`,
};

let srv: HttpServer;

beforeAll(async () => {
  srv = await startHttpServer([
    '--max-body',
    '65536',
    '--max-concurrent',
    '2',
    '--headers-timeout',
    '1000',
    '--body-timeout',
    '1000',
    '--request-timeout',
    '2000',
  ]);
  const init = await fetch(srv.url, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  });
  await init.text();
  const session = init.headers.get('mcp-session-id');
  if (!session) throw new Error(`no session: ${init.status}`);
  HEADERS['mcp-session-id'] = session;
  HEADERS['mcp-protocol-version'] = '2025-03-26';
  await (
    await fetch(srv.url, {
      method: 'POST',
      headers: HEADERS,
      body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
    })
  ).text();
});

afterAll(async () => {
  await srv?.stop();
});

interface Answer {
  status: number;
  body: string;
}

function post(body: string, headers: Record<string, string> = HEADERS): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: srv.port, path: '/mcp', method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const call = (id: number) => ({
  jsonrpc: '2.0',
  id,
  method: 'tools/call',
  params: { name: 'list_containers', arguments: { limit: 1 } },
});

async function serverAnswers(): Promise<boolean> {
  const r = await post(JSON.stringify(call(99)));
  return r.status === 200 && r.body.includes('"containers"');
}

describe('HTTP body limit', () => {
  it('a chunked body over --max-body gets 413 while it is still being sent, and the server keeps answering', async () => {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    // A raw socket: Node's HTTP client drops an answer that arrives while it is still writing.
    const result = await new Promise<{ status: number; sent: number }>((resolve) => {
      let sent = 0;
      let answer = '';
      const socket = connect(srv.port, '127.0.0.1');
      const done = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0), sent });
      };
      const timer = setTimeout(done, 20_000);
      socket.on('data', (d: Buffer) => {
        answer += d.toString();
        if (answer.includes('\r\n\r\n')) done();
      });
      socket.on('error', () => setTimeout(done, 500));
      const headers = Object.entries({ ...HEADERS, host: `127.0.0.1:${srv.port}`, 'transfer-encoding': 'chunked' })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      const writeChunk = (b: Buffer | string) =>
        socket.write(`${Buffer.byteLength(b).toString(16)}\r\n${b.toString()}\r\n`);
      socket.write(`POST /mcp HTTP/1.1\r\n${headers}\r\n`);
      writeChunk('{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"');
      // Up to 8 MiB, paced; a server that read it all would answer only at the end.
      const pump = () => {
        if (answer || socket.destroyed) return;
        if (sent >= 8 * 1024 * 1024) {
          writeChunk('"}}');
          socket.write('0\r\n\r\n');
          return;
        }
        sent += chunk.length;
        writeChunk(chunk);
        setTimeout(pump, 1);
      };
      pump();
    });
    expect(result.status).toBe(413);
    // Well before the SDK's own 4 MiB bound: the configured limit applies to what arrives.
    expect(result.sent).toBeLessThan(1024 * 1024);
    expect(await serverAnswers()).toBe(true);
  });

  it('a body declared over the limit is refused before it is read', async () => {
    const r = await post(
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(70_000) } }),
    );
    expect(r.status).toBe(413);
    expect(r.body).toMatch(/larger than 65536 bytes/);
  });

  it('a body that is not JSON gets a JSON-RPC parse error', async () => {
    const r = await post('{"jsonrpc": "2.0", "id": 1, "method": ');
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/-32700/);
  });
});

describe('HTTP concurrency limit', () => {
  it('a batch counts each message: 10 calls under --max-concurrent 2 are refused, 2 are served', async () => {
    const big = await post(JSON.stringify(Array.from({ length: 10 }, (_, i) => call(i + 1))));
    expect(big.status).toBe(413);
    expect(big.body).toMatch(/batch of 10 messages is more than this server runs at once \(2\)/);
    expect(big.body).not.toMatch(/"containers"/);
    const small = await post(JSON.stringify([call(1), call(2)]));
    expect(small.status).toBe(200);
    expect(small.body.match(/"containers"/g)?.length).toBe(2);
  });
});

describe('HTTP deadlines', () => {
  /** Opens a socket, sends `text` and never finishes the request; resolves with how long until the server closed it. */
  function stall(text: string): { closed: Promise<number>; destroy: () => void } {
    const started = Date.now();
    const socket = connect(srv.port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(text);
    socket.resume();
    return {
      closed: new Promise((resolve) => socket.on('close', () => resolve(Date.now() - started))),
      destroy: () => socket.destroy(),
    };
  }

  const head = (length: number) =>
    `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Length: ${length}\r\n\r\n`;

  it('two clients that never finish their bodies hold the slots only until the body deadline', async () => {
    const loris = [stall(`${head(1000)}{"jsonrpc":`), stall(`${head(1000)}{"jsonrpc":`)];
    try {
      await new Promise((r) => setTimeout(r, 200));
      // Both slots are taken by the stalled bodies right now.
      expect((await post(JSON.stringify(call(5)))).status).toBe(503);
      const started = Date.now();
      let ok = false;
      while (!ok && Date.now() - started < 5000) {
        ok = await serverAnswers();
        if (!ok) await new Promise((r) => setTimeout(r, 100));
      }
      expect(ok).toBe(true);
      expect(Date.now() - started).toBeLessThan(3000);
      for (const l of loris) expect(await l.closed).toBeLessThan(4000);
    } finally {
      for (const l of loris) l.destroy();
    }
  });

  it('a client that never finishes its headers is cut off after the headers deadline', async () => {
    const l = stall(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nAuthorization: Bearer ${TOKEN}\r\n`);
    try {
      expect(await l.closed).toBeLessThan(3500);
      expect(await serverAnswers()).toBe(true);
    } finally {
      l.destroy();
    }
  });
});

describe('numeric settings are checked at start-up', () => {
  const exec = promisify(execFile);
  const start = (args: string[], env: Record<string, string> = {}) =>
    exec(process.execPath, [CLI, 'serve', '--transport', 'http', '--port', '0', ...args], {
      env: { PATH: process.env.PATH ?? '', DOM_HTTP_TOKEN: TOKEN, DOM_HISTORY_PATH: ':memory:', ...env },
      timeout: 20_000,
    }).catch((e: { code: number; stderr: string }) => e);

  it.each([
    [['--max-body', 'abc'], {}, /--max-body .*must be a whole number from 1 to \d+, not "abc"/],
    [['--max-body', '1e3'], {}, /--max-body .*not "1e3"/],
    [['--max-concurrent', '0'], {}, /--max-concurrent .*not "0"/],
    [['--port', '99999'], {}, /--port .*from 0 to 65535, not "99999"/],
    [['--headers-timeout', '-5'], {}, /--headers-timeout .*not "-5"/],
    [['--body-timeout', '1.5'], {}, /--body-timeout .*not "1.5"/],
    [['--request-timeout', 'soon'], {}, /--request-timeout .*not "soon"/],
    [
      ['--headers-timeout', '5000', '--request-timeout', '1000'],
      {},
      /--headers-timeout \(5000 ms\) must not be longer than --request-timeout/,
    ],
    [['--engine-timeout', '0x100'], {}, /--engine-timeout .*not "0x100"/],
    [[], { DOM_SELF_HEAL_MAX_RESTARTS: '2.5' }, /DOM_SELF_HEAL_MAX_RESTARTS must be a whole number >= 1, not "2.5"/],
    [[], { DOM_SELF_HEAL_WINDOW_MS: 'NaN' }, /DOM_SELF_HEAL_WINDOW_MS .*not "NaN"/],
  ] as const)('%j %j exits 2 naming the setting', async (args, env, message) => {
    const r = await start([...args], env);
    expect(r).toMatchObject({ code: 2 });
    expect((r as { stderr: string }).stderr).toMatch(message);
  });
});
