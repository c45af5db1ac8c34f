import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { composeV2 } from './composeCli.js';
import { BUSYBOX } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';
import { projectObjects, removeProject } from './stacksHelpers.js';

/*
 * Ours sees theirs: a stack that `docker compose up -d` (Compose v2) deployed is listed, reported
 * and health-checked by this server in any scope (reads need no ownership). Changing it is
 * outside the default ownership scope (it carries no managed label): remove_stack refuses with
 * the setting to use, and a server started with --scope all removes it. There is no silent
 * adoption: the managed label is the only proof of ownership, and a model must not be able to
 * claim objects by asking.
 */

const v2 = composeV2();
const tmp = mkdtempSync(join(tmpdir(), 'dom-interop-'));
const clients: TestClient[] = [];
const projects: string[] = [];

afterAll(async () => {
  for (const c of clients) await c.close();
  for (const p of projects) await removeProject(p);
  rmSync(tmp, { recursive: true, force: true });
});

describe('stacks deployed by Compose v2', () => {
  it.skipIf(typeof v2 === 'string' && process.env.CI !== 'true')(
    'are listed, reported and health-checked; removed only with --scope all',
    async () => {
      if (typeof v2 === 'string') throw new Error(`Compose v2 interop cannot run on CI: ${v2}`);
      const name = uniqueName('theirs');
      projects.push(name);
      const file = join(tmp, `${name}.yaml`);
      writeFileSync(
        file,
        `services:
  web:
    image: ${BUSYBOX}
    command: ["sh", "-c", "echo web-started; exec httpd -f -p 8080 -h /www"]
    init: true
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O- http://127.0.0.1:8080/ >/dev/null"]
      interval: 1s
      retries: 30
    networks: [back]
    volumes: [data:/data]
  worker:
    image: ${BUSYBOX}
    command: ["sleep", "3600"]
    init: true
    depends_on:
      web:
        condition: service_healthy
networks:
  back: {}
volumes:
  data: {}
`,
      );
      const compose = (...args: string[]) =>
        execFileSync(v2.bin, ['-f', file, '-p', name, ...args], {
          cwd: tmp,
          encoding: 'utf8',
          stdio: 'pipe',
          env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root' },
        });
      compose('up', '-d', '--wait', '--wait-timeout', '60');

      const mcp = await startClient({ env: { DOM_HISTORY_PATH: ':memory:' } });
      clients.push(mcp);
      const listed = await mcp.ok<{
        stacks: { name: string; services: number; running: number; managed: boolean; health: string }[];
      }>('list_stacks', { filters: { name } });
      expect(listed.stacks).toEqual([expect.objectContaining({ name, services: 2, running: 2, managed: false })]);

      const status = await mcp.ok<{
        managed: boolean;
        serviceStatus: { service: string; state: string; containers: { name: string; health?: string }[] }[];
        networks: string[];
        volumes: string[];
      }>('get_stack_status', { name });
      expect(status.managed).toBe(false);
      expect(status.serviceStatus.map((s) => [s.service, s.state]).sort()).toEqual([
        ['web', 'healthy'],
        ['worker', 'running'],
      ]);
      expect(status.serviceStatus.find((s) => s.service === 'web')?.containers[0]).toMatchObject({
        name: `${name}-web-1`,
        health: 'healthy',
      });
      expect(status.networks).toContain(`${name}_back`);
      expect(status.volumes).toContain(`${name}_data`);

      const health = await mcp.ok<{ verdict: string; services: { service: string; verdict: string }[] }>(
        'health_monitoring',
        { target: name },
      );
      expect(health.verdict).toBe('healthy');
      expect(health.services.map((s) => s.service).sort()).toEqual(['web', 'worker']);

      await mcp.fails('remove_stack', { name, confirm: true }, 'denied', /not created by this server.*--scope all/s);
      expect((await projectObjects(name)).containers).toHaveLength(2);

      const all = await startClient({ args: ['--scope', 'all'], env: { DOM_HISTORY_PATH: ':memory:' } });
      clients.push(all);
      await all.ok('remove_stack', { name, volumes: true, confirm: true });
      expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
      const ls = JSON.parse(execFileSync(v2.bin, ['ls', '--all', '--format', 'json'], { encoding: 'utf8' })) as {
        Name: string;
      }[];
      expect(ls.map((p) => p.Name)).not.toContain(name);
    },
    120_000,
  );
});
