// Adversarial review, round 3: routes from a tool call on a Swarm to a node's host, or around the
// policy, reproduced over a real MCP client against the three-node cluster of test/swarm/up.sh.
// Each test asserts what the safety model promises (they failed on the code first reviewed).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorText, startClient, uniqueName, type CallResult, type TestClient } from '../integration/mcpClient.js';
import { docker, loadCluster, removeStack } from './cluster.js';

const cluster = loadCluster();
const manager = cluster.managerHost;
const node2 = cluster.nodeHosts[1] as string;
const tag = uniqueName('atk').replace(/[^a-z0-9]/g, '');
const stacks: string[] = [];
let mcp: TestClient;

function text(r: CallResult): string {
  return r.content.map((c) => c.text ?? '').join('\n');
}

function deploy(client: TestClient, name: string, compose: string, extra: Record<string, unknown> = {}) {
  stacks.push(name);
  return client.call('deploy_application_stack', { name, compose, target: 'swarm', timeout: 120, ...extra });
}

/** The id of the running task container of a service on a node, waiting for one up to ~60 s. */
async function taskOn(node: string, service: string): Promise<string> {
  for (let i = 0; i < 60; i++) {
    const id = (await docker(node, ['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`])).trim();
    if (id) return id.split('\n')[0] as string;
    await new Promise((r) => setTimeout(r, 1000));
  }
  throw new Error(`no task of ${service} runs on ${node}`);
}

beforeAll(async () => {
  mcp = await startClient({ env: { DOCKER_HOST: manager } });
});

afterAll(async () => {
  await mcp?.close();
  for (const s of stacks) await removeStack(cluster, s).catch(() => undefined);
});

describe('update_service_image and the allowed-images policy', () => {
  it('refuses to switch a managed service to an image outside DOM_ALLOWED_IMAGES', async () => {
    const strict = await startClient({ env: { DOCKER_HOST: manager, DOM_ALLOWED_IMAGES: 'dom-test/busybox:*' } });
    try {
      const name = `${tag}i`;
      const r1 = await deploy(
        strict,
        name,
        `services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "3600"]
`,
        { wait: 'running' },
      );
      expect(r1.isError, text(r1)).toBeFalsy();
      // deploy_application_stack refuses the image itself:
      const direct = await strict.call('deploy_application_stack', {
        name: `${tag}j`,
        target: 'swarm',
        compose: 'services:\n  app:\n    image: dom-test/nginx:1\n',
        dry_run: true,
      });
      expect(direct.isError).toBe(true);
      // ... but the rolling update takes it:
      const r2 = await strict.call('update_service_image', { service: `${name}_app`, image: 'dom-test/nginx:1' });
      expect(r2.isError, `update was accepted: ${text(r2)}`).toBe(true);
      expect(errorText(r2)).toMatch(/allowed/i);
    } finally {
      await strict.close();
    }
  }, 240_000);
});

describe('Swarm stack settings that reach the host (dry runs)', () => {
  const plan = (name: string, compose: string) => deploy(mcp, `${tag}${name}`, compose, { dry_run: true });

  it('refuses a secret whose file is outside the file roots (/etc/shadow)', async () => {
    const r = await plan(
      's',
      `services:\n  app:\n    image: dom-test/busybox:1\n    secrets: [pw]\nsecrets:\n  pw:\n    file: /etc/shadow\n`,
    );
    console.log(`secret file answer: ${text(r).slice(0, 300)}`);
    expect(r.isError, text(r)).toBe(true);
  });

  it('refuses the external "host" network (host networking for the tasks)', async () => {
    const r = await plan(
      'h',
      `services:\n  app:\n    image: dom-test/busybox:1\n    networks: [hostnet]\nnetworks:\n  hostnet:\n    external: true\n    name: host\n`,
    );
    console.log(`host network answer: ${text(r).slice(0, 300)}`);
    expect(r.isError, text(r)).toBe(true);
  });

  it('refuses a port the file publishes on 127.0.0.1 only, rather than publishing it on every address of every node', async () => {
    const r = await plan('p', `services:\n  app:\n    image: dom-test/busybox:1\n    ports: ["127.0.0.1:18080:80"]\n`);
    expect(r.isError, text(r)).toBe(true);
    expect(errorText(r)).toMatch(/every address of every node/);
  });
});

describe('scale_service and the containers-per-stack limit', () => {
  it('refuses to scale a stack service past DOM_MAX_STACK_CONTAINERS', async () => {
    const strict = await startClient({ env: { DOCKER_HOST: manager, DOM_MAX_STACK_CONTAINERS: '2' } });
    try {
      const name = `${tag}n`;
      const r1 = await deploy(
        strict,
        name,
        `services:\n  app:\n    image: dom-test/busybox:1\n    command: ["sleep", "3600"]\n`,
        {
          wait: 'running',
        },
      );
      expect(r1.isError, text(r1)).toBeFalsy();
      // The same count in the file is refused by deploy_application_stack:
      const direct = await strict.call('deploy_application_stack', {
        name: `${tag}m`,
        target: 'swarm',
        compose: `services:\n  app:\n    image: dom-test/busybox:1\n    deploy: { replicas: 6 }\n`,
        dry_run: true,
      });
      expect(direct.isError, text(direct)).toBe(true);
      const r2 = await strict.call('scale_service', { service: `${name}_app`, replicas: 6, wait: false });
      expect(r2.isError, `scale was accepted: ${text(r2)}`).toBe(true);
      expect(errorText(r2)).toMatch(/max-containers-per-stack/);
    } finally {
      await strict.close();
    }
  }, 240_000);
});

describe('Swarm expands Go templates in mount sources on the node', () => {
  it('refuses a bind source with a template that becomes / on the node', async () => {
    const name = `${tag}t`;
    const r = await deploy(
      mcp,
      name,
      `services:
  app:
    image: dom-test/busybox:1
    command: ["sleep", "3600"]
    volumes:
      - type: bind
        source: '/{{""}}'
        target: /hostroot
    deploy:
      placement: { constraints: ["node.hostname == node2"] }
`,
      { wait: 'running' },
    );
    if (!r.isError) {
      const id = await taskOn(node2, `${name}_app`);
      const seen = await docker(node2, ['exec', id, 'ls', '/hostroot/run/outer/']).catch((e: Error) => e.message);
      console.log(`template bind reached on node2: /run/outer holds ${seen.trim()}`);
    }
    expect(r.isError, `accepted: ${text(r)}`).toBe(true);
    // Refused either as a template or as a bind on another machine, whichever rule judges first.
    expect(errorText(r)).toMatch(/\{\{|remote|another machine|node/i);
  }, 240_000);
});
