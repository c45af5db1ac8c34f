import { createServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { errorKind, errorText, freePort, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { projectObjects, removeProject } from './stacksHelpers.js';

/** Bad stack input: each a clear error, and no Engine object of the stack created. */

let mcp: TestClient;
const run = uniqueName('stacks-bad');
const projects: string[] = [];

beforeAll(async () => {
  mcp = await startClient();
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all(projects.map(removeProject));
  await cleanupByLabel(run);
});

function project(): string {
  const name = uniqueName('t');
  projects.push(name);
  return name;
}

const ok = (body: string) => `services:\n${body}`;

async function expectRefused(args: Record<string, unknown>, kind: string, ...patterns: RegExp[]): Promise<string> {
  const name = (args.name as string | undefined) ?? project();
  const r = await mcp.call('deploy_application_stack', { name, ...args });
  expect(r.isError, errorText(r)).toBe(true);
  expect(errorKind(r)).toBe(kind);
  const text = errorText(r);
  for (const p of patterns) expect(text).toMatch(p);
  expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  return text;
}

describe('deploy_application_stack refuses bad input before touching the Engine', () => {
  it('invalid YAML, with its line', async () => {
    await expectRefused(
      { compose: 'services:\n  web:\n    image: x\n   bad: [\n' },
      'invalid_input',
      /Invalid YAML/,
      /line \d/,
    );
  });

  it('unknown key and unsupported key, by name and line', async () => {
    await expectRefused(
      { compose: ok('  web:\n    image: dom-test/busybox:1\n    imagee: x\n') },
      'invalid_input',
      /imagee/,
      /line 4/,
    );
    await expectRefused(
      { compose: ok('  web:\n    image: dom-test/busybox:1\n    cgroup_parent: x\n') },
      'invalid_input',
      /cgroup_parent/,
      /not supported/,
      /line 4/,
    );
  });

  it('a dependency cycle and an unknown service in depends_on', async () => {
    const cycle = ok(
      '  a:\n    image: dom-test/busybox:1\n    depends_on: [b]\n  b:\n    image: dom-test/busybox:1\n    depends_on: [a]\n',
    );
    await expectRefused({ compose: cycle }, 'invalid_input', /cycle: (a -> b -> a|b -> a -> b)/);
    await expectRefused(
      { compose: ok('  a:\n    image: dom-test/busybox:1\n    depends_on: [ghost]\n') },
      'invalid_input',
      /ghost/,
    );
  });

  it('a required variable that is unset', async () => {
    await expectRefused(
      { compose: ok('  a:\n    image: dom-test/busybox:1\n    environment:\n      PW: ${DB_PW:?give DB_PW}\n') },
      'invalid_input',
      /give DB_PW/,
    );
    // The template says which variable is missing.
    await expectRefused(
      { template: 'web-stack', variables: { NGINX_PORT: String(await freePort()) } },
      'invalid_input',
      /POSTGRES_PASSWORD/,
    );
  });

  it('a host port taken by another container, and one taken by another process', async () => {
    const port = await freePort();
    const holder = await docker.createContainer({
      Image: 'dom-test/busybox:1',
      name: uniqueName('port-holder'),
      Cmd: ['httpd', '-f', '-p', '80'],
      Labels: { [TEST_LABEL]: run },
      ExposedPorts: { '80/tcp': {} },
      HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '127.0.0.1', HostPort: String(port) }] }, Init: true },
    });
    await holder.start();
    const compose = ok(
      `  web:\n    image: dom-test/busybox:1\n    command: ["sleep", "60"]\n    ports: ["127.0.0.1:${port}:80"]\n  other:\n    image: dom-test/busybox:1\n    command: ["sleep", "60"]\n`,
    );
    await expectRefused(
      { compose },
      'conflict',
      new RegExp(`host port ${port}/tcp is already published by container "port-holder-`),
      /nothing was changed/,
    );

    // A port held by a process outside Docker (the Engine runs on this machine).
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const busy = (server.address() as AddressInfo).port;
    try {
      const other = ok(
        `  web:\n    image: dom-test/busybox:1\n    command: ["sleep", "60"]\n    ports: ["127.0.0.1:${busy}:80"]\n`,
      );
      await expectRefused({ compose: other }, 'conflict', new RegExp(`host port ${busy} is in use`));
    } finally {
      server.close();
    }
  });

  it('two sources, no source, an unknown template', async () => {
    await expectRefused(
      { compose: ok('  a:\n    image: dom-test/busybox:1\n'), template: 'web-stack' },
      'invalid_input',
      /exactly one source/,
      /`compose` and `template`/,
    );
    await expectRefused({}, 'invalid_input', /Give exactly one source/);
    await expectRefused(
      { template: 'no-such-template' },
      'not_found',
      /Unknown template "no-such-template"/,
      /web-stack/,
    );
  });

  it('list_stack_templates describes the shipped templates with their variables', async () => {
    const t = await mcp.ok<{
      templates: {
        name: string;
        services: string[];
        variables: { name: string; default?: string; required: boolean }[];
      }[];
    }>('list_stack_templates');
    expect(t.templates.map((x) => x.name)).toEqual(['microservices', 'web-db', 'web-stack']);
    const web = t.templates.find((x) => x.name === 'web-stack');
    expect(web?.services).toEqual(['db', 'cache', 'web']);
    expect(web?.variables).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'NGINX_PORT', default: '8080', required: false }),
        expect.objectContaining({ name: 'NGINX_IMAGE', default: 'nginx:1.27' }),
        expect.objectContaining({ name: 'POSTGRES_PASSWORD', required: true }),
      ]),
    );
  });

  it('get_stack_status and remove_stack of an unknown stack: not_found', async () => {
    const name = project();
    expect(errorKind(await mcp.call('get_stack_status', { name }))).toBe('not_found');
    expect(errorKind(await mcp.call('remove_stack', { name, confirm: true }))).toBe('not_found');
  });
});
