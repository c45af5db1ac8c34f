import { DatabaseSync } from 'node:sqlite';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, TEST_LABEL } from '../integration/engine.js';
import { startClient, uniqueName, type CallResult, type TestClient } from '../integration/mcpClient.js';
import { TOKEN } from './helpers.js';

const run = uniqueName('secrets');
const dir = mkdtempSync(join(tmpdir(), 'dom-secrets-'));
const dbPath = join(dir, 'history.db');
const REGISTRY_PASSWORD = 'registry-pass-0123';

const GHP = `ghp_${'A1b2C3d4E5'.repeat(3)}abcdef`;
const STRIPE = 'sk_live_51Hx9aBcDeFgHiJkLmNo';
const SLACK = 'xoxb-123456789012-abcdefghijkl';
const AWS = 'AKIAIOSFODNN7SECRETX';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJzZWNyZXQtdXNlciJ9.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ';

/** Each secret, by the part that must never be shown. */
const NEEDLES = [
  'redispass-1',
  'mysqlpwd-2',
  'connpass-3',
  'jdbcpass-4',
  'labelpass-5',
  'labelkey-6',
  'cmdpass-7',
  GHP.slice(4),
  STRIPE.slice(8),
  SLACK.slice(5),
  AWS.slice(4),
  JWT,
  'pemsecretbody',
  'bearertoken-123456',
  TOKEN,
  REGISTRY_PASSWORD,
];

const ENV = {
  REDIS_URL: 'redis://:redispass-1@cache:6379/0',
  MYSQL_PWD: 'mysqlpwd-2',
  CONN: 'Server=db;User Id=sa;Password=connpass-3;',
  JDBC: 'jdbc:postgresql://db/app?user=app&password=jdbcpass-4&ssl=true',
  GITHUB_PAT: GHP,
  STRIPE_SK: STRIPE,
  SLACK_HOOK: SLACK,
  AWS_ID: AWS,
  SESSION: JWT,
  TLS_PEM: '-----BEGIN PRIVATE KEY-----\npemsecretbody\n-----END PRIVATE KEY-----',
  AUTH_HEADER: 'Bearer bearertoken-123456',
  // The server's own secrets, should a user paste them into a container.
  OWN: `${TOKEN} ${REGISTRY_PASSWORD}`,
  // Must stay visible: a pointer to a secret and a plain value.
  PASSWORD_FILE: '/run/secrets/db',
  PLAIN: 'visible-value',
};

let mcp: TestClient;
let name: string;

function shown(r: CallResult | string): string {
  return typeof r === 'string' ? r : JSON.stringify(r);
}

function expectMasked(r: CallResult | string, where: string): void {
  const text = shown(r);
  for (const n of NEEDLES) expect(text, `${where} shows ${n}`).not.toContain(n);
}

beforeAll(async () => {
  mcp = await startClient({
    env: {
      DOM_HISTORY_PATH: dbPath,
      DOM_LOG_LEVEL: 'debug',
      DOM_HTTP_TOKEN: TOKEN,
      DOM_REGISTRY_AUTH: JSON.stringify({ '127.0.0.1:5999': { username: 'u', password: REGISTRY_PASSWORD } }),
    },
  });
  name = uniqueName('leaky');
  const deployed = await mcp.call('deploy_container', {
    image: BUSYBOX,
    name,
    init: true,
    stop_timeout: 1,
    env: ENV,
    labels: { [TEST_LABEL]: run, 'app.db.password': 'labelpass-5', 'vendor.api-key': 'labelkey-6', tier: 'web' },
    command: ['sh', '-c', 'env; echo "redis-cli --pass cmdpass-7"; echo "login $GITHUB_PAT"; sleep 600'],
  });
  expect(deployed.isError, shown(deployed)).toBeFalsy();
  expectMasked(deployed, 'deploy_container');
  // Wait until the container has printed its environment.
  for (let i = 0; i < 50; i++) {
    const logs = await mcp.call('get_container_logs', { id: name });
    if (shown(logs).includes('visible-value')) break;
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
  rmSync(dir, { recursive: true, force: true });
});

describe('secrets are masked by name and by value', () => {
  it('get_container_info: env, labels and command', async () => {
    const r = await mcp.call('get_container_info', { id: name });
    expect(r.isError).toBeFalsy();
    expectMasked(r, 'get_container_info');
    const text = shown(r);
    expect(text).toContain('visible-value');
    expect(text).toContain('/run/secrets/db');
    expect(text).toContain('tier');
  });

  it('list_containers', async () => {
    const r = await mcp.call('list_containers', { all: true, filters: { label: [`${TEST_LABEL}=${run}`] } });
    expect(r.isError).toBeFalsy();
    expect(shown(r)).toContain(name);
    expectMasked(r, 'list_containers');
  });

  it('get_container_logs of a container that prints its environment', async () => {
    const r = await mcp.call('get_container_logs', { id: name });
    expect(r.isError).toBeFalsy();
    expect(shown(r)).toContain('visible-value');
    expect(shown(r)).toContain('PASSWORD_FILE=/run/secrets/db');
    expectMasked(r, 'get_container_logs');
  });

  it('exec_in_container output', async () => {
    const r = await mcp.call('exec_in_container', { id: name, command: ['env'], confirm: true });
    expect(r.isError).toBeFalsy();
    expect(shown(r)).toContain('visible-value');
    expectMasked(r, 'exec_in_container');
  });

  it('the container-logs resource', async () => {
    const res = await mcp.client.readResource({ uri: `docker://containers/${name}/logs` });
    const text = (res.contents[0] as { text: string }).text;
    expect(text).toContain('visible-value');
    expectMasked(text, 'the logs resource');
  });

  it('error messages', async () => {
    const r = await mcp.call('get_container_info', { id: 'redis://:redispass-1@cache' });
    expect(r.isError).toBe(true);
    expectMasked(r, 'an error');
  });

  it("the server's own logs", async () => {
    await mcp.call('get_deployment_history', {});
    expect(mcp.stderr().length).toBeGreaterThan(0);
    expectMasked(mcp.stderr(), 'stderr logs');
  });

  it('the history database stores them masked (read from the SQLite file)', async () => {
    await mcp.call('remove_container', { id: name, force: true, confirm: true });
    const db = new DatabaseSync(dbPath, { readOnly: true });
    try {
      const rows = db.prepare('SELECT * FROM deployments').all();
      const steps = db.prepare('SELECT * FROM steps').all();
      const stored = JSON.stringify({ rows, steps });
      expect(stored).toContain(name);
      expect(stored).toContain('visible-value');
      expectMasked(stored, 'the history database');
    } finally {
      db.close();
    }
  });
});
