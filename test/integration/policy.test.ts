import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from './engine.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from './mcpClient.js';

const run = uniqueName('policy');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;
let unmanaged: string;

beforeAll(async () => {
  mcp = await startClient();
  unmanaged = `${run}-unmanaged`;
  const c = await docker.createContainer({
    name: unmanaged,
    Image: BUSYBOX,
    Cmd: ['sleep', '600'],
    Labels: labels,
    HostConfig: { Init: true },
  });
  await c.start();
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
});

describe('policy refusals over a real client', () => {
  it('the Docker socket as a bind mount', async () => {
    const r = await mcp.call('deploy_container', {
      image: BUSYBOX,
      labels,
      volumes: ['/var/run/docker.sock:/var/run/docker.sock'],
    });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(/sensitive-bind-mount.*DOM_ALLOW_SENSITIVE_MOUNTS=1/);
  });

  it('/etc as a bind mount', async () => {
    const r = await mcp.call('deploy_container', {
      image: BUSYBOX,
      labels,
      volumes: [{ type: 'bind', source: '/etc', target: '/host-etc', read_only: true }],
    });
    expect(errorKind(r)).toBe('denied');
  });

  it('the host network', async () => {
    const r = await mcp.call('deploy_container', { image: BUSYBOX, labels, network: 'host' });
    expect(errorText(r)).toMatch(/host-network.*DOM_ALLOW_HOST_NETWORK=1/);
  });

  it('an object this server did not create, unless --scope all', async () => {
    const r = await mcp.call('stop_container', { id: unmanaged });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(/--scope all/);
    expect((await docker.getContainer(unmanaged).inspect()).State.Running).toBe(true);
    const wide = await startClient({ args: ['--scope', 'all'] });
    try {
      const ok = await wide.call('stop_container', { id: unmanaged, timeout: 0 });
      expect(ok.isError).toBeFalsy();
    } finally {
      await wide.close();
    }
  });

  it.each([
    ['privileged', { privileged: true }, /privileged.*DOM_ALLOW_PRIVILEGED=1/],
    ['the host PID namespace', { pid: 'host' }, /host-namespace.*DOM_ALLOW_HOST_NAMESPACES=1/],
    ['the host IPC namespace', { ipc: 'host' }, /host-namespace/],
    ['the host UTS namespace', { uts: 'host' }, /host-namespace/],
    ['user namespaces off', { userns_mode: 'host' }, /userns-off/],
    ['a capability beyond the defaults', { cap_add: ['SYS_ADMIN'] }, /capability.*SYS_ADMIN.*DOM_ALLOWED_CAPABILITIES/],
    ['a host device', { devices: ['/dev/fuse'] }, /devices.*DOM_ALLOW_DEVICES=1/],
    ['seccomp unconfined', { security_opt: ['seccomp=unconfined'] }, /unconfined.*DOM_ALLOW_UNCONFINED=1/],
  ])('%s', async (_what, extra, message) => {
    const r = await mcp.call('deploy_container', { image: BUSYBOX, labels, command: ['sleep', '60'], ...extra });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(message);
  });

  it('the same rules for a stack service', async () => {
    const compose = `services:\n  agent:\n    image: ${BUSYBOX}\n    privileged: true\n    cap_add: [NET_ADMIN]\n`;
    const r = await mcp.call('deploy_application_stack', { name: uniqueName('pol').toLowerCase(), compose });
    expect(errorKind(r)).toBe('denied');
    expect(errorText(r)).toMatch(/privileged.*service "agent".*DOM_ALLOW_PRIVILEGED=1/s);
  });

  it('a setting allows what it names, and the Engine gets it', async () => {
    const allowed = await startClient({ env: { DOM_ALLOWED_CAPABILITIES: 'NET_ADMIN' } });
    try {
      const name = uniqueName('capok');
      await allowed.ok('deploy_container', {
        image: BUSYBOX,
        name,
        labels,
        init: true,
        command: ['sleep', '600'],
        cap_add: ['NET_ADMIN'],
        cap_drop: ['MKNOD'],
      });
      const hc = (await docker.getContainer(name).inspect()).HostConfig;
      expect(hc.CapAdd).toEqual(['NET_ADMIN']);
      expect(hc.CapDrop).toEqual(['MKNOD']);
      await docker.getContainer(name).remove({ force: true });
    } finally {
      await allowed.close();
    }
  });

  it('nothing was created by the refused calls', async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${run}`] } });
    expect(left.map((c) => c.Names[0])).toEqual([`/${unmanaged}`]);
  });
});
