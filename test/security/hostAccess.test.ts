import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUSYBOX, cleanupByLabel, docker, TEST_LABEL } from '../integration/engine.js';
import { errorKind, errorText, startClient, uniqueName, type TestClient } from '../integration/mcpClient.js';

/**
 * Attacks on the host-access model, each through a real MCP client against the real Engine: every
 * route by which the host could reach a container must come back `denied`, naming its rule, with
 * nothing left on the Engine. The harmless forms next to them must still work.
 */

const run = uniqueName('hostaccess');
/** Objects the refused calls would have made carry this; none may exist afterwards. */
const labels = { [TEST_LABEL]: run };
/** Objects the tests set up themselves (containers to share with, foreign volumes). */
const setup = `${run}-setup`;
const MANAGED = { 'io.docker-orchestration-mcp.managed': 'true', [TEST_LABEL]: setup };

let mcp: TestClient;
let dir: string;
let allowedRoot: string;

async function nothingLeft(): Promise<void> {
  const filters = { label: [`${TEST_LABEL}=${run}`] };
  expect((await docker.listContainers({ all: true, filters })).map((c) => c.Names[0])).toEqual([]);
  expect(((await docker.listVolumes({ filters })).Volumes ?? []).map((v) => v.Name)).toEqual([]);
}

async function noStackObjects(project: string): Promise<void> {
  const filters = { label: [`com.docker.compose.project=${project}`] };
  expect(await docker.listContainers({ all: true, filters })).toEqual([]);
  expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
  expect(await docker.listNetworks({ filters })).toEqual([]);
}

async function volumeExists(name: string): Promise<boolean> {
  try {
    await docker.getVolume(name).inspect();
    return true;
  } catch {
    return false;
  }
}

/** A call refused as invalid input, leaving nothing behind. */
async function invalid(tool: string, args: Record<string, unknown>, pattern: RegExp): Promise<void> {
  await mcp.fails(tool, args, 'invalid_input', pattern);
  await nothingLeft();
}

/** A call that must be refused by `rule` (matched in the text, with the setting that allows it) and leave nothing behind. */
async function refused(client: TestClient, tool: string, args: Record<string, unknown>, rule: RegExp): Promise<void> {
  const r = await client.call(tool, args);
  expect(r.isError, `${tool} ${JSON.stringify(args).slice(0, 300)} should be refused`).toBe(true);
  expect(errorKind(r), errorText(r)).toBe('denied');
  expect(errorText(r)).toMatch(rule);
  expect(errorText(r)).toMatch(/To allow it, start the server with /);
  await nothingLeft();
  if (tool === 'deploy_application_stack') await noStackObjects(String(args.name));
}

function deploy(extra: Record<string, unknown>): Record<string, unknown> {
  return { image: BUSYBOX, labels, command: ['sleep', '60'], init: true, wait: 'none', ...extra };
}

async function sharedContainer(
  name: string,
  hostConfig: Record<string, unknown>,
  opts: { managed?: boolean; start?: boolean } = {},
): Promise<void> {
  const c = await docker.createContainer({
    name,
    Image: BUSYBOX,
    Cmd: ['sleep', '600'],
    Labels: opts.managed === false ? { [TEST_LABEL]: setup } : MANAGED,
    HostConfig: { Init: true, ...hostConfig },
  });
  if (opts.start) await c.start();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dom-hostaccess-'));
  allowedRoot = join(dir, 'allowed');
  mkdirSync(join(allowedRoot, 'data'), { recursive: true });
  symlinkSync('/var/run', join(dir, 'varrun-link'));
  symlinkSync('/var/run', join(allowedRoot, 'escape'));
  symlinkSync(join(allowedRoot, 'data'), join(allowedRoot, 'data-link'));
  mcp = await startClient({ env: { DOM_ALLOWED_BIND_ROOTS: allowedRoot, DOM_FILE_ROOTS: dir } });
});

afterAll(async () => {
  await mcp?.close();
  await cleanupByLabel(run);
  await cleanupByLabel(setup);
  rmSync(dir, { recursive: true, force: true });
});

describe('a named volume is not a bind mount in disguise', () => {
  it.each([
    [
      'o=bind of /etc',
      { type: 'none', o: 'bind', device: '/etc' },
      /sensitive-bind-mount.*\/etc.*DOM_ALLOW_SENSITIVE_MOUNTS=1/,
    ],
    ['o=rbind', { type: 'none', o: 'rbind', device: '/etc' }, /sensitive-bind-mount/],
    ['o="bind,ro"', { type: 'none', o: 'bind,ro', device: '/' }, /sensitive-bind-mount.*host root/],
    ['o=" Bind " with upper-case keys', { TYPE: 'none', O: ' Bind ', DEVICE: '/var/run' }, /sensitive-bind-mount/],
    [
      'o="ro,rbind" of a folder above the socket',
      { type: 'none', o: 'ro,rbind', device: '/var' },
      /sensitive-bind-mount.*contains/,
    ],
    [
      'o=bind of a folder outside the allowed roots',
      { type: 'none', o: 'bind', device: '/home/me/data' },
      /bind-mount-outside-allowed-roots.*DOM_ALLOWED_BIND_ROOTS/,
    ],
    [
      'o=bind through a symlink to /var/run inside the allowed root',
      { type: 'none', o: 'bind', device: 'ALLOWED/escape' },
      /sensitive-bind-mount.*resolves to \/run/,
    ],
    [
      'a disk',
      { type: 'ext4', device: '/dev/sda1' },
      /volume-filesystem.*ext4.*DOM_ALLOWED_VOLUME_TYPES including ext4/,
    ],
    ['procfs', { type: 'proc', device: 'proc' }, /volume-filesystem.*proc/],
    [
      'overlay with host lower dirs',
      { type: 'overlay', device: 'overlay', o: 'lowerdir=/etc,upperdir=/tmp/u,workdir=/tmp/w' },
      /volume-filesystem.*overlay/,
    ],
    [
      'a network share (mounted with the host identity)',
      { type: 'nfs', device: ':/export', o: 'addr=127.0.0.1' },
      /volume-filesystem.*nfs/,
    ],
  ])('create_volume refuses %s', async (_what, opts, rule) => {
    const name = uniqueName('hv');
    const driverOpts = Object.fromEntries(Object.entries(opts).map(([k, v]) => [k, v.replace('ALLOWED', allowedRoot)]));
    await refused(mcp, 'create_volume', { name, driver_opts: driverOpts, labels }, rule);
    expect(await volumeExists(name)).toBe(false);
  });

  it('create_volume refuses option keys that differ only in case (which one would the Engine take?)', async () => {
    const name = uniqueName('hv');
    await mcp.fails(
      'create_volume',
      { name, driver_opts: { o: 'size=1m', O: 'bind', type: 'none', device: '/etc' }, labels },
      'invalid_input',
      /given twice/,
    );
    expect(await volumeExists(name)).toBe(false);
  });

  it('create_volume refuses tmpfs mount flags that act on host mounts (move, remount, propagation)', async () => {
    const name = uniqueName('hv');
    await mcp.fails(
      'create_volume',
      { name, driver_opts: { type: 'tmpfs', device: '/etc', o: 'size=1m,move' }, labels },
      'invalid_input',
      /"move" are not supported/,
    );
    await mcp.fails(
      'create_volume',
      { name, driver_opts: { type: 'tmpfs', device: 'tmpfs', o: 'remount,rshared' }, labels },
      'invalid_input',
      /not supported/,
    );
    expect(await volumeExists(name)).toBe(false);
  });

  it('the same through a Compose top-level volume', async () => {
    const stack = uniqueName('hs').toLowerCase();
    const compose = `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: [root:/hostroot]\nvolumes:\n  root:\n    driver_opts: {type: none, o: bind, device: /}\n`;
    await refused(
      mcp,
      'deploy_application_stack',
      { name: stack, compose },
      /sensitive-bind-mount.*volume "root".*host root/,
    );
    expect(await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${stack}`] } })).toMatchObject({
      Volumes: [],
    });
  });

  describe('an existing volume that someone else made with bind options', () => {
    const foreign = uniqueName('foreign-etc');
    beforeAll(async () => {
      await docker.createVolume({
        Name: foreign,
        Driver: 'local',
        DriverOpts: { type: 'none', o: 'bind', device: '/etc' },
        Labels: { [TEST_LABEL]: setup },
      });
    });

    it('deploy_container inspects it before use', () =>
      refused(
        mcp,
        'deploy_container',
        deploy({ volumes: [`${foreign}:/hostetc`] }),
        /sensitive-bind-mount.*existing volume/,
      ));

    it('deploy_container long syntax too', () =>
      refused(
        mcp,
        'deploy_container',
        deploy({ volumes: [{ type: 'volume', source: foreign, target: '/hostetc' }] }),
        /sensitive-bind-mount.*existing volume/,
      ));

    it('configuration_validation reports it (the Engine half of the model) and creates nothing', async () => {
      type V = { findings: { severity: string; code: string; message: string }[] };
      const c = await mcp.ok<V>('configuration_validation', {
        container: { image: BUSYBOX, volumes: [`${foreign}:/hostetc`] },
      });
      expect(c.findings.filter((f) => f.severity === 'error')).toEqual([
        expect.objectContaining({
          code: 'policy',
          message: expect.stringMatching(/sensitive-bind-mount.*existing volume/),
        }),
      ]);
      const compose = `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: [x:/hostetc]\nvolumes:\n  x:\n    external: true\n    name: ${foreign}\n`;
      const st = await mcp.ok<V>('configuration_validation', {
        stack: { name: uniqueName('hs').toLowerCase(), compose },
      });
      expect(st.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([
        expect.stringMatching(/sensitive-bind-mount.*existing volume/),
      ]);
      const odd = await mcp.ok<V>('configuration_validation', {
        container: { image: BUSYBOX, security_opt: ['seccomp-profile=x'] },
      });
      expect(odd.findings.filter((f) => f.severity === 'error')).toEqual([
        expect.objectContaining({ code: 'spec', message: expect.stringMatching(/unknown security_opt/) }),
      ]);
      await nothingLeft();
    });

    it('a stack that declares it external', () =>
      refused(
        mcp,
        'deploy_application_stack',
        {
          name: uniqueName('hs').toLowerCase(),
          compose: `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: [x:/hostetc]\nvolumes:\n  x:\n    external: true\n    name: ${foreign}\n`,
        },
        /sensitive-bind-mount.*existing volume/,
      ));

    it('a stack volume whose explicit name is that volume', () =>
      refused(
        mcp,
        'deploy_application_stack',
        {
          name: uniqueName('hs').toLowerCase(),
          compose: `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: [x:/hostetc]\nvolumes:\n  x:\n    name: ${foreign}\n`,
        },
        /sensitive-bind-mount.*existing volume/,
      ));
  });

  it('a volume plugin is refused unless allowed (it mounts whatever it decides)', async () => {
    // The Engine has no plugin here: the policy refuses the spelling before the driver lookup would matter.
    const stack = uniqueName('hs').toLowerCase();
    const compose = `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: [x:/x]\nvolumes:\n  x:\n    driver: Local-Persist\n`;
    await refused(
      mcp,
      'deploy_application_stack',
      { name: stack, compose },
      /volume-driver.*local-persist.*DOM_ALLOWED_VOLUME_DRIVERS/,
    );
  });
});

describe('nothing at or above the Engine socket, in any spelling', () => {
  it.each([
    ['/run', '/run:/x'],
    ['/var/run', '/var/run:/x'],
    ['/var/run/', '/var/run/:/x'],
    ['/var//run', '/var//run:/x'],
    ['/var/./run/../run', '/var/./run/../run:/x'],
    ['/var (holds /var/run and /var/lib/docker)', '/var:/x'],
    ['/ (everything)', '/:/x'],
    ['/var/lib/docker', '/var/lib/docker:/x'],
    ['/run/containerd', '/run/containerd:/x'],
    ['/proc/1/root (the host root through procfs)', '/proc/1/root:/x'],
    ['/proc/self/root/etc', '/proc/self/root/etc:/x'],
    ['/etc/ with a trailing slash', '/etc/:/x:ro'],
    ['the socket itself', '/var/run/docker.sock:/s'],
  ])('%s', (_what, volume) =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [volume] }),
      /sensitive-bind-mount.*DOM_ALLOW_SENSITIVE_MOUNTS=1/,
    ),
  );

  it('a symlink to /var/run made in a temp folder', () =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [`${join(dir, 'varrun-link')}:/x`] }),
      /sensitive-bind-mount.*resolves to \/run/,
    ));

  it('a symlink inside an allowed root that points out of it', () =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [`${join(allowedRoot, 'escape')}/:/x`] }),
      /sensitive-bind-mount/,
    ));

  it('a path through a symlinked folder to the socket', () =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [`${join(dir, 'varrun-link')}/docker.sock:/s`] }),
      /sensitive-bind-mount.*resolves to \/run\/docker\.sock/,
    ));

  it('.. climbing out of an allowed root', () =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [`${allowedRoot}/data/../../../../../../../../var/run:/x`] }),
      /sensitive-bind-mount/,
    ));

  it('.. after a symlink is cleaned lexically first, as the Engine does (so it lands beside the link, outside the roots)', () =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [`${join(dir, 'varrun-link')}/../run:/x`] }),
      /bind-mount-outside-allowed-roots/,
    ));

  it("a relative path with .. (resolved against the server's working directory)", () => {
    const rel = relative(process.cwd(), '/var/run');
    expect(rel.startsWith('..')).toBe(true);
    return refused(mcp, 'deploy_container', deploy({ volumes: [`./${rel}:/x`] }), /sensitive-bind-mount/);
  });

  it('long syntax type: bind', () =>
    refused(
      mcp,
      'deploy_container',
      deploy({ volumes: [{ type: 'bind', source: '/var/run', target: '/x' }] }),
      /sensitive-bind-mount/,
    ));

  it('long syntax with bind.propagation is refused, not silently dropped', () =>
    invalid(
      'deploy_container',
      deploy({
        volumes: [{ type: 'bind', source: join(allowedRoot, 'data'), target: '/x', bind: { propagation: 'rshared' } }],
      }),
      /bind|Unrecognized/i,
    ));

  it.each(['rshared', 'shared', 'rslave', 'z', 'Z'])(
    'short syntax mode %s (propagation or relabelling of the host folder) is refused',
    (mode) =>
      invalid('deploy_container', deploy({ volumes: [`${join(allowedRoot, 'data')}:/x:ro,${mode}`] }), /not supported/),
  );

  it('a control character in a path', () =>
    invalid(
      'deploy_container',
      deploy({ volumes: [{ type: 'bind', source: '/var/run\u0000', target: '/x' }] }),
      /control characters/,
    ));

  it('Compose: a short-syntax bind of /var/run and a long-syntax bind of /run', async () => {
    const name = uniqueName('hs').toLowerCase();
    await refused(
      mcp,
      'deploy_application_stack',
      { name, compose: `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: ["/var/run:/x"]\n` },
      /sensitive-bind-mount.*service "web"/s,
    );
    await refused(
      mcp,
      'deploy_application_stack',
      {
        name,
        compose: `services:\n  web:\n    image: ${BUSYBOX}\n    volumes:\n      - type: bind\n        source: /run\n        target: /x\n`,
      },
      /sensitive-bind-mount/,
    );
  });

  it('Compose: a relative path with .. resolved against the project folder', async () => {
    const project = join(dir, 'project');
    mkdirSync(project, { recursive: true });
    const file = join(project, 'compose.yaml');
    writeFileSync(
      file,
      `services:\n  web:\n    image: ${BUSYBOX}\n    volumes: ["./${relative(project, '/var/run')}:/x"]\n`,
    );
    await refused(
      mcp,
      'deploy_application_stack',
      { name: uniqueName('hs').toLowerCase(), file },
      /sensitive-bind-mount/,
    );
  });

  it('Compose: bind.propagation in long syntax is not supported', async () => {
    const compose = `services:\n  web:\n    image: ${BUSYBOX}\n    volumes:\n      - type: bind\n        source: ${allowedRoot}\n        target: /x\n        bind: {propagation: rshared}\n`;
    await mcp.fails(
      'deploy_application_stack',
      { name: uniqueName('hs').toLowerCase(), compose },
      'invalid_input',
      /bind/,
    );
    await nothingLeft();
  });

  describe('the socket DOCKER_HOST names, away from the default path', () => {
    let custom: TestClient;
    let sockDir: string;
    beforeAll(async () => {
      sockDir = join(dir, 'engine');
      mkdirSync(sockDir);
      symlinkSync('/var/run/docker.sock', join(sockDir, 'docker.sock'));
      custom = await startClient({ env: { DOCKER_HOST: `unix://${join(sockDir, 'docker.sock')}` } });
    });
    afterAll(async () => {
      await custom?.close();
    });

    it('the server works through it', async () => {
      await custom.ok('list_containers', { limit: 1 });
    });

    it.each([
      ['the folder that holds it', () => `${sockDir}:/x`],
      ['a folder above that', () => `${dir}:/x`],
      ['the socket path itself', () => `${join(sockDir, 'docker.sock')}:/s`],
    ])('%s', (_what, volume) =>
      refused(custom, 'deploy_container', deploy({ volumes: [volume()] }), /sensitive-bind-mount/),
    );
  });
});

describe('security_opt in every spelling', () => {
  it.each([
    [
      'inline allow-all seccomp JSON',
      'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}',
      /custom-security-profile.*seccomp.*DOM_ALLOW_UNCONFINED=1/,
    ],
    ['seccomp:unconfined', 'seccomp:unconfined', /\(unconfined\).*seccomp/],
    [' seccomp = unconfined ', ' seccomp = unconfined ', /\(unconfined\)/],
    ['a seccomp profile path', 'seccomp=/etc/docker/seccomp.json', /custom-security-profile/],
    ['APPARMOR=UNCONFINED', 'APPARMOR=UNCONFINED', /\(unconfined\).*AppArmor/],
    ['another AppArmor profile', 'apparmor=my-wide-profile', /custom-security-profile/],
    ['label:disable', 'label:disable', /\(unconfined\).*SELinux/],
    ['a bare "disable" (the Engine reads label=disable)', 'disable', /\(unconfined\)/],
    ['label=type:spc_t', 'label=type:spc_t', /custom-security-profile.*SELinux/],
    ['label=level:s0', 'label=level:s0', /custom-security-profile/],
    ['systempaths=unconfined', 'systempaths=unconfined', /\(unconfined\).*masked/],
  ])('%s', (_what, opt, rule) => refused(mcp, 'deploy_container', deploy({ security_opt: [opt] }), rule));

  it('an unknown option is refused, not passed on', () =>
    invalid('deploy_container', deploy({ security_opt: ['seccomp-profile=x'] }), /unknown security_opt/));

  it('Compose services get the same answer', () =>
    refused(
      mcp,
      'deploy_application_stack',
      {
        name: uniqueName('hs').toLowerCase(),
        compose: `services:\n  web:\n    image: ${BUSYBOX}\n    security_opt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}']\n`,
      },
      /custom-security-profile/,
    ));
});

describe('privileges, capabilities, namespaces, sysctls, cgroups, devices', () => {
  it.each([
    [
      'cap_add cap_sys_admin',
      { cap_add: ['cap_sys_admin'] },
      /capability.*SYS_ADMIN.*DOM_ALLOWED_CAPABILITIES including SYS_ADMIN/,
    ],
    ['cap_add " Cap_Sys_Admin "', { cap_add: [' Cap_Sys_Admin '] }, /capability.*SYS_ADMIN/],
    ['cap_add with a dotless i (upper-cases to SYS_ADMIN)', { cap_add: ['sys_adm\u0131n'] }, /capability.*SYS_ADMIN/],
    ['cap_add ALL', { cap_add: ['ALL'] }, /capability.*ALL/],
    ['cap_add all', { cap_add: ['all'] }, /capability.*ALL/],
    ['privileged', { privileged: true }, /\(privileged\)/],
    ['pid HOST', { pid: 'HOST' }, /host-namespace.*pid/],
    ['ipc " host"', { ipc: ' host' }, /host-namespace.*ipc/],
    ['uts host', { uts: 'host' }, /host-namespace.*uts/],
    ['cgroupns host', { cgroupns: 'host' }, /host-namespace.*cgroupns/],
    ['userns_mode host', { userns_mode: 'host' }, /userns-off/],
    ['network HOST', { network: 'HOST' }, /host-network.*DOM_ALLOW_HOST_NETWORK=1/],
    [
      'sysctl kernel.core_pattern',
      { sysctls: { 'kernel.core_pattern': '|/tmp/x' } },
      /\(sysctl\).*kernel\.core_pattern.*DOM_ALLOWED_SYSCTLS/,
    ],
    ['sysctl in slash form and upper case', { sysctls: { 'KERNEL/SYSRQ': '1' } }, /\(sysctl\).*kernel\.sysrq/],
    ['sysctl vm.*', { sysctls: { 'vm.overcommit_memory': '1' } }, /\(sysctl\)/],
    ['cgroup_parent', { cgroup_parent: '/' }, /cgroup-parent.*DOM_ALLOW_CGROUP_PARENT=1/],
    ['a device', { devices: ['/dev/fuse'] }, /\(devices\).*DOM_ALLOW_DEVICES=1/],
    ['device_cgroup_rules', { device_cgroup_rules: ['a *:* rwm'] }, /\(devices\).*device_cgroup_rules/],
  ])('%s', (_what, extra, rule) => refused(mcp, 'deploy_container', deploy(extra), rule));

  describe('sharing with another container: it must pass the same model', () => {
    const privileged = uniqueName('priv');
    const binder = uniqueName('binder');
    const plain = uniqueName('plain');
    const foreign = uniqueName('notours');
    const hostnet = uniqueName('hostnet');
    beforeAll(async () => {
      await sharedContainer(hostnet, { NetworkMode: 'host' });
      await sharedContainer(privileged, { Privileged: true });
      await sharedContainer(binder, { Mounts: [{ Type: 'bind', Source: '/etc', Target: '/hostetc', ReadOnly: true }] });
      await sharedContainer(plain, {}, { start: true });
      await sharedContainer(foreign, {}, { managed: false });
    });

    it('volumes_from a container that bind-mounts /etc', () =>
      refused(
        mcp,
        'deploy_container',
        deploy({ volumes_from: [`${binder}:ro`] }),
        new RegExp(`container "${binder}".*sensitive-bind-mount`),
      ));

    it('volumes_from a privileged container', () =>
      refused(
        mcp,
        'deploy_container',
        deploy({ volumes_from: [privileged] }),
        new RegExp(`container "${privileged}".*\\(privileged\\)`),
      ));

    it('network container:X where X is privileged', () =>
      refused(mcp, 'deploy_container', deploy({ network: `container:${privileged}` }), /\(privileged\)/));

    it('network container:X where X is on the host network', () =>
      refused(
        mcp,
        'deploy_container',
        deploy({ network: `container:${hostnet}` }),
        new RegExp(`container "${hostnet}".*host-network`),
      ));

    it('pid container:X where X is privileged', () =>
      refused(mcp, 'deploy_container', deploy({ pid: `Container:${privileged}` }), /\(privileged\)/));

    it('a container this server does not manage', async () => {
      const r = await mcp.call('deploy_container', deploy({ volumes_from: [foreign] }));
      expect(errorKind(r)).toBe('denied');
      expect(errorText(r)).toMatch(/not created by this server.*--scope all/);
      await nothingLeft();
    });

    it('pid container:X where X has no host access works', async () => {
      const name = uniqueName('pidshare');
      await mcp.ok('deploy_container', deploy({ name, pid: `container:${plain}`, wait: 'running' }));
      const hc = (await docker.getContainer(name).inspect()).HostConfig;
      expect(hc.PidMode).toMatch(/^container:/);
      await docker.getContainer(name).remove({ force: true });
    });
  });
});

describe("a container judged again when it is started, restarted or exec'd into", () => {
  it('a bind folder swapped for a symlink to /var/run after create cannot be started', async () => {
    const swap = join(allowedRoot, 'swap');
    mkdirSync(swap);
    const name = uniqueName('swapper');
    await mcp.ok('deploy_container', deploy({ name, volumes: [`${swap}:/x`], wait: 'running' }));
    await mcp.ok('stop_container', { id: name, timeout: 0 });
    // What another container with that folder mounted read-write could do meanwhile:
    rmSync(swap, { recursive: true });
    symlinkSync('/var/run', swap);
    for (const tool of ['start_container', 'restart_container']) {
      const r = await mcp.call(tool, { id: name });
      expect(errorKind(r), errorText(r)).toBe('denied');
      expect(errorText(r)).toMatch(/sensitive-bind-mount.*resolves to \/run/);
    }
    expect((await docker.getContainer(name).inspect()).State.Running).toBe(false);
    await docker.getContainer(name).remove({ force: true });
  });

  it('exec into a container with host access uses that access: refused', async () => {
    const name = uniqueName('capsys');
    await sharedContainer(name, { CapAdd: ['SYS_ADMIN'] }, { start: true });
    const r = await mcp.call('exec_in_container', { id: name, command: ['true'], confirm: true });
    expect(errorKind(r), errorText(r)).toBe('denied');
    expect(errorText(r)).toMatch(/capability.*SYS_ADMIN/);
  });
});

describe('the harmless forms still work', () => {
  it('a named volume without options, made by create_volume and used by deploy_container', async () => {
    const vol = uniqueName('plainvol');
    await mcp.ok('create_volume', { name: vol, labels });
    const name = uniqueName('usesvol');
    await mcp.ok('deploy_container', deploy({ name, volumes: [`${vol}:/data`], wait: 'running' }));
    await docker.getContainer(name).remove({ force: true });
    await docker.getVolume(vol).remove();
  });

  it('a bind under an allowed root, given to the Engine with its symlinks resolved', async () => {
    const name = uniqueName('bindok');
    await mcp.ok(
      'deploy_container',
      deploy({ name, volumes: [`${join(allowedRoot, 'data-link')}/:/data:ro`], wait: 'running' }),
    );
    const mounts = (await docker.getContainer(name).inspect()).Mounts;
    expect(mounts).toEqual([
      expect.objectContaining({ Type: 'bind', Source: join(allowedRoot, 'data'), Destination: '/data', RW: false }),
    ]);
    await docker.getContainer(name).remove({ force: true });
  });

  it('a bind volume under an allowed root', async () => {
    const vol = uniqueName('bindvol');
    const created = await mcp.ok<{ name: string }>('create_volume', {
      name: vol,
      labels,
      driver_opts: { type: 'none', o: 'bind', device: join(allowedRoot, 'data-link') },
    });
    expect(created.name).toBe(vol);
    expect((await docker.getVolume(vol).inspect()).Options).toMatchObject({ device: join(allowedRoot, 'data') });
    await docker.getVolume(vol).remove();
  });

  it('no-new-privileges:true, namespaced sysctls, dropping capabilities', async () => {
    const name = uniqueName('nnp');
    await mcp.ok(
      'deploy_container',
      deploy({
        name,
        security_opt: ['no-new-privileges:true'],
        sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0', 'kernel.shmmax': '68719476736' },
        cap_drop: ['cap_net_raw'],
        wait: 'running',
      }),
    );
    const hc = (await docker.getContainer(name).inspect()).HostConfig;
    expect(hc.SecurityOpt).toEqual(['no-new-privileges=true']);
    expect(hc.Sysctls).toMatchObject({ 'net.ipv4.ip_unprivileged_port_start': '0' });
    expect(hc.CapDrop).toEqual(['NET_RAW']);
    await docker.getContainer(name).remove({ force: true });
  });

  it("a setting allows what it names: DOM_ALLOW_UNCONFINED lets seccomp=unconfined through, in the Engine's spelling", async () => {
    const wide = await startClient({ env: { DOM_ALLOW_UNCONFINED: '1' } });
    try {
      const name = uniqueName('unconf');
      await wide.ok('deploy_container', deploy({ name, security_opt: ['SECCOMP:unconfined'], wait: 'running' }));
      expect((await docker.getContainer(name).inspect()).HostConfig.SecurityOpt).toEqual(['seccomp=unconfined']);
      await docker.getContainer(name).remove({ force: true });
    } finally {
      await wide.close();
    }
  });

  it('configuration_validation reports the same refusals without creating anything', async () => {
    const r = await mcp.ok<{ findings: { severity: string; message: string }[] }>('configuration_validation', {
      container: { image: BUSYBOX, volumes: [`${join(dir, 'varrun-link')}:/x`] },
    });
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([
      expect.stringMatching(/sensitive-bind-mount/),
    ]);
    await nothingLeft();
  });
});

describe("overlapping binds: no container may swap another's bind source for a symlink", () => {
  it('one container: a writable bind containing another of its own bind sources is refused', async () => {
    const top = join(allowedRoot, uniqueName('own'));
    mkdirSync(join(top, 'in'), { recursive: true });
    await refused(
      mcp,
      'deploy_container',
      deploy({ name: uniqueName('own'), volumes: [`${top}:/w`, `${top}/in:/r:ro`] }),
      /overlapping-bind.*DOM_ALLOW_OVERLAPPING_BINDS=1/,
    );
  });

  it("one stack: a service binding a folder inside another service's writable bind is refused", async () => {
    const top = join(allowedRoot, uniqueName('stk'));
    mkdirSync(join(top, 'in'), { recursive: true });
    const name = uniqueName('overlapstack');
    const compose = `services:\n  a:\n    image: ${BUSYBOX}\n    command: ["sleep", "60"]\n    volumes: ["${top}:/w"]\n    labels: {${TEST_LABEL}: ${run}}\n  b:\n    image: ${BUSYBOX}\n    command: ["sleep", "60"]\n    volumes: ["${top}/in:/r:ro"]\n    labels: {${TEST_LABEL}: ${run}}\n`;
    await refused(mcp, 'deploy_application_stack', { name, compose }, /overlapping-bind/);
  });

  it('create_volume: a bind device inside a folder a container binds writable is refused; side by side is fine', async () => {
    const top = join(allowedRoot, uniqueName('vol'));
    mkdirSync(join(top, 'in'), { recursive: true });
    mkdirSync(`${top}-beside`);
    const holder = uniqueName('holder');
    await mcp.ok('deploy_container', deploy({ name: holder, volumes: [`${top}:/w`], labels: { [TEST_LABEL]: setup } }));
    await refused(
      mcp,
      'create_volume',
      { name: uniqueName('inside'), driver_opts: { type: 'none', o: 'bind', device: `${top}/in` }, labels },
      /overlapping-bind/,
    );
    const beside = uniqueName('beside');
    await mcp.ok('create_volume', {
      name: beside,
      driver_opts: { type: 'none', o: 'bind', device: `${top}-beside` },
      labels,
    });
    await mcp.ok(
      'deploy_container',
      deploy({ name: uniqueName('sametoo'), volumes: [`${top}:/w2`], labels: { [TEST_LABEL]: setup } }),
    );
    await docker.getVolume(beside).remove();
  });
});

describe("networks on the host's own LAN", () => {
  it('a stack network with driver macvlan (driver_opts parent) is refused, nothing created', async () => {
    const name = uniqueName('macvlanstack');
    const compose = `services:\n  a:\n    image: ${BUSYBOX}\n    command: ["sleep", "60"]\n    networks: [lan]\n    labels: {${TEST_LABEL}: ${run}}\nnetworks:\n  lan:\n    driver: macvlan\n    driver_opts: {parent: eth0}\n`;
    await refused(mcp, 'deploy_application_stack', { name, compose }, /network-driver.*DOM_ALLOWED_NETWORK_DRIVERS/);
  });
  it('create_network with a routed bridge gateway mode is refused', async () => {
    const name = uniqueName('routed');
    const r = await mcp.call('create_network', {
      name,
      options: { 'com.docker.network.bridge.gateway_mode_ipv4': 'routed' },
      labels,
    });
    await docker
      .getNetwork(name)
      .remove()
      .catch(() => undefined);
    expect(errorKind(r), errorText(r)).toBe('denied');
    expect(errorText(r)).toMatch(/network-option/);
  });
});
