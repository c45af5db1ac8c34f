import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareApiVersions, OUR_API_VERSION } from '../../src/docker/engine.js';
import { BUSYBOX, docker } from './engine.js';
import { startClient, uniqueName, type TestClient } from './mcpClient.js';
import { execIn, removeProject } from './stacksHelpers.js';

/*
 * What differs between Engine API versions (20.10 speaks 1.41, 28.5 speaks 1.51), checked on
 * whichever Engine the suite runs against: the same result on both.
 */

let mcp: TestClient;
let daemonApi: string;
const projects: string[] = [];

beforeAll(async () => {
  mcp = await startClient();
  daemonApi = (await docker.version()).ApiVersion;
});

afterAll(async () => {
  await mcp?.close();
  await Promise.all(projects.map(removeProject));
});

describe('Engine API version', () => {
  it("get_system_info reports the version in use: the lower of ours and the daemon's", async () => {
    const info = await mcp.ok<{
      engine: { apiVersion: string; apiVersionInUse: string };
      server: { maxApiVersion: string };
    }>('get_system_info');
    const expected = compareApiVersions(daemonApi, OUR_API_VERSION) < 0 ? daemonApi : OUR_API_VERSION;
    console.log(`Engine API ${daemonApi}, in use ${info.engine.apiVersionInUse}`);
    expect(info.server.maxApiVersion).toBe(OUR_API_VERSION);
    expect(info.engine.apiVersion).toBe(daemonApi);
    expect(info.engine.apiVersionInUse).toBe(expected);
  });

  it('a stack service on two networks joins both with its aliases (at create from API 1.44, connected after before)', async () => {
    const name = uniqueName('api');
    projects.push(name);
    const compose = [
      'services:',
      '  app:',
      `    image: ${BUSYBOX}`,
      '    command: ["httpd", "-f", "-p", "80", "-h", "/www"]',
      '    init: true',
      '    stop_grace_period: 1s',
      '    networks:',
      '      front: { aliases: [api] }',
      '      back: { aliases: [store-client] }',
      '  probe-front:',
      `    image: ${BUSYBOX}`,
      '    command: ["sleep", "600"]',
      '    init: true',
      '    networks: [front]',
      '  probe-back:',
      `    image: ${BUSYBOX}`,
      '    command: ["sleep", "600"]',
      '    init: true',
      '    networks: [back]',
      'networks:',
      '  front: {}',
      '  back: {}',
      '',
    ].join('\n');
    await mcp.ok('deploy_application_stack', { name, compose, timeout: 60 });
    const app = await docker.getContainer(`${name}-app-1`).inspect();
    const nets = app.NetworkSettings.Networks;
    expect(Object.keys(nets).sort()).toEqual([`${name}_back`, `${name}_front`]);
    expect(nets[`${name}_front`]?.Aliases).toEqual(expect.arrayContaining(['api', 'app']));
    expect(nets[`${name}_back`]?.Aliases).toEqual(expect.arrayContaining(['store-client', 'app']));
    // get_container_info gives the same aliases whatever the API version (no short id before 1.44)
    const info = await mcp.ok<{ networks: { name: string; aliases: string[] }[] }>('get_container_info', {
      id: `${name}-app-1`,
      stats: false,
    });
    expect(info.networks.map((n) => [n.name, [...n.aliases].sort()]).sort()).toEqual([
      [`${name}_back`, ['app', 'store-client']],
      [`${name}_front`, ['api', 'app']],
    ]);
    // Each alias answers on its own network only (DNS between containers the test made).
    const viaFront = await execIn(`${name}-probe-front-1`, ['wget', '-q', '-O-', 'http://api/']);
    expect(viaFront.output).toContain('hello from busybox');
    const viaBack = await execIn(`${name}-probe-back-1`, ['wget', '-q', '-O-', 'http://store-client/']);
    expect(viaBack.output).toContain('hello from busybox');
    expect((await execIn(`${name}-probe-back-1`, ['wget', '-q', '-T', '2', '-O-', 'http://api/'])).exitCode).not.toBe(
      0,
    );
    await mcp.ok('remove_stack', { name, confirm: true });
  });
});
