// The milestone stack (web + db + cache) deployed as Swarm services on the three-node cluster of
// test/swarm/up.sh, over a real MCP client (target "swarm"): 3 nginx replicas spread over the
// nodes, healthy, reachable by name across nodes; a redeploy changes nothing; a rolling update
// to an image whose healthcheck fails is rolled back by Swarm; `docker stack ps` sees the stack
// and `docker stack rm` removes it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClient, uniqueName, type CallResult, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster, removeStack } from './cluster.js';
import { milestoneSwarmCompose as composeFile } from './milestone.js';

const cluster = loadCluster();
const stack = uniqueName('sw').replace(/[^a-z0-9_-]/g, '');
let mcp: TestClient;

interface SwarmAnswer {
  target: string;
  dryRun: boolean;
  plan: { summary: Record<string, number>; changes: boolean; networks: { action: string; name: string }[] };
  swarm: {
    services: {
      action: string;
      service: string;
      name: string;
      reason: string;
      replicas?: number;
      running?: number;
      nodes?: string[];
      condition?: string;
      image?: string;
    }[];
  };
  timeToHealthyMs?: number;
}

function text(r: CallResult): string {
  return r.content.map((c) => c.text ?? '').join('\n');
}

async function deploy(webImage: string, extra: Record<string, unknown> = {}, progress?: string[]): Promise<CallResult> {
  return mcp.call(
    'deploy_application_stack',
    { name: stack, compose: composeFile(webImage), target: 'swarm', timeout: 240, ...extra },
    progress ? { onprogress: (p) => progress.push(p.message ?? '') } : undefined,
  );
}

/** The running task containers of a service, by node index (0-2) and container id. */
async function taskContainers(service: string): Promise<{ node: number; id: string }[]> {
  const out: { node: number; id: string }[] = [];
  for (const [i, host] of cluster.nodeHosts.entries()) {
    const ids = (
      await docker(host, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${stack}_${service}`])
    )
      .trim()
      .split('\n')
      .filter(Boolean);
    out.push(...ids.map((id) => ({ node: i, id })));
  }
  return out;
}

beforeAll(async () => {
  mcp = await startClient({ env: { DOCKER_HOST: cluster.managerHost } });
});

afterAll(async () => {
  await mcp?.close();
  await removeStack(cluster, stack).catch(() => undefined);
  // The db volume stays on the node that ran it (docker stack rm keeps volumes too).
  for (const host of cluster.nodeHosts)
    await docker(host, ['volume', 'rm', '-f', `${stack}_db-data`]).catch(() => undefined);
});

describe('the milestone stack on a three-node Swarm', () => {
  it('plans, then deploys: 3 nginx replicas on the 3 nodes, every service healthy, names resolve across nodes', async () => {
    const plan = await deploy('dom-test/nginx:1', { dry_run: true });
    expect(plan.isError, text(plan)).toBeFalsy();
    const planned = plan.structuredContent as unknown as SwarmAnswer;
    expect(planned.target).toBe('swarm');
    expect(planned.plan.summary).toMatchObject({ create: 3, keep: 0, remove: 0 });
    expect(planned.plan.networks).toEqual([
      expect.objectContaining({ action: 'create', name: `${stack}_app-network` }),
    ]);
    expect((await docker(cluster.managerHost, ['service', 'ls', '-q', '--filter', `name=${stack}_`])).trim()).toBe('');

    const progress: string[] = [];
    const r = await deploy('dom-test/nginx:1', {}, progress);
    expect(r.isError, text(r)).toBeFalsy();
    const answer = r.structuredContent as unknown as SwarmAnswer;
    console.log(`swarm milestone stack: time to healthy ${answer.timeToHealthyMs} ms`);
    const byService = Object.fromEntries(answer.swarm.services.map((s) => [s.service, s]));
    expect(byService.web).toMatchObject({ action: 'create', replicas: 3, running: 3, condition: 'healthy' });
    expect(byService.web?.nodes).toEqual(['node1', 'node2', 'node3']);
    expect(byService.db).toMatchObject({ running: 1, nodes: ['node1'], condition: 'healthy' });
    expect(byService.cache).toMatchObject({ running: 1, condition: 'healthy' });
    expect(progress.some((m) => /creating service/.test(m))).toBe(true);
    expect(progress.some((m) => /healthy/.test(m))).toBe(true);

    // Labels as docker stack writes them.
    const labels = JSON.parse(
      await docker(cluster.managerHost, ['service', 'inspect', `${stack}_web`, '--format', '{{json .Spec.Labels}}']),
    ) as Record<string, string>;
    expect(labels).toMatchObject({
      'com.docker.stack.namespace': stack,
      'com.docker.stack.image': 'dom-test/nginx:1',
      tier: 'frontend',
    });

    // From a web task on each node: the db and cache by name, and every web replica by tasks.web.
    const webs = await taskContainers('web');
    expect(webs.map((w) => w.node).sort()).toEqual([0, 1, 2]);
    for (const w of webs) {
      const host = cluster.nodeHosts[w.node] as string;
      const probe = [
        'exec 3<>/dev/tcp/db/5432 && echo db-ok',
        'exec 4<>/dev/tcp/cache/6379 && printf "PING\\r\\n" >&4 && head -c 5 <&4',
        'for ip in $(getent ahostsv4 tasks.web | cut -d" " -f1 | sort -u); do exec 5<>/dev/tcp/$ip/80; printf "GET / HTTP/1.0\\r\\n\\r\\n" >&5; head -1 <&5; done',
      ].join('; ');
      const out = await docker(host, ['exec', w.id, 'bash', '-c', probe]);
      expect(out).toContain('db-ok');
      expect(out).toContain('+PONG');
      expect(out.match(/HTTP\/1\.1 200/g)?.length, out).toBe(3);
    }
  });

  it('a redeploy of the same file changes nothing', async () => {
    const r = await deploy('dom-test/nginx:1');
    expect(r.isError, text(r)).toBeFalsy();
    const answer = r.structuredContent as unknown as SwarmAnswer;
    expect(answer.plan.changes).toBe(false);
    expect(answer.plan.summary).toMatchObject({ create: 0, update: 0, keep: 3 });
    expect(text(r)).toContain('up to date');
  });

  it('docker stack ls and ps see the stack', async () => {
    const ls = await docker(cluster.managerHost, ['stack', 'ls', '--format', '{{.Name}} {{.Services}}']);
    expect(ls).toContain(`${stack} 3`);
    const ps = await docker(cluster.managerHost, [
      'stack',
      'ps',
      stack,
      '--filter',
      'desired-state=running',
      '--format',
      '{{.Name}} {{.Node}} {{.CurrentState}}',
    ]);
    const lines = ps.trim().split('\n');
    expect(lines.filter((l) => l.startsWith(`${stack}_web.`))).toHaveLength(3);
    expect(
      lines.every((l) => /Running/.test(l)),
      ps,
    ).toBe(true);
  });

  it('a rolling update to an image whose healthcheck fails is rolled back by Swarm, naming the failing tasks and nodes', async () => {
    // The redis image does not serve port 80: the web healthcheck fails on it.
    const r = await deploy('dom-test/redis:1');
    expect(r.isError).toBe(true);
    const message = text(r);
    console.log(`failed update answer: ${message.slice(0, 600)}`);
    expect(message).toMatch(/rolled back/);
    expect(message).toMatch(new RegExp(`${stack}_web\\.\\d+\\.\\w+ on node[123]`));
    expect(message).toContain('back on dom-test/nginx:1');

    const image = await docker(cluster.managerHost, [
      'service',
      'inspect',
      `${stack}_web`,
      '--format',
      '{{.Spec.TaskTemplate.ContainerSpec.Image}}',
    ]);
    expect(image.trim()).toBe('dom-test/nginx:1');
    const running = (
      await docker(cluster.managerHost, [
        'service',
        'ps',
        `${stack}_web`,
        '--filter',
        'desired-state=running',
        '--format',
        '{{.Image}} {{.CurrentState}}',
      ])
    )
      .trim()
      .split('\n');
    expect(running).toHaveLength(3);
    expect(
      running.every((l) => l.startsWith('dom-test/nginx:1 Running')),
      running.join('\n'),
    ).toBe(true);
  });

  it('the container policy judges every service: a bind of the Engine socket is refused, nothing created', async () => {
    const compose = `services:\n  agent:\n    image: dom-test/busybox:1\n    command: ["sleep", "600"]\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n`;
    const r = await mcp.call('deploy_application_stack', { name: `${stack}-pol`, compose, target: 'swarm' });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/denied/);
    expect(text(r)).toMatch(/docker\.sock|Engine socket/i);
    const made = await docker(cluster.managerHost, [
      'service',
      'ls',
      '-q',
      '--filter',
      `label=com.docker.stack.namespace=${stack}-pol`,
    ]);
    expect(made.trim()).toBe('');
  });

  it('docker stack rm removes what we deployed', async () => {
    // docker stack rm, then services, networks and tasks gone from the manager and every node.
    await removeStack(cluster, stack);
  });
});
