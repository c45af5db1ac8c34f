import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from '../integration/engine.js';
import {
  CLI,
  errorKind,
  errorText,
  freePort,
  startClient,
  uniqueName,
  type TestClient,
} from '../integration/mcpClient.js';

/**
 * A hostile reviewer's attacks on the host-access model, through a real MCP client against the
 * real Engine. Tests that FAIL here reproduce an attack that succeeds on the current main.
 */

const run = uniqueName('attack');
const labels = { [TEST_LABEL]: run };
let mcp: TestClient;
let dir: string;

beforeAll(async () => {
  mcp = await startClient();
  dir = mkdtempSync(`${tmpdir()}/dom-attack-`);
}, 60_000);

afterAll(async () => {
  await cleanupByLabel(run);
  await mcp?.close();
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

async function sleeper(name: string, volumes: unknown[]): Promise<void> {
  await mcp.ok('deploy_container', { name, image: BUSYBOX, command: ['sleep', '3600'], volumes, labels });
}

async function sh(container: string, script: string): Promise<{ exitCode?: number; stdout?: string; stderr?: string }> {
  return mcp.ok('exec_in_container', { id: container, command: ['sh', '-c', script], confirm: true });
}

describe('bind source swapped for a symlink after the check (restart re-mounts it)', () => {
  it('a container that can write the parent of another bind source cannot turn that bind into the host /etc', async () => {
    mkdirSync(`${dir}/d`);
    const a = uniqueName('planter');
    const b = uniqueName('victim');
    // A: an ordinary, allowed bind of a scratch folder. B: an ordinary, allowed bind of a folder inside it (read-only).
    await sleeper(a, [`${dir}:/w`]);
    // Refusing B at create (its source lies inside a folder A can write) defeats the attack.
    const created = await mcp.call('deploy_container', {
      name: b,
      image: BUSYBOX,
      command: ['sleep', '3600'],
      volumes: [`${dir}/d:/host:ro`],
      labels,
    });
    if (created.isError) {
      expect(errorKind(created)).toBe('denied');
      expect(errorText(created)).toContain('overlapping-bind');
      return;
    }
    await mcp.ok('stop_container', { id: b, timeout: 1 });
    // Through A (no host access of its own), the model replaces the folder with a symlink to /etc.
    expect((await sh(a, 'rmdir /w/d && ln -s /etc /w/d && echo planted')).stdout).toContain('planted');
    // Starting B again must not mount the host's /etc: refuse, or mount anything but /etc.
    const r = await mcp.call('start_container', { id: b });
    if (!r.isError) {
      const seen = await sh(b, 'cat /host/hostname 2>/dev/null; ls /host | head -50');
      const hostHostname = readFileSync('/etc/hostname', 'utf8').trim();
      expect(seen.stdout ?? '', 'B sees the host /etc through the swapped symlink').not.toContain(hostHostname);
      expect(seen.stdout ?? '').not.toMatch(/\bshadow\b|\bpasswd\b/);
    }
  }, 120_000);

  it('the restart policy re-mounts a swapped bind source, and the command chosen at deploy reads the host /etc', async () => {
    mkdirSync(`${dir}/e`);
    mkdirSync(`${dir}/out`);
    const a = uniqueName('planter');
    const b = uniqueName('victim');
    await sleeper(a, [`${dir}:/w`]);
    // B's command, chosen at deploy, copies whatever /host holds once it is the host's /etc; B exits
    // every few seconds and its restart policy (accepted as is) has the Engine start it again, with
    // no tool call the server could check. Read-only here so the host is not touched; rw works alike.
    const created = await mcp.call('deploy_container', {
      name: b,
      image: BUSYBOX,
      restart: 'always',
      labels,
      command: ['sh', '-c', '[ -e /host/hostname ] && cat /host/hostname > /out/leak; sleep 3; exit 1'],
      volumes: [`${dir}/e:/host:ro`, `${dir}/out:/out`],
    });
    // Refusing B at create (its sources lie inside a folder A can write) defeats the attack.
    if (created.isError) {
      expect(errorKind(created)).toBe('denied');
      expect(errorText(created)).toContain('overlapping-bind');
      return;
    }
    expect((await sh(a, 'rmdir /w/e && ln -s /etc /w/e && echo planted')).stdout).toContain('planted');
    const hostHostname = readFileSync('/etc/hostname', 'utf8').trim();
    let leaked = '';
    for (let i = 0; i < 25 && !leaked; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      leaked = (await sh(a, 'cat /w/out/leak 2>/dev/null; true')).stdout ?? '';
    }
    expect(leaked.trim(), 'after an Engine-driven restart B read the host /etc/hostname').not.toBe(hostHostname);
  }, 120_000);
});

describe("the server's own code and runtime", () => {
  it('a bind of the folder holding the running server (dist/) is refused (the model could rewrite the policy)', async () => {
    const r = await mcp.call('deploy_container', {
      name: uniqueName('selfcode'),
      image: BUSYBOX,
      command: ['sleep', '1'],
      volumes: [`${dirname(CLI)}:/srv:ro`],
      labels,
      wait: 'none',
    });
    expect(r.isError, "bind of the server's own dist/ was accepted").toBe(true);
    expect(errorKind(r)).toBe('denied');
  }, 60_000);

  it('a bind of the folder holding the node binary that runs the server (as root) is refused', async () => {
    const r = await mcp.call('deploy_container', {
      name: uniqueName('nodebin'),
      image: BUSYBOX,
      command: ['sleep', '1'],
      volumes: [`${dirname(process.execPath)}:/srv:ro`],
      labels,
      wait: 'none',
    });
    expect(r.isError, `bind of ${dirname(process.execPath)} was accepted`).toBe(true);
    expect(errorKind(r)).toBe('denied');
  }, 60_000);

  it('a bind of /var/lib/dpkg (maintainer scripts run as root on the next apt run) is refused', async () => {
    const r = await mcp.call('deploy_container', {
      name: uniqueName('dpkg'),
      image: BUSYBOX,
      command: ['sleep', '1'],
      volumes: ['/var/lib/dpkg:/srv:ro'],
      labels,
      wait: 'none',
    });
    expect(r.isError, 'bind of /var/lib/dpkg was accepted').toBe(true);
    expect(errorKind(r)).toBe('denied');
  }, 60_000);
});

describe('the host network named by its id', () => {
  it("deploy_container with network = the host network's id prefix does not reach the host network namespace", async () => {
    const hostNet = (await docker.listNetworks({ filters: { driver: ['host'] } })).find((n) => n.Name === 'host');
    expect(hostNet).toBeDefined();
    const name = uniqueName('hostbyid');
    const r = await mcp.call('deploy_container', {
      name,
      image: BUSYBOX,
      command: ['sleep', '60'],
      network: hostNet!.Id.slice(0, 12),
      labels,
    });
    if (!r.isError) {
      const info = await docker.getContainer(name).inspect();
      const seen = await mcp.call('exec_in_container', { id: name, command: ['cat', '/proc/net/dev'], confirm: true });
      const out = String((seen.structuredContent as { stdout?: string } | undefined)?.stdout ?? errorText(seen));
      // The Engine takes it but gives the container a namespace of its own (only lo), not the host's.
      expect(out, `NetworkMode=${info.HostConfig.NetworkMode} reached the host's interfaces`).not.toMatch(
        /\b(eth0|docker0|ens\d+|enp\w+)\b/,
      );
      return;
    }
    expect(errorKind(r)).toBe('denied');
  }, 60_000);
});

describe("networks on the host's own interface", () => {
  for (const driver of ['macvlan', 'ipvlan']) {
    it(`create_network ${driver} with parent = the host's interface is refused (containers would sit on the host's LAN, past its firewall and the 127.0.0.1 publishing rule)`, async () => {
      const name = uniqueName(driver);
      const r = await mcp.call('create_network', { name, driver, options: { parent: 'eth0' }, labels });
      await docker
        .getNetwork(name)
        .remove()
        .catch(() => undefined);
      expect(r.isError, `${driver} network on eth0 was created`).toBe(true);
      expect(errorKind(r)).toBe('denied');
    }, 60_000);
  }
});

describe('pull_image makes the Engine (host network namespace) fetch from loopback services', () => {
  let server: Server;
  let port: number;
  const SECRET = 'loopback-only-admin-secret-4242';
  beforeAll(async () => {
    port = await freePort();
    server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`${SECRET}\n`);
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('the answer does not carry the body of a loopback-only service', async () => {
    const r = await mcp.call('pull_image', { image: `127.0.0.1:${port}/x:1`, timeout: 20 });
    expect(r.isError).toBe(true);
    expect(errorText(r), 'the loopback service body leaked through the pull error').not.toContain(SECRET);
  }, 60_000);
});
