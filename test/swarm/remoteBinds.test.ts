// A Swarm stack's binds are mounted on whichever node runs the task, not on this server's machine:
// host paths judged here (symlinks resolved here) say nothing about that node (adversarial review,
// round 3: a task planted a symlink to / in a bound folder on node 2, a second stack bound the link
// and reached the node's root). Binds and bind volumes of a stack with target swarm are refused
// (rule remote-bind) unless DOM_ALLOW_REMOTE_BINDS=1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, uniqueName, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster, removeStack } from './cluster.js';

const cluster = loadCluster();
const manager = cluster.managerHost;
const tag = uniqueName('rb').replace(/[^a-z0-9]/g, '');
let mcp: TestClient;

const refusal = /Refused by policy \(remote-bind\).*Swarm node.*DOM_ALLOW_REMOTE_BINDS=1/s;

beforeAll(async () => {
  mcp = await startClient({ env: { DOCKER_HOST: manager } });
});

afterAll(async () => {
  await mcp?.close();
  for (const s of [`${tag}a`, `${tag}b`, `${tag}c`]) await removeStack(cluster, s).catch(() => undefined);
});

describe('binds of a Swarm stack', () => {
  it('refuses a bind (the planted-symlink route) and a bind volume, creating nothing', async () => {
    await mcp.fails(
      'deploy_application_stack',
      {
        name: `${tag}a`,
        target: 'swarm',
        compose: `services:\n  read:\n    image: dom-test/busybox:1\n    command: ["sleep", "3600"]\n    volumes: ["/tmp/.X11-unix/${tag}-link:/hostroot"]\n`,
      },
      'denied',
      refusal,
    );
    await mcp.fails(
      'deploy_application_stack',
      {
        name: `${tag}b`,
        target: 'swarm',
        compose: `services:\n  app:\n    image: dom-test/busybox:1\n    command: ["sleep", "3600"]\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    driver_opts: { type: none, o: bind, device: /tmp/.X11-unix }\n`,
      },
      'denied',
      refusal,
    );
    const services = await docker(manager, ['service', 'ls', '-q', '--filter', `name=${tag}`]);
    expect(services.trim()).toBe('');
  }, 120_000);

  it('lets them through with DOM_ALLOW_REMOTE_BINDS=1 (a dry run)', async () => {
    const open = await startClient({ env: { DOCKER_HOST: manager, DOM_ALLOW_REMOTE_BINDS: '1' } });
    try {
      const r = await open.call('deploy_application_stack', {
        name: `${tag}c`,
        target: 'swarm',
        dry_run: true,
        compose: `services:\n  app:\n    image: dom-test/busybox:1\n    command: ["sleep", "3600"]\n    volumes: ["/tmp/.X11-unix:/htmp:ro"]\n`,
      });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    } finally {
      await open.close();
    }
  }, 120_000);
});
