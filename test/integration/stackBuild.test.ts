import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, TEST_LABEL } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';
import { containerId, execIn, projectObjects, removeProject } from './stacksHelpers.js';

/*
 * Compose `build:` through a real MCP client against the real Engine: the context comes from the
 * server's file roots, .dockerignore is honoured, an unchanged redeploy builds and touches nothing,
 * a changed file rebuilds only its service, and a failing RUN names its step.
 */

let mcp: TestClient;
const RUN = uniqueName('build');
const projects: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'dom-build-'));

function project(prefix = 'b'): string {
  const name = uniqueName(prefix);
  projects.push(name);
  return name;
}

function writeContext(dir: string, marker: string): void {
  mkdirSync(join(root, dir, 'logs'), { recursive: true });
  writeFileSync(
    join(root, dir, 'Dockerfile'),
    [
      'FROM dom-test/busybox:1',
      'ARG GREETING=none',
      'COPY . /app',
      'RUN echo "$GREETING" > /app/greeting.txt',
      'HEALTHCHECK --interval=1s --timeout=2s --retries=20 CMD ["cat", "/app/ok.txt"]',
      'CMD ["sleep", "600"]',
      '',
    ].join('\n'),
  );
  writeFileSync(join(root, dir, 'ok.txt'), `${marker}\n`);
  writeFileSync(join(root, dir, 'secret.txt'), 'do-not-ship\n');
  writeFileSync(join(root, dir, 'logs', 'a.log'), 'noise\n');
  writeFileSync(join(root, dir, 'logs', 'keep.log'), 'kept\n');
  writeFileSync(
    join(root, dir, '.dockerignore'),
    ['# comments are ignored', 'secret.txt', 'logs/**', '!logs/keep.log', ''].join('\n'),
  );
}

function composeFor(): string {
  const service = (dir: string) => `
  ${dir}:
    build:
      context: ./${dir}
      args:
        GREETING: hello-${dir}
      labels:
        ${TEST_LABEL}: ${RUN}
    init: true
    stop_grace_period: 1s
    healthcheck:
      test: ["CMD", "cat", "/app/ok.txt"]
      interval: 1s
      retries: 20`;
  return `services:${service('app')}${service('side')}\n`;
}

interface Answer {
  plan: {
    summary: Record<string, number>;
    changes: boolean;
    builds?: { service: string; image: string; action: string; reason: string }[];
  };
  services?: { service: string; condition: string; containers: { name: string; id: string }[] }[];
}

async function imageId(ref: string): Promise<string> {
  return (await docker.getImage(ref).inspect()).Id;
}

beforeAll(async () => {
  writeContext('app', 'one');
  writeContext('side', 'side');
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

describe('stack services with build', () => {
  it('builds, deploys healthy, skips an unchanged rebuild and rebuilds only the changed service', async () => {
    const name = project();
    const progress: string[] = [];
    const first = await mcp.call(
      'deploy_application_stack',
      { name, compose: composeFor() },
      { onprogress: (p) => progress.push(p.message ?? '') },
    );
    expect(first.isError, first.content[0]?.text).toBeFalsy();
    const deployed = first.structuredContent as unknown as Answer;
    expect(deployed.plan.builds?.map((b) => [b.service, b.action])).toEqual([
      ['app', 'build'],
      ['side', 'build'],
    ]);
    expect(deployed.services?.map((s) => s.condition)).toEqual(['healthy', 'healthy']);
    expect(
      progress.some((m) => /^build app: Step \d+\/\d+ : COPY \. \/app$/.test(m)),
      progress.join('\n'),
    ).toBe(true);

    // Tagged as Compose tags it, with our build-hash label and the labels given.
    const image = await docker.getImage(`${name}-app`).inspect();
    expect(image.Config.Labels?.[TEST_LABEL]).toBe(RUN);
    expect(image.Config.Labels?.['io.docker-orchestration-mcp.build-hash']).toMatch(/^[0-9a-f]{64}$/);

    // .dockerignore: the secret and ignored logs are not in the image; the re-included log is; args reached RUN.
    const app = `${name}-app-1`;
    const ls = await execIn(app, ['ls', '-a', '/app', '/app/logs']);
    expect(ls.output).not.toContain('secret.txt');
    expect(ls.output).not.toContain('a.log');
    expect(ls.output).toContain('keep.log');
    expect(ls.output).toContain('.dockerignore');
    expect((await execIn(app, ['cat', '/app/greeting.txt'])).output.trim()).toBe('hello-app');

    const ids = {
      appImage: await imageId(`${name}-app`),
      sideImage: await imageId(`${name}-side`),
      app: await containerId(app),
      side: await containerId(`${name}-side-1`),
    };

    // Unchanged: nothing built, nothing touched.
    const again = await mcp.call('deploy_application_stack', { name, compose: composeFor() });
    expect(again.isError, again.content[0]?.text).toBeFalsy();
    const kept = again.structuredContent as unknown as Answer;
    expect(kept.plan.changes).toBe(false);
    expect(kept.plan.builds?.map((b) => [b.action, b.reason])).toEqual([
      ['keep', 'build inputs unchanged'],
      ['keep', 'build inputs unchanged'],
    ]);
    expect(again.content[0]?.text).toMatch(/up to date: nothing changed.*unchanged/s);
    expect(await imageId(`${name}-app`)).toBe(ids.appImage);
    expect(await containerId(app)).toBe(ids.app);
    expect(await containerId(`${name}-side-1`)).toBe(ids.side);

    // A changed file in app's context: the dry run says so and builds nothing; the deploy rebuilds app alone.
    writeFileSync(join(root, 'app', 'ok.txt'), 'two\n');
    const dry = await mcp.ok<Answer>('deploy_application_stack', { name, compose: composeFor(), dry_run: true });
    expect(dry.plan.builds?.map((b) => [b.service, b.action, b.reason])).toEqual([
      ['app', 'build', 'build inputs changed'],
      ['side', 'keep', 'build inputs unchanged'],
    ]);
    expect(dry.plan.summary).toMatchObject({ recreate: 1, keep: 1 });
    expect(await imageId(`${name}-app`)).toBe(ids.appImage);

    const changed = await mcp.ok<Answer>('deploy_application_stack', { name, compose: composeFor() });
    expect(changed.plan.builds?.map((b) => [b.service, b.action])).toEqual([
      ['app', 'build'],
      ['side', 'keep'],
    ]);
    expect(changed.plan.summary).toMatchObject({ recreate: 1, keep: 1 });
    expect(await imageId(`${name}-app`)).not.toBe(ids.appImage);
    expect(await imageId(`${name}-side`)).toBe(ids.sideImage);
    expect(await containerId(app)).not.toBe(ids.app);
    expect(await containerId(`${name}-side-1`)).toBe(ids.side);
    expect((await execIn(app, ['cat', '/app/ok.txt'])).output.trim()).toBe('two');
  });

  it('pull_policy: build always builds, missing builds only an absent image', async () => {
    const name = project();
    const compose = (policy: string) => `services:
  one:
    build:
      context: ./side
      labels:
        ${TEST_LABEL}: ${RUN}
    pull_policy: ${policy}
    init: true
    stop_grace_period: 1s
`;
    const first = await mcp.ok<Answer & { steps: { name: string; durationMs: number }[] }>('deploy_application_stack', {
      name,
      compose: compose('missing'),
      wait: 'running',
    });
    expect(first.plan.builds?.map((b) => [b.action, b.reason])).toEqual([
      ['build', `image ${name}-one is not on the Engine`],
    ]);
    const buildStep = first.steps.find((s) => s.name === `build ${name}-one`);
    expect(buildStep?.durationMs).toBeGreaterThan(0);
    const id = await containerId(`${name}-one-1`);
    const missing = await mcp.ok<Answer>('deploy_application_stack', {
      name,
      compose: compose('missing'),
      wait: 'running',
    });
    expect(missing.plan.builds?.map((b) => [b.action, b.reason])).toEqual([
      ['keep', `image ${name}-one is present (pull_policy "missing")`],
    ]);
    const always = await mcp.ok<Answer>('deploy_application_stack', {
      name,
      compose: compose('build'),
      wait: 'running',
    });
    expect(always.plan.builds?.map((b) => [b.action, b.reason])).toEqual([['build', 'pull_policy is "build"']]);
    // Same inputs, fully cached: the same image, so the container is kept.
    expect(always.plan.changes).toBe(false);
    expect(await containerId(`${name}-one-1`)).toBe(id);
  });

  it('names the failing Dockerfile step and its output, and leaves nothing behind', async () => {
    const name = project();
    const compose = `services:
  broken:
    build:
      context: ./app
      dockerfile_inline: |
        FROM dom-test/busybox:1
        RUN echo first-line && echo boom-output && exit 3
        CMD ["sleep", "600"]
      labels:
        ${TEST_LABEL}: ${RUN}
`;
    const text = await mcp.fails(
      'deploy_application_stack',
      { name, compose },
      'failed',
      /Service "broken".*step 2\/\d+ \(RUN echo first-line.*Last output:\n {2}first-line\n {2}boom-output$/s,
    );
    expect(text).toMatch(/returned a non-zero code: 3/);
    expect((await projectObjects(name)).containers).toEqual([]);
  });

  it('refuses a context outside the file roots', async () => {
    const name = project();
    const compose = `services:\n  x:\n    build: /etc\n`;
    await mcp.fails(
      'deploy_application_stack',
      { name, compose },
      'denied',
      /files are read only from the configured folders/,
    );
    await mcp.fails(
      'deploy_application_stack',
      { name, compose: `services:\n  x:\n    build: ../../etc\n` },
      'denied',
      /configured folders/,
    );
    await mcp.fails(
      'deploy_application_stack',
      { name, compose: `services:\n  x:\n    build: {context: ./app, network: host}\n` },
      'denied',
      /DOM_ALLOW_HOST_NETWORK/,
    );
  });

  it('configuration_validation reads the build context and builds nothing', async () => {
    const name = project();
    const v = await mcp.ok<{ valid: boolean; findings: { severity: string; service?: string; message: string }[] }>(
      'configuration_validation',
      {
        stack: { name, compose: composeFor() },
      },
    );
    expect(v.valid).toBe(true);
    expect(
      v.findings
        .filter((f) => /will be built at deploy/.test(f.message))
        .map((f) => f.service)
        .sort(),
    ).toEqual(['app', 'side']);
    await expect(docker.getImage(`${name}-app`).inspect()).rejects.toThrow();
    const outside = await mcp.ok<{ valid: boolean; findings: { severity: string; message: string }[] }>(
      'configuration_validation',
      {
        stack: { name, compose: `services:\n  x:\n    build: /etc\n` },
      },
    );
    expect(outside.valid).toBe(false);
    expect(outside.findings.find((f) => f.severity === 'error')?.message).toMatch(/configured folders/);
  });

  it('cancelling the deploy stops the build and creates nothing', async () => {
    const name = project();
    const compose = `services:
  slow:
    build:
      context: ./app
      dockerfile_inline: |
        FROM dom-test/busybox:1
        RUN echo started && sleep 60
      labels:
        ${TEST_LABEL}: ${RUN}
`;
    const ctrl = new AbortController();
    const t0 = Date.now();
    const call = mcp.client.callTool(
      { name: 'deploy_application_stack', arguments: { name, compose } },
      {
        signal: ctrl.signal,
        timeout: 120_000,
        onprogress: (p) => {
          if (/Step 2\/\d+ : RUN/.test(p.message ?? '')) setTimeout(() => ctrl.abort(), 1000);
        },
      },
    );
    await expect(call).rejects.toThrow();
    expect(Date.now() - t0).toBeLessThan(30_000);
    // The Engine stops the step when the request is aborted: no build container keeps running.
    let running: unknown[] = [];
    for (let i = 0; i < 20; i++) {
      running = (await docker.listContainers()).filter((c) => c.Command.includes('echo started && sleep 60'));
      if (!running.length) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(running).toEqual([]);
    expect((await projectObjects(name)).containers).toEqual([]);
    await expect(docker.getImage(`${name}-slow`).inspect()).rejects.toThrow();
  });

  it('reports the legacy builder refusing BuildKit-only syntax', async () => {
    const name = project();
    const compose = `services:
  kit:
    build:
      context: ./app
      dockerfile_inline: |
        FROM dom-test/busybox:1
        RUN --mount=type=cache,target=/cache echo hi
      labels:
        ${TEST_LABEL}: ${RUN}
`;
    // Engine 20.10's legacy builder: "the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ ..."
    await mcp.fails(
      'deploy_application_stack',
      { name, compose },
      'failed',
      /Service "kit".*step 2\/\d+ \(RUN --mount=type=cache.*the --mount option requires BuildKit/s,
    );
    expect((await projectObjects(name)).containers).toEqual([]);
  });

  it('makes a dry run with pull "never" check that images exist', async () => {
    const name = project();
    const compose = `services:\n  x:\n    image: dom-test/no-such-image:${RUN}\n`;
    await mcp.fails(
      'deploy_application_stack',
      { name, compose, dry_run: true, pull: 'never' },
      'not_found',
      /not present on the Engine and pull is "never"/,
    );
    const plan = await mcp.ok<Answer>('deploy_application_stack', {
      name,
      compose: `services:\n  x:\n    image: dom-test/busybox:1\n`,
      dry_run: true,
      pull: 'never',
    });
    expect(plan.plan.summary.create).toBe(1);
  });
});

describe('builds the Engine would fetch over the network (SSRF from the host)', () => {
  let server: Server;
  let port = 0;
  const hits: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`FROM dom-test/busybox:1\nLABEL ${TEST_LABEL}=${RUN}\n`);
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((done) => server.close(() => done()));
  });

  const url = (path: string) => `http://127.0.0.1:${port}${path}`;

  it('refuses a remote build context by default, in deploys, dry runs and validation', async () => {
    const name = project('ssrf');
    for (const context of [url('/internal/admin'), `git@127.0.0.1:o/r.git`, 'github.com/o/r']) {
      const compose = `services:\n  app:\n    image: dom-test/ssrf-${name}:1\n    build:\n      context: ${context}\n`;
      for (const dry_run of [false, true])
        await mcp.fails(
          'deploy_application_stack',
          { name, compose, dry_run, wait: 'none' },
          'denied',
          /remote-build-context.*DOM_ALLOW_REMOTE_BUILD_CONTEXTS/s,
        );
      const v = await mcp.ok<{ valid: boolean; findings: { severity: string; message: string }[] }>(
        'configuration_validation',
        { stack: { name, compose } },
      );
      expect(v.valid).toBe(false);
      expect(v.findings.find((f) => f.severity === 'error')?.message).toMatch(/DOM_ALLOW_REMOTE_BUILD_CONTEXTS/);
    }
    expect(hits, 'the Engine fetched a URL on the host loopback').toEqual([]);
    expect((await projectObjects(name)).containers).toEqual([]);
  });

  it('refuses a Dockerfile ADD of a URL by default, inline or in the context', async () => {
    const name = project('ssrfadd');
    mkdirSync(join(root, 'addctx'), { recursive: true });
    writeFileSync(join(root, 'addctx', 'README'), 'x\n');
    writeFileSync(
      join(root, 'addctx', 'Dockerfile'),
      [
        '# escape=`',
        'FROM dom-test/busybox:1',
        'add --chown=1:1 `',
        `  # comment`,
        `  ["${url('/meta')}", "/loot"]`,
        '',
      ].join('\n'),
    );
    const inline = `services:
  app:
    build:
      context: ./addctx
      dockerfile_inline: |
        FROM dom-test/busybox:1
        ARG U=${url('/latest/meta-data/iam')}
        ADD $$U /loot
`;
    const inContext = `services:\n  app:\n    build: ./addctx\n`;
    for (const compose of [inline, inContext])
      for (const dry_run of [false, true])
        await mcp.fails(
          'deploy_application_stack',
          { name, compose, dry_run, wait: 'none' },
          'denied',
          /remote-build-add.*DOM_ALLOW_REMOTE_BUILD_CONTEXTS/s,
        );
    expect(hits, 'the Engine fetched a URL named by a Dockerfile ADD').toEqual([]);
    await expect(docker.getImage(`${name}-app`).inspect()).rejects.toThrow();
  });

  it('with DOM_ALLOW_REMOTE_BUILD_CONTEXTS a local context still builds and a remote one is planned', async () => {
    const allowed = await startClient({
      env: { DOM_FILE_ROOTS: root, DOM_HISTORY_PATH: ':memory:', DOM_ALLOW_REMOTE_BUILD_CONTEXTS: '1' },
    });
    try {
      const name = project('ssrfok');
      const local = await allowed.ok<Answer>('deploy_application_stack', {
        name,
        compose: `services:\n  app:\n    build:\n      context: ./app\n      labels:\n        ${TEST_LABEL}: ${RUN}\n    init: true\n    stop_grace_period: 1s\n`,
        wait: 'none',
      });
      expect(local.plan.builds?.map((b) => b.action)).toEqual(['build']);
      expect((await docker.getImage(`${name}-app`).inspect()).Config.Labels?.[TEST_LABEL]).toBe(RUN);
      // A dry run plans the remote build without fetching it.
      const dry = await allowed.ok<Answer>('deploy_application_stack', {
        name: project('ssrfdry'),
        compose: `services:\n  app:\n    image: dom-test/ssrf-dry-${name}:1\n    build:\n      context: ${url('/ctx')}\n`,
        dry_run: true,
      });
      expect(dry.plan.builds?.map((b) => b.action)).toEqual(['build']);
      expect(hits).toEqual([]);
    } finally {
      await allowed.close();
    }
  });
});
