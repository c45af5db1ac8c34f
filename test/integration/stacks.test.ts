import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorKind, errorText, freePort, startClient, uniqueName, type TestClient } from './mcpClient.js';
import { composeV1, composeV2, parseComposeV2Ps } from './composeCli.js';
import { containerId, execIn, IMAGES, projectObjects, removeProject } from './stacksHelpers.js';

/*
 * The seed's milestone: nginx + postgres (named volume) + redis on app-network, health-gated,
 * deployed from the template and from a Compose file, against the real Engine over MCP stdio.
 */

let mcp: TestClient;
const projects: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'dom-stacks-'));

function project(prefix = 't'): string {
  const name = uniqueName(prefix);
  projects.push(name);
  return name;
}

beforeAll(async () => {
  // Compose files are read only from the configured roots.
  mcp = await startClient({ args: ['--file-root', tmp] });
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all(projects.map(removeProject));
  rmSync(tmp, { recursive: true, force: true });
});

interface DeployAnswer {
  stack: string;
  dryRun: boolean;
  plan: {
    summary: Record<string, number>;
    changes: boolean;
    containers: { action: string; service: string; name: string; reason: string }[];
  };
  services: {
    service: string;
    condition: string;
    readyMs?: number;
    containers: { name: string; id: string; action: string }[];
  }[];
  timeToHealthyMs: number;
  steps: { name: string; durationMs: number; outcome: string }[];
}

interface StatusAnswer {
  health: string;
  services: number;
  running: number;
  serviceStatus: {
    service: string;
    state: string;
    containers: { name: string; state: string; health?: string; ports: string[]; restarts: number }[];
  }[];
  networks: string[];
  volumes: string[];
}

async function psql(container: string, sql: string): Promise<string> {
  const r = await execIn(container, ['psql', '-U', 'postgres', '-d', 'app', '-tAc', sql]);
  expect(r.exitCode, r.output).toBe(0);
  return r.output.trim();
}

describe('the milestone web stack', () => {
  it('deploys from the template: all healthy, page answers, data survives a redeploy, only the changed service is recreated', async () => {
    const name = project();
    const port = await freePort();
    const variables = {
      ...IMAGES,
      POSTGRES_PASSWORD: 's3cret-pw',
      NGINX_PORT: String(port),
      NETWORK_NAME: `${name}-app-network`,
    };

    const progress: string[] = [];
    const r = await mcp.call(
      'deploy_application_stack',
      { name, template: 'web-stack', variables },
      { onprogress: (p) => progress.push(p.message ?? '') },
    );
    expect(r.isError, errorText(r)).toBeFalsy();
    const first = r.structuredContent as unknown as DeployAnswer;
    expect(first.plan.summary).toMatchObject({ create: 3, recreate: 0, keep: 0 });
    expect(first.timeToHealthyMs).toBeGreaterThan(0);
    expect(first.timeToHealthyMs).toBeLessThan(180_000);
    // The text block carries the result as JSON after one human line.
    expect(errorText(r)).toContain(`"timeToHealthyMs":${first.timeToHealthyMs}`);
    console.log(`milestone stack (template) time to healthy: ${first.timeToHealthyMs} ms`);
    expect(first.services.map((s) => [s.service, s.condition])).toEqual([
      ['db', 'healthy'],
      ['cache', 'healthy'],
      ['web', 'healthy'],
    ]);
    // nginx waits for both: it becomes ready after db and cache.
    const ready = Object.fromEntries(first.services.map((s) => [s.service, s.readyMs ?? 0]));
    expect(ready.web).toBeGreaterThanOrEqual(Math.max(ready.db ?? 0, ready.cache ?? 0));
    expect(progress).toEqual(
      expect.arrayContaining([
        `create ${name}-db-1`,
        `create ${name}-web-1`,
        'wait for db to be healthy',
        'wait for web to be healthy',
      ]),
    );
    expect(first.steps.every((s) => s.outcome === 'ok' && s.durationMs >= 0)).toBe(true);

    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(await page.text()).toContain('hello from nginx');

    const status = await mcp.ok<StatusAnswer>('get_stack_status', { name });
    expect(status.health).toBe('healthy');
    expect(status.running).toBe(3);
    expect(status.networks).toEqual([`${name}-app-network`]);
    expect(status.volumes).toEqual([`${name}_db-data`]);
    for (const s of status.serviceStatus) expect(s.containers[0]?.health).toBe('healthy');
    expect(status.serviceStatus.find((s) => s.service === 'web')?.containers[0]?.ports).toEqual([
      `127.0.0.1:${port}->80/tcp`,
    ]);

    const list = await mcp.ok<{
      stacks: { name: string; services: number; running: number; health: string; source?: string }[];
    }>('list_stacks', {
      filters: { name },
    });
    expect(list.stacks).toEqual([
      expect.objectContaining({ name, services: 3, running: 3, health: 'healthy', source: 'template:web-stack' }),
    ]);

    // cache and web reach each other by service name on app-network.
    const db = `${name}-db-1`;
    await psql(db, "CREATE TABLE notes (body text); INSERT INTO notes VALUES ('survives redeploys');");
    const ids = {
      db: await containerId(db),
      cache: await containerId(`${name}-cache-1`),
      web: await containerId(`${name}-web-1`),
    };

    // Unchanged redeploy: nothing recreated, the same containers.
    const again = await mcp.ok<DeployAnswer>('deploy_application_stack', { name, template: 'web-stack', variables });
    expect(again.plan.changes).toBe(false);
    expect(again.plan.summary).toMatchObject({ create: 0, recreate: 0, keep: 3 });
    expect(await containerId(db)).toBe(ids.db);
    expect(await containerId(`${name}-web-1`)).toBe(ids.web);

    // Change one service's env: only it is recreated; its data is in the named volume.
    const changed = await mcp.ok<DeployAnswer>('deploy_application_stack', {
      name,
      template: 'web-stack',
      variables: { ...variables, POSTGRES_DB: 'app2' },
    });
    expect(changed.plan.summary).toMatchObject({ recreate: 1, keep: 2 });
    expect(changed.plan.containers.find((c) => c.action === 'recreate')).toMatchObject({
      service: 'db',
      reason: 'config changed',
    });
    expect(await containerId(db)).not.toBe(ids.db);
    expect(await containerId(`${name}-cache-1`)).toBe(ids.cache);
    expect(await containerId(`${name}-web-1`)).toBe(ids.web);
    expect(await psql(db, 'SELECT body FROM notes')).toBe('survives redeploys');
    expect(await projectObjects(name)).toMatchObject({ containers: [`${name}-cache-1`, db, `${name}-web-1`] });

    // Removal keeps the volume unless asked.
    const notConfirmed = await mcp.ok<{ done: boolean }>('remove_stack', { name });
    expect(notConfirmed.done).toBe(false);
    const removed = await mcp.ok<{ done: boolean }>('remove_stack', { name, confirm: true });
    expect(removed.done).toBe(true);
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [`${name}_db-data`] });
    await mcp.ok('remove_stack', { name, volumes: true, confirm: true });
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  /** Writes the template as a Compose file with .env beside it and deploys it from the file. */
  async function deployFromFile(): Promise<{ name: string; dir: string; file: string }> {
    const name = project();
    const port = await freePort();
    const dir = join(tmp, name);
    execFileSync('mkdir', ['-p', dir]);
    const template = readFileSync(new URL('../../templates/web-stack.yml', import.meta.url), 'utf8');
    const file = join(dir, 'docker-compose.yml');
    writeFileSync(file, template);
    const env = {
      ...IMAGES,
      POSTGRES_PASSWORD: 'file-pw',
      NGINX_PORT: String(port),
      NETWORK_NAME: `${name}-app-network`,
    };
    writeFileSync(
      join(dir, '.env'),
      Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n',
    );

    const dry = await mcp.ok<DeployAnswer>('deploy_application_stack', { name, file, dry_run: true });
    expect(dry.dryRun).toBe(true);
    expect(dry.plan.summary).toMatchObject({ create: 3 });
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });

    const deployed = await mcp.ok<DeployAnswer>('deploy_application_stack', { name, file, timeout: 170 });
    console.log(`milestone stack (file) time to healthy: ${deployed.timeToHealthyMs} ms`);
    expect(deployed.services.every((s) => s.condition === 'healthy')).toBe(true);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('hello from nginx');
    return { name, dir, file };
  }

  const v1 = composeV1();
  // Compose v1 is what Debian 12 ships; where it is absent (the Engine 28 node) there is nothing to run.
  it.skipIf(!v1)(
    `deploys the same stack from a Compose file with .env beside it, and ${v1?.label ?? 'Compose v1'} sees and removes it`,
    async () => {
      const { name, dir, file } = await deployFromFile();
      const compose = (...args: string[]) =>
        execFileSync(v1!.bin, ['-f', file, '-p', name, ...args], { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      const ps = compose('ps');
      for (const s of ['db', 'cache', 'web']) expect(ps).toContain(`${name}-${s}-1`);
      expect(ps).toMatch(/Up \(healthy\)/);
      expect(compose('ps', '--services').split('\n').filter(Boolean).sort()).toEqual(['cache', 'db', 'web']);

      compose('down', '--volumes', '--timeout', '5');
      expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
    },
  );

  const v2 = composeV2();
  // What users run today: required on CI (CI=true fails here when DOM_COMPOSE_V2 is missing).
  it.skipIf(typeof v2 === 'string' && process.env.CI !== 'true')(
    `deploys the same stack from a Compose file, and ${typeof v2 === 'string' ? 'Compose v2' : v2.label} lists, shows and removes it`,
    async () => {
      if (typeof v2 === 'string') throw new Error(`Compose v2 interop cannot run on CI: ${v2}`);
      const { name, dir, file } = await deployFromFile();
      const run = (...args: string[]) => execFileSync(v2.bin, args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      const compose = (...args: string[]) => run('-f', file, '-p', name, ...args);

      const listed = (JSON.parse(run('ls', '--all', '--format', 'json')) as { Name: string; Status: string }[]).filter(
        (p) => p.Name === name,
      );
      expect(listed).toEqual([expect.objectContaining({ Name: name, Status: 'running(3)' })]);

      const ps = parseComposeV2Ps(compose('ps', '--format', 'json'));
      expect(ps.map((c) => c.Name).sort()).toEqual(['cache', 'db', 'web'].map((s) => `${name}-${s}-1`));
      expect(ps.map((c) => [c.Service, c.State, c.Health])).toEqual(
        expect.arrayContaining([
          ['db', 'running', 'healthy'],
          ['cache', 'running', 'healthy'],
          ['web', 'running', 'healthy'],
        ]),
      );
      expect(compose('ps', '--services').split('\n').filter(Boolean).sort()).toEqual(['cache', 'db', 'web']);

      // `logs` finds our containers by their Compose labels and prefixes each line with service-number.
      const logs = compose('logs', '--no-color', '--tail', '50', 'db');
      expect(logs).toMatch(/^db-1\s+\| .*ready to accept connections/m);

      compose('down', '--volumes', '--timeout', '5');
      expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
    },
  );
});

describe('failures roll back', () => {
  const busyboxStack = (opts: { port: number; healthy: boolean; version: string }) => `
services:
  app:
    image: dom-test/busybox:1
    command: ["httpd", "-f", "-p", "80", "-h", "/www"]
    init: true
    environment:
      VERSION: "${opts.version}"
    ports: ["127.0.0.1:${opts.port}:80"]
    volumes: [appdata:/data]
    networks: [back]
    healthcheck:
      test: ${opts.healthy ? '["CMD-SHELL", "wget -q -O- http://127.0.0.1/ >/dev/null"]' : '["CMD-SHELL", "echo database not reachable >&2; exit 1"]'}
      interval: 1s
      timeout: 2s
      retries: 2
    stop_grace_period: 1s
  sidecar:
    image: dom-test/busybox:1
    command: ["sleep", "3600"]
    init: true
    networks: [back]
    stop_grace_period: 1s
networks:
  back:
volumes:
  appdata:
`;

  it('a service that never becomes healthy: named with its health output, nothing of the deploy remains', async () => {
    const name = project();
    const port = await freePort();
    const r = await mcp.call('deploy_application_stack', {
      name,
      compose: busyboxStack({ port, healthy: false, version: '1' }),
      timeout: 60,
    });
    expect(r.isError).toBe(true);
    expect(errorKind(r)).toBe('failed');
    const text = errorText(r);
    expect(text).toContain('service "app"');
    expect(text).toMatch(/unhealthy|healthcheck failed/);
    expect(text).toContain('database not reachable');
    expect(text).toMatch(/Rolled back: .*removed new container/);
    expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
    // The history says what happened: the deploy failed, and its last step rolled it back.
    const { entries } = await mcp.ok<{
      entries: { outcome: string; steps: { name: string; outcome: string }[] }[];
    }>('get_deployment_history', { stack: name, kind: 'deploy_stack' });
    expect(entries[0]?.outcome).toBe('failed');
    expect(entries[0]?.steps.at(-1)).toMatchObject({ name: 'rollback', outcome: 'rolled_back' });
    expect(entries[0]?.steps.some((s) => s.outcome === 'failed')).toBe(true);
  });

  it('an update that fails leaves the previous version running', async () => {
    const name = project();
    const port = await freePort();
    const v1 = await mcp.ok<DeployAnswer>('deploy_application_stack', {
      name,
      compose: busyboxStack({ port, healthy: true, version: '1' }),
    });
    expect(v1.services.find((s) => s.service === 'app')?.condition).toBe('healthy');
    const before = await containerId(`${name}-app-1`);
    const sidecar = await containerId(`${name}-sidecar-1`);

    const r = await mcp.call('deploy_application_stack', {
      name,
      compose: busyboxStack({ port, healthy: false, version: '2' }),
      timeout: 60,
    });
    expect(r.isError).toBe(true);
    expect(errorText(r)).toContain('service "app"');
    expect(errorText(r)).toContain(`restored ${name}-app-1`);

    expect(await containerId(`${name}-app-1`)).toBe(before);
    expect(await containerId(`${name}-sidecar-1`)).toBe(sidecar);
    const status = await mcp.ok<StatusAnswer>('get_stack_status', { name });
    expect(status.serviceStatus.map((s) => [s.service, s.containers.map((c) => c.state)])).toEqual([
      ['app', ['running']],
      ['sidecar', ['running']],
    ]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('hello from busybox');
    const env = await execIn(`${name}-app-1`, ['env']);
    expect(env.output).toContain('VERSION=1');
    expect((await projectObjects(name)).containers).toEqual([`${name}-app-1`, `${name}-sidecar-1`]);
  });

  it('a cancelled deploy is rolled back', async () => {
    const name = project();
    const port = await freePort();
    const ctrl = new AbortController();
    const call = mcp.client
      .callTool(
        {
          name: 'deploy_application_stack',
          arguments: {
            name,
            compose: busyboxStack({ port, healthy: false, version: '1' }).replace('retries: 2', 'retries: 1000'),
            timeout: 120,
          },
        },
        { signal: ctrl.signal },
      )
      .catch((e: unknown) => e);
    // Cancel once the containers exist.
    for (let i = 0; i < 100 && (await projectObjects(name)).containers.length < 2; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect((await projectObjects(name)).containers.length).toBe(2);
    ctrl.abort();
    await call;
    let left = await projectObjects(name);
    for (let i = 0; i < 100 && left.containers.length + left.networks.length + left.volumes.length > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await projectObjects(name);
    }
    expect(left).toEqual({ containers: [], networks: [], volumes: [] });
  });
});

describe('more stacks', () => {
  it('microservices template: gateway after the services, queue healthy first; one-shot job gates with service_completed_successfully', async () => {
    const name = project();
    const port = await freePort();
    const deployed = await mcp.ok<DeployAnswer>('deploy_application_stack', {
      name,
      template: 'microservices',
      variables: {
        GATEWAY_IMAGE: IMAGES.NGINX_IMAGE,
        API_IMAGE: IMAGES.NGINX_IMAGE,
        WORKER_IMAGE: IMAGES.REDIS_IMAGE,
        REDIS_IMAGE: IMAGES.REDIS_IMAGE,
        GATEWAY_PORT: String(port),
      },
    });
    expect(deployed.services.map((s) => [s.service, s.condition])).toEqual([
      ['queue', 'healthy'],
      ['api', 'running'],
      ['worker', 'running'],
      ['gateway', 'running'],
    ]);
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toContain('hello from nginx');
    // The worker reaches the queue by service name on the internal backend network.
    const ping = await execIn(`${name}-worker-1`, ['redis-cli', '-h', 'queue', 'ping']);
    expect(ping.output.trim()).toBe('PONG');
    await mcp.ok('remove_stack', { name, volumes: true, confirm: true });

    const jobs = project();
    const compose = `
services:
  migrate:
    image: dom-test/busybox:1
    command: ["sh", "-c", "sleep 1; echo migrated"]
  app:
    image: dom-test/busybox:1
    command: ["sleep", "3600"]
    init: true
    deploy:
      replicas: 2
    depends_on:
      migrate:
        condition: service_completed_successfully
`;
    const r = await mcp.ok<DeployAnswer>('deploy_application_stack', { name: jobs, compose });
    expect(r.services.find((s) => s.service === 'migrate')?.condition).toBe('completed');
    const app = r.services.find((s) => s.service === 'app');
    expect(app?.containers.map((c) => c.name)).toEqual([`${jobs}-app-1`, `${jobs}-app-2`]);
    expect(app?.readyMs).toBeGreaterThanOrEqual(r.services.find((s) => s.service === 'migrate')?.readyMs ?? 0);
    const status = await mcp.ok<StatusAnswer>('get_stack_status', { name: jobs });
    expect(status.serviceStatus.find((s) => s.service === 'migrate')?.containers[0]?.state).toBe('exited');
  });
});
