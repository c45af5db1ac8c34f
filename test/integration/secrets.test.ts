import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, docker } from './engine.js';
import { errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { execIn, projectObjects, removeProject } from './stacksHelpers.js';

/*
 * Compose secrets and configs without Swarm, on the real Engine: the content is copied into each
 * container before it starts (never a bind of a host file), with Compose's paths, modes and owners,
 * and it appears in no answer, log line, history record or label.
 */

const FILE_SECRET = 'file-secret-7f3a9c1e';
const ENV_SECRET = 'env-secret-b81d44e0';
const ENV_SECRET_2 = 'env-secret-rotated-5c2e';
const CONFIG_TEXT = 'listen 8080 # config-body-91aa';

let mcp: TestClient;
const tmp = mkdtempSync(join(tmpdir(), 'dom-secrets-'));
const outside = mkdtempSync(join(tmpdir(), 'dom-secrets-outside-'));
const projects: string[] = [];

beforeAll(async () => {
  mcp = await startClient({ args: ['--file-root', tmp], env: { DOM_HISTORY_PATH: join(tmp, 'state', 'history.db') } });
});

afterAll(async () => {
  await mcp?.close();
  for (const p of projects) await removeProject(p);
  rmSync(tmp, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const compose = `
services:
  app:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    init: true
    secrets:
      - db_password
      - source: api_token
        target: token.txt
        uid: "1000"
        gid: "1001"
        mode: 0400
    configs:
      - source: site
        target: /etc/site.conf
        mode: 0440
      - motd
secrets:
  db_password:
    file: ./db_password.txt
  api_token:
    environment: APP_VALUE
configs:
  site:
    environment: SITE_CONF
  motd:
    content: "welcome\\n"
`;

interface DeployAnswer {
  plan: { summary: Record<string, number> };
  services: { service: string; containers: { name: string; id: string; action: string }[] }[];
}

async function fileOf(container: string, path: string): Promise<{ content: string; stat: string }> {
  const cat = await execIn(container, ['cat', path]);
  const stat = await execIn(container, ['busybox', 'stat', '-c', '%a %u %g', path]);
  expect(cat.exitCode, cat.output).toBe(0);
  return { content: cat.output, stat: stat.output.trim() };
}

describe('secrets and configs', () => {
  it('copies them in with Compose paths, modes and owners, shows them nowhere, and recreates on a change', async () => {
    const name = uniqueName('sec');
    projects.push(name);
    const dir = join(tmp, name);
    mkdirSync(dir);
    writeFileSync(join(dir, 'db_password.txt'), FILE_SECRET);
    const file = join(dir, 'compose.yml');
    writeFileSync(file, compose);
    const env = { APP_VALUE: ENV_SECRET, SITE_CONF: CONFIG_TEXT };
    const answers: string[] = [];
    const deploy = async (e: Record<string, string>, dryRun = false) => {
      const r = await mcp.call('deploy_application_stack', {
        name,
        file,
        env: e,
        wait: 'running',
        timeout: 60,
        dry_run: dryRun,
      });
      answers.push(JSON.stringify(r));
      if (r.isError) throw new Error(errorText(r));
      return r.structuredContent as unknown as DeployAnswer;
    };

    const dry = await deploy(env, true);
    expect(dry.plan.summary).toMatchObject({ create: 1 });
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });

    const first = await deploy(env);
    const container = `${name}-app-1`;
    expect(first.services[0]?.containers[0]?.name).toBe(container);
    expect(await fileOf(container, '/run/secrets/db_password')).toEqual({ content: FILE_SECRET, stat: '444 0 0' });
    expect(await fileOf(container, '/run/secrets/token.txt')).toEqual({ content: ENV_SECRET, stat: '400 1000 1001' });
    expect(await fileOf(container, '/etc/site.conf')).toEqual({ content: CONFIG_TEXT, stat: '440 0 0' });
    expect(await fileOf(container, '/motd')).toEqual({ content: 'welcome\n', stat: '444 0 0' });

    // No bind of a host file: the content is in the container's own layer.
    const info = await mcp.call('get_container_info', { id: container });
    answers.push(JSON.stringify(info));
    expect((info.structuredContent as { mounts: unknown[] }).mounts).toEqual([]);

    const again = await deploy(env);
    expect(again.plan.summary).toMatchObject({ keep: 1, create: 0, recreate: 0 });

    const rotated = await deploy({ ...env, APP_VALUE: ENV_SECRET_2 });
    expect(rotated.plan.summary).toMatchObject({ recreate: 1 });
    expect((await fileOf(container, '/run/secrets/token.txt')).content).toBe(ENV_SECRET_2);

    answers.push(JSON.stringify(await mcp.call('get_deployment_history', { stack: name })));
    answers.push(JSON.stringify(await mcp.call('get_stack_status', { name })));
    const hist = (await mcp.ok<{ entries: { id: string }[] }>('get_deployment_history', { stack: name })).entries;
    for (const e of hist) answers.push(JSON.stringify(await mcp.call('get_deployment_history', { id: e.id })));
    const labels = JSON.stringify((await docker.getContainer(container).inspect()).Config.Labels);
    answers.push(labels, mcp.stderr());
    for (const text of answers) {
      for (const secret of [FILE_SECRET, ENV_SECRET, ENV_SECRET_2, CONFIG_TEXT]) expect(text).not.toContain(secret);
    }

    await mcp.ok('remove_stack', { name, confirm: true });
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('reads secret files only through the file roots, and fails before creating anything', async () => {
    const name = uniqueName('sec');
    projects.push(name);
    writeFileSync(join(outside, 'pw.txt'), FILE_SECRET);
    const text = `
services:
  app:
    image: ${BUSYBOX}
    command: ["sleep", "60"]
    secrets: [pw]
secrets:
  pw:
    file: ${join(outside, 'pw.txt')}
`;
    const msg = await mcp.fails(
      'deploy_application_stack',
      { name, compose: text },
      'denied',
      /Refused to read secret file .*configured folders/,
    );
    expect(msg).not.toContain(FILE_SECRET);
    const missing = await mcp.fails(
      'deploy_application_stack',
      { name, compose: text.replace(/file: .*/, 'environment: NOT_GIVEN') },
      'invalid_input',
      /variable "NOT_GIVEN" is not set/,
    );
    expect(missing).toMatch(/line \d+/);
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('rolls back a deploy whose files cannot be copied in, naming the config and not its content', async () => {
    const name = uniqueName('sec');
    projects.push(name);
    // /bin is a folder in the image: a file cannot replace it.
    const text = `
services:
  app:
    image: ${BUSYBOX}
    command: ["sleep", "60"]
    configs:
      - source: c
        target: /bin
configs:
  c:
    content: ${CONFIG_TEXT}
`;
    const r = await mcp.call('deploy_application_stack', { name, compose: text, timeout: 30 });
    expect(r.isError).toBe(true);
    const msg = errorText(r);
    expect(msg).toMatch(/could not copy config "c" into the container/);
    expect(msg).toMatch(/Rolled back: removed new container/);
    expect(msg).not.toContain(CONFIG_TEXT);
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});
