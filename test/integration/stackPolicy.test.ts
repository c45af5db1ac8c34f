import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, docker } from './engine.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';

let mcp: TestClient;
const name = uniqueName('t').toLowerCase();

beforeAll(async () => {
  mcp = await startClient({ env: { DOM_MAX_STACK_CONTAINERS: '3' } });
});
afterAll(async () => {
  await mcp?.close();
});

async function nothingCreated() {
  const filters = { label: [`com.docker.compose.project=${name}`] };
  expect(await docker.listContainers({ all: true, filters })).toEqual([]);
  expect(await docker.listNetworks({ filters })).toEqual([]);
}

describe('the container policy applies to stacks too', () => {
  it('refuses a service that binds the Docker socket, before any Engine object exists', async () => {
    const compose = `services:\n  agent:\n    image: ${BUSYBOX}\n    volumes:\n      - /var/run/docker.sock:/var/run/docker.sock\n`;
    const r = await mcp.call('deploy_application_stack', { name, compose });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(/sensitive-bind-mount.*service "agent".*DOM_ALLOW_SENSITIVE_MOUNTS=1/s);
    await nothingCreated();
  });

  it('refuses the host network reached through an external network named host', async () => {
    const compose = `services:\n  web:\n    image: ${BUSYBOX}\n    networks: [hostnet]\nnetworks:\n  hostnet:\n    external: true\n    name: host\n`;
    const r = await mcp.call('deploy_application_stack', { name, compose });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(/host-network/);
    await nothingCreated();
  });

  it('caps the containers one stack may create', async () => {
    const compose = `services:\n  worker:\n    image: ${BUSYBOX}\n    command: ["sleep", "600"]\n    deploy:\n      replicas: 4\n`;
    const r = await mcp.call('deploy_application_stack', { name, compose });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(/max-containers-per-stack.*DOM_MAX_STACK_CONTAINERS=4/);
    await nothingCreated();
  });
});
