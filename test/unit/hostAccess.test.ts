import { linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type PolicyConfig } from '../../src/config.js';
import type { ContainerSpec } from '../../src/docker/containerSpec.js';
import {
  checkHostAccess,
  checkVolume,
  containerReferences,
  normaliseCapability,
  normaliseContainerSpec,
  normaliseNamespace,
  normaliseNetworkName,
  normaliseSysctl,
  normaliseVolumesFrom,
} from '../../src/policy/hostAccess.js';
import { aliasProblem, hostPath, hostPathProblem, protectedPaths, resolvedPath } from '../../src/policy/hostPaths.js';
import { judgeSecurityOpt } from '../../src/policy/securityOpts.js';
import { classifyVolume, mountFlags } from '../../src/policy/volumeOptions.js';

const open: PolicyConfig = loadConfig({}).policy;
const dir = mkdtempSync(join(tmpdir(), 'dom-hostpaths-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return { image: 'busybox', env: {}, ports: [], mounts: [], networks: [], labels: {}, extraHosts: [], ...over };
}

describe('host paths', () => {
  it('cleans //, ., .. and trailing slashes, then follows symlinks of every existing component', () => {
    symlinkSync('/var/run', join(dir, 'vr'));
    expect(hostPath('/var//run/', 'v')).toEqual({ lexical: '/var/run', resolved: resolvedPath('/var/run') });
    expect(hostPath('/srv/a/../../etc/.', 'v').lexical).toBe('/etc');
    expect(hostPath(`${dir}/vr/docker.sock`, 'v').resolved).toBe(resolvedPath('/var/run/docker.sock'));
    expect(hostPath('/proc/self/root/etc', 'v').resolved).toBe('/etc');
    expect(hostPath(`${dir}/missing/deeper/..`, 'v').resolved).toBe(`${dir}/missing`);
  });

  it('resolves relative paths against a base, and refuses them without one', () => {
    expect(hostPath('./x/../y', 'v', '/srv/app').lexical).toBe('/srv/app/y');
    expect(() => hostPath('x', 'v')).toThrow(/relative/);
    expect(() => hostPath('/etc\u0000', 'v')).toThrow(/control characters/);
  });

  it('protects the sensitive trees, the sockets, and every folder above them', () => {
    const list = protectedPaths(['/opt/engine/docker.sock']);
    for (const p of [
      '/',
      '/var',
      '/var/run',
      '/run',
      '/run/user/0',
      '/var/lib',
      '/etc/ssl',
      '/proc/1/root',
      '/usr/bin',
      '/opt',
      '/opt/engine',
      '/opt/engine/docker.sock',
    ]) {
      expect(hostPathProblem(hostPath(p, 'v'), list), p).toBeDefined();
    }
    for (const p of ['/srv/data', '/home/me/app', '/opt/other', '/tmp/x'])
      expect(hostPathProblem(hostPath(p, 'v'), list), p).toBeUndefined();
  });

  it('protects what the configuration names: the DOCKER_HOST socket, TLS keys, registry credentials, the history, DOM_PROTECTED_PATHS', () => {
    const c = loadConfig({
      DOCKER_HOST: 'unix:///opt/e//docker.sock',
      DOCKER_CERT_PATH: '/opt/certs',
      DOCKER_CONFIG: '/opt/dockercfg',
      DOM_HISTORY_PATH: '/var/lib/dom/history.db',
      DOM_PROTECTED_PATHS: '/srv/secrets',
    }).policy;
    expect(c.protectedPaths).toEqual([
      '/opt/e/docker.sock',
      '/opt/certs',
      '/opt/dockercfg',
      '/var/lib/dom/history.db',
      '/var/lib/dom/history.db-wal',
      '/var/lib/dom/history.db-shm',
      '/var/lib/dom/history.db-journal',
      '/var/lib/dom/content-digest.key',
      '/srv/secrets',
    ]);
    for (const p of [
      '/opt/e',
      '/opt/certs/key.pem',
      '/opt/dockercfg',
      '/var/lib/dom',
      '/var/lib',
      '/srv',
      '/srv/secrets/x',
    ]) {
      expect(
        () => checkHostAccess(c, spec({ mounts: [{ type: 'bind', source: p, target: '/x', readOnly: true }] }), 'c'),
        p,
      ).toThrow(/sensitive-bind-mount/);
    }
    expect(() =>
      checkHostAccess(c, spec({ mounts: [{ type: 'bind', source: '/srv/app', target: '/x', readOnly: true }] }), 'c'),
    ).not.toThrow();
  });

  it('knows another name for a protected path (same device and inode)', () => {
    mkdirSync(join(dir, 'guarded'));
    writeFileSync(join(dir, 'guarded', 'sock'), '');
    linkSync(join(dir, 'guarded', 'sock'), join(dir, 'alias'));
    expect(aliasProblem(join(dir, 'alias'), [join(dir, 'guarded', 'sock')])).toMatch(/another name/);
    expect(aliasProblem(join(dir), [join(dir, 'guarded', 'sock')])).toBeUndefined();
  });
});

describe('security_opt spellings', () => {
  it.each([
    ['no-new-privileges', 'safe', 'no-new-privileges=true'],
    ['no-new-privileges:true', 'safe', 'no-new-privileges=true'],
    [' NO-NEW-PRIVILEGES = False ', 'safe', 'no-new-privileges=false'],
    ['apparmor=docker-default', 'safe', 'apparmor=docker-default'],
    ['seccomp=unconfined', 'unconfined', 'seccomp=unconfined'],
    ['seccomp:unconfined', 'unconfined', 'seccomp=unconfined'],
    ['SECCOMP = UNCONFINED', 'unconfined', 'seccomp=unconfined'],
    ['APPARMOR=UNCONFINED', 'unconfined', 'apparmor=unconfined'],
    ['label=disable', 'unconfined', 'label=disable'],
    ['label:disable', 'unconfined', 'label=disable'],
    ['disable', 'unconfined', 'label=disable'],
    ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'custom', 'seccomp={"defaultAction":"SCMP_ACT_ALLOW"}'],
    ['seccomp=/etc/profile.json', 'custom', 'seccomp=/etc/profile.json'],
    ['apparmor=other', 'custom', 'apparmor=other'],
    ['label=type:spc_t', 'custom', 'label=type:spc_t'],
    ['label=level:s0', 'custom', 'label=level:s0'],
    ['label=user:system_u', 'custom', 'label=user:system_u'],
  ])('%s -> %s', (raw, kind, normalised) => {
    expect(judgeSecurityOpt(raw, 'security_opt[0]')).toMatchObject({ kind, normalised });
  });

  it('systempaths=unconfined becomes empty masked paths, and unknown options are refused', () => {
    expect(judgeSecurityOpt('Systempaths=Unconfined', 'x').kind).toBe('systempaths');
    for (const raw of ['seccomp', 'seccomp=', 'no-new-privileges=maybe', 'ſeccomp=unconfined', 'foo=bar', '']) {
      expect(() => judgeSecurityOpt(raw, 'x'), raw).toThrow(/unknown security_opt/);
    }
    const n = normaliseContainerSpec(
      spec({ security: { securityOpt: ['systempaths=unconfined', 'no-new-privileges'] } }),
    );
    expect(n.security).toMatchObject({ systemPathsUnconfined: true, securityOpt: ['no-new-privileges=true'] });
  });
});

describe('volume options', () => {
  it.each([
    [{}, 'none'],
    [{ type: 'tmpfs', device: 'tmpfs', o: 'size=64m' }, 'none'],
    [{ type: 'none', o: 'bind', device: '/etc' }, 'bind'],
    [{ type: 'tmpfs', o: 'rbind', device: '/etc' }, 'bind'],
    [{ TYPE: 'none', O: ' ro , BIND ', DEVICE: '/etc' }, 'bind'],
    [{ type: 'ext4', device: '/dev/sda1' }, 'filesystem'],
    [{ type: 'nfs', o: 'addr=10.0.0.1', device: ':/x' }, 'filesystem'],
    [{ type: 'none', device: '/etc' }, 'filesystem'],
  ])('%j is %s', (opts, kind) => {
    expect(classifyVolume('local', opts as Record<string, string>, 'v').kind).toBe(kind);
  });

  it('drivers, flags and ambiguous keys', () => {
    expect(classifyVolume(' LOCAL ', {}, 'v').kind).toBe('none');
    expect(classifyVolume('vieux/sshfs:latest', {}, 'v')).toEqual({ kind: 'driver', driver: 'vieux/sshfs' });
    expect(mountFlags('uid=1000, Bind ,x-y=z')).toEqual(['uid', 'bind', 'x-y']);
    expect(() => classifyVolume('local', { o: 'size=1m', O: 'bind' }, 'v')).toThrow(/given twice/);
    expect(() => classifyVolume('local', { type: 'none', mountpoint: '/etc' }, 'v')).toThrow(
      /unknown local driver option/,
    );
    expect(() => classifyVolume('local', { type: 'tmpfs', device: '/etc', o: 'size=1m,move' }, 'v')).toThrow(
      /"move" are not supported for a tmpfs/,
    );
    expect(() => classifyVolume('local', { type: 'tmpfs', device: 'tmpfs', o: 'remount,rshared' }, 'v')).toThrow(
      /not supported/,
    );
  });

  it('judges a bind volume like a bind mount, and hands the Engine the resolved device', () => {
    expect(() => checkVolume(open, 'local', { type: 'none', o: 'bind', device: '/var/run' }, 'volume x')).toThrow(
      /sensitive-bind-mount/,
    );
    expect(() =>
      checkVolume(
        { ...open, allowedBindRoots: ['/srv'] },
        'local',
        { type: 'none', o: 'bind', device: '/home/me/data' },
        'volume x',
      ),
    ).toThrow(/bind-mount-outside-allowed-roots/);
    expect(() => checkVolume(open, undefined, { type: 'nfs', device: ':/x' }, 'volume x')).toThrow(
      /volume-filesystem.*DOM_ALLOWED_VOLUME_TYPES including nfs/,
    );
    expect(
      checkVolume({ ...open, allowedVolumeTypes: ['nfs'] }, undefined, { Type: 'nfs', device: ':/x' }, 'v').options,
    ).toEqual({ type: 'nfs', device: ':/x' });
    expect(() => checkVolume(open, 'sshfs', {}, 'volume x')).toThrow(
      /volume-driver.*DOM_ALLOWED_VOLUME_DRIVERS including sshfs/,
    );
    symlinkSync(dir, join(dir, 'self'));
    expect(checkVolume(open, 'local', { type: 'none', o: 'bind', device: join(dir, 'self') }, 'v').options.device).toBe(
      resolvedPath(dir),
    );
  });
});

describe('normalisation of the other routes', () => {
  it('capabilities, namespaces, networks, sysctls, volumes_from', () => {
    expect(normaliseCapability(' cap_sys_admin ', 'c')).toBe('SYS_ADMIN');
    expect(normaliseCapability('sys_adm\u0131n', 'c')).toBe('SYS_ADMIN');
    expect(() => normaliseCapability('SYS ADMIN', 'c')).toThrow(/not a capability/);
    expect(normaliseNamespace('pid', ' HOST ', 'pid')).toBe('host');
    expect(normaliseNamespace('pid', 'Container: web', 'pid')).toBe('container:web');
    expect(normaliseNamespace('ipc', 'service:db', 'ipc')).toBe('container:db');
    expect(() => normaliseNamespace('uts', 'container:web', 'uts')).toThrow(/not a uts mode/);
    expect(() => normaliseNamespace('userns', 'private', 'userns_mode')).toThrow(/not a userns mode/);
    expect(normaliseNetworkName('Host', 'network')).toBe('host');
    expect(normaliseNetworkName('my_net', 'network')).toBe('my_net');
    expect(normaliseSysctl(' KERNEL/core_pattern', 's')).toBe('kernel.core_pattern');
    expect(normaliseVolumesFrom('container:db:RO', 'v')).toEqual({ ref: 'db', normalised: 'db:ro' });
    expect(() => normaliseVolumesFrom('db:rw:x', 'v')).toThrow();
  });

  it('lists the containers a spec shares with', () => {
    const s = normaliseContainerSpec(
      spec({
        networks: [{ name: 'container:a', aliases: [] }],
        security: { pidMode: 'container:b', volumesFrom: ['c:ro'] },
      }),
    );
    expect(containerReferences(s).map((r) => r.ref)).toEqual(['b', 'a', 'c']);
  });

  it('sysctls: only what the kernel keeps per container, unless allowed', () => {
    const with_ = (sysctls: Record<string, string>, extra: ContainerSpec['security'] = {}, net = 'bridge') =>
      checkHostAccess(open, spec({ networks: [{ name: net, aliases: [] }], security: { sysctls, ...extra } }), 'c');
    expect(() => with_({ 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10' })).not.toThrow();
    expect(() => with_({ 'kernel.core_pattern': '|x' })).toThrow(/\(sysctl\).*kernel\.core_pattern/);
    expect(() => with_({ 'net.ipv4.ip_forward': '1' }, {}, 'host')).toThrow(/host-network/);
    expect(() => with_({ 'kernel.shmmax': '1' }, { ipcMode: 'host' })).toThrow(/host-namespace|sysctl/);
    expect(() =>
      checkHostAccess(
        { ...open, allowedSysctls: ['kernel.*'] },
        spec({ security: { sysctls: { 'kernel.core_pattern': 'x' } } }),
        'c',
      ),
    ).not.toThrow();
  });

  it('the Engine gets the normalised spelling', () => {
    const n = checkHostAccess(
      { ...open, allowedCapabilities: ['SYS_ADMIN'], allowUnconfined: true },
      spec({
        mounts: [{ type: 'bind', source: '/srv//app/', target: '/x', readOnly: false }],
        security: { capAdd: ['cap_sys_admin', 'SYS_ADMIN'], securityOpt: ['SECCOMP:unconfined'] },
      }),
      'c',
    );
    expect(n.mounts[0]?.source).toBe('/srv/app');
    expect(n.security).toMatchObject({ capAdd: ['SYS_ADMIN'], securityOpt: ['seccomp=unconfined'] });
  });
});
