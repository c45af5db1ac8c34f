import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { errorKind, errorText, freePort, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { projectObjects, removeProject } from './stacksHelpers.js';

/** configuration_validation over the real MCP client against the real Engine; and deploy_application_stack running the same checks. */

interface Finding {
  severity: 'error' | 'warning' | 'info';
  code: string;
  service?: string;
  field?: string;
  message: string;
  fix: string;
}
interface Validation {
  target: string;
  name: string;
  valid: boolean;
  counts: { error: number; warning: number; info: number };
  findings: Finding[];
  services?: string[];
}

let mcp: TestClient;
const run = uniqueName('validation');
const projects: string[] = [];
const servers: Server[] = [];
const MISSING_IMAGE = `dom-test/no-such-image-${run}:1`;

// A holder container deployed through deploy_container: httpd on 127.0.0.1:holderPort.
let holderName: string;
let holderPort: number;

function project(): string {
  const name = uniqueName('v');
  projects.push(name);
  return name;
}

async function validateStack(stack: Record<string, unknown>): Promise<Validation> {
  return mcp.ok<Validation>('configuration_validation', { stack });
}

function errors(v: Validation): Finding[] {
  return v.findings.filter((f) => f.severity === 'error');
}

/** A service that passes every check: pinned tag, healthcheck, restart policy, limits. */
function cleanService(name: string, extra = ''): string {
  return [
    `  ${name}:`,
    `    image: ${BUSYBOX}`,
    '    command: ["httpd", "-f", "-p", "80"]',
    '    init: true',
    '    restart: unless-stopped',
    '    healthcheck:',
    '      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1/ >/dev/null || exit 1"]',
    '      interval: 2s',
    '      retries: 3',
    '    deploy:',
    '      resources:',
    '        limits:',
    '          memory: 32m',
    '          cpus: "0.25"',
    '    stop_grace_period: 1s',
    extra,
  ]
    .filter(Boolean)
    .join('\n');
}

beforeAll(async () => {
  mcp = await startClient();
  holderName = uniqueName('holder');
  holderPort = await freePort();
  await mcp.ok('deploy_container', {
    image: BUSYBOX,
    name: holderName,
    command: ['httpd', '-f', '-p', '80'],
    ports: [`127.0.0.1:${holderPort}:80`],
    labels: { [TEST_LABEL]: run },
    init: true,
    stop_timeout: 1,
    wait: 'running',
  });
});

afterAll(async () => {
  await mcp?.close();
  for (const s of servers) s.close();
  await Promise.all(projects.map(removeProject));
  await cleanupByLabel(run);
});

describe('configuration_validation finds', () => {
  it('a host port held by a running container, for a stack and for a container spec', async () => {
    const v = await validateStack({
      name: project(),
      compose: `services:\n${cleanService('web', `    ports: ["127.0.0.1:${holderPort}:80"]`)}\n`,
    });
    expect(v.valid).toBe(false);
    expect(errors(v)).toEqual([
      expect.objectContaining({
        code: 'port',
        service: 'web',
        field: 'services.web.ports[0]',
        message: expect.stringContaining(
          `host port ${holderPort}/tcp is already published by container "${holderName}"`,
        ),
        fix: expect.stringMatching(/another host port|stop or remove/),
      }),
    ]);

    const c = await mcp.ok<Validation>('configuration_validation', {
      container: { image: BUSYBOX, ports: [`${holderPort}:80`] },
    });
    expect(c.target).toBe('container');
    expect(errors(c)).toEqual([
      expect.objectContaining({ code: 'port', field: 'ports[0]', message: expect.stringContaining(holderName) }),
    ]);
  });

  it('a host port held by a container of another stack', async () => {
    const other = project();
    const port = await freePort();
    const deployed = await mcp.ok<{ warnings: string[] }>('deploy_application_stack', {
      name: other,
      compose: `services:\n  app:\n    image: ${BUSYBOX}\n    command: ["httpd", "-f", "-p", "80"]\n    init: true\n    ports: ["127.0.0.1:${port}:80"]\n    stop_grace_period: 1s\n`,
      wait: 'running',
    });
    // deploy_application_stack runs the same checks: its warnings carry the good-practice findings, one line per service.
    expect(deployed.warnings).toEqual([
      expect.stringMatching(/^service "app": No healthcheck.*; No restart policy.*; No memory or cpus limit/),
    ]);

    const v = await validateStack({
      name: project(),
      compose: `services:\n${cleanService('web', `    ports: ["${port}:80"]`)}\n`,
    });
    expect(errors(v)).toEqual([
      expect.objectContaining({ code: 'port', message: expect.stringContaining(`(stack "${other}")`) }),
    ]);

    // The stack itself, unchanged and running, holds its own port: no conflict when it validates itself.
    const self = await validateStack({
      name: other,
      compose: `services:\n  app:\n    image: ${BUSYBOX}\n    command: ["httpd", "-f", "-p", "80"]\n    init: true\n    ports: ["127.0.0.1:${port}:80"]\n    stop_grace_period: 1s\n`,
    });
    expect(errors(self)).toEqual([]);
  });

  it('a host port held by a plain process listening on 127.0.0.1', async () => {
    const server = createServer();
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const busy = (server.address() as AddressInfo).port;
    const v = await validateStack({
      name: project(),
      compose: `services:\n${cleanService('web', `    ports: ["127.0.0.1:${busy}:80"]`)}\n`,
    });
    expect(errors(v)).toEqual([
      expect.objectContaining({
        code: 'port',
        service: 'web',
        message: `host port ${busy} is in use on 127.0.0.1 by another process`,
      }),
    ]);
    const c = await mcp.ok<Validation>('configuration_validation', {
      container: { image: BUSYBOX, ports: [`127.0.0.1:${busy}:80`] },
    });
    expect(errors(c).map((f) => f.code)).toEqual(['port']);
  });

  it('a missing image with pulls disabled (error), and one that would be pulled (warning; nothing pulled)', async () => {
    const c = await mcp.ok<Validation>('configuration_validation', {
      container: { image: MISSING_IMAGE, pull: 'never' },
    });
    expect(c.valid).toBe(false);
    expect(errors(c)).toEqual([
      expect.objectContaining({
        code: 'image',
        field: 'image',
        message: expect.stringMatching(/not present on the Engine and pull is "never"/),
        fix: expect.stringMatching(/pull_image|build/),
      }),
    ]);

    const s = await validateStack({
      name: project(),
      pull: 'never',
      compose: `services:\n${cleanService('web').replace(BUSYBOX, MISSING_IMAGE)}\n`,
    });
    expect(errors(s)).toEqual([
      expect.objectContaining({ code: 'image', service: 'web', field: 'services.web.image' }),
    ]);

    const pullable = await mcp.ok<Validation>('configuration_validation', { container: { image: MISSING_IMAGE } });
    expect(pullable.findings.find((f) => f.code === 'image')).toMatchObject({
      severity: 'warning',
      message: expect.stringMatching(/will be pulled/),
    });
    await expect(docker.getImage(MISSING_IMAGE).inspect()).rejects.toThrow();
  });

  it('name conflicts: deploy_container name, container_name, and NAME-SERVICE-1 owned by something else', async () => {
    const c = await mcp.ok<Validation>('configuration_validation', { container: { image: BUSYBOX, name: holderName } });
    expect(errors(c)).toEqual([
      expect.objectContaining({
        code: 'name',
        field: 'name',
        message: expect.stringContaining(`"${holderName}" is already taken`),
      }),
    ]);

    const s = await validateStack({
      name: project(),
      compose: `services:\n${cleanService('web', `    container_name: ${holderName}`)}\n`,
    });
    expect(errors(s)).toEqual([
      expect.objectContaining({
        code: 'name',
        service: 'web',
        field: 'services.web.container_name',
        fix: expect.stringMatching(/container_name/),
      }),
    ]);

    const name = project();
    await docker.createContainer({
      Image: BUSYBOX,
      name: `${name}-web-1`,
      Cmd: ['sleep', '1'],
      Labels: { [TEST_LABEL]: run },
    });
    const p = await validateStack({ name, compose: `services:\n${cleanService('web')}\n` });
    expect(errors(p)).toEqual([
      expect.objectContaining({
        code: 'name',
        service: 'web',
        message: expect.stringContaining(`"${name}-web-1" is already taken`),
      }),
    ]);
  });

  it('a missing external network and a missing external volume', async () => {
    const net = uniqueName('no-such-net');
    const vol = uniqueName('no-such-vol');
    const v = await validateStack({
      name: project(),
      compose: `services:\n${cleanService('web', `    networks: [ext]\n    volumes: ["data:/data"]`)}\nnetworks:\n  ext:\n    external: true\n    name: ${net}\nvolumes:\n  data:\n    external: true\n    name: ${vol}\n`,
    });
    expect(errors(v)).toEqual([
      expect.objectContaining({
        code: 'network',
        field: 'networks.ext',
        message: `external network "${net}" does not exist`,
        fix: expect.stringContaining('create_network'),
      }),
      expect.objectContaining({
        code: 'volume',
        field: 'volumes.data',
        message: `external volume "${vol}" does not exist`,
      }),
    ]);
  });

  it('a dependency cycle and schema errors: findings with fields and lines, not a tool error', async () => {
    const cycle = await mcp.call('configuration_validation', {
      stack: {
        name: project(),
        compose: `services:\n  a:\n    image: ${BUSYBOX}\n    depends_on: [b]\n  b:\n    image: ${BUSYBOX}\n    depends_on: [a]\n`,
      },
    });
    expect(cycle.isError ?? false).toBe(false);
    const v = cycle.structuredContent as unknown as Validation;
    expect(v.valid).toBe(false);
    expect(v.findings).toEqual([
      expect.objectContaining({
        severity: 'error',
        code: 'dependency',
        field: expect.stringMatching(/^services\.(a|b)\.depends_on$/),
        message: expect.stringMatching(/^line \d+: dependency cycle: (a -> b -> a|b -> a -> b)/),
      }),
    ]);

    const schema = await validateStack({
      name: project(),
      compose: `services:\n  web:\n    image: ${BUSYBOX}\n    imagee: x\n    ports: ["notaport"]\n    depends_on: [ghost]\n`,
    });
    expect(schema.findings.map((f) => f.field).sort()).toEqual(
      expect.arrayContaining(['services.web.imagee', 'services.web.ports[0]']),
    );
    expect(schema.findings.find((f) => f.field === 'services.web.imagee')?.message).toMatch(/^line 4: /);
    expect(schema.findings.every((f) => f.severity === 'error' && f.fix.length > 0)).toBe(true);

    const required = await validateStack({
      template: 'web-stack',
      name: project(),
      variables: { NGINX_PORT: String(await freePort()) },
    });
    expect(required.findings.some((f) => /POSTGRES_PASSWORD/.test(f.message))).toBe(true);
  });

  it('limits above what the Engine has, and policy violations', async () => {
    const info = await docker.info();
    const v = await mcp.ok<Validation>('configuration_validation', {
      container: {
        image: BUSYBOX,
        resources: { memory: `${Math.ceil(info.MemTotal / 1024 ** 3) + 8}g`, cpus: info.NCPU + 1 },
        volumes: ['/var/run/docker.sock:/s'],
      },
    });
    expect(errors(v).map((f) => [f.code, f.field])).toEqual([
      ['policy', 'volumes'],
      ['limits', 'resources.memory'],
      ['limits', 'resources.cpus'],
    ]);
    expect(errors(v)[0]?.message).toMatch(/sensitive-bind-mount/);
    expect(errors(v)[0]?.fix).toMatch(/DOM_ALLOW_SENSITIVE_MOUNTS=1/);
  });

  it('warnings for a loose spec: no healthcheck, no restart policy, latest tag, no limits', async () => {
    const v = await validateStack({
      name: project(),
      compose: `services:\n  web:\n    image: ${BUSYBOX.replace(/:1$/, '')}\n`,
    });
    expect(v.findings.filter((f) => f.severity === 'warning').map((f) => f.code)).toEqual(
      expect.arrayContaining(['healthcheck', 'restart', 'tag', 'resources']),
    );
    expect(v.findings.every((f) => f.service === 'web' && f.fix)).toBe(true);
  });
});

describe('configuration_validation passes', () => {
  it('a clean stack: no errors, no warnings', async () => {
    const [p1, p2] = [await freePort(), await freePort()];
    const name = project();
    const compose = [
      'services:',
      cleanService(
        'web',
        `    ports: ["127.0.0.1:${p1}:80"]\n    depends_on:\n      api:\n        condition: service_healthy\n    networks: [front, back]`,
      ),
      cleanService('api', `    ports: ["127.0.0.1:${p2}:80"]\n    volumes: ["data:/data"]\n    networks: [back]`),
      'networks:',
      '  front:',
      '  back:',
      'volumes:',
      '  data:',
      '',
    ].join('\n');
    const r = await mcp.call('configuration_validation', { stack: { name, compose } });
    expect(r.isError ?? false).toBe(false);
    const v = r.structuredContent as unknown as Validation;
    expect(v).toMatchObject({
      target: 'stack',
      name,
      valid: true,
      counts: { error: 0, warning: 0, info: 0 },
      findings: [],
      services: ['web', 'api'],
    });
    expect(r.content[0]?.text).toMatch(/valid \(0 errors, 0 warnings, 0 info\)/);
    // Validation changes nothing.
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('a clean container spec', async () => {
    const v = await mcp.ok<Validation>('configuration_validation', {
      container: {
        image: BUSYBOX,
        name: uniqueName('free'),
        command: ['httpd', '-f', '-p', '80'],
        ports: [`127.0.0.1:${await freePort()}:80`],
        restart: 'unless-stopped',
        resources: { memory: '32m', cpus: 0.25 },
        healthcheck: { test: 'wget -q -O- http://127.0.0.1/', interval: '2s' },
      },
    });
    expect(v).toMatchObject({ valid: true, findings: [] });
  });
});

describe('bad input is a tool error', () => {
  it('neither or both of container and stack; a bad stack source', async () => {
    const none = await mcp.call('configuration_validation', {});
    expect(errorKind(none)).toBe('invalid_input');
    expect(errorText(none)).toMatch(/`container`.*`stack`/);
    const both = await mcp.call('configuration_validation', {
      container: { image: BUSYBOX },
      stack: { name: 'x', compose: 'services: {}' },
    });
    expect(errorKind(both)).toBe('invalid_input');
    expect(errorText(both)).toMatch(/not both/);
    const twoSources = await mcp.call('configuration_validation', {
      stack: { name: 'x', compose: 'services: {}', template: 'web-stack' },
    });
    expect(errorKind(twoSources)).toBe('invalid_input');
  });
});

describe('deploy_application_stack runs the same checks before creating anything', () => {
  it('a missing image with pull never, and a name conflict: refused, nothing created', async () => {
    const name = project();
    const r = await mcp.call('deploy_application_stack', {
      name,
      pull: 'never',
      compose: `services:\n${cleanService('web').replace(BUSYBOX, MISSING_IMAGE)}\n  other:\n    image: ${BUSYBOX}\n    command: ["sleep", "60"]\nnetworks:\n  default:\n`,
    });
    expect(errorKind(r)).toBe('not_found');
    expect(errorText(r)).toMatch(
      new RegExp(
        `nothing was changed:\\n- service "web" \\(services.web.image\\): Image ${MISSING_IMAGE} is not present`,
      ),
    );
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });

    const clash = await mcp.call('deploy_application_stack', {
      name,
      compose: `services:\n${cleanService('web', `    container_name: ${holderName}`)}\n`,
    });
    expect(errorKind(clash)).toBe('conflict');
    expect(errorText(clash)).toMatch(new RegExp(`container name "${holderName}" is already taken`));
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });
});

describe('deploy_container runs the host-port check before creating anything', () => {
  it('a port held by another container: conflict, no container created', async () => {
    const name = uniqueName('port-clash');
    const r = await mcp.call('deploy_container', {
      image: BUSYBOX,
      name,
      command: ['sleep', '60'],
      ports: [`127.0.0.1:${holderPort}:80`],
      labels: { [TEST_LABEL]: run },
    });
    expect(errorKind(r)).toBe('conflict');
    expect(errorText(r)).toMatch(
      new RegExp(
        `nothing was changed:\\n- \\(ports\\[0\\]\\): host port ${holderPort}/tcp is already published by container "${holderName}"`,
      ),
    );
    expect(await docker.listContainers({ all: true, filters: { name: [name] } })).toEqual([]);
  });
});
