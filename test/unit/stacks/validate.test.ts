import { describe, expect, it } from 'vitest';
import { loadProject } from '../../../src/stacks/compose/project.js';
import { issuesOf, yaml } from './helpers.js';

const load = (text: string, extra: Partial<Parameters<typeof loadProject>[0]> = {}) =>
  loadProject({ text, projectName: 'demo', workingDir: '/srv/demo', ...extra });

describe('unknown and unsupported keys', () => {
  it('names every refused key with its line', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:', //               1
          '  web:', //                  2
          '    image: nginx', //        3
          '    cgroup: host', //        4
          '    imagee: x', //           5
          '    ports:', //              6
          '      - target: 80', //      7
          '        mode: host', //      8
          'models: {}', //              9
          'networks:', //               10
          '  front:', //                11
          '    enable_ipv6: true', //   12
        ),
      ),
    );
    expect(issues).toEqual(
      expect.arrayContaining([
        {
          path: 'models',
          line: 9,
          message: '"models" is not supported: leave it out: model runners are not supported here',
        },
        {
          path: 'services.web.cgroup',
          line: 4,
          message: '"cgroup" is not supported: leave it out: containers use the Engine\'s default cgroup namespace',
        },
        { path: 'services.web.imagee', line: 5, message: 'unknown key "imagee" (did you mean "image"?)' },
        { path: 'services.web.ports[0].mode', line: 8, message: '"mode" is not supported' },
        { path: 'networks.front.enable_ipv6', line: 12, message: '"enable_ipv6" is not supported' },
      ]),
    );
    expect(issues).toHaveLength(5);
  });

  it('lists the problems in the message', () => {
    expect(() => load(yaml('services:', '  web:', '    image: nginx', '    gpus: all'))).toThrow(
      'Invalid Compose file (1 problem):\n- services.web.gpus (line 4): "gpus" is not supported: leave it out: GPUs are not passed to containers here',
    );
  });

  it('reads build in its short and long forms, and tags the image PROJECT-SERVICE', () => {
    const p = load(
      yaml(
        'services:',
        '  web:',
        '    build: ./web',
        '  api:',
        '    image: acme/api:2',
        '    pull_policy: build',
        '    build:',
        '      context: api',
        '      dockerfile: Dockerfile.prod',
        '      args: [MODE=prod, FROM_ENV]',
        '      target: runtime',
        '      labels: {team: a}',
        '      network: none',
        '      extra_hosts: ["db:10.0.0.2"]',
        '      shm_size: 64m',
        '      cache_from: [acme/api:cache]',
      ),
      { env: { FROM_ENV: 'yes' } },
    );
    const [web, api] = p.services;
    expect(web?.spec.image).toBe('demo-web');
    expect(web?.build).toEqual({ context: './web', args: {}, labels: {}, extraHosts: [], cacheFrom: [] });
    expect(api?.spec.image).toBe('acme/api:2');
    expect(api?.pullPolicy).toBe('build');
    expect(api?.build).toEqual({
      context: 'api',
      dockerfile: 'Dockerfile.prod',
      args: { MODE: 'prod', FROM_ENV: 'yes' },
      target: 'runtime',
      labels: { team: 'a' },
      network: 'none',
      extraHosts: ['db:10.0.0.2'],
      shmSizeBytes: 64 * 1024 * 1024,
      cacheFrom: ['acme/api:cache'],
    });
  });

  it('refuses a service with neither image nor build, and build keys it does not support', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:',
          '  a:',
          '    restart: always',
          '  b:',
          '    build:',
          '      context: ftp://example.com/repo',
          '      ssh: [default]',
          '      dockerfile: D',
          '      dockerfile_inline: FROM x',
        ),
      ),
    );
    const messages = issues.map((i) => i.message).join('\n');
    expect(messages).toContain('"image" or "build" is required');
    expect(messages).toMatch(/ssh.*not supported/);
    expect(messages).toContain('a remote build context is a Git repository or an HTTP(S) URL');
    expect(messages).toContain('"dockerfile" and "dockerfile_inline" cannot both be set');
  });

  it('lets extension keys through', () => {
    const p = load(yaml('x-common: {a: 1}', 'services:', '  web:', '    image: nginx', '    x-note: hi'));
    expect(p.services).toHaveLength(1);
  });

  it('collects all errors, lists ten in the message and all in details', () => {
    const lines = ['services:', '  web:', '    image: nginx', '    ports:'];
    for (let i = 0; i < 12; i++) lines.push(`      - "${70000 + i}"`);
    const issues = issuesOf(() => load(yaml(...lines)));
    expect(issues).toHaveLength(12);
    expect(issues[11]).toMatchObject({ path: 'services.web.ports[11]', line: 16 });
    try {
      load(yaml(...lines));
    } catch (err) {
      expect((err as Error).message).toContain('... and 2 more');
    }
  });
});

describe('references', () => {
  it('refuses unknown services, undeclared volumes and networks', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:',
          '  web:',
          '    image: nginx',
          '    depends_on: [db]',
          '    volumes: ["data:/data"]',
          '    networks: [back]',
        ),
      ),
    );
    expect(issues).toEqual([
      {
        path: 'services.web.volumes[0]',
        line: 5,
        message: 'volume "data" is not declared under the top-level "volumes"',
      },
      {
        path: 'services.web.networks[0]',
        line: 6,
        message: 'network "back" is not declared under the top-level "networks"',
      },
      {
        path: 'services.web.depends_on[0]',
        line: 4,
        message: 'unknown service "db": define it, or mark the dependency "required: false"',
      },
    ]);
  });

  it('names a dependency cycle', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:',
          '  web: {image: nginx, depends_on: [api]}',
          '  api: {image: api, depends_on: {web: {condition: service_healthy}}}',
          '  db: {image: db}',
        ),
      ),
    );
    expect(issues).toEqual([
      { path: 'services.web.depends_on', line: 2, message: 'dependency cycle: web -> api -> web' },
    ]);
  });

  it('refuses depending on itself and unknown conditions', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:',
          '  web:',
          '    image: nginx',
          '    depends_on:',
          '      web: {}',
          '      db: {condition: service_ready}',
          '  db: {image: db}',
        ),
      ),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'services.web.depends_on.web: dependency cycle: web -> web',
      expect.stringMatching(/^services\.web\.depends_on\.db\.condition: expected one of service_started/),
    ]);
  });
});

describe('values', () => {
  it.each([
    ['ports: ["99999:80"]', 'services.web.ports[0]', /port number from 1 to 65535/],
    ['ports: ["8000-8010:80"]', 'services.web.ports[0]', /ranges are not supported/],
    ['volumes: ["data:relative"]', 'services.web.volumes[0]', /absolute container path/],
    ['restart: sometimes', 'services.web.restart', /no, always, unless-stopped/],
    ['healthcheck: {test: "true", interval: soon}', 'services.web.healthcheck.interval', /duration/],
    ['healthcheck: {interval: 5s}', 'services.web.healthcheck', /"test" is required/],
    ['deploy: {replicas: 0}', 'services.web.deploy.replicas', /whole number >= 1/],
    ['deploy: {resources: {limits: {memory: lots}}}', 'services.web.deploy.resources.limits.memory', /size like/],
    [
      'deploy: {resources: {reservations: {generic_resources: []}}}',
      'services.web.deploy.resources.reservations.generic_resources',
      /not supported: a Swarm scheduling setting/,
    ],
    ['environment: 3', 'services.web.environment', /expected a mapping or a list/],
    ['init: maybe', 'services.web.init', /true or false/],
    ['extra_hosts: ["db"]', 'services.web.extra_hosts[0]', /HOST:IP/],
    ['labels: {com.docker.compose.project: x}', 'services.web.labels["com.docker.compose.project"]', /reserved/],
    ['working_dir: app', 'services.web.working_dir', /absolute/],
    ['stop_grace_period: forever', 'services.web.stop_grace_period', /duration/],
    ['command: "echo \'unbalanced"', 'services.web.command', /balanced quotes/],
    ['env_file: missing.env', 'services.web.env_file', /not found/],
  ])('%s is refused at %s', (line, path, message) => {
    const issues = issuesOf(() =>
      load(yaml('services:', '  web:', '    image: nginx', `    ${line}`), { readFile: () => undefined }),
    );
    expect(issues).toEqual([expect.objectContaining({ path, line: 4, message: expect.stringMatching(message) })]);
  });

  it('refuses container_name with several replicas', () => {
    const issues = issuesOf(() =>
      load(yaml('services:', '  web:', '    image: nginx', '    container_name: w', '    deploy: {replicas: 2}')),
    );
    expect(issues).toEqual([
      expect.objectContaining({ path: 'services.web.container_name', message: expect.stringMatching(/2 replicas/) }),
    ]);
  });

  it('refuses other keys next to external', () => {
    const issues = issuesOf(() =>
      load(
        yaml(
          'services:',
          '  web: {image: nginx, volumes: ["d:/d"]}',
          'volumes:',
          '  d:',
          '    external: true',
          '    driver: local',
        ),
      ),
    );
    expect(issues).toEqual([expect.objectContaining({ path: 'volumes.d.driver', line: 6 })]);
  });

  it('refuses an empty file and a file without services', () => {
    expect(issuesOf(() => load(''))[0]?.message).toMatch(/empty/);
    expect(issuesOf(() => load('version: "3"\n'))[0]?.message).toMatch(/"services" is required/);
  });

  it('refuses env_file without file access', () => {
    const issues = issuesOf(() =>
      loadProject({ text: yaml('services:', '  web: {image: nginx, env_file: a.env}'), projectName: 'p' }),
    );
    expect(issues[0]?.message).toMatch(/no file access/);
  });

  it('refuses relative binds without a project directory', () => {
    const issues = issuesOf(() =>
      loadProject({ text: yaml('services:', '  web: {image: nginx, volumes: ["./x:/x"]}'), projectName: 'p' }),
    );
    expect(issues[0]?.message).toMatch(/relative paths need the project directory/);
  });

  it('reports an unset required variable with path and line', () => {
    const issues = issuesOf(() =>
      load(yaml('services:', '  web:', '    image: nginx', '    environment:', '      PW: ${PW:?set a password}')),
    );
    expect(issues).toEqual([
      {
        path: 'services.web.environment.PW',
        line: 5,
        message: 'required variable PW is missing a value: set a password',
      },
    ]);
  });
});
