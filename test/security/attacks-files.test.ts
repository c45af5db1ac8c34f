import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, TEST_LABEL } from '../integration/engine.js';
import { startClient, uniqueName, type CallResult, type TestClient } from '../integration/mcpClient.js';

/**
 * Exfiltration of files inside the file roots that are not Compose files (a private key, a .env
 * full of secrets): whatever the model makes the server read must not come back in its answers.
 */

const run = uniqueName('attackfiles');
let mcp: TestClient;
let dir: string;
const KEY_LINE = 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW';
const PASSWORD = 'Tr0ub4dor-and-3-horses';
const API_KEY = 'sk-live-51HxQeLx9zQ2Pq8Rr7';

beforeAll(async () => {
  dir = mkdtempSync(`${tmpdir()}/dom-attack-files-`);
  writeFileSync(
    `${dir}/id_ed25519`,
    `-----BEGIN OPENSSH PRIVATE KEY-----\n${KEY_LINE}\n-----END OPENSSH PRIVATE KEY-----\n`,
  );
  writeFileSync(`${dir}/.env`, `DB_PASSWORD=${PASSWORD}\nSTRIPE_KEY=${API_KEY}\n`);
  mcp = await startClient({ env: { DOM_FILE_ROOTS: dir } });
}, 60_000);

afterAll(async () => {
  await cleanupByLabel(run);
  await mcp?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

function text(r: CallResult): string {
  return JSON.stringify(r);
}

function noSecrets(r: CallResult): void {
  const t = text(r);
  expect(t).not.toContain(KEY_LINE);
  expect(t).not.toContain(PASSWORD);
  expect(t).not.toContain(API_KEY);
  expect(t).not.toContain(Buffer.from(PASSWORD).toString('base64'));
}

describe('a private key read as a Compose file or env_file', () => {
  it('file: the key is refused without echoing its lines', async () => {
    noSecrets(await mcp.call('deploy_application_stack', { name: uniqueName('k1'), file: 'id_ed25519' }));
  });
  it('env_file: the key is refused without echoing its lines', async () => {
    const compose = `services:\n  a:\n    image: ${BUSYBOX}\n    env_file: [id_ed25519]\n    labels: {${TEST_LABEL}: ${run}}\n`;
    noSecrets(await mcp.call('deploy_application_stack', { name: uniqueName('k2'), compose }));
  });
});

describe('.env values interpolated into places that come back', () => {
  for (const [what, service] of [
    ['an image name (pull error)', 'image: "dom-test/nope-${DB_PASSWORD}:1"'],
    [
      'a label',
      `image: ${BUSYBOX}\n    command: ["sleep", "30"]\n    labels: {note: "\${DB_PASSWORD}", ${TEST_LABEL}: ${run}}`,
    ],
    [
      'a hostname',
      `image: ${BUSYBOX}\n    command: ["sleep", "30"]\n    hostname: "h\${DB_PASSWORD}"\n    labels: {${TEST_LABEL}: ${run}}`,
    ],
    [
      'a command echoed to the logs',
      `image: ${BUSYBOX}\n    command: ["sh", "-c", "echo \${STRIPE_KEY} | base64; echo \${DB_PASSWORD} | sed 's/./& /g'; sleep 30"]\n    labels: {${TEST_LABEL}: ${run}}`,
    ],
    ['a port spec (parse error)', `image: ${BUSYBOX}\n    ports: ["\${DB_PASSWORD}"]`],
    [
      'a working_dir',
      `image: ${BUSYBOX}\n    command: ["sleep", "30"]\n    working_dir: "/x/\${STRIPE_KEY}"\n    labels: {${TEST_LABEL}: ${run}}`,
    ],
  ] as const) {
    it(`${what}: no answer carries the value`, async () => {
      const name = uniqueName('env');
      const compose = `services:\n  a:\n    ${service}\n`;
      writeFileSync(`${dir}/${name}.yaml`, compose);
      const r = await mcp.call('deploy_application_stack', { name, file: `${name}.yaml` });
      noSecrets(r);
      if (!r.isError) {
        noSecrets(await mcp.call('get_stack_status', { name }));
        await new Promise((res) => setTimeout(res, 1500));
        const c = await mcp.call('list_containers', { all: true, stack: name });
        noSecrets(c);
        const id = `${name}-a-1`;
        noSecrets(await mcp.call('get_container_info', { id }));
        noSecrets(await mcp.call('get_container_logs', { id }));
        noSecrets(
          await mcp.call('exec_in_container', {
            id,
            command: ['sh', '-c', 'hostname; pwd; env; echo $DB_PASSWORD | rev'],
            confirm: true,
          }),
        );
        noSecrets(await mcp.call('get_deployment_history', {}));
        await mcp.call('remove_stack', { name, confirm: true });
      }
    }, 90_000);
  }
});
