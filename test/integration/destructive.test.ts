import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, sleeperArgs, TEST_LABEL } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';

/**
 * Every destructive tool is confirmed and recorded by one wrapper (src/tools/defineDestructiveTool.ts):
 * what it removes reaches the deployment history, and a refusal is recorded the same way whichever
 * tool was refused.
 */

const run = uniqueName('destructive');
const labels = { [TEST_LABEL]: run };
const images: string[] = [];
const stacks: string[] = [];
let client: TestClient;

interface Entry {
  id: string;
  kind: string;
  target: string;
  who: string;
  outcome: string;
  error?: string;
  steps: { name: string; outcome: string }[];
}
interface Refusal {
  done: boolean;
  message: string;
}

async function history(kind: string, target: string): Promise<Entry[]> {
  return (await client.ok<{ entries: Entry[] }>('get_deployment_history', { kind, target, limit: 20 })).entries;
}

/** A local image of its own (no registry here): busybox plus one layer, labelled for cleanup. */
async function ownImage(): Promise<string> {
  const repo = `dom-test/${uniqueName('destr-img')}`;
  const builder = await docker.createContainer({ Image: BUSYBOX, Cmd: ['touch', '/own-layer'], Labels: labels });
  await builder.start();
  await builder.wait();
  await builder.commit({ repo, tag: '1', changes: `LABEL ${TEST_LABEL}=${run}` });
  await builder.remove();
  images.push(`${repo}:1`);
  return `${repo}:1`;
}

beforeAll(async () => {
  // No elicitation capability: without confirm: true every destructive tool only says what it would do.
  client = await startClient();
});

afterAll(async () => {
  for (const stack of stacks) await client?.call('remove_stack', { name: stack, volumes: true, confirm: true });
  await client?.close();
  await cleanupByLabel(run);
  for (const ref of images)
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
});

describe('destructive tools and the deployment history', () => {
  it('records removing a volume, a network and an image', async () => {
    const volume = uniqueName('destr-vol');
    const network = uniqueName('destr-net');
    await client.ok('create_volume', { name: volume, labels: [`${TEST_LABEL}=${run}`] });
    await client.ok('create_network', { name: network, labels: [`${TEST_LABEL}=${run}`] });
    const image = await ownImage();

    expect(await client.ok<Refusal>('remove_volume', { id: volume, confirm: true })).toMatchObject({ done: true });
    expect(await client.ok<Refusal>('remove_network', { id: network, confirm: true })).toMatchObject({ done: true });
    expect(await client.ok<Refusal>('remove_image', { id: image, confirm: true })).toMatchObject({ done: true });

    for (const [kind, target] of [
      ['remove_volume', volume],
      ['remove_network', network],
      ['remove_image', image],
    ] as const) {
      const entries = await history(kind, target);
      expect(entries, `${kind} ${target}`).toEqual([
        expect.objectContaining({
          kind,
          target,
          who: 'dom-integration-test/1.0.0',
          outcome: 'succeeded',
          steps: [expect.objectContaining({ name: 'remove', outcome: 'ok' })],
        }),
      ]);
    }
    // Gone from the Engine, as the records say.
    await expect(docker.getVolume(volume).inspect()).rejects.toMatchObject({ statusCode: 404 });
    await expect(docker.getImage(image).inspect()).rejects.toMatchObject({ statusCode: 404 });
  });

  it('records a refused confirmation the same way for every destructive tool', async () => {
    const container = uniqueName('destr-c');
    const volume = uniqueName('destr-vol');
    const network = uniqueName('destr-net');
    const stack = uniqueName('destr-stack');
    stacks.push(stack);
    await client.ok('deploy_container', sleeperArgs(container, labels));
    await client.ok('create_volume', { name: volume, labels: [`${TEST_LABEL}=${run}`] });
    await client.ok('create_network', { name: network, labels: [`${TEST_LABEL}=${run}`] });
    const image = await ownImage();
    const compose = `services:\n  api:\n    image: ${BUSYBOX}\n    command: ["sleep", "600"]\n    init: true\n    stop_grace_period: 1s\n    labels:\n      ${TEST_LABEL}: ${run}\n`;
    await client.ok('deploy_application_stack', { name: stack, compose, wait: 'none' });
    // A stack service that died is something to heal.
    const [api] = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${stack}`] } });
    await docker.getContainer(api?.Id ?? '').kill();

    const cases: Record<string, { args: Record<string, unknown>; kind: string; target: string }> = {
      remove_container: { args: { id: container, force: true }, kind: 'remove_container', target: container },
      exec_in_container: { args: { id: container, command: ['true'] }, kind: 'exec_in_container', target: container },
      remove_volume: { args: { id: volume }, kind: 'remove_volume', target: volume },
      remove_network: { args: { id: network }, kind: 'remove_network', target: network },
      remove_image: { args: { id: image }, kind: 'remove_image', target: image },
      remove_stack: { args: { name: stack }, kind: 'remove_stack', target: stack },
      heal_containers: { args: { target: stack }, kind: 'heal', target: `stack ${stack}` },
    };
    // Every destructive tool the server offers has a case here: a new one cannot skip the wrapper unnoticed.
    // drain_node and activate_node need a Swarm manager: test/swarm/clusterTools.test.ts checks
    // their refused confirmation and its record on the cluster.
    const swarmOnly = ['drain_node', 'activate_node'];
    const destructive = (await client.client.listTools()).tools
      .filter((t) => t.annotations?.destructiveHint === true && !swarmOnly.includes(t.name))
      .map((t) => t.name)
      .sort();
    expect(destructive).toEqual(Object.keys(cases).sort());

    for (const [tool, c] of Object.entries(cases)) {
      const r = await client.ok<Refusal>(tool, c.args);
      expect(r.done, tool).toBe(false);
      expect(r.message, tool).toMatch(
        /^Not confirmed; nothing (changed|ran)\. Would: .+ Call again with confirm: true/,
      );
      const entries = await history(c.kind, c.target);
      expect(entries, tool).toEqual([
        expect.objectContaining({
          kind: c.kind,
          target: c.target,
          who: 'dom-integration-test/1.0.0',
          outcome: 'not_confirmed',
          error: r.message,
          steps: [],
        }),
      ]);
    }

    // Nothing changed.
    expect((await docker.getContainer(container).inspect()).State.Running).toBe(true);
    await docker.getVolume(volume).inspect();
    await docker.getNetwork(network).inspect();
    await docker.getImage(image).inspect();
    expect((await docker.getContainer(api?.Id ?? '').inspect()).State.Running).toBe(false);
  });
});
