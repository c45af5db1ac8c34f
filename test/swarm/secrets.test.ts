// Secrets and configs of a stack on the Swarm: Swarm objects named by their content digest,
// mounted in every task; new content makes new objects and a rolling update; docker stack rm
// removes them with the stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, uniqueName, type CallResult, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster, removeStack } from './cluster.js';

const cluster = loadCluster();
const stack = uniqueName('swsec').replace(/[^a-z0-9_-]/g, '');
let mcp: TestClient;

const COMPOSE = `
services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "600"]
    init: true
    stop_grace_period: 1s
    secrets:
      - source: token
        target: token.txt
        mode: 0400
    configs:
      - source: motd
        target: /etc/motd
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
secrets:
  token:
    environment: APP_TOKEN
configs:
  motd:
    content: "welcome to the swarm"
`;

function text(r: CallResult): string {
  return r.content.map((c) => c.text ?? '').join('\n');
}

async function deploy(token: string): Promise<CallResult> {
  return mcp.call('deploy_application_stack', {
    name: stack,
    compose: COMPOSE,
    env: [`APP_TOKEN=${token}`],
    target: 'swarm',
    timeout: 120,
  });
}

/** What each running task of the app sees in its secret and config files. */
async function filesInTasks(): Promise<string[]> {
  const out: string[] = [];
  for (const host of cluster.nodeHosts) {
    const ids = (await docker(host, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stack}_app`]))
      .trim()
      .split('\n')
      .filter(Boolean);
    for (const id of ids)
      out.push(await docker(host, ['exec', id, 'sh', '-c', 'cat /run/secrets/token.txt; echo " |"; cat /etc/motd']));
  }
  return out;
}

beforeAll(async () => {
  mcp = await startClient({ env: { DOCKER_HOST: cluster.managerHost } });
});

afterAll(async () => {
  await mcp?.close();
  await removeStack(cluster, stack).catch(() => undefined);
});

describe('secrets and configs of a Swarm stack', () => {
  it('are created once per content, mounted in every task, replaced by a rolling update, removed by docker stack rm', async () => {
    const first = await deploy('t0ps3cret-1');
    expect(first.isError, text(first)).toBeFalsy();
    expect(text(first)).not.toContain('t0ps3cret-1');
    const files = (first.structuredContent as { swarm: { files: { action: string; kind: string; name: string }[] } })
      .swarm.files;
    expect(files.map((f) => [f.action, f.kind])).toEqual([
      ['create', 'secret'],
      ['create', 'config'],
    ]);
    expect(files[0]?.name).toMatch(new RegExp(`^${stack}_token_[0-9a-f]{12}$`));
    const seen = await filesInTasks();
    expect(seen).toHaveLength(2);
    for (const s of seen) expect(s).toBe('t0ps3cret-1 |\nwelcome to the swarm');

    // The same content: nothing changes. New content: a new secret and an update.
    const same = await deploy('t0ps3cret-1');
    expect((same.structuredContent as { plan: { changes: boolean } }).plan.changes).toBe(false);
    const second = await deploy('t0ps3cret-2');
    expect(second.isError, text(second)).toBeFalsy();
    expect((second.structuredContent as { plan: { summary: { update: number } } }).plan.summary.update).toBe(1);
    for (const s of await filesInTasks()) expect(s).toBe('t0ps3cret-2 |\nwelcome to the swarm');

    const secrets = await docker(cluster.managerHost, [
      'secret',
      'ls',
      '--filter',
      `label=com.docker.stack.namespace=${stack}`,
      '--format',
      '{{.Name}}',
    ]);
    // The secret with the old content is removed once no task uses it.
    expect(secrets.trim().split('\n')).toHaveLength(1);
    await docker(cluster.managerHost, ['stack', 'rm', stack]);
    for (let i = 0; i < 30; i++) {
      const left = await docker(cluster.managerHost, [
        'secret',
        'ls',
        '-q',
        '--filter',
        `label=com.docker.stack.namespace=${stack}`,
      ]);
      if (!left.trim()) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(
      (
        await docker(cluster.managerHost, [
          'config',
          'ls',
          '-q',
          '--filter',
          `label=com.docker.stack.namespace=${stack}`,
        ])
      ).trim(),
    ).toBe('');
  });
});
