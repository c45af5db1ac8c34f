// remove_stack on a stack we deployed to the Swarm: a preview without confirmation, then its
// services, networks, secrets and configs removed, every task gone before it answers; a stack
// made outside this server (not ours) is refused by the ownership scope.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, uniqueName, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster, removeStack } from './cluster.js';

const cluster = loadCluster();
const manager = cluster.managerHost;
const ours = uniqueName('swrm').replace(/[^a-z0-9_-]/g, '');
const theirs = uniqueName('swrmcli').replace(/[^a-z0-9_-]/g, '');
let mcp: TestClient;

const COMPOSE = `
services:
  app:
    image: dom-test/busybox:1
    # Ignores SIGTERM: each task takes its whole grace period to stop, so an answer that did not
    # wait for the tasks would come while they are still there.
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
    init: true
    stop_grace_period: 4s
    networks: [back]
    secrets: [token]
    configs: [motd]
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
networks:
  back: {}
secrets:
  token:
    environment: APP_TOKEN
configs:
  motd:
    content: "hello"
`;

const ns = (stack: string) => `label=com.docker.stack.namespace=${stack}`;
async function left(stack: string): Promise<string> {
  const out: string[] = [];
  for (const kind of ['service', 'network', 'secret', 'config']) {
    const ids = (await docker(manager, [kind, 'ls', '-q', '--filter', ns(stack)])).trim();
    if (ids) out.push(`${kind}: ${ids.replace(/\n/g, ' ')}`);
  }
  return out.join('; ');
}

beforeAll(async () => {
  mcp = await startClient({ env: { DOCKER_HOST: manager } });
});

afterAll(async () => {
  await mcp?.close();
  for (const s of [ours, theirs]) await removeStack(cluster, s).catch(() => undefined);
});

describe('remove_stack on a Swarm', () => {
  it('previews, then removes services, networks, secrets and configs once every task is gone', async () => {
    await mcp.ok('deploy_application_stack', {
      name: ours,
      compose: COMPOSE,
      env: ['APP_TOKEN=s3cret'],
      target: 'swarm',
      timeout: 120,
    });
    const preview = await mcp.ok<{ done: boolean; services: string[]; networks: string[]; files: string[] }>(
      'remove_stack',
      { name: ours },
    );
    expect(preview.done).toBe(false);
    expect(preview.services).toEqual([`${ours}_app`]);
    expect(preview.networks).toEqual([`${ours}_back`]);
    expect(preview.files).toHaveLength(2);
    expect(await left(ours)).not.toBe('');

    // An object labelled as part of the stack but not made by this server: the whole removal is refused.
    const foreign = `${ours}_planted`;
    await docker(manager, [
      'secret',
      'create',
      '--label',
      `com.docker.stack.namespace=${ours}`,
      foreign,
      '/etc/hostname',
    ]);
    await mcp.fails(
      'remove_stack',
      { name: ours, confirm: true },
      'denied',
      new RegExp(`secret "${foreign}".*not created by this server`, 's'),
    );
    expect(await left(ours)).toContain('service');
    await docker(manager, ['secret', 'rm', foreign]);
    // A neighbour whose name starts the same is not part of it.
    const neighbour = `${ours}-2_token`;
    await docker(manager, [
      'secret',
      'create',
      '--label',
      `com.docker.stack.namespace=${ours}-2`,
      neighbour,
      '/etc/hostname',
    ]);

    const done = await mcp.ok<{ done: boolean; message: string }>('remove_stack', { name: ours, confirm: true });
    expect(done.done).toBe(true);
    expect(await left(ours)).toBe('');
    // Every task is gone when it answers (what docker stack rm --detach=false waits for).
    const tasks = (await docker(manager, ['node', 'ps', 'node1', 'node2', 'node3', '-q', '--filter', ns(ours)]))
      .trim()
      .split('\n')
      .filter(Boolean);
    expect(tasks).toEqual([]);
    await mcp.fails('remove_stack', { name: ours, confirm: true }, 'not_found', /No stack named/);
    expect((await docker(manager, ['secret', 'ls', '-q', '--filter', `name=${neighbour}`])).trim()).not.toBe('');
    await docker(manager, ['secret', 'rm', neighbour]);
    const history = await mcp.ok<{ entries: { kind: string; outcome: string }[] }>('get_deployment_history', {
      stack: ours,
      kind: 'remove_stack',
    });
    expect(history.entries.map((e) => e.outcome).sort()).toEqual(['not_confirmed', 'succeeded']);
  });

  it('refuses a stack made outside this server (labelled as docker stack deploy labels it): the ownership scope', async () => {
    // A service as docker stack deploy labels it, made by the CLI (so without our managed label).
    await docker(manager, [
      'service',
      'create',
      '-q',
      '--name',
      `${theirs}_app`,
      '--label',
      `com.docker.stack.namespace=${theirs}`,
      '--container-label',
      `com.docker.stack.namespace=${theirs}`,
      '--replicas',
      '1',
      '--init',
      'dom-test/busybox:1',
      'sleep',
      '600',
    ]);
    await mcp.fails(
      'remove_stack',
      { name: theirs, confirm: true },
      'denied',
      /service "[^"]+_app" of stack .*not created by this server/,
    );
    expect(await left(theirs)).not.toBe('');
  });
});
