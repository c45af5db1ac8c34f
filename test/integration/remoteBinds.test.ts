import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineNode } from '../faults/engineNode.js';
import { BUSYBOX } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';

/**
 * Binds on an Engine that is another machine (adversarial review, round 3): host paths are judged
 * on this server's filesystem, so on a second Engine (DOM_ENGINES) a symlink to / planted in a
 * writable folder there was judged as a plain path here (it does not exist here) and bound the node's root. Binds and
 * bind volumes on an Engine other than the local one are refused (rule remote-bind) unless
 * DOM_ALLOW_REMOTE_BINDS=1. The second Engine is an Engine 28.5 node, as in engines.test.ts
 * (reached over a unix socket, but not the default Engine: remote). Runs on the host only.
 */

const NODE_IMAGE = process.env.ENGINE28_IMAGE ?? 'dom-test/engine28:1';
const tag = uniqueName('rb').replace(/[^a-z0-9]/g, '');
const dir = `/srv/${tag}`;
const link = `${dir}/link`;
let node: EngineNode;
let c: TestClient;

function onNode(args: string[]): string {
  return execFileSync('docker', ['-H', node.host, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

beforeAll(async () => {
  try {
    execFileSync('docker', ['image', 'inspect', NODE_IMAGE], { stdio: 'ignore' });
  } catch {
    throw new Error(
      `the Engine 28.5 node image ${NODE_IMAGE} is missing: build it with bash test/engine28/build-image.sh`,
    );
  }
  node = new EngineNode('dom-rbind');
  await node.start();
  // What an earlier container on that machine could have left: a symlink to / in a writable folder.
  onNode([
    'run',
    '--rm',
    '-v',
    '/srv:/htmp',
    BUSYBOX,
    'sh',
    '-c',
    `mkdir -p /htmp/${tag} && ln -sfn / /htmp/${tag}/link`,
  ]);
  onNode(['volume', 'create', '-d', 'local', '-o', 'type=none', '-o', 'o=bind', '-o', `device=${link}`, `${tag}-bv`]);
  c = await startClient({
    env: {
      DOM_ENGINES: `host=unix:///var/run/docker.sock,n2=${node.host}`,
      DOM_TOOLSETS: 'containers,stacks,volumes,operations',
    },
  });
}, 300_000);

afterAll(async () => {
  await c?.close();
  node?.stop();
}, 180_000);

const refusal = /Refused by policy \(remote-bind\).*Engine "n2".*DOM_ALLOW_REMOTE_BINDS=1/s;

describe('binds on an Engine other than the local one', () => {
  it('refuses a bind of a symlink to / planted on that machine, and any bind there', async () => {
    for (const source of [link, dir]) {
      await c.fails(
        'deploy_container',
        {
          engine: 'n2',
          name: `${tag}-r`,
          image: BUSYBOX,
          command: ['sleep', '60'],
          volumes: [`${source}:/hostroot`],
        },
        'denied',
        refusal,
      );
    }
    expect(onNode(['ps', '-aq', '--filter', `name=${tag}-r`]).trim()).toBe('');
  });

  it('refuses a bind volume there: created, in a stack, or existing', async () => {
    await c.fails(
      'create_volume',
      { engine: 'n2', name: `${tag}-v`, driver_opts: { type: 'none', o: 'bind', device: dir } },
      'denied',
      refusal,
    );
    await c.fails(
      'deploy_container',
      { engine: 'n2', name: `${tag}-e`, image: BUSYBOX, command: ['sleep', '60'], volumes: [`${tag}-bv:/data`] },
      'denied',
      refusal,
    );
    const stack = `services:\n  app:\n    image: ${BUSYBOX}\n    command: ["sleep", "60"]\n    volumes: ["data:/data"]\nvolumes:\n  data:\n    driver_opts: { type: none, o: bind, device: ${dir} }\n`;
    await c.fails('deploy_application_stack', { engine: 'n2', name: `${tag}s`, compose: stack }, 'denied', refusal);
    await c.fails(
      'deploy_application_stack',
      {
        engine: 'n2',
        name: `${tag}t`,
        compose: `services:\n  app:\n    image: ${BUSYBOX}\n    volumes: ["${link}:/hostroot"]\n`,
        dry_run: true,
      },
      'denied',
      refusal,
    );
    expect(onNode(['volume', 'ls', '-q', '--filter', `name=${tag}-v`]).trim()).toBe('');
  });

  it('configuration_validation reports the same refusal there, and none for the local Engine', async () => {
    const container = { image: BUSYBOX, volumes: [`${dir}:/data`] };
    const remote = await c.ok<{ findings: { severity: string; message: string; fix: string; field?: string }[] }>(
      'configuration_validation',
      { engine: 'n2', container },
    );
    const refused = remote.findings.filter((f) => f.severity === 'error' && /remote-bind/.test(f.message));
    expect(refused, JSON.stringify(remote.findings)).toHaveLength(1);
    expect(`${refused[0]?.message} ${refused[0]?.fix}`).toMatch(refusal);
    expect(refused[0]?.field).toBe('volumes');
    const local = await c.ok<{ findings: { message: string }[] }>('configuration_validation', { container });
    expect(local.findings.some((f) => f.message.includes('remote-bind'))).toBe(false);
  });

  it('allows them with DOM_ALLOW_REMOTE_BINDS=1', async () => {
    const open = await startClient({
      env: { DOM_ENGINES: `host=unix:///var/run/docker.sock,n2=${node.host}`, DOM_ALLOW_REMOTE_BINDS: '1' },
    });
    try {
      const r = await open.call('deploy_container', {
        engine: 'n2',
        name: `${tag}-ok`,
        image: BUSYBOX,
        command: ['sleep', '60'],
        volumes: [`${dir}:/data:ro`],
      });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
    } finally {
      await open.close();
    }
  });
});
