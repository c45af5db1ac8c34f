// An image that only one node has (no registry here): the tasks the other nodes reject with
// "No such image" fail the deploy at once, naming those nodes and what to do, instead of a
// timeout; the service the deploy created is removed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, uniqueName, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster, removeStack } from './cluster.js';

const cluster = loadCluster();
const stack = uniqueName('swimg').replace(/[^a-z0-9_-]/g, '');
const image = `dom-test/only-on-node1:${process.pid}`;
let mcp: TestClient;

beforeAll(async () => {
  await docker(cluster.nodeHosts[0]!, ['tag', 'dom-test/busybox:1', image]);
  mcp = await startClient({ env: { DOCKER_HOST: cluster.managerHost } });
});

afterAll(async () => {
  await mcp?.close();
  await removeStack(cluster, stack).catch(() => undefined);
  await docker(cluster.nodeHosts[0]!, ['rmi', image]).catch(() => undefined);
});

describe('images on nodes', () => {
  it('a task rejected for a missing image fails the deploy naming the nodes, before the timeout', async () => {
    const compose = `services:\n  app:\n    image: ${image}\n    command: ["sleep", "600"]\n    init: true\n    deploy:\n      replicas: 3\n      endpoint_mode: dnsrr\n      placement: { max_replicas_per_node: 1 }\n`;
    const started = Date.now();
    const text = await mcp.fails(
      'deploy_application_stack',
      { name: stack, compose, target: 'swarm', timeout: 180 },
      'failed',
      /No such image/,
    );
    expect(Date.now() - started).toBeLessThan(90_000);
    // The deploy fails at the first rejection: one or both of the nodes without the image.
    expect(text).toMatch(/image dom-test\/only-on-node1:\d+ is not on (node2|node3|node2, node3) \(/);
    expect(text).toMatch(/docker save IMAGE \| docker -H NODE load/);
    expect(text).toMatch(/services this deploy created removed/);
    const left = await docker(cluster.managerHost, [
      'service',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.stack.namespace=${stack}`,
    ]);
    expect(left.trim()).toBe('');
  });
});
