// The fixture itself: three Ready nodes (one manager, two workers), the test images on each,
// and an overlay network with a dnsrr service whose replicas find each other by name across
// nodes. If this fails, every other swarm test would too, for a reason shown here first.
import { afterAll, describe, expect, it } from 'vitest';
import { docker, goneFromNodes, loadCluster } from './cluster.js';

const cluster = loadCluster();
const run = `dom-fixture-${process.pid}`;

describe('swarm fixture', () => {
  afterAll(async () => {
    await docker(cluster.managerHost, ['service', 'rm', `${run}-svc`]).catch(() => undefined);
    // The network is in use until every task has gone.
    for (let i = 0; i < 30; i++) {
      const ok = await docker(cluster.managerHost, ['network', 'rm', `${run}-net`]).then(
        () => true,
        (e: Error) => /not found/i.test(e.message),
      );
      if (ok) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    await goneFromNodes(cluster, {
      label: `com.docker.swarm.service.name=${run}-svc`,
      isOurs: (n) => n === `${run}-net`,
    }).catch(() => undefined);
  });

  it('has one manager and two workers, all Ready, each with the test images', async () => {
    const nodes = (
      await docker(cluster.managerHost, ['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}'])
    )
      .trim()
      .split('\n')
      .map((l) => l.trim())
      .sort();
    expect(nodes).toEqual(['node1 Ready Leader', 'node2 Ready', 'node3 Ready']);
    for (const host of cluster.nodeHosts) {
      const images = await docker(host, ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}']);
      expect(images).toContain('dom-test/busybox:1');
      expect(images).toContain('dom-test/nginx:1');
    }
  });

  it('spreads a dnsrr service over the three nodes, and its replicas resolve each other by name', async () => {
    const m = cluster.managerHost;
    await docker(m, [
      'network',
      'create',
      '--driver',
      'overlay',
      '--attachable',
      '--label',
      'dom-test.run=1',
      `${run}-net`,
    ]);
    await docker(m, [
      'service',
      'create',
      '--detach',
      '--name',
      `${run}-svc`,
      '--label',
      'dom-test.run=1',
      '--replicas',
      '3',
      '--replicas-max-per-node',
      '1',
      '--endpoint-mode',
      'dnsrr',
      '--network',
      `${run}-net`,
      'dom-test/busybox:1',
      'sh',
      '-c',
      'httpd -f -p 8080',
    ]);
    let placed: string[] = [];
    for (let i = 0; i < 60; i++) {
      placed = (
        await docker(m, [
          'service',
          'ps',
          `${run}-svc`,
          '--filter',
          'desired-state=running',
          '--format',
          '{{.Node}} {{.CurrentState}}',
        ])
      )
        .trim()
        .split('\n')
        .filter((l) => /Running/.test(l));
      if (placed.length === 3) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect(placed.map((l) => l.split(' ')[0]).sort()).toEqual(['node1', 'node2', 'node3']);
    // From the task on node 3, the service name resolves to three addresses (one per task).
    const task = (
      await docker(cluster.nodeHosts[2]!, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${run}-svc`])
    ).trim();
    const lookup = await docker(cluster.nodeHosts[2]!, ['exec', task, 'nslookup', `tasks.${run}-svc`]);
    expect(lookup.match(/Address: \d+\.\d+\.\d+\.\d+/g)?.length ?? 0).toBeGreaterThanOrEqual(3);
  }, 120_000);
});
