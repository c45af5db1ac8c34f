import { describe, expect, it } from 'vitest';
import { toCreateBody } from '../../../src/docker/containerSpec.js';
import { containerSpecFor, loadProject } from '../../../src/stacks/compose/project.js';
import { hostPath, hostPathProblem, protectedPaths } from '../../../src/policy/hostPaths.js';
import { planDeployment } from '../../../src/stacks/compose/plan.js';
import { issuesOf, yaml } from './helpers.js';

/** Shapes found in public Compose files (the outside corpus) that Compose v2 accepts. */
const load = (...lines: string[]) => loadProject({ projectName: 'demo', text: yaml(...lines) });

describe('pid and ipc "service:X"', () => {
  const p = load(
    'services:',
    '  app: { image: dom-test/busybox:1, ipc: shareable }',
    '  shm: { image: dom-test/busybox:1, ipc: "service:app" }',
    '  prof: { image: dom-test/busybox:1, pid: "service:app" }',
  );

  it('joins the first container of X, which starts first', () => {
    const hc = (s: string) => toCreateBody(containerSpecFor(p, s, 1)).HostConfig;
    expect(hc('shm')?.IpcMode).toBe('container:demo-app-1');
    expect(hc('prof')?.PidMode).toBe('container:demo-app-1');
    expect(p.levels[0]).toEqual(['app']);
    expect(p.services.find((s) => s.name === 'shm')?.dependsOn).toEqual([
      { service: 'app', condition: 'service_started' },
    ]);
  });

  it('recreates the sharer when X is replaced', () => {
    const running = (name: string, service: string, hash: string) => ({
      id: name,
      name,
      service,
      number: 1,
      configHash: hash,
      state: 'running',
      labels: {},
    });
    const hashOf = (s: string) => p.services.find((x) => x.name === s)?.configHash as string;
    const plan = planDeployment(p, {
      containers: [
        running('demo-app-1', 'app', 'old'),
        running('demo-shm-1', 'shm', hashOf('shm')),
        running('demo-prof-1', 'prof', hashOf('prof')),
      ],
      networks: [{ name: 'demo_default', id: 'n' }],
      volumes: [],
    } as unknown as Parameters<typeof planDeployment>[1]);
    const action = (name: string) => plan.containers.find((c) => c.name === name)?.action;
    expect(action('demo-app-1')).toBe('recreate');
    expect(action('demo-shm-1')).toBe('recreate');
    expect(action('demo-prof-1')).toBe('recreate');
  });

  it('refuses an unknown service by name', () => {
    const issues = issuesOf(() => load('services:', '  a: { image: x, ipc: "service:nope" }'));
    expect(issues.map((i) => [i.path, i.message])).toEqual([['services.a.ipc', 'unknown service "nope"']]);
  });
});

describe('deploy.resources', () => {
  it('maps reservations.memory to the soft limit and limits.pids to the pids limit, as Compose', () => {
    const p = load(
      'services:',
      '  api:',
      '    image: dom-test/busybox:1',
      '    deploy:',
      '      resources:',
      '        limits: { memory: 256M, cpus: "0.5", pids: 100 }',
      '        reservations: { memory: 128M, cpus: "0.25" }',
    );
    const hc = toCreateBody(containerSpecFor(p, 'api', 1)).HostConfig;
    expect(hc?.Memory).toBe(256 * 1024 * 1024);
    expect(hc?.MemoryReservation).toBe(128 * 1024 * 1024);
    expect(hc?.PidsLimit).toBe(100);
  });

  it('changes the config hash when the reservation changes', () => {
    const hash = (m: string) =>
      load('services:', `  api: { image: x, deploy: { resources: { reservations: { memory: ${m} } } } }`).services[0]
        ?.configHash;
    expect(hash('64M')).not.toBe(hash('128M'));
  });

  it('refuses a reservation above the limit, device requests and a doubled setting', () => {
    const issues = issuesOf(() =>
      load(
        'services:',
        '  a:',
        '    image: x',
        '    mem_reservation: 10M',
        '    deploy:',
        '      resources:',
        '        reservations: { memory: 1G, devices: [{ capabilities: [gpu] }] }',
        '  b:',
        '    image: x',
        '    deploy: { resources: { limits: { memory: 64M }, reservations: { memory: 128M } } }',
      ),
    );
    expect(issues.map((i) => i.path).sort()).toEqual([
      'services.a.deploy.resources.reservations.devices',
      'services.a.deploy.resources.reservations.memory',
      'services.b.deploy.resources.reservations.memory',
    ]);
  });
});

describe('build', () => {
  it('takes platforms that include the service platform, and refuses one that does not', () => {
    const p = load('services:', '  a: { build: { context: ., platforms: [linux/amd64, linux/arm64] } }');
    expect(p.services[0]?.build?.platforms).toEqual(['linux/amd64', 'linux/arm64']);
    expect(p.warnings.join('\n')).toMatch(/platforms: the image is built for the Engine's own platform only/);
    const issues = issuesOf(() =>
      load('services:', '  a: { platform: linux/riscv64, build: { context: ., platforms: [linux/amd64] } }'),
    );
    expect(issues.map((i) => i.path)).toEqual(['services.a.build.platforms']);
  });

  it('takes an empty dockerfile as the default and a Git URL as a remote context', () => {
    const p = load(
      'services:',
      '  a: { build: { context: ., dockerfile: "" } }',
      '  b: { build: { context: "https://github.com/docker/compose.git#main" } }',
    );
    expect(p.services[0]?.build?.dockerfile).toBeUndefined();
    expect(p.services[1]?.build?.context).toBe('https://github.com/docker/compose.git#main');
  });

  it('names BuildKit-only keys with what to do instead', () => {
    const issues = issuesOf(() => load('services:', '  a: { build: { context: ., ssh: [default] } }'));
    expect(issues[0]?.message).toMatch(/"ssh" is not supported: it needs BuildKit/);
  });
});

describe('binds of the memory devices every container has', () => {
  it('lets /dev/null through and still refuses the rest of /dev', () => {
    const list = protectedPaths([]);
    expect(hostPathProblem(hostPath('/dev/null', 'test'), list)).toBeUndefined();
    expect(hostPathProblem(hostPath('/dev/urandom', 'test'), list)).toBeUndefined();
    expect(hostPathProblem(hostPath('/dev/null/../sda', 'test'), list)).toMatch(/\/dev on the host/);
    expect(hostPathProblem(hostPath('/dev', 'test'), list)).toMatch(/\/dev on the host/);
    expect(hostPathProblem(hostPath('/dev/kmsg', 'test'), list)).toMatch(/\/dev on the host/);
  });
});

describe('a changed network', () => {
  const withSubnet = (subnet: string) =>
    load(
      'services:',
      '  a: { image: x, networks: [back] }',
      'networks:',
      `  back: { ipam: { config: [{ subnet: "${subnet}" }] } }`,
    );
  const actual = (hash: string | undefined) =>
    ({
      containers: [],
      networks: [{ name: 'demo_back', id: 'n1', ...(hash ? { configHash: hash } : {}) }],
      volumes: [],
    }) as Parameters<typeof planDeployment>[1];

  it('keeps a network created with the same settings and refuses one whose ipam changed', () => {
    const first = withSubnet('10.77.0.0/24');
    const hash = first.networks[0]?.labels['io.docker-orchestration-mcp.network-hash'];
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(planDeployment(first, actual(hash)).networks[0]?.action).toBe('keep');
    // Made before the label existed (or by Compose): nothing to compare, kept as before.
    expect(planDeployment(withSubnet('10.78.0.0/24'), actual(undefined)).networks[0]?.action).toBe('keep');
    expect(() => planDeployment(withSubnet('10.78.0.0/24'), actual(hash))).toThrow(
      /network "demo_back" \(networks.back\) exists with other settings/,
    );
  });
});
