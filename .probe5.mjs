import { spawn } from 'node:child_process';
const TOKEN = 'probe-token-0123456789abcdef';
const port = 18000 + Math.floor(Math.random() * 1000);
const child = spawn(process.execPath, ['dist/cli.js', 'serve', '--transport', 'http', '--port', String(port)], { env: { PATH: process.env.PATH, DOM_HTTP_TOKEN: TOKEN, DOM_HISTORY_PATH: ':memory:', DOM_LOG_LEVEL: 'warn', DOM_INSTANCE: 'dom-test' }, stdio: ['ignore', 'inherit', 'inherit'] });
await new Promise((r) => setTimeout(r, 1500));
const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': { extensions: { 'io.modelcontextprotocol/tasks': {} } } };
async function rpc(id, method, params) {
  const res = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': method }, body: JSON.stringify({ jsonrpc: '2.0', id, method, params: { ...params, _meta: meta } }) });
  return [res.status, res.headers.get('content-type'), (await res.text()).slice(0, 600)];
}
console.log(await rpc(1, 'tools/call', { name: 'pull_image', arguments: { image: 'dom-test/busybox:1' } }));
child.kill('SIGTERM');
