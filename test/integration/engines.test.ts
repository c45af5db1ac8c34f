import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineNode } from '../faults/engineNode.js';
import { BUSYBOX, cleanupByLabel, docker, sleeperArgs, TEST_LABEL } from './engine.js';
import { errorKind, errorText, freePort, startClient, uniqueName, type TestClient } from './mcpClient.js';

/**
 * Several Engines from one server (issue 16), through a real MCP client: the host's Engine
 * (20.10) and a Docker Engine 28.5 running as a container of it (the node image of
 * test/engine28, built by test/engine28/build-image.sh; .ci/run builds it before the tests),
 * plus a third Engine whose socket nothing listens on. A container is deployed on each of the
 * two live ones by `engine`, the same stack on both at once, a killed container healed by the
 * second Engine's own self-heal watcher; the dead one, and then the 28.5 one once its dockerd
 * is killed, answer engine_unavailable naming the Engine.
 *
 * Runs on the host only (test/engine28/run-suite.sh excludes it: inside a node there is no
 * host Engine to start another node on). Never skips: without the node image it fails.
 */

const NODE_IMAGE = process.env.ENGINE28_IMAGE ?? 'dom-test/engine28:1';

async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * A CA, a server certificate for 127.0.0.1 in `<dir>/tls` (what the node's dockerd uses) and a
 * client certificate in `<dir>/client` (ca.pem, cert.pem, key.pem: what DOM_ENGINE_<NAME>_CERT_PATH names).
 */
function makeTlsFiles(dir: string): void {
  const script = `set -e
mkdir -p "$1/tls" "$1/client" && cd "$1/tls"
openssl req -x509 -newkey rsa:2048 -nodes -keyout ca-key.pem -out ca.pem -days 2 -subj /CN=dom-test-ca
openssl req -newkey rsa:2048 -nodes -keyout server-key.pem -out server.csr -subj /CN=127.0.0.1
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile server.ext -out server-cert.pem
openssl req -newkey rsa:2048 -nodes -keyout ../client/key.pem -out client.csr -subj /CN=dom-test-client
printf 'extendedKeyUsage=clientAuth\n' >client.ext
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 -extfile client.ext -out ../client/cert.pem
cp ca.pem ../client/ca.pem`;
  execFileSync('bash', ['-c', script, 'tls', dir], { stdio: 'pipe' });
}

interface EngineRow {
  name: string;
  default: boolean;
  endpoint: string;
  reachable: boolean;
  version?: string;
  apiVersion?: string;
  error?: string;
}

describe('several Engines from one server', () => {
  const run = uniqueName('dom-engines');
  let node: EngineNode;
  let deadSocket: string;
  let tlsPort: number;
  const name = uniqueName('dom-eng-web');
  const stack = uniqueName('dom-eng-stack');
  let c: TestClient;

  beforeAll(async () => {
    try {
      execFileSync('docker', ['image', 'inspect', NODE_IMAGE], { stdio: 'ignore' });
    } catch {
      throw new Error(
        `the Engine 28.5 node image ${NODE_IMAGE} is missing: build it with bash test/engine28/build-image.sh (.ci/run does before the tests)`,
      );
    }
    tlsPort = await freePort();
    node = new EngineNode('dom-engines', { tlsPort });
    deadSocket = `${node.outer}-nowhere/docker.sock`;
    makeTlsFiles(node.outer);
    await node.start();
    c = await startClient({
      env: {
        DOM_ENGINES: `host=unix:///var/run/docker.sock,E28=${node.host},gone=unix://${deadSocket},e28-tls=tcp://127.0.0.1:${tlsPort}`,
        DOM_ENGINE_E28_TLS_TLS_VERIFY: '1',
        DOM_ENGINE_E28_TLS_CERT_PATH: `${node.outer}/client`,
        DOM_TOOLSETS: 'containers,stacks,operations',
        DOM_SELF_HEAL: '1',
        // An instance of its own: the watchers then heal only what this server made (other test files share the host Engine).
        DOM_INSTANCE: uniqueName('dom-test-engines'),
        DOM_SELF_HEAL_BACKOFF_MS: '200',
        // The watchers log that they follow their Engine's events.
        DOM_LOG_LEVEL: 'info',
      },
    });
  }, 300_000);

  afterAll(async () => {
    await c?.close();
    // What a failed test may have left on the host Engine, by name and label (the node goes whole).
    await docker
      .getContainer(name)
      .remove({ force: true, v: true })
      .catch(() => undefined);
    await cleanupByLabel(run);
    await docker
      .getNetwork(`${stack}_default`)
      .remove()
      .catch(() => undefined);
    node?.stop();
  }, 180_000);

  it('publishes `engine` (the configured names) on every tool but list_engines', async () => {
    const { tools } = await c.client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const tool of ['deploy_container', 'list_containers', 'get_system_info', 'get_deployment_history']) {
      const engine = (byName.get(tool)?.inputSchema.properties as Record<string, { enum?: string[] }>)?.engine;
      expect(engine?.enum, tool).toEqual(['host', 'e28', 'gone', 'e28-tls']);
    }
    expect(byName.get('list_engines')?.inputSchema.properties ?? {}).not.toHaveProperty('engine');
  });

  it('lists each Engine with its endpoint, reachability and version', async () => {
    const { engines } = await c.ok<{ engines: EngineRow[] }>('list_engines');
    expect(engines.map((e) => [e.name, e.default, e.reachable])).toEqual([
      ['host', true, true],
      ['e28', false, true],
      ['gone', false, false],
      ['e28-tls', false, true],
    ]);
    expect(engines[3]?.endpoint).toBe(`tcp://127.0.0.1:${tlsPort}`);
    expect(engines[3]?.version).toBe(engines[1]?.version);
    expect(engines[0]?.endpoint).toBe('unix:///var/run/docker.sock');
    expect(engines[1]?.endpoint).toBe(node.host);
    expect(engines[1]?.version).toMatch(/^28\./);
    expect(engines[1]?.apiVersion).toBe('1.51');
    expect(engines[2]?.error).toMatch(/engine_unavailable/);
  });

  it('deploys a container on each Engine by `engine` (default: the first), and the history names the Engine', async () => {
    const labels = { [TEST_LABEL]: run };
    const onHost = await c.ok<{ id: string }>('deploy_container', sleeperArgs(name, labels));
    const onNode = await c.ok<{ id: string }>('deploy_container', { ...sleeperArgs(name, labels), engine: 'E28' });
    expect(onNode.id).not.toBe(onHost.id);
    // Each Engine has its own container of that name, and only that one.
    expect((await docker.getContainer(name).inspect()).Id.startsWith(onHost.id)).toBe(true);
    const inner = await node.docker.getContainer(name).inspect();
    expect(inner.Id.startsWith(onNode.id)).toBe(true);
    expect(inner.Config.Image).toBe(BUSYBOX);
    expect(inner.State.Running).toBe(true);

    const listed = await c.ok<{ containers: { id: string; name: string }[] }>('list_containers', {
      engine: 'e28',
      all: true,
    });
    expect(listed.containers.map((x) => x.name)).toContain(name);
    const info = await c.ok<{ engine: { version: string } }>('get_system_info', { engine: 'e28' });
    expect(info.engine.version).toMatch(/^28\./);
    // The same Engine over tcp:// with TLS client certificates (its own DOM_ENGINE_E28_TLS_* settings).
    const overTls = await c.ok<{ containers: { id: string; name: string }[] }>('list_containers', {
      engine: 'e28-tls',
      all: true,
    });
    expect(overTls.containers.find((x) => x.name === name)?.id).toBe(onNode.id);

    const history = await c.ok<{ entries: { kind: string; target: string; engine?: string; outcome: string }[] }>(
      'get_deployment_history',
      { target: name },
    );
    expect(
      history.entries
        .map((e) => [e.kind, e.engine, e.outcome])
        .sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    ).toEqual([
      ['deploy_container', 'e28', 'succeeded'],
      ['deploy_container', 'host', 'succeeded'],
    ]);
  });

  it('deploys the same stack on two Engines at once (locks, scope and history per Engine), and removes it from one', async () => {
    const compose = [
      'services:',
      '  app:',
      `    image: ${BUSYBOX}`,
      '    command: ["sleep", "600"]',
      '    init: true',
      '    stop_grace_period: 1s',
      `    labels: { ${TEST_LABEL}: ${run} }`,
    ].join('\n');
    const [onHost, onNode] = await Promise.all([
      c.call('deploy_application_stack', { name: stack, compose, engine: 'host' }),
      c.call('deploy_application_stack', { name: stack, compose, engine: 'e28' }),
    ]);
    expect(onHost.isError, errorText(onHost)).toBeFalsy();
    expect(onNode.isError, errorText(onNode)).toBeFalsy();
    const project = { label: [`com.docker.compose.project=${stack}`] };
    expect((await docker.listContainers({ filters: project })).map((x) => x.Names[0])).toEqual([`/${stack}-app-1`]);
    expect((await node.docker.listContainers({ filters: project })).map((x) => x.Names[0])).toEqual([
      `/${stack}-app-1`,
    ]);

    const removed = await c.ok<{ done: boolean }>('remove_stack', { name: stack, confirm: true, engine: 'e28' });
    expect(removed.done).toBe(true);
    expect(await node.docker.listContainers({ all: true, filters: project })).toEqual([]);
    // The host's stack of the same name is untouched.
    const status = await c.ok<{ serviceStatus: { service: string; state: string }[] }>('get_stack_status', {
      name: stack,
    });
    expect(status.serviceStatus.map((x) => [x.service, x.state])).toEqual([['app', 'running']]);
    await c.fails('get_stack_status', { name: stack, engine: 'e28' }, 'not_found', /No stack named/);

    const history = await c.ok<{ entries: { kind: string; engine?: string; outcome: string }[] }>(
      'get_deployment_history',
      { stack },
    );
    expect(history.entries.map((e) => `${e.kind} ${e.engine} ${e.outcome}`).sort()).toEqual([
      'deploy_stack e28 succeeded',
      'deploy_stack host succeeded',
      'remove_stack e28 succeeded',
    ]);
    await c.ok('remove_stack', { name: stack, confirm: true });
  });

  it('runs a self-heal watcher per Engine: a managed container killed on the second Engine is restarted there', async () => {
    await until('both live Engines watched', () =>
      ['host', 'e28'].every((e) =>
        c
          .stderr()
          .split('\n')
          .some((l) => l.includes(`"engine":"${e}"`) && l.includes('following Engine events')),
      ),
    );
    const healed = uniqueName('dom-eng-heal');
    await c.ok('deploy_container', { ...sleeperArgs(healed, { [TEST_LABEL]: run }), engine: 'e28' });
    const before = (await node.docker.getContainer(healed).inspect()).State.StartedAt;
    await node.docker.getContainer(healed).kill();
    await until('restarted on e28', async () => {
      const st = (await node.docker.getContainer(healed).inspect()).State;
      return st.Running && st.StartedAt !== before;
    });
    const history = await c.ok<{ entries: { kind: string; engine?: string }[] }>('get_deployment_history', {
      target: healed,
      kind: 'heal',
    });
    // e28 and e28-tls are the same Engine under two names, so two watchers follow it: either heals.
    expect(history.entries.map((e) => e.engine)).toEqual(expect.arrayContaining([expect.stringMatching(/^e28/)]));
    expect(history.entries.map((e) => e.engine)).not.toContain('host');
  });

  it('answers an unknown engine with invalid_input listing the names', async () => {
    const text = await c.fails('list_containers', { engine: 'nope' }, 'invalid_input', /Unknown engine "nope"/);
    expect(text).toMatch(/"host", "e28", "gone", "e28-tls"/);
  });

  it('answers engine_unavailable naming an Engine that is down, while the others keep working', async () => {
    const gone = await c.fails('list_containers', { engine: 'gone' }, 'engine_unavailable', /Engine "gone"/);
    expect(gone).toContain(deadSocket);
    expect(gone).toMatch(/list_engines/);

    node.kill();
    const r = await c.call('deploy_container', { ...sleeperArgs(uniqueName('dom-eng-late'), {}), engine: 'e28' });
    expect(r.isError).toBe(true);
    expect(errorKind(r)).toBe('engine_unavailable');
    expect(errorText(r)).toMatch(/Engine "e28" \(unix:\/\/.*docker\.sock\)/);
    const rows = (await c.ok<{ engines: EngineRow[] }>('list_engines')).engines;
    expect(rows.map((e) => [e.name, e.reachable])).toEqual([
      ['host', true],
      ['e28', false],
      ['gone', false],
      ['e28-tls', false],
    ]);
    // The default Engine is untouched by the others being down.
    const listed = await c.ok<{ containers: { name: string }[] }>('list_containers', { all: true });
    expect(listed.containers.map((x) => x.name)).toContain(name);
  });
});
