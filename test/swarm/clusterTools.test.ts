// The swarm toolset on the three-node cluster, through a real MCP client with DOCKER_HOST at
// the manager: cluster status, services and their tasks per node, scale and roll back, an
// image missing on the nodes, drain (refused without confirmation) and activate, and a worker
// node's container stopped: its tasks move to the others, status and health report it down.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorKind, errorText, startClient, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster } from './cluster.js';

const cluster = loadCluster();
const run = `dom-swc-${process.pid}`;
const svc = `${run}-web`;
const HOST_ENGINE = 'unix:///var/run/docker.sock';

interface NodeRow {
  hostname: string;
  role: string;
  state: string;
  availability: string;
  runningTasks: number;
  manager?: { leader: boolean; reachability: string };
}
interface Status {
  nodes: NodeRow[];
  quorum: { managers: number; reachable: number; hasQuorum: boolean };
  problems: string[];
}
interface ServiceInfo {
  service: { running: number; desired: number; image: string };
  perNode: Record<string, number>;
  tasks: { name: string; node: string; state: string; desiredState: string; image: string; problem?: string }[];
  problems: string[];
}

let c: TestClient;

async function until<T>(what: string, seconds: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`not within ${seconds} s: ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const info = () => c.ok<ServiceInfo>('get_service_info', { service: svc, history: false });

/** Waits until the service runs all its replicas, and returns where. */
function converged(nodes?: string[]): Promise<ServiceInfo> {
  return until(`${svc} running on ${nodes?.join(',') ?? 'any nodes'}`, 90, async () => {
    const i = await info();
    const on = Object.keys(i.perNode).sort();
    const ok = i.service.running === i.service.desired && (!nodes || JSON.stringify(on) === JSON.stringify(nodes));
    return ok ? i : undefined;
  });
}

async function nodeState(hostname: string): Promise<string> {
  const out = await docker(cluster.managerHost, ['node', 'inspect', hostname, '--format', '{{.Status.State}}']);
  return out.trim();
}

describe('swarm toolset', () => {
  beforeAll(async () => {
    await docker(cluster.managerHost, [
      'service',
      'create',
      '--detach',
      '--name',
      svc,
      '--label',
      `dom-test.run=${run}`,
      '--label',
      'io.docker-orchestration-mcp.managed=true',
      '--replicas',
      '3',
      '--stop-grace-period',
      '1s',
      '--restart-delay',
      '1s',
      '--health-cmd',
      'true',
      '--health-interval',
      '1s',
      '--endpoint-mode',
      'dnsrr',
      'dom-test/busybox:1',
      'sh',
      '-c',
      'while true; do echo "tick from $HOSTNAME"; sleep 2; done',
    ]);
    c = await startClient({ env: { DOCKER_HOST: cluster.managerHost, DOM_TOOLSETS: 'swarm,operations' } });
    await converged(['node1', 'node2', 'node3']);
  }, 180_000);

  afterAll(async () => {
    await c?.close();
    // A stopped node is started again, and every node is left active, whatever failed above.
    await docker(HOST_ENGINE, ['start', cluster.nodeContainers[2]!]).catch(() => undefined);
    for (const n of ['node2', 'node3'])
      await docker(cluster.managerHost, ['node', 'update', '--availability', 'active', n]).catch(() => undefined);
    await docker(cluster.managerHost, ['service', 'rm', svc]).catch(() => undefined);
    await until('node3 ready again', 90, async () => ((await nodeState('node3')) === 'ready' ? true : undefined)).catch(
      () => undefined,
    );
  }, 180_000);

  it('reports the cluster: nodes with role, state, Engine version, manager reachability and quorum', async () => {
    const s = await c.ok<Status>('get_cluster_status');
    expect(s.nodes.map((n) => `${n.hostname} ${n.role} ${n.state} ${n.availability}`)).toEqual([
      'node1 manager ready active',
      'node2 worker ready active',
      'node3 worker ready active',
    ]);
    expect(s.nodes[0]?.manager).toMatchObject({ leader: true, reachability: 'reachable' });
    expect(s.quorum).toMatchObject({ managers: 1, reachable: 1, hasQuorum: true });
    expect(s.problems).toEqual([]);
    const list = await c.ok<{ services: { name: string; running: number; desired: number; managed: boolean }[] }>(
      'list_services',
      { filters: { name: [svc] } },
    );
    expect(list.services).toEqual([expect.objectContaining({ name: svc, running: 3, desired: 3, managed: true })]);
  });

  it('reads the logs of every task, each line named by its task and node', async () => {
    const logs = await c.ok<{ stdout: string; partial: boolean }>('get_service_logs', { service: svc, tail: 2 });
    const who = new Set(
      [...logs.stdout.matchAll(new RegExp(`^${svc}\\.\\d@(node\\d)\\| tick from`, 'gm'))].map((m) => m[1]),
    );
    expect([...who].sort()).toEqual(['node1', 'node2', 'node3']);
    expect(logs.partial).toBe(false);
  });

  it('scales, waiting for the tasks, with progress notifications', async () => {
    const progress: string[] = [];
    const r = await c.call(
      'scale_service',
      { service: svc, replicas: 4 },
      { onprogress: (p) => progress.push(p.message ?? '') },
    );
    expect(r.isError, errorText(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ converge: { outcome: 'converged', desired: 4, running: 4 } });
    expect(progress.join('\n')).toMatch(new RegExp(`${svc}: \\d/4 running the current image`));
    const down = await c.ok<{ converge: { outcome: string; running: number } }>('scale_service', {
      service: svc,
      replicas: 3,
    });
    expect(down.converge).toMatchObject({ outcome: 'converged', running: 3 });
  });

  it('updates the image rolling until every task runs it, and rolls back to the previous one', async () => {
    const progress: string[] = [];
    const r = await c.call(
      'update_service_image',
      { service: svc, image: 'dom-test/nginx:1' },
      { onprogress: (p) => progress.push(p.message ?? '') },
    );
    expect(r.isError, errorText(r)).toBeFalsy();
    expect(r.structuredContent).toMatchObject({ converge: { outcome: 'converged', running: 3, desired: 3 } });
    expect(progress.some((m) => /update updating/.test(m))).toBe(true);
    const updated = await info();
    expect(updated.tasks.filter((t) => t.desiredState === 'running').map((t) => `${t.state} ${t.image}`)).toEqual(
      Array(3).fill('running dom-test/nginx:1'),
    );
    const back = await c.ok<{ image: string; converge: { outcome: string; running: number } }>('rollback_service', {
      service: svc,
    });
    expect(back).toMatchObject({ image: 'dom-test/busybox:1', converge: { outcome: 'converged', running: 3 } });
    const hist = await c.ok<{ entries: { source?: string; outcome: string }[] }>('get_deployment_history', {
      kind: 'update_service',
      target: svc,
    });
    expect(hist.entries.slice(0, 2).map((e) => `${e.source} ${e.outcome}`)).toEqual([
      'rollback_service succeeded',
      'update_service_image succeeded',
    ]);
  });

  it('rolls back an update whose healthcheck fails, naming the failing tasks and nodes', async () => {
    const gated = `${run}-gated`;
    await docker(cluster.managerHost, [
      'service',
      'create',
      '--detach',
      '--name',
      gated,
      '--label',
      `dom-test.run=${run}`,
      '--label',
      'io.docker-orchestration-mcp.managed=true',
      '--replicas',
      '2',
      '--stop-grace-period',
      '1s',
      // Passes on the busybox image only: the update to a Debian-based image fails its healthcheck.
      '--health-cmd',
      'test -x /bin/busybox',
      '--health-interval',
      '1s',
      'dom-test/busybox:1',
      'sh',
      '-c',
      'while true; do sleep 2; done',
    ]);
    try {
      await until(`${gated} running`, 60, async () => {
        const i = await c.ok<ServiceInfo>('get_service_info', { service: gated });
        return i.service.running === 2 ? i : undefined;
      });
      const r = await c.call('update_service_image', { service: gated, image: 'dom-test/nginx:1', timeout: 90 });
      expect(r.isError).toBe(true);
      expect(errorKind(r)).toBe('failed');
      const text = errorText(r);
      expect(text).toMatch(/failed and Swarm paused it/);
      expect(text).toMatch(
        new RegExp(`Failing tasks: ${gated}\\.\\d on node\\d: its healthcheck failed on node node\\d`),
      );
      expect(text).toMatch(/Rolled back to dom-test\/busybox:1: 2\/2 running/);
      const after = await c.ok<ServiceInfo>('get_service_info', { service: gated, history: false });
      expect(after.service).toMatchObject({ image: 'dom-test/busybox:1', running: 2 });
    } finally {
      await docker(cluster.managerHost, ['service', 'rm', gated]).catch(() => undefined);
    }
  });

  it('names the node and what to do when an image is missing there, and rolls the update back', async () => {
    const missing = `dom-test/nosuch:${process.pid}`;
    const r = await c.call('update_service_image', { service: svc, image: missing, timeout: 60 });
    expect(r.isError).toBe(true);
    expect(errorKind(r)).toBe('failed');
    const text = errorText(r);
    expect(text).toContain(`image ${missing} is not on node node`);
    expect(text).toMatch(/No such image/);
    expect(text).toMatch(/load it on that node/);
    expect(text).toMatch(/Rolled back to dom-test\/busybox:1: 3\/3 running/);
    const after = await converged();
    expect(after.service.image).toBe('dom-test/busybox:1');
  });

  it('refuses to drain without confirmation, then drains a node and activates it: tasks move away and back', async () => {
    const refused = await c.ok<{ done: boolean; message: string; availability: string }>('drain_node', {
      node: 'node2',
    });
    expect(refused.done).toBe(false);
    expect(refused.message).toMatch(/Not confirmed; nothing changed\. Would: Drain node node2/);
    expect(refused.message).toContain(svc);
    expect((await c.ok<Status>('get_cluster_status')).nodes.find((n) => n.hostname === 'node2')?.availability).toBe(
      'active',
    );
    // A client that can ask its user: the user's "no" is final, confirm: true from the model does not count.
    const asking = await startClient({
      env: { DOCKER_HOST: cluster.managerHost, DOM_TOOLSETS: 'swarm' },
      elicit: () => ({ action: 'decline' }),
    });
    try {
      const declined = await asking.ok<{ done: boolean; message: string }>('drain_node', {
        node: 'node2',
        confirm: true,
      });
      expect(declined.done).toBe(false);
      expect(declined.message).toMatch(/^The user declined; nothing changed/);
    } finally {
      await asking.close();
    }

    const drained = await c.ok<{ done: boolean; tasksAfter: number; perNode: Record<string, number> }>('drain_node', {
      node: 'node2',
      confirm: true,
    });
    expect(drained).toMatchObject({ done: true, tasksAfter: 0 });
    expect(drained.perNode.node2).toBe(0);
    const away = await converged(['node1', 'node3']);
    expect(away.service.running).toBe(3);
    expect((await c.ok<Status>('get_cluster_status')).nodes.find((n) => n.hostname === 'node2')?.availability).toBe(
      'drain',
    );

    const active = await c.ok<{ done: boolean; tasksAfter: number; rebalanced: string[] }>('activate_node', {
      node: 'node2',
      confirm: true,
    });
    expect(active.done).toBe(true);
    expect(active.rebalanced).toContain(svc);
    expect(active.tasksAfter).toBeGreaterThan(0);
    await converged(['node1', 'node2', 'node3']);

    // Node changes are in the deployment history, the refused one too.
    const hist = await c.ok<{ entries: { kind: string; target: string; source?: string; outcome: string }[] }>(
      'get_deployment_history',
      { kind: 'update_node', target: 'node2' },
    );
    expect(hist.entries.map((e) => `${e.source} ${e.outcome}`)).toEqual([
      'activate_node succeeded',
      'drain_node succeeded',
      'drain_node not_confirmed',
    ]);
  });

  it('reports a stopped worker down in status and health, and its tasks run on the other nodes', async () => {
    const before = await converged(['node1', 'node2', 'node3']);
    expect(before.perNode.node3).toBeGreaterThan(0);
    await docker(HOST_ENGINE, ['stop', '-t', '5', cluster.nodeContainers[2]!]);
    try {
      const down = await until('node3 reported down by get_cluster_status', 60, async () => {
        const s = await c.ok<Status>('get_cluster_status');
        return s.nodes.find((n) => n.hostname === 'node3')?.state === 'down' ? s : undefined;
      });
      expect(down.problems.join('\n')).toMatch(/node node3 \(worker\) is down/);

      const moved = await converged(['node1', 'node2']);
      expect(moved.service.running).toBe(3);

      const health = await c.ok<{
        verdict: string;
        swarm?: {
          verdict: string;
          problems: string[];
          nodes: { hostname: string; verdict: string; reasons: string[] }[];
        };
      }>('health_monitoring', { resources: false, logs: false });
      expect(health.swarm?.problems.join('\n')).toMatch(/node3 .* is down/);
      expect(health.swarm?.nodes.find((n) => n.hostname === 'node3')).toMatchObject({ verdict: 'unhealthy' });
      expect(health.swarm?.verdict).not.toBe('healthy');
      expect(health.verdict).not.toBe('healthy');
    } finally {
      await docker(HOST_ENGINE, ['start', cluster.nodeContainers[2]!]);
    }
    await until('node3 ready again', 90, async () => ((await nodeState('node3')) === 'ready' ? true : undefined));
    const s = await c.ok<Status>('get_cluster_status');
    expect(s.problems).toEqual([]);
  });

  it('answers clear errors: an unknown service, and an Engine that is not a manager', async () => {
    await c.fails('get_service_info', { service: `${run}-nothing` }, 'not_found', /no service/);
    await c.fails('scale_service', { service: svc, replicas: 2000 }, 'invalid_input', /replicas/);
    await c.fails('drain_node', { node: '../../info', confirm: true }, 'invalid_input', /not a valid node name/);
    await c.fails('activate_node', { node: 'node9', confirm: true }, 'not_found', /no node "node9"/);
    await c.fails('scale_service', { service: svc, replicas: 1, timeout: 0 }, 'invalid_input', /timeout/);
    const worker = await startClient({ env: { DOCKER_HOST: cluster.nodeHosts[1]!, DOM_TOOLSETS: 'swarm' } });
    try {
      await worker.fails('get_cluster_status', {}, 'conflict', /not a Swarm manager.*worker node/);
    } finally {
      await worker.close();
    }
  });
});
