import { loadConfig } from '../../../src/config.js';
import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/stacks/compose/index.js';
import { ToolError } from '../../../src/kernel/errors.js';
import { readSwarmDeploys } from '../../../src/swarm/deployConfig.js';
import { STACK_NAMESPACE } from '../../../src/swarm/cluster.js';
import {
  LABEL_SWARM_HASH,
  STACK_IMAGE,
  swarmFileName,
  toOverlayNetwork,
  toServiceSpec,
} from '../../../src/swarm/serviceSpec.js';
import { stackTarget } from '../../../src/tools/stacks/deploySwarm.js';

const OURS = { 'io.docker-orchestration-mcp.managed': 'true' };

function load(text: string, swarm = true) {
  return loadProject({ text, projectName: 'shop', swarm });
}

/** Every service's ServiceSpec, by service name. */
function specs(text: string) {
  const project = load(text);
  const deploys = readSwarmDeploys(project.sourceServices ?? {});
  return Object.fromEntries(
    project.services.map((s) => [s.name, toServiceSpec(project, s, s.spec, deploys.get(s.name)!, OURS)]),
  );
}

function errorOf(fn: () => unknown): ToolError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ToolError) return err;
    throw err;
  }
  throw new Error('expected a ToolError');
}

const WEB = `
services:
  web:
    image: nginx:1
    command: ["nginx", "-g", "daemon off;"]
    environment: { A: "1" }
    labels: { team: web }
    ports:
      - { target: 80, published: 8080, mode: host }
    healthcheck:
      test: ["CMD", "true"]
      interval: 2s
      retries: 3
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
      labels: { tier: frontend }
      placement:
        constraints: ["node.role==worker"]
        preferences: [{ spread: node.labels.zone }]
        max_replicas_per_node: 1
      restart_policy: { condition: on-failure, delay: 5s, max_attempts: 3, window: 1m }
      update_config: { parallelism: 2, delay: 10s, failure_action: rollback, monitor: 30s, max_failure_ratio: 0.25, order: start-first }
      rollback_config: { parallelism: 0, order: stop-first }
      resources:
        limits: { memory: 128m, cpus: '0.5', pids: 100 }
        reservations: { memory: 64m, cpus: '0.25' }
`;

describe('Compose service -> Swarm ServiceSpec', () => {
  it('converts deploy as docker stack deploy does', () => {
    const web = specs(WEB).web!;
    expect(web.Name).toBe('shop_web');
    expect(web.Labels).toMatchObject({
      tier: 'frontend',
      [STACK_NAMESPACE]: 'shop',
      [STACK_IMAGE]: 'nginx:1',
      ...OURS,
    });
    expect(web.Labels[LABEL_SWARM_HASH]).toMatch(/^[0-9a-f]{64}$/);
    expect(web.Mode).toEqual({ Replicated: { Replicas: 3 } });
    const c = web.TaskTemplate.ContainerSpec;
    expect(c).toMatchObject({
      Image: 'nginx:1',
      Args: ['nginx', '-g', 'daemon off;'],
      Env: ['A=1'],
      Healthcheck: { Test: ['CMD', 'true'], Interval: 2_000_000_000, Retries: 3 },
    });
    expect(c.Command).toBeUndefined();
    // The container gets the file's labels and the namespace, not Compose's or the service's.
    expect(c.Labels).toEqual({ team: 'web', [STACK_NAMESPACE]: 'shop' });
    expect(web.TaskTemplate.Placement).toEqual({
      Constraints: ['node.role==worker'],
      Preferences: [{ Spread: { SpreadDescriptor: 'node.labels.zone' } }],
      MaxReplicas: 1,
    });
    expect(web.TaskTemplate.RestartPolicy).toEqual({
      Condition: 'on-failure',
      Delay: 5e9,
      MaxAttempts: 3,
      Window: 60e9,
    });
    expect(web.TaskTemplate.Resources).toEqual({
      Limits: { MemoryBytes: 128 * 1024 * 1024, NanoCPUs: 5e8, Pids: 100 },
      Reservations: { MemoryBytes: 64 * 1024 * 1024, NanoCPUs: 2.5e8 },
    });
    expect(web.TaskTemplate.Networks).toEqual([{ Target: 'shop_default', Aliases: ['web'] }]);
    expect(web.UpdateConfig).toEqual({
      Parallelism: 2,
      Delay: 10e9,
      FailureAction: 'rollback',
      Monitor: 30e9,
      MaxFailureRatio: 0.25,
      Order: 'start-first',
    });
    expect(web.RollbackConfig).toEqual({ Parallelism: 0, Monitor: 5e9, Order: 'stop-first' });
    expect(web.EndpointSpec).toEqual({
      Mode: 'dnsrr',
      Ports: [{ Protocol: 'tcp', TargetPort: 80, PublishedPort: 8080, PublishMode: 'host' }],
    });
  });

  it('global mode; restart maps to a condition; a failed update rolls back unless the file says otherwise', () => {
    const agent = specs(`
services:
  agent:
    image: busybox
    entrypoint: ["sh", "-c"]
    command: ["sleep 1d"]
    restart: unless-stopped
    extra_hosts: ["db.local:10.0.0.5"]
    deploy: { mode: global }
`).agent!;
    expect(agent.Mode).toEqual({ Global: {} });
    expect(agent.TaskTemplate.RestartPolicy).toEqual({ Condition: 'any' });
    expect(agent.TaskTemplate.ContainerSpec).toMatchObject({
      Command: ['sh', '-c'],
      Args: ['sleep 1d'],
      Hosts: ['10.0.0.5 db.local'],
    });
    expect(agent.UpdateConfig).toEqual({ Parallelism: 1, FailureAction: 'rollback', Monitor: 5e9 });
    expect(agent.RollbackConfig).toBeUndefined();
    expect(agent.EndpointSpec).toEqual({ Mode: 'vip' });
  });

  it('the spec hash is stable and follows every change', () => {
    const a = specs(WEB).web!.Labels[LABEL_SWARM_HASH];
    expect(specs(WEB).web!.Labels[LABEL_SWARM_HASH]).toBe(a);
    expect(specs(WEB.replace('replicas: 3', 'replicas: 4')).web!.Labels[LABEL_SWARM_HASH]).not.toBe(a);
    expect(specs(WEB.replace('image: nginx:1', 'image: nginx:2')).web!.Labels[LABEL_SWARM_HASH]).not.toBe(a);
  });

  it('volumes carry the namespace; networks become attachable overlays labelled for the stack', () => {
    const text = `
services:
  db:
    image: postgres
    volumes: ["data:/var/lib/postgresql/data"]
    networks: [back]
networks:
  back: { labels: { purpose: db } }
volumes:
  data: {}
`;
    const db = specs(text).db!;
    expect(db.TaskTemplate.ContainerSpec.Mounts).toEqual([
      {
        Type: 'volume',
        Source: 'shop_data',
        Target: '/var/lib/postgresql/data',
        ReadOnly: false,
        VolumeOptions: { Labels: { [STACK_NAMESPACE]: 'shop' } },
      },
    ]);
    const project = load(text);
    const net = toOverlayNetwork(project, project.networks[0]!, 'inst');
    expect(net.name).toBe('shop_back');
    expect(net.body).toMatchObject({
      Name: 'shop_back',
      Driver: 'overlay',
      Attachable: true,
      Labels: { purpose: 'db', [STACK_NAMESPACE]: 'shop', 'io.docker-orchestration-mcp.instance': 'inst' },
    });
    const bridged = load(text.replace('back: { labels', 'back: { driver: bridge, labels'));
    expect(errorOf(() => toOverlayNetwork(bridged, bridged.networks[0]!, 'inst')).message).toMatch(
      /driver "bridge" cannot span Swarm nodes/,
    );
  });
});

describe('secrets and configs', () => {
  it('are referenced by name (content digest in it), with target, owner and mode; ids are filled at apply', () => {
    const project = load(`
services:
  a:
    image: x
`);
    const s = project.services[0]!;
    const deploys = readSwarmDeploys(project.sourceServices ?? {});
    const refs = [
      {
        kind: 'secret' as const,
        name: swarmFileName('shop', 'token', 'ab'.repeat(32)),
        target: '/run/secrets/t',
        uid: 1,
        gid: 2,
        mode: 0o400,
      },
      { kind: 'config' as const, name: 'shop_motd_0123456789ab', target: '/etc/motd', uid: 0, gid: 0, mode: 0o444 },
    ];
    const spec = toServiceSpec(project, s, s.spec, deploys.get('a')!, {}, refs);
    expect(refs[0]!.name).toBe('shop_token_abababababab');
    expect(spec.TaskTemplate.ContainerSpec.Secrets).toEqual([
      {
        File: { Name: '/run/secrets/t', UID: '1', GID: '2', Mode: 0o400 },
        SecretName: 'shop_token_abababababab',
        SecretID: '',
      },
    ]);
    expect(spec.TaskTemplate.ContainerSpec.Configs).toEqual([
      {
        File: { Name: '/etc/motd', UID: '0', GID: '0', Mode: 0o444 },
        ConfigName: 'shop_motd_0123456789ab',
        ConfigID: '',
      },
    ]);
    const without = toServiceSpec(project, s, s.spec, deploys.get('a')!, {});
    expect(without.Labels[LABEL_SWARM_HASH]).not.toBe(spec.Labels[LABEL_SWARM_HASH]);
  });
});

describe('what a Swarm cannot do is refused by name', () => {
  it('dnsrr with a routing-mesh port, a bad mode, container_name, privileged', () => {
    const err = errorOf(() =>
      specs(`
services:
  a:
    image: x
    container_name: fixed
    ports: ["8080:80"]
    deploy: { endpoint_mode: dnsrr, mode: sometimes, update_config: { order: random } }
`),
    );
    expect(err.kind).toBe('invalid_input');
    const text = JSON.stringify(err.details ?? err.message) + err.message;
    expect(text).toMatch(/container_name is not supported on a Swarm/);
    expect(text).toMatch(/expected replicated or global/);
    expect(text).toMatch(/mode: host/);
    expect(text).toMatch(/expected stop-first or start-first/);
  });

  it('capabilities pass through; privileged is refused, naming the setting', () => {
    const project = load(`
services:
  a:
    image: x
    cap_add: [NET_ADMIN]
`);
    const deploys = readSwarmDeploys(project.sourceServices ?? {});
    const s = project.services[0]!;
    expect(toServiceSpec(project, s, s.spec, deploys.get('a')!, {}).TaskTemplate.ContainerSpec.CapabilityAdd).toEqual([
      'NET_ADMIN',
    ]);
    const privileged = { ...s.spec, security: { privileged: true } };
    expect(errorOf(() => toServiceSpec(project, s, privileged, deploys.get('a')!, {})).message).toMatch(
      /privileged cannot be set on a Swarm service/,
    );
  });

  it('refuses a mount path with a Go template (a node would expand "/{{""}}" to /)', () => {
    const project = load(`
services:
  a:
    image: x
`);
    const deploys = readSwarmDeploys(project.sourceServices ?? {});
    const s = project.services[0]!;
    const templated = {
      ...s.spec,
      mounts: [{ type: 'bind' as const, source: '/{{""}}', target: '/hostroot', readOnly: false }],
    };
    expect(errorOf(() => toServiceSpec(project, s, templated as never, deploys.get('a')!, {})).message).toMatch(
      /expands as a template/,
    );
  });

  it('without the Swarm target, the Swarm-only keys stay refused as before', () => {
    const err = errorOf(() => load(WEB, false));
    expect(err.message + JSON.stringify(err.details)).toMatch(/not supported/);
  });
});

describe('stack target', () => {
  it('the argument, else DOM_STACK_TARGET (engine by default); a bad setting stops the server', () => {
    expect(stackTarget(undefined, loadConfig({}))).toBe('engine');
    expect(stackTarget(undefined, loadConfig({ DOM_STACK_TARGET: 'swarm' }))).toBe('swarm');
    expect(stackTarget('engine', loadConfig({ DOM_STACK_TARGET: 'swarm' }))).toBe('engine');
    expect(() => loadConfig({ DOM_STACK_TARGET: 'k8s' })).toThrow(/DOM_STACK_TARGET/);
  });
});
