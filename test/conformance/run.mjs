// Runs the MCP conformance suite (server mode) against our Streamable HTTP transport.
// The suite cannot send a bearer token, so a loopback proxy adds it; nothing else changes.
// Usage: node test/conformance/run.mjs [--out DIR]   (needs `npm run build` first)
import { spawn } from 'node:child_process';
import { createServer, request } from 'node:http';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const token = randomBytes(24).toString('hex');
const outDir = process.argv.includes('--out')
  ? process.argv[process.argv.indexOf('--out') + 1]
  : `${root}/test/conformance/results`;

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

const probe = createServer();
const serverPort = await listen(probe);
await new Promise((r) => probe.close(r));

const mcp = spawn(
  process.execPath,
  [`${root}/dist/cli.js`, 'serve', '--transport', 'http', '--port', String(serverPort)],
  {
    env: { ...process.env, DOM_HTTP_TOKEN: token, DOM_LOG_LEVEL: 'warn', DOM_HISTORY_PATH: ':memory:' },
    stdio: ['ignore', 'inherit', 'inherit'],
  },
);

const proxy = createServer((req, res) => {
  const headers = { ...req.headers, authorization: `Bearer ${token}` };
  const up = request({ host: '127.0.0.1', port: serverPort, path: req.url, method: req.method, headers }, (r) => {
    res.writeHead(r.statusCode ?? 502, r.headers);
    r.pipe(res);
  });
  up.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(up);
});
const proxyPort = await listen(proxy);

for (let i = 0; i < 100; i++) {
  const ok = await fetch(`http://127.0.0.1:${serverPort}/healthz`)
    .then((r) => r.ok)
    .catch(() => false);
  if (ok) break;
  await new Promise((r) => setTimeout(r, 100));
}

mkdirSync(outDir, { recursive: true });
const baseline = `${root}/test/conformance/expected-failures.yml`;
const suite = spawn(
  'npx',
  [
    '--no-install',
    'conformance',
    'server',
    '--url',
    `http://localhost:${proxyPort}/mcp`,
    '-o',
    outDir,
    '--expected-failures',
    baseline,
  ],
  {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let out = '';
suite.stdout.on('data', (d) => {
  out += d;
  process.stdout.write(d);
});
const code = await new Promise((r) => suite.on('exit', r));
writeFileSync(`${outDir}/summary.txt`, out);
proxy.close();
mcp.kill('SIGTERM');
process.exit(code ?? 1);
