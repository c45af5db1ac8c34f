import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { spawn } from 'node:child_process';
import { z } from 'zod';
const TOKEN = 'probe-token-0123456789abcdef';
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--transport', 'http', '--port', String(port)], { env: { PATH: process.env.PATH, DOM_HTTP_TOKEN: TOKEN, DOM_HISTORY_PATH: '/tmp/tasks-probe.db', DOM_LOG_LEVEL: 'info', DOM_INSTANCE: 'dom-test' }, stdio: ['ignore', 'inherit', 'inherit'] });
await new Promise((r) => setTimeout(r, 1500));
const c = new Client({ name: 'probe', version: '1' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { extensions: { 'io.modelcontextprotocol/tasks': {} } } });
await c.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`), { requestInit: { headers: { authorization: `Bearer ${TOKEN}` } } }));
try {
  const r = await c.request({ method: 'tools/call', params: { name: 'pull_image', arguments: { image: 'dom-test/busybox:1' } } }, z.looseObject({}));
  console.log('call ->', JSON.stringify(r));
  for (let i = 0; i < 5; i++) {
    const g = await c.request({ method: 'tasks/get', params: { taskId: r.taskId } }, z.looseObject({}));
    console.log('get ->', JSON.stringify(g).slice(0, 500));
    if (g.status !== 'working') break;
    await new Promise((r) => setTimeout(r, 500));
  }
} catch (e) { console.log('ERR', e); }
await c.close();
child.kill('SIGTERM');
