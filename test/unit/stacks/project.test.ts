import { describe, expect, it } from 'vitest';
import { toCreateBody } from '../../../src/docker/containerSpec.js';
import { containerSpecFor, loadProject } from '../../../src/stacks/compose/project.js';
import { issuesOf, yaml } from './helpers.js';

const FULL = yaml(
  'version: "3.8"',
  'name: from-file',
  'services:',
  '  web:',
  '    image: nginx:${TAG:-1.25}',
  '    command: nginx -g "daemon off;"',
  '    entrypoint: ["/docker-entrypoint.sh"]',
  '    env_file: [common.env, ./web.env]',
  '    environment:',
  '      MODE: production',
  '      FROM_ENV:',
  '      NUM: 3',
  '      FLAG: true',
  '    ports:',
  '      - "8080:80"',
  '      - 127.0.0.1::443/tcp',
  '      - 9000',
  '      - target: 53',
  '        published: "5353"',
  '        protocol: udp',
  '        host_ip: 127.0.0.1',
  '    volumes:',
  '      - data:/var/lib/data',
  '      - ./html:/usr/share/nginx/html:ro',
  '      - /cache',
  '      - type: bind',
  '        source: ../conf',
  '        target: /etc/conf',
  '        read_only: true',
  '      - {type: tmpfs, target: /tmp}',
  '      - {type: volume, source: shared, target: /shared}',
  '    networks:',
  '      front:',
  '        aliases: [www]',
  '      back:',
  '    depends_on:',
  '      db: {condition: service_healthy}',
  '      migrate: {condition: service_completed_successfully}',
  '      cache:',
  '    healthcheck:',
  '      test: curl -f http://localhost/',
  '      interval: 1m30s',
  '      timeout: 5s',
  '      start_period: 500ms',
  '      retries: 3',
  '    restart: on-failure:5',
  '    deploy:',
  '      resources:',
  '        limits: {memory: 256m, cpus: "0.5"}',
  '    labels: ["com.example.role=front", "com.example.empty"]',
  '    container_name: the-web',
  '    hostname: web.local',
  '    working_dir: /srv',
  '    user: 101',
  '    init: true',
  '    stop_grace_period: 1m',
  '    stop_signal: SIGQUIT',
  '    extra_hosts: ["db.local:10.0.0.2", "gw=host-gateway"]',
  '  db:',
  '    image: postgres:16',
  '    volumes: [data:/var/lib/postgresql/data]',
  '    networks: [back]',
  '    healthcheck:',
  '      test: ["CMD", "pg_isready"]',
  '    deploy: {replicas: 1}',
  '    labels: {tier: db}',
  '    extra_hosts: {b.local: 10.0.0.3, a.local: 10.0.0.4}',
  '  migrate:',
  '    image: migrate',
  '    entrypoint: /bin/migrate up',
  '    networks: [back]',
  '    healthcheck: {disable: true}',
  '    restart: "no"',
  '  cache:',
  '    image: redis',
  '    mem_limit: 64m',
  '    cpus: 0.25',
  '    deploy: {replicas: 3}',
  '    healthcheck: {test: [NONE]}',
  'networks:',
  '  front:',
  '    driver: bridge',
  '    attachable: true',
  '    labels: {team: web}',
  '  back:',
  '    internal: true',
  '    driver_opts: {com.docker.network.bridge.name: br-back}',
  '  unused: {}',
  'volumes:',
  '  data:',
  '    driver: local',
  '    driver_opts: {type: none, o: bind, device: /mnt/data}',
  '    labels: [backup=daily]',
  '  shared:',
  '    external: true',
  '    name: team-shared',
);

const FILES: Record<string, string> = {
  '/srv/app/common.env': 'COMMON=1\nMODE=dev\n',
  '/srv/app/web.env': 'WEB=yes\n',
  '/srv/app/.env': 'TAG=1.27\nFROM_ENV=dotenv\n',
};

function loadFull(extra: Partial<Parameters<typeof loadProject>[0]> = {}) {
  return loadProject({
    text: FULL,
    env: { FROM_ENV: 'shell' },
    workingDir: '/srv/app',
    readFile: (p) => FILES[p],
    ...extra,
  });
}

describe('loadProject normalises every supported key', () => {
  const project = loadFull();
  const web = project.services.find((s) => s.name === 'web');
  const db = project.services.find((s) => s.name === 'db');
  const migrate = project.services.find((s) => s.name === 'migrate');
  const cache = project.services.find((s) => s.name === 'cache');

  it('takes the top-level name and keeps file order', () => {
    expect(project.name).toBe('from-file');
    expect(project.services.map((s) => s.name)).toEqual(['web', 'db', 'migrate', 'cache']);
    expect(project.inactiveServices).toEqual([]);
  });

  it('interpolates with .env under the given env', () => {
    expect(web?.spec.image).toBe('nginx:1.27');
    expect(web?.spec.env).toEqual({
      COMMON: '1',
      WEB: 'yes',
      MODE: 'production',
      FROM_ENV: 'shell',
      NUM: '3',
      FLAG: 'true',
    });
  });

  it('splits command and entrypoint', () => {
    expect(web?.spec.command).toEqual(['nginx', '-g', 'daemon off;']);
    expect(web?.spec.entrypoint).toEqual(['/docker-entrypoint.sh']);
    expect(migrate?.spec.entrypoint).toEqual(['/bin/migrate', 'up']);
  });

  it('reads short and long ports', () => {
    expect(web?.spec.ports).toEqual([
      { containerPort: 80, hostPort: 8080, protocol: 'tcp' },
      { containerPort: 443, hostIp: '127.0.0.1', protocol: 'tcp' },
      { containerPort: 9000, protocol: 'tcp' },
      { containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1', protocol: 'udp' },
    ]);
  });

  it('prefixes named volumes, resolves binds against the project directory', () => {
    expect(web?.spec.mounts).toEqual([
      { type: 'volume', source: 'from-file_data', target: '/var/lib/data', readOnly: false },
      { type: 'bind', source: '/srv/app/html', target: '/usr/share/nginx/html', readOnly: true },
      { type: 'volume', target: '/cache', readOnly: false },
      { type: 'bind', source: '/srv/conf', target: '/etc/conf', readOnly: true },
      { type: 'tmpfs', target: '/tmp', readOnly: false },
      { type: 'volume', source: 'team-shared', target: '/shared', readOnly: false },
    ]);
  });

  it('prefixes networks, sorts them and adds the service name as an alias', () => {
    expect(web?.spec.networks).toEqual([
      { name: 'from-file_back', aliases: ['web'] },
      { name: 'from-file_front', aliases: ['web', 'www'] },
    ]);
    expect(cache?.spec.networks).toEqual([{ name: 'from-file_default', aliases: ['cache'] }]);
  });

  it('reads depends_on with conditions', () => {
    expect(web?.dependsOn).toEqual([
      { service: 'db', condition: 'service_healthy' },
      { service: 'migrate', condition: 'service_completed_successfully' },
      { service: 'cache', condition: 'service_started' },
    ]);
    expect(project.levels).toEqual([['db', 'migrate', 'cache'], ['web']]);
  });

  it('reads healthchecks in every form', () => {
    expect(web?.spec.healthcheck).toEqual({
      Test: ['CMD-SHELL', 'curl -f http://localhost/'],
      Interval: 90e9,
      Timeout: 5e9,
      StartPeriod: 500e6,
      Retries: 3,
    });
    expect(db?.spec.healthcheck).toEqual({ Test: ['CMD', 'pg_isready'] });
    expect(migrate?.spec.healthcheck).toEqual({ Test: ['NONE'] });
    expect(cache?.spec.healthcheck).toEqual({ Test: ['NONE'] });
  });

  it('reads restart, limits, replicas and the remaining fields', () => {
    expect(web?.spec).toMatchObject({
      restart: { name: 'on-failure', maximumRetryCount: 5 },
      memoryBytes: 256 * 1024 ** 2,
      nanoCpus: 0.5e9,
      hostname: 'web.local',
      workingDir: '/srv',
      user: '101',
      init: true,
      stopTimeoutSec: 60,
      stopSignal: 'SIGQUIT',
      extraHosts: ['db.local:10.0.0.2', 'gw:host-gateway'],
    });
    expect(web?.containerName).toBe('the-web');
    expect(migrate?.spec.restart).toEqual({ name: 'no' });
    expect(cache?.spec).toMatchObject({ memoryBytes: 64 * 1024 ** 2, nanoCpus: 0.25e9 });
    expect(cache?.replicas).toBe(3);
    expect(db?.spec.extraHosts).toEqual(['a.local:10.0.0.4', 'b.local:10.0.0.3']);
  });

  it('labels containers like Compose, plus ours', () => {
    expect(web?.spec.labels).toEqual({
      'com.example.role': 'front',
      'com.example.empty': '',
      'com.docker.compose.project': 'from-file',
      'com.docker.compose.service': 'web',
      'com.docker.compose.oneoff': 'False',
      'com.docker.compose.version': '1.29.2',
      'io.docker-orchestration-mcp.managed': 'true',
    });
  });

  it('lists the used networks and volumes with Engine names and labels', () => {
    expect(project.networks).toEqual([
      {
        key: 'front',
        name: 'from-file_front',
        external: false,
        driver: 'bridge',
        driverOpts: {},
        internal: false,
        attachable: true,
        labels: {
          team: 'web',
          'com.docker.compose.project': 'from-file',
          'com.docker.compose.network': 'front',
          'com.docker.compose.version': '1.29.2',
          'io.docker-orchestration-mcp.managed': 'true',
          'io.docker-orchestration-mcp.network-hash': expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      },
      expect.objectContaining({
        key: 'back',
        name: 'from-file_back',
        internal: true,
        driverOpts: { 'com.docker.network.bridge.name': 'br-back' },
      }),
      expect.objectContaining({ key: 'default', name: 'from-file_default', external: false }),
    ]);
    expect(project.volumes).toEqual([
      {
        key: 'data',
        name: 'from-file_data',
        external: false,
        driver: 'local',
        driverOpts: { type: 'none', o: 'bind', device: '/mnt/data' },
        labels: {
          backup: 'daily',
          'com.docker.compose.project': 'from-file',
          'com.docker.compose.volume': 'data',
          'com.docker.compose.version': '1.29.2',
          'io.docker-orchestration-mcp.managed': 'true',
        },
      },
      { key: 'shared', name: 'team-shared', external: true, driverOpts: {}, labels: {} },
    ]);
  });

  it('builds per-replica specs that toCreateBody accepts', () => {
    const spec = containerSpecFor(project, 'cache', 2);
    expect(spec.name).toBe('from-file-cache-2');
    expect(spec.labels['com.docker.compose.container-number']).toBe('2');
    expect(spec.labels['com.docker.compose.config-hash']).toBe(cache?.configHash);
    expect(cache?.spec.labels['com.docker.compose.container-number']).toBeUndefined();
    expect(containerSpecFor(project, 'web', 1).name).toBe('the-web');
    const body = toCreateBody(containerSpecFor(project, 'web', 1));
    expect(body.HostConfig?.NetworkMode).toBe('from-file_back');
    expect(() => containerSpecFor(project, 'nope', 1)).toThrow(/not an active service/);
  });
});

describe('project names', () => {
  const text = yaml('services:', '  web: {image: nginx}');
  it('prefers the given name and checks Compose rules', () => {
    expect(
      loadProject({ text: yaml('name: file', 'services:', '  web: {image: nginx}'), projectName: 'given' }).name,
    ).toBe('given');
    expect(() => loadProject({ text, projectName: 'Bad Name' })).toThrow(/invalid project name "Bad Name"/);
    expect(issuesOf(() => loadProject({ text }))[0]?.message).toMatch(/project name is required/);
    expect(
      issuesOf(() => loadProject({ text: yaml('name: _x', 'services:', '  web: {image: nginx}') }))[0],
    ).toMatchObject({ path: 'name', line: 1 });
  });
});

describe('profiles', () => {
  const text = yaml(
    'services:',
    '  web: {image: nginx}',
    '  debug: {image: busybox, profiles: [debug]}',
    '  tools: {image: tools, profiles: [debug, ops], depends_on: [debug]}',
  );

  it('leaves out services whose profiles are not enabled', () => {
    const p = loadProject({ text, projectName: 'p' });
    expect(p.services.map((s) => s.name)).toEqual(['web']);
    expect(p.inactiveServices).toEqual(['debug', 'tools']);
    expect(loadProject({ text, projectName: 'p', profiles: ['debug'] }).services.map((s) => s.name)).toEqual([
      'web',
      'debug',
      'tools',
    ]);
    expect(loadProject({ text, projectName: 'p', profiles: ['*'] }).services).toHaveLength(3);
  });

  it('refuses depending on an inactive service', () => {
    expect(issuesOf(() => loadProject({ text, projectName: 'p', profiles: ['ops'] }))).toEqual([
      expect.objectContaining({
        path: 'services.tools.depends_on.debug',
        line: 4,
        message: expect.stringMatching(/"debug", which is not active.*\(debug\)/),
      }),
    ]);
  });

  it('creates only the networks and volumes active services use', () => {
    const t = yaml(
      'services:',
      '  web: {image: nginx, networks: [front]}',
      '  debug: {image: busybox, profiles: [debug], volumes: ["d:/d"]}',
      'networks: {front: {}}',
      'volumes: {d: {}}',
    );
    const p = loadProject({ text: t, projectName: 'p' });
    expect(p.networks.map((n) => n.name)).toEqual(['p_front']);
    expect(p.volumes).toEqual([]);
  });
});

describe('environment', () => {
  it('passes through KEY from the interpolation env, leaves it out when unset, and warns about unset ${X}', () => {
    const p = loadProject({
      text: yaml('services:', '  web:', '    image: nginx', '    environment: [A, B, "C=${MISSING}", D=x=y]'),
      projectName: 'p',
      env: { A: 'from-env' },
    });
    expect(p.services[0]?.spec.env).toEqual({ A: 'from-env', C: '', D: 'x=y' });
    expect(p.warnings).toEqual(['The variable MISSING is not set; using an empty string.']);
  });

  it('does not read .env when told not to', () => {
    const p = loadProject({
      text: yaml('services:', '  web: {image: "nginx:${TAG:-latest}"}'),
      projectName: 'p',
      workingDir: '/w',
      readFile: () => 'TAG=9\n',
      dotEnv: false,
    });
    expect(p.services[0]?.spec.image).toBe('nginx:latest');
  });
});
