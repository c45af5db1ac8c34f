import { describe, expect, it } from 'vitest';
import type { RawNode, RawService, RawTask } from '../../../src/docker/swarmCluster.js';
import {
  clusterView,
  nodeNames,
  quorumOf,
  relabelLogLine,
  serviceProblems,
  serviceView,
  shortImage,
  taskProblem,
  taskView,
  type NodeView,
} from '../../../src/swarm/cluster.js';
import { judge, snapshot } from '../../../src/swarm/rollout.js';
import { assessSwarm, assessSwarmService, LOOP_FAILURES } from '../../../src/health/services.js';

function node(
  id: string,
  host: string,
  o: Partial<{ role: string; state: string; avail: string; reach: string }> = {},
): RawNode {
  const n: RawNode = {
    ID: id,
    Version: { Index: 1 },
    Spec: { Role: o.role ?? 'worker', Availability: o.avail ?? 'active' },
    Description: { Hostname: host, Engine: { EngineVersion: '28.5.2' } },
    Status: { State: o.state ?? 'ready', Addr: '10.0.0.1' },
  };
  if (o.role === 'manager') n.ManagerStatus = { Leader: host === 'node1', Reachability: o.reach ?? 'reachable' };
  return n;
}

function service(o: Partial<{ replicas: number; image: string; update: string; global: boolean }> = {}): RawService {
  return {
    ID: 'svc1234567890abcdef',
    Version: { Index: 9 },
    Spec: {
      Name: 'web',
      Labels: { 'com.docker.stack.namespace': 'shop', 'io.docker-orchestration-mcp.managed': 'true' },
      TaskTemplate: { ContainerSpec: { Image: o.image ?? 'nginx:1@sha256:abc' } },
      Mode: o.global ? { Global: {} } : { Replicated: { Replicas: o.replicas ?? 3 } },
    },
    ...(o.update ? { UpdateStatus: { State: o.update, Message: `update ${o.update}` } } : {}),
  };
}

let seq = 0;
function task(
  state: string,
  o: Partial<{ desired: string; node: string; image: string; err: string; slot: number; at: string }> = {},
): RawTask {
  seq++;
  return {
    ID: `task${seq}xxxxxxxxxxxxxx`,
    ServiceID: 'svc1234567890abcdef',
    NodeID: o.node ?? 'n1',
    Slot: o.slot ?? seq,
    CreatedAt: o.at ?? '2026-11-30T03:00:00Z',
    Spec: { ContainerSpec: { Image: o.image ?? 'nginx:1@sha256:abc' } },
    Status: { State: state, Timestamp: o.at ?? '2026-11-30T03:00:00Z', ...(o.err ? { Err: o.err } : {}) },
    DesiredState: o.desired ?? 'running',
  };
}

const nodes = [node('n1', 'node1', { role: 'manager' }), node('n2', 'node2'), node('n3', 'node3')];
const names = nodeNames(nodes);

describe('cluster view', () => {
  it('counts quorum as a Raft majority of managers', () => {
    const m = (reach: string): NodeView => ({ manager: { leader: false, reachability: reach } }) as unknown as NodeView;
    expect(quorumOf([m('reachable')])).toMatchObject({ needed: 1, hasQuorum: true, faultTolerance: 0 });
    expect(quorumOf([m('reachable'), m('reachable'), m('unreachable')])).toMatchObject({
      managers: 3,
      reachable: 2,
      needed: 2,
      hasQuorum: true,
      faultTolerance: 0,
    });
    expect(quorumOf([m('reachable'), m('unreachable'), m('unreachable')]).hasQuorum).toBe(false);
    expect(quorumOf(Array(5).fill(m('reachable'))).faultTolerance).toBe(2);
  });

  it('names a node that is down, a drained one and lost quorum as problems', () => {
    const v = clusterView({ NodeID: 'n1', Cluster: { ID: 'c1' } }, [
      node('n1', 'node1', { role: 'manager' }),
      node('n2', 'node2', { state: 'down' }),
      node('n3', 'node3', { avail: 'drain' }),
    ]);
    expect(v.nodes.map((n) => n.hostname)).toEqual(['node1', 'node2', 'node3']);
    expect(v.problems).toEqual([
      'node node2 (worker) is down; its tasks are rescheduled on the other nodes',
      'node node3 is drained: it takes no new tasks',
    ]);
    const lost = clusterView({}, [
      node('a', 'm1', { role: 'manager' }),
      node('b', 'm2', { role: 'manager', reach: 'unreachable', state: 'down' }),
      node('c', 'm3', { role: 'manager', reach: 'unreachable', state: 'down' }),
    ]);
    expect(lost.problems.at(-1)).toMatch(/lost quorum \(1 of 3 managers reachable, 2 needed\)/);
  });

  it('projects services compactly, without the pinned digest', () => {
    expect(shortImage('nginx:1@sha256:abc')).toBe('nginx:1');
    expect(shortImage('registry:5000/app:2')).toBe('registry:5000/app:2');
    const s = { ...service(), ServiceStatus: { RunningTasks: 2, DesiredTasks: 3 } };
    expect(serviceView(s)).toEqual({
      id: 'svc123456789',
      name: 'web',
      image: 'nginx:1',
      mode: 'replicated',
      desired: 3,
      running: 2,
      stack: 'shop',
      ports: [],
      managed: true,
    });
  });
});

describe('task failures in plain words', () => {
  it('reports an image missing on a node with the node and what to do', () => {
    const t = taskView(
      task('rejected', { node: 'n3', err: 'No such image: app:2', image: 'app:2', desired: 'shutdown', slot: 2 }),
      'web',
      names,
    );
    expect(t.name).toBe('web.2');
    expect(t.node).toBe('node3');
    expect(t.problem).toMatch(
      /^image app:2 is not on node node3 and could not be pulled there \(No such image: app:2\)/,
    );
    expect(t.problem).toMatch(/load it on that node .* or push it to a registry every node can reach/);
  });

  it('reads placement and healthcheck failures; a running task has no problem', () => {
    expect(
      taskProblem({ state: 'pending', error: 'no suitable node (scheduling constraints)', image: 'x', node: '?' }),
    ).toMatch(/no node can run it/);
    expect(
      taskProblem({
        state: 'failed',
        error: 'task: non-zero exit (137): dockerexec: unhealthy container',
        image: 'x',
        node: 'node2',
      }),
    ).toMatch(/healthcheck failed on node node2/);
    expect(taskView(task('running'), 'web', names).problem).toBeUndefined();
  });

  it('reports a slot only while it does not run: old failures of a slot running now are history', () => {
    const views = [
      taskView(task('running', { slot: 1 }), 'web', names),
      taskView(task('rejected', { slot: 1, desired: 'shutdown', err: 'No such image: a:1' }), 'web', names),
      taskView(
        task('failed', { slot: 2, desired: 'shutdown', err: 'task: non-zero exit (1)', node: 'n2' }),
        'web',
        names,
      ),
    ];
    expect(serviceProblems(views)).toEqual(['web.2: failed on node node2: task: non-zero exit (1)']);
  });

  it('relabels service log lines with the task and node', () => {
    const tasks = new Map([['t1', { name: 'web.1', node: 'node2' }]]);
    expect(
      relabelLogLine(
        'com.docker.swarm.node.id=n2,com.docker.swarm.service.id=s,com.docker.swarm.task.id=t1 hello world',
        tasks,
      ),
    ).toBe('web.1@node2| hello world');
    expect(relabelLogLine('plain line', tasks)).toBe('plain line');
  });
});

describe('convergence', () => {
  it('waits while old-image tasks run, converges when every task runs the current image', () => {
    const svc = service({ image: 'nginx:2' });
    const midway = [
      task('running', { image: 'nginx:2' }),
      task('running', { image: 'nginx:1' }),
      task('starting', { image: 'nginx:2' }),
    ];
    expect(snapshot(svc, midway)).toMatchObject({ desired: 3, running: 1, pending: 2 });
    expect(judge(snapshot(svc, midway), 'update')).toBe('waiting');
    const done = [
      task('running', { image: 'nginx:2' }),
      task('running', { image: 'nginx:2' }),
      task('running', { image: 'nginx:2' }),
    ];
    expect(judge(snapshot({ ...svc, UpdateStatus: { State: 'completed' } }, done), 'update')).toBe('converged');
    expect(judge(snapshot({ ...svc, UpdateStatus: { State: 'updating' } }, done), 'update')).toBe('waiting');
  });

  it('stops at a paused update, and tells a Swarm rollback from the expected one', () => {
    const running = [task('running'), task('running'), task('running')];
    expect(judge(snapshot(service({ update: 'paused' }), running), 'update')).toBe('paused');
    expect(judge(snapshot(service({ update: 'rollback_completed' }), running), 'update')).toBe('rolled_back');
    expect(judge(snapshot(service({ update: 'rollback_started' }), running), 'update')).toBe('waiting');
    expect(judge(snapshot(service({ update: 'rollback_completed' }), running), 'rollback')).toBe('converged');
  });
});

describe('swarm health', () => {
  const now = Date.parse('2026-11-30T03:05:00Z');

  it('a service below its replicas is degraded; with none running, unhealthy', () => {
    const svc = service();
    const two = [task('running'), task('running'), task('pending')];
    expect(assessSwarmService(svc, two, names, now)).toMatchObject({ verdict: 'starting', running: 2, desired: 3 });
    const failed = [task('running'), task('rejected', { desired: 'shutdown', err: 'No such image: nginx:1' })];
    const h = assessSwarmService(svc, failed, names, now);
    expect(h.verdict).toBe('degraded');
    expect(h.reasons[0]).toMatch(
      /below its desired replicas: 1 of 3 running; latest: web\.\d+ on node1: image nginx:1 is not on node node1.*No such image/,
    );
    expect(assessSwarmService(svc, [], names, now)).toMatchObject({
      verdict: 'unhealthy',
      reasons: ['0 of 3 tasks running'],
    });
  });

  it('tasks failing again and again within the window are a crash loop; old failures are not', () => {
    const svc = service();
    const loop = [
      task('running'),
      task('running'),
      task('running'),
      ...Array.from({ length: LOOP_FAILURES }, () =>
        task('failed', { desired: 'shutdown', err: 'task: non-zero exit (3)' }),
      ),
    ];
    expect(assessSwarmService(svc, loop, names, now).verdict).toBe('crash-looping');
    const old = loop.map((t) => ({ ...t, Status: { ...t.Status, Timestamp: '2026-11-30T02:00:00Z' } }));
    expect(assessSwarmService(svc, old, names, now)).toMatchObject({ verdict: 'healthy', recentFailures: 0 });
  });

  it('a node down makes the cluster degraded and names it; scaled to zero is stopped', () => {
    const h = assessSwarm(
      { NodeID: 'n1' },
      [node('n1', 'node1', { role: 'manager' }), node('n2', 'node2', { state: 'down' })],
      [service({ replicas: 0 })],
      [],
      now,
    );
    expect(h.verdict).toBe('degraded');
    expect(h.problems).toEqual(['node node2 (worker) is down; its tasks are rescheduled on the other nodes']);
    expect(h.nodes.find((n) => n.hostname === 'node2')).toMatchObject({ verdict: 'unhealthy', reasons: ['node down'] });
    expect(h.services[0]?.verdict).toBe('stopped');
  });
});
