import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, TEST_LABEL } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';
import { containerId, removeProject } from './stacksHelpers.js';

/*
 * A HEALTHCHECK only in the image's Dockerfile (the Compose file says nothing about health): the
 * deploy waits for it, as `docker compose up --wait` does, both as a service_healthy dependency and
 * in the final wait; `healthcheck: {disable: true}` in the file overrides it. And a dry run with a
 * service's own `pull_policy: never` reports its missing image.
 */

let mcp: TestClient;
const RUN = uniqueName('imghealth');
const projects: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'dom-imghealth-'));

interface Answer {
  services?: { service: string; condition: string; readyMs?: number }[];
}

beforeAll(async () => {
  mkdirSync(join(root, 'app'));
  // Healthy about two seconds after start: a deploy that does not wait answers before that.
  writeFileSync(
    join(root, 'app', 'Dockerfile'),
    [
      'FROM dom-test/busybox:1',
      'HEALTHCHECK --interval=500ms --timeout=2s --retries=30 CMD ["cat", "/tmp/ready"]',
      'CMD ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 600"]',
      '',
    ].join('\n'),
  );
  mcp = await startClient({ env: { DOM_FILE_ROOTS: root, DOM_HISTORY_PATH: ':memory:' } });
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all(projects.map(removeProject));
  const images = await docker.listImages({ filters: { label: [`${TEST_LABEL}=${RUN}`] } });
  for (const img of images)
    await docker
      .getImage(img.Id)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(root, { recursive: true, force: true });
});

describe('a HEALTHCHECK defined only in the image', () => {
  it('is waited for by a service_healthy dependant and by the final wait; disable overrides it', async () => {
    const name = uniqueName('ih');
    projects.push(name);
    writeFileSync(
      join(root, 'compose.yaml'),
      [
        'services:',
        '  app:',
        '    build:',
        '      context: ./app',
        '      labels:',
        `        ${TEST_LABEL}: ${RUN}`,
        '    stop_grace_period: 1s',
        '  quiet:',
        `    image: ${name}-app`,
        '    pull_policy: never',
        '    healthcheck: { disable: true }',
        '    stop_grace_period: 1s',
        '    depends_on: [app]',
        '  web:',
        '    image: dom-test/busybox:1',
        '    command: ["sleep", "600"]',
        '    stop_grace_period: 1s',
        '    depends_on:',
        '      app: { condition: service_healthy }',
        '',
      ].join('\n'),
    );
    const r = await mcp.call('deploy_application_stack', { name, file: join(root, 'compose.yaml'), timeout: 60 });
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    const services = (r.structuredContent as unknown as Answer).services ?? [];
    const cond = Object.fromEntries(services.map((s) => [s.service, s.condition]));
    expect(cond).toEqual({ app: 'healthy', quiet: 'running', web: 'running' });

    // Healthy when the answer came, and the dependant started only after that.
    const app = await docker.getContainer(await containerId(`${name}-app-1`)).inspect();
    expect(app.State.Health?.Status).toBe('healthy');
    const web = await docker.getContainer(await containerId(`${name}-web-1`)).inspect();
    const healthyAt = Date.parse(app.State.Health?.Log?.find((l) => l.ExitCode === 0)?.End ?? '');
    expect(Date.parse(web.State.StartedAt)).toBeGreaterThanOrEqual(healthyAt - 1000);
    expect(Date.parse(web.State.StartedAt) - Date.parse(app.State.StartedAt)).toBeGreaterThanOrEqual(1500);
    const quiet = await docker.getContainer(await containerId(`${name}-quiet-1`)).inspect();
    expect(quiet.State.Health).toBeUndefined();
  }, 120_000);

  it("dry run: a service's own pull_policy never reports its missing image", async () => {
    const name = uniqueName('ih');
    const r = await mcp.call('deploy_application_stack', {
      name,
      compose: `services:\n  a:\n    image: dom-test/absent-${RUN}:1\n    pull_policy: never\n`,
      dry_run: true,
    });
    expect(r.isError).toBe(true);
    expect(r.content[0]?.text).toMatch(/absent-.* is not present on the Engine and pull is "never"/);
  });
});
