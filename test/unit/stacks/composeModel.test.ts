import { describe, expect, it } from 'vitest';
import { toCreateBody } from '../../../src/docker/containerSpec.js';
import { ToolError } from '../../../src/kernel/errors.js';
import { checkHostAccess } from '../../../src/policy/hostAccess.js';
import { containerSpecFor, loadProject, type LoadProjectOptions } from '../../../src/stacks/compose/project.js';
import { planDeployment } from '../../../src/stacks/compose/plan.js';
import type { ComposeProject } from '../../../src/stacks/compose/model.js';
import { loadConfig } from '../../../src/config.js';
import { issuesOf, yaml } from './helpers.js';

/** A project from files held in memory: `/p/compose.yaml` is the main file. */
function fromFiles(files: Record<string, string>, opts: Partial<LoadProjectOptions> = {}): ComposeProject {
  return loadProject({
    text: files['/p/compose.yaml'] as string,
    projectName: 'demo',
    workingDir: '/p',
    configFile: '/p/compose.yaml',
    readFile: (path) => files[path],
    ...opts,
  });
}

function spec(project: ComposeProject, service: string) {
  return containerSpecFor(project, service, 1);
}

describe('extends', () => {
  it('merges a service of the same file as Compose does', () => {
    const p = loadProject({
      projectName: 'demo',
      text: yaml(
        'x-base: &base',
        '  image: dom-test/busybox:1',
        'services:',
        '  base:',
        '    <<: *base',
        '    command: sleep 1',
        '    entrypoint: ["/bin/sh", "-c"]',
        '    ports: ["127.0.0.1:8080:80"]',
        '    expose: ["9000"]',
        '    dns: [1.1.1.1]',
        '    environment: [A=1, B=2]',
        '    labels: {one: "1"}',
        '    volumes: ["/srv/a:/data", "/srv/logs:/logs"]',
        '    ulimits: {nofile: {soft: 100, hard: 200}, nproc: 50}',
        '  web:',
        '    extends: base',
        '    command: sleep 2',
        '    ports: ["127.0.0.1:8080:80", "127.0.0.1:8081:81"]',
        '    expose: ["9001"]',
        '    dns: [8.8.8.8]',
        '    environment: {B: "3", C: "4"}',
        '    labels: ["two=2"]',
        '    volumes: ["/srv/b:/data"]',
        '    ulimits: {nofile: 300}',
      ),
    });
    const web = spec(p, 'web');
    expect(web.command).toEqual(['sleep', '2']);
    expect(web.entrypoint).toEqual(['/bin/sh', '-c']);
    expect(web.ports.map((x) => x.hostPort)).toEqual([8080, 8081]);
    expect(web.env).toEqual({ A: '1', B: '3', C: '4' });
    expect(web.labels.one).toBe('1');
    expect(web.labels.two).toBe('2');
    expect(web.mounts.map((m) => `${m.source}:${m.target}`)).toEqual(['/srv/b:/data', '/srv/logs:/logs']);
    expect(web.extra?.expose).toEqual(['9000/tcp', '9001/tcp']);
    expect(web.extra?.dns).toEqual(['1.1.1.1', '8.8.8.8']);
    expect(web.extra?.ulimits).toEqual([
      { name: 'nofile', soft: 300, hard: 300 },
      { name: 'nproc', soft: 50, hard: 50 },
    ]);
  });

  it('reads a service from another file, its relative paths against that file', () => {
    const p = fromFiles({
      '/p/compose.yaml': yaml(
        'services:',
        '  web:',
        '    extends: {file: common/base.yaml, service: app}',
        '    environment: {MODE: web}',
      ),
      '/p/common/base.yaml': yaml(
        'services:',
        '  app:',
        '    image: dom-test/busybox:1',
        '    env_file: [app.env]',
        '    volumes: ["./conf:/conf:ro"]',
      ),
      '/p/common/app.env': 'FROM_FILE=yes\n',
    });
    const web = spec(p, 'web');
    expect(web.env).toEqual({ FROM_FILE: 'yes', MODE: 'web' });
    expect(web.mounts[0]).toMatchObject({ source: '/p/common/conf', target: '/conf', readOnly: true });
  });

  it('refuses cycles and missing bases by name', () => {
    const cycle = issuesOf(() =>
      loadProject({
        projectName: 'demo',
        text: yaml('services:', '  a:', '    extends: b', '  b:', '    extends: a', '    image: x'),
      }),
    );
    expect(cycle.map((i) => i.message).join('\n')).toMatch(/extends cycle: a -> b -> a/);
    const missing = issuesOf(() =>
      loadProject({ projectName: 'demo', text: yaml('services:', '  a:', '    extends: nope') }),
    );
    expect(missing[0]?.message).toMatch(/service "nope" is not defined in this file/);
  });
});

describe('include', () => {
  it('adds the services, networks and volumes of included files (short and long syntax)', () => {
    const p = fromFiles({
      '/p/compose.yaml': yaml(
        'include:',
        '  - db/compose.yaml',
        '  - path: cache.yaml',
        '    project_directory: other',
        '    env_file: other/vars.env',
        'services:',
        '  web:',
        '    image: dom-test/busybox:1',
        '    depends_on: [db, cache]',
      ),
      '/p/db/compose.yaml': yaml(
        'services:',
        '  db:',
        '    image: ${DB_IMAGE}',
        '    volumes: [data:/data, ./init:/init]',
        '    networks: [back]',
        'volumes: {data: {}}',
        'networks: {back: {}}',
      ),
      '/p/db/.env': 'DB_IMAGE=dom-test/busybox:1\n',
      '/p/cache.yaml': yaml('services:', '  cache:', '    image: ${CACHE_IMAGE}', '    volumes: ["./c:/c"]'),
      '/p/other/vars.env': 'CACHE_IMAGE=dom-test/redis:1\n',
    });
    expect(p.services.map((s) => s.name).sort()).toEqual(['cache', 'db', 'web']);
    expect(spec(p, 'db').image).toBe('dom-test/busybox:1');
    expect(spec(p, 'db').mounts.find((m) => m.target === '/init')?.source).toBe('/p/db/init');
    expect(spec(p, 'cache').image).toBe('dom-test/redis:1');
    expect(spec(p, 'cache').mounts[0]?.source).toBe('/p/other/c');
    expect(p.volumes.map((v) => v.name)).toEqual(['demo_data']);
    expect(p.networks.map((n) => n.name).sort()).toEqual(['demo_back', 'demo_default']);
  });

  it('refuses a name defined on both sides, and include cycles', () => {
    const conflict = issuesOf(() =>
      fromFiles({
        '/p/compose.yaml': yaml('include: [b.yaml]', 'services:', '  web:', '    image: a'),
        '/p/b.yaml': yaml('services:', '  web:', '    image: b'),
      }),
    );
    expect(conflict[0]?.message).toMatch(/service "web" is defined both here and in the included b.yaml/);
    const cycle = issuesOf(() =>
      fromFiles({
        '/p/compose.yaml': yaml('include: [b.yaml]', 'services:', '  web:', '    image: a'),
        '/p/b.yaml': yaml('include: [compose.yaml]', 'services:', '  other:', '    image: b'),
      }),
    );
    expect(cycle.map((i) => i.message).join('\n')).toMatch(/include cycle/);
  });

  it('a diamond of includes is loaded once per file, and the total is bounded', () => {
    const files: Record<string, string> = {
      '/p/compose.yaml': yaml('include: [l0a.yaml, l0b.yaml]', 'services:', '  web:', '    image: a'),
    };
    for (let i = 0; i < 25; i++) {
      const next = i === 24 ? [] : [`l${i + 1}a.yaml`, `l${i + 1}b.yaml`];
      for (const side of ['a', 'b'])
        files[`/p/l${i}${side}.yaml`] = yaml(`include: [${next.join(', ')}]`, 'services:', `  s${i}:`, '    image: x');
    }
    let reads = 0;
    const started = Date.now();
    const issues = issuesOf(() => fromFiles(files, { readFile: (path) => (reads++, files[path]) }));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(reads).toBeLessThan(500);
    expect(issues.map((i) => i.message).join('\n')).toMatch(/nested more than 20 deep|more than 200 files/);
  });

  it('odd shapes are refused, not crashed on', () => {
    for (const text of [
      yaml('include: x.yaml', 'services:', '  web:', '    image: a'),
      yaml('include: [5, {}, {path: []}]', 'services:', '  web:', '    image: a'),
      yaml('services:', '  web:', '    extends: 5'),
      yaml('services:', '  web:', '    extends: {service: 5, file: []}'),
      yaml('services:', '  web:', '    image: a', '    env_file: [{required: false}]'),
      yaml('services:', '  web:', '    image: a', '    network_mode: "service:"'),
      yaml('services:', '  web:', '    image: a', '    ulimits: {nofile: {soft: 10, hard: 5}}'),
      yaml('services:', '  web:', '    image: a', '    deploy: {restart_policy: {condition: sometimes}}'),
      yaml('services:', '  web:', '    image: a', 'networks: {n: {ipam: {config: [{subnet: 10.0.0.0/33}]}}}'),
    ]) {
      expect(issuesOf(() => fromFiles({ '/p/compose.yaml': text })).length).toBeGreaterThan(0);
    }
  });

  it('says how to use include with inline text', () => {
    const issues = issuesOf(() =>
      loadProject({ projectName: 'demo', text: yaml('include: [b.yaml]', 'services:', '  web:', '    image: a') }),
    );
    expect(issues[0]?.message).toMatch(/give the stack as `file`/);
  });
});

describe('YAML anchors, merge keys and extensions', () => {
  it('merges a list of anchors, later keys and own keys winning', () => {
    const p = loadProject({
      projectName: 'demo',
      text: yaml(
        'x-common: &common',
        '  image: dom-test/busybox:1',
        '  restart: always',
        'x-env: &env',
        '  environment: {A: "1"}',
        '  restart: "no"',
        'services:',
        '  web:',
        '    <<: [*common, *env]',
        '    x-note: anything',
        '    command: sleep 3600',
      ),
    });
    const web = spec(p, 'web');
    expect(web.image).toBe('dom-test/busybox:1');
    expect(web.env).toEqual({ A: '1' });
    // In a list of merged mappings the first one wins.
    expect(web.restart).toEqual({ name: 'always' });
  });
});

describe('interpolation as Compose does it', () => {
  const files = {
    '/p/compose.yaml': yaml(
      'services:',
      '  web:',
      '    image: ${IMAGE_NAME}',
      '    environment: {B: "${B}", C: "${C}", D: "${D}", E: "${E}"}',
    ),
    '/p/.env': yaml(
      'IMAGE_NAME="${IMAGE_NAME:-dom-test/busybox:1}"',
      'A=one',
      'B=${A}-two',
      "C='${A}'",
      'D=${UNSET:-${A}}',
      'E=${FROM_SERVER:-none}',
    ),
  };

  it('.env values interpolate each other, with nested defaults; single quotes stay literal', () => {
    const web = spec(fromFiles(files), 'web');
    expect(web.image).toBe('dom-test/busybox:1');
    expect(web.env).toEqual({ B: 'one-two', C: '${A}', D: 'one', E: 'none' });
  });

  it('precedence: env > .env > the server environment (when enabled)', () => {
    const web = spec(
      fromFiles(files, {
        env: { A: 'explicit' },
        fallbackEnv: { FROM_SERVER: 'srv', A: 'server', IMAGE_NAME: 'ignored' },
      }),
      'web',
    );
    expect(web.env).toEqual({ B: 'explicit-two', C: '${A}', D: 'explicit', E: 'srv' });
    // The .env line itself reads IMAGE_NAME, and the server's environment is a source it sees.
    expect(web.image).toBe('ignored');
  });

  it('${VAR:?message} names the variable and says the message', () => {
    const issues = issuesOf(() =>
      loadProject({
        projectName: 'demo',
        text: yaml('services:', '  web:', '    image: ${TAG:?set TAG to the image tag}'),
      }),
    );
    expect(issues[0]).toMatchObject({
      path: 'services.web.image',
      line: 3,
      message: 'required variable TAG is missing a value: set TAG to the image tag',
    });
  });

  it('~ in a bind source is the server home, not a variable', () => {
    const text = yaml('services:', '  web:', '    image: x', '    volumes: ["~/data:/data"]');
    const p = loadProject({ projectName: 'demo', text, homeDir: '/home/op', env: { HOME: '/elsewhere' } });
    expect(spec(p, 'web').mounts[0]?.source).toBe('/home/op/data');
    const issues = issuesOf(() => loadProject({ projectName: 'demo', text, env: { HOME: '/elsewhere' } }));
    expect(issues[0]?.message).toMatch(/"~" .*means the server's home folder/);
  });

  it('env_file long syntax: required false skips a missing file', () => {
    const p = fromFiles({
      '/p/compose.yaml': yaml(
        'services:',
        '  web:',
        '    image: x',
        '    env_file:',
        '      - path: a.env',
        '      - path: missing.env',
        '        required: false',
      ),
      '/p/a.env': 'X=${Y:-fallback}\nPRICE=5$\nLIT=a$$b\n',
    });
    expect(spec(p, 'web').env).toEqual({ X: 'fallback', PRICE: '5$', LIT: 'a$b' });
    const issues = issuesOf(() =>
      fromFiles({
        '/p/compose.yaml': yaml('services:', '  web:', '    image: x', '    env_file: [{path: missing.env}]'),
      }),
    );
    expect(issues[0]?.message).toMatch(/not found: create it, or mark it optional/);
  });
});

describe('service keys', () => {
  const project = loadProject({
    projectName: 'demo',
    text: yaml(
      'services:',
      '  db:',
      '    image: dom-test/busybox:1',
      '    networks:',
      '      back: {ipv4_address: 172.30.5.10}',
      '    sysctls: {net.ipv4.ip_local_port_range: "20000 30000"}',
      '    deploy: {restart_policy: {condition: on-failure, max_attempts: 3}}',
      '    stdin_open: true',
      '    tty: true',
      '    shm_size: 64m',
      '    tmpfs: ["/run:size=1m"]',
      '    read_only: true',
      '    pids_limit: 100',
      '    oom_score_adj: 10',
      '    mem_reservation: 32m',
      '    group_add: ["100"]',
      '    domainname: example.test',
      '    dns_search: [example.test]',
      '    pull_policy: if_not_present',
      '    platform: linux/amd64',
      '    develop: {watch: []}',
      '    logging: {driver: json-file, options: {max-size: 1m}}',
      '    annotations: {a: b}',
      '    external_links: [other]',
      '  sidecar:',
      '    image: dom-test/busybox:1',
      '    network_mode: service:db',
      '    volumes_from: ["db:ro"]',
      '  web:',
      '    image: dom-test/busybox:1',
      '    networks: [back]',
      '    links: ["db:database"]',
      '    depends_on:',
      '      ghost: {condition: service_started, required: false}',
      '      db: {condition: service_started, restart: true}',
      'networks:',
      '  back:',
      '    ipam:',
      '      config: [{subnet: 172.30.5.0/24, gateway: 172.30.5.1, ip_range: 172.30.5.128/25}]',
    ),
  });

  it('become container settings', () => {
    const db = spec(project, 'db');
    const body = toCreateBody(db, { multiNetwork: true });
    expect(body.HostConfig).toMatchObject({
      Sysctls: { 'net.ipv4.ip_local_port_range': '20000 30000' },
      RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
      ShmSize: 64 * 1024 * 1024,
      Tmpfs: { '/run': 'size=1m' },
      ReadonlyRootfs: true,
      PidsLimit: 100,
      OomScoreAdj: 10,
      MemoryReservation: 32 * 1024 * 1024,
      GroupAdd: ['100'],
      DnsSearch: ['example.test'],
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m' } },
    });
    expect(body).toMatchObject({ OpenStdin: true, Tty: true, Domainname: 'example.test' });
    expect(body.NetworkingConfig?.EndpointsConfig?.demo_back).toMatchObject({
      IPAMConfig: { IPv4Address: '172.30.5.10' },
    });
    expect(project.networks.find((n) => n.key === 'back')?.ipam?.config).toEqual([
      { subnet: '172.30.5.0/24', gateway: '172.30.5.1', ipRange: '172.30.5.128/25' },
    ]);
    expect(project.services.find((s) => s.name === 'db')).toMatchObject({
      pullPolicy: 'missing',
      platform: 'linux/amd64',
    });
  });

  it('network_mode service: and volumes_from name the first container of the service, and start after it', () => {
    const sidecar = spec(project, 'sidecar');
    expect(sidecar.networks).toEqual([{ name: 'container:demo-db-1', aliases: [] }]);
    expect(sidecar.security?.volumesFrom).toEqual(['demo-db-1:ro']);
    const body = toCreateBody(sidecar);
    expect(body.HostConfig?.NetworkMode).toBe('container:demo-db-1');
    expect(body.NetworkingConfig?.EndpointsConfig?.['container:demo-db-1']).toEqual({});
    expect(project.levels[0]).toContain('db');
    expect(project.levels.findIndex((l) => l.includes('sidecar'))).toBeGreaterThan(0);
  });

  it("a service in another's network namespace is recreated with it", () => {
    const actual = {
      networks: [{ name: 'demo_back', id: 'n1' }],
      volumes: [],
      containers: project.services.map((svc) => ({
        id: svc.name,
        name: `demo-${svc.name}-1`,
        service: svc.name,
        number: 1,
        state: 'running',
        configHash: svc.name === 'db' ? 'old' : svc.configHash,
      })),
    };
    const plan = planDeployment(project, actual);
    const byService = Object.fromEntries(plan.containers.map((c) => [c.service, c]));
    expect(byService.db?.action).toBe('recreate');
    expect(byService.sidecar).toMatchObject({
      action: 'recreate',
      reason: 'shares the namespace or volumes of demo-db-1, which is replaced',
    });
    expect(byService.web?.action).toBe('keep');
  });

  it('links become aliases of the linked service; required: false skips a missing dependency', () => {
    expect(spec(project, 'db').networks[0]?.aliases).toEqual(['db', 'database']);
    expect(project.services.find((s) => s.name === 'web')?.dependsOn.map((d) => d.service)).toEqual(['db']);
    expect(project.warnings.join('\n')).toMatch(/"ghost" is not defined; skipped \(required: false\)/);
    expect(project.warnings.filter((w) => w.startsWith('develop'))).toHaveLength(1);
    expect(project.warnings.join('\n')).toMatch(/external_links: not applied/);
  });

  it('refuses what cannot work, by name, saying what to do', () => {
    const issues = issuesOf(() =>
      loadProject({
        projectName: 'demo',
        text: yaml(
          'services:',
          '  a:',
          '    command: sleep 1',
          '  b:',
          '    image: x',
          '    network_mode: host',
          '    networks: [default]',
          '  c:',
          '    image: x',
          '    deploy: {replicas: 2}',
          '    networks: {n: {ipv4_address: 10.0.0.2}}',
          '    pull_policy: sometimes',
          'networks: {n: {}}',
        ),
      }),
    );
    const text = issues.map((i) => `${i.path}: ${i.message}`).join('\n');
    expect(text).toMatch(/services\.a: "image" or "build" is required: add "image: NAME".*"build:"/);
    expect(text).toMatch(/network_mode: cannot be combined with "networks"/);
    expect(text).toMatch(/fixed ipv4_address\/ipv6_address cannot be used with 2 replicas/);
    expect(text).toMatch(/pull_policy: expected one of always, never, missing, if_not_present/);
  });
});

describe('policy on the new keys', () => {
  const policy = loadConfig({}, {}).policy;
  const load = (lines: string[]) =>
    spec(loadProject({ projectName: 'demo', text: yaml('services:', '  s:', '    image: x', ...lines) }), 's');
  const denied = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ToolError);
      expect((err as ToolError).kind).toBe('denied');
      return (err as ToolError).message;
    }
    throw new Error('expected denied');
  };

  it('network_mode host needs DOM_ALLOW_HOST_NETWORK; namespaced sysctls and runc pass', () => {
    expect(denied(() => checkHostAccess(policy, load(['    network_mode: host']), 'here'))).toMatch(
      /DOM_ALLOW_HOST_NETWORK=1/,
    );
    expect(() =>
      checkHostAccess(policy, load(['    runtime: runc', '    sysctls: [net.core.somaxconn=1024]']), 'here'),
    ).not.toThrow();
    expect(() =>
      checkHostAccess({ ...policy, allowHostNetwork: true }, load(['    network_mode: host']), 'here'),
    ).not.toThrow();
  });

  it('other runtimes and remote logging drivers are refused unless allowed', () => {
    expect(denied(() => checkHostAccess(policy, load(['    runtime: runsc']), 'here'))).toMatch(
      /DOM_ALLOWED_RUNTIMES including runsc/,
    );
    expect(() =>
      checkHostAccess({ ...policy, allowedRuntimes: ['runsc'] }, load(['    runtime: runsc']), 'here'),
    ).not.toThrow();
    expect(
      denied(() =>
        checkHostAccess(
          policy,
          load(['    logging: {driver: gelf, options: {gelf-address: "udp://1.2.3.4:12201"}}']),
          'here',
        ),
      ),
    ).toMatch(/DOM_ALLOWED_LOG_DRIVERS including gelf/);
  });

  it('a host-wide sysctl is refused', () => {
    expect(denied(() => checkHostAccess(policy, load(['    sysctls: {vm.swappiness: "10"}']), 'here'))).toMatch(
      /sysctl vm.swappiness/,
    );
  });
});
