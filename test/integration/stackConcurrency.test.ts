import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, TEST_LABEL } from './engine.js';
import { errorKind, errorText, startClient, uniqueName, type CallResult, type TestClient } from './mcpClient.js';
import { projectObjects, removeProject } from './stacksHelpers.js';

/*
 * Issue 13: deploys stay whole under races. Two server processes on one Engine (what two
 * clients, or a client retry through another server, amount to), one stack name.
 */

let a: TestClient;
let b: TestClient;
const projects: string[] = [];
const extra: string[] = [];

function project(): string {
  const name = uniqueName('race');
  projects.push(name);
  return name;
}

// A history file of its own (two processes share it), never the user's default one.
const tmp = mkdtempSync(join(tmpdir(), 'dom-race-'));
const env = { DOM_HISTORY_PATH: join(tmp, 'history.db') };

beforeAll(async () => {
  [a, b] = await Promise.all([startClient({ env }), startClient({ env })]);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await Promise.all(projects.map(removeProject));
  await Promise.all(
    extra.map((n) =>
      docker
        .getContainer(n)
        .remove({ force: true })
        .catch(() => undefined),
    ),
  );
  for (const p of projects)
    await docker
      .getContainer(`dom-lock-${p}`)
      .remove({ force: true })
      .catch(() => undefined);
  rmSync(tmp, { recursive: true, force: true });
});

const NEVER_HEALTHY = `
services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "600"]
    init: true
    stop_grace_period: 1s
    healthcheck: { test: ["CMD", "false"], interval: 1s, retries: 30 }
`;
const HEALTHY = `
services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "601"]
    init: true
    stop_grace_period: 1s
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 3 }
`;

function deploy(c: TestClient, name: string, compose: string, timeout: number): Promise<CallResult> {
  return c.call('deploy_application_stack', { name, compose, timeout });
}

async function runningContainers(name: string): Promise<string[]> {
  const list = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${name}`] } });
  return list.map((c) => (c.Names?.[0] ?? '').replace(/^\//, '')).sort();
}

describe('concurrent deploys of one stack name (finding 1)', () => {
  it("a failing deploy never removes another deploy's containers: the second one is refused with conflict while the first holds the stack", async () => {
    const name = project();
    const first = deploy(a, name, NEVER_HEALTHY, 6);
    await new Promise((r) => setTimeout(r, 1500));
    const second = await deploy(b, name, HEALTHY, 60);
    const firstAnswer = await first;
    expect(firstAnswer.isError).toBe(true);
    expect(errorText(firstAnswer)).toMatch(/did not become healthy/);
    expect(second.isError, errorText(second)).toBe(true);
    expect(errorKind(second)).toBe('conflict');
    expect(errorText(second)).toMatch(/is busy: a deploy .* holds its lock since/);
    // Nothing claims success, and the failed deploy left nothing.
    expect((await projectObjects(name)).containers).toEqual([]);
    // The lock is gone with its holder: the next deploy goes through and stays.
    const third = await deploy(b, name, HEALTHY, 60);
    expect(third.isError, errorText(third)).toBeFalsy();
    expect(await runningContainers(name)).toEqual([`${name}-app-1`]);
  });

  it('races of two clients with different composes, one failing: no deploy that reported success has lost its containers', async () => {
    const tried = { runs: 0, successes: 0, conflicts: 0, failures: 0 };
    for (let i = 0; i < 4; i++) {
      const name = project();
      const [failing, healthy] = i % 2 === 0 ? [a, b] : [b, a];
      const delay = [0, 200, 700, 50][i] ?? 0;
      const pf = deploy(failing, name, NEVER_HEALTHY, 4);
      await new Promise((r) => setTimeout(r, delay));
      const ph = deploy(healthy, name, HEALTHY, 60);
      const [rf, rh] = await Promise.all([pf, ph]);
      tried.runs++;
      for (const r of [rf, rh]) {
        if (!r.isError) tried.successes++;
        else if (errorKind(r) === 'conflict') tried.conflicts++;
        else tried.failures++;
      }
      expect(rf.isError).toBe(true);
      if (!rh.isError)
        expect(await runningContainers(name), `run ${i}: reported success, containers gone`).toEqual([`${name}-app-1`]);
      else
        expect(
          (await projectObjects(name)).containers,
          `run ${i}: both failed, stack must be as before (empty)`,
        ).toEqual([]);
    }
    console.log(`race check: ${JSON.stringify(tried)}`);
  });

  it('a rollback removes only what its own deploy created (an object another process added to the stack meanwhile stays)', async () => {
    const name = project();
    const first = deploy(a, name, NEVER_HEALTHY, 5);
    await new Promise((r) => setTimeout(r, 1500));
    // Another actor (not this server) adds a container with the stack's project label meanwhile.
    const other = `${name}-other-1`;
    extra.push(other);
    await docker.createContainer({
      name: other,
      Image: 'dom-test/busybox:1',
      Cmd: ['sleep', '600'],
      Labels: {
        'com.docker.compose.project': name,
        'com.docker.compose.service': 'other',
        'com.docker.compose.container-number': '1',
        [TEST_LABEL]: name,
      },
    });
    const r = await first;
    expect(r.isError).toBe(true);
    expect(errorText(r)).toMatch(new RegExp(`removed new container ${name}-app-1`));
    expect(errorText(r)).not.toMatch(/removed new container .*other/);
    expect((await projectObjects(name)).containers).toEqual([other]);
  });
});

describe('one-shot services (finding 6)', () => {
  it('a service that exits 0 at once is a finished one-shot, not a failed deploy', async () => {
    const name = project();
    const compose = `
services:
  migrate:
    image: dom-test/busybox:1
    command: "true"
  web:
    image: dom-test/busybox:1
    command: ["sleep", "600"]
    init: true
`;
    const r = await deploy(a, name, compose, 30);
    expect(r.isError, errorText(r)).toBeFalsy();
    const info = await docker.getContainer(`${name}-migrate-1`).inspect();
    expect(info.State.Status).toBe('exited');
    expect(info.State.ExitCode).toBe(0);
    expect(await runningContainers(name)).toEqual([`${name}-web-1`]);
    // A non-zero exit still fails the deploy.
    const bad = await deploy(a, name, compose.replace('command: "true"', 'command: "false"'), 30);
    expect(bad.isError).toBe(true);
    expect(errorText(bad)).toMatch(/migrate.*(exited with code 1|exit code 1)/s);
  });
});
