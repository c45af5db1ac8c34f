import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config.js';
import type { ContainerSpec } from '../../src/docker/containerSpec.js';
import { checkContainerSpec, withDefaultLimits } from '../../src/policy/containerPolicy.js';
import { assertInScope } from '../../src/policy/scope.js';
import { loadConfig } from '../../src/config.js';

const open: PolicyConfig = loadConfig({}).policy;

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return { image: 'nginx:1.27', env: {}, ports: [], mounts: [], networks: [], labels: {}, extraHosts: [], ...over };
}

const bind = (source: string) => ({ type: 'bind' as const, source, target: '/x', readOnly: false });

describe('container policy', () => {
  it.each([
    '/var/run/docker.sock',
    '/run/docker.sock',
    '/',
    '/etc',
    '/etc/shadow',
    '/root/.ssh',
    '/var/lib/docker/volumes',
    '/proc',
    '/sys/kernel',
    '/dev',
  ])('refuses a bind mount of %s, naming the rule and the setting', (p) => {
    expect(() => checkContainerSpec(open, spec({ mounts: [bind(p)] }), 'container web')).toThrow(
      /sensitive-bind-mount.*DOM_ALLOW_SENSITIVE_MOUNTS=1/,
    );
  });

  it('allows ordinary binds and named volumes, and sensitive ones when configured', () => {
    expect(() =>
      checkContainerSpec(
        open,
        spec({ mounts: [bind('/srv/app'), { type: 'volume', source: 'data', target: '/d', readOnly: false }] }),
        'c',
      ),
    ).not.toThrow();
    expect(() =>
      checkContainerSpec({ ...open, allowSensitiveMounts: true }, spec({ mounts: [bind('/etc')] }), 'c'),
    ).not.toThrow();
  });

  it('enforces allowed bind roots, without being fooled by ..', () => {
    const p = { ...open, allowedBindRoots: ['/srv'] };
    expect(() => checkContainerSpec(p, spec({ mounts: [bind('/srv/app/data')] }), 'c')).not.toThrow();
    expect(() => checkContainerSpec(p, spec({ mounts: [bind('/srv/../home/me/app')] }), 'c')).toThrow(
      /bind-mount-outside-allowed-roots.*DOM_ALLOWED_BIND_ROOTS/,
    );
    expect(() => checkContainerSpec(p, spec({ mounts: [bind('/srvx')] }), 'c')).toThrow(/outside the allowed/);
  });

  it('refuses the host network namespace unless allowed', () => {
    expect(() => checkContainerSpec(open, spec({ networks: [{ name: 'host', aliases: [] }] }), 'c')).toThrow(
      /host-network.*DOM_ALLOW_HOST_NETWORK=1/,
    );
    expect(() =>
      checkContainerSpec({ ...open, allowHostNetwork: true }, spec({ networks: [{ name: 'host', aliases: [] }] }), 'c'),
    ).not.toThrow();
  });

  it('allowed images by glob', () => {
    const p = { ...open, allowedImages: ['nginx:*', '127.0.0.1:5000/*'] };
    expect(() => checkContainerSpec(p, spec(), 'c')).not.toThrow();
    expect(() => checkContainerSpec(p, spec({ image: '127.0.0.1:5000/app:1' }), 'c')).not.toThrow();
    expect(() => checkContainerSpec(p, spec({ image: 'evil/miner:latest' }), 'c')).toThrow(
      /allowed-images.*DOM_ALLOWED_IMAGES/,
    );
  });

  it('applies default limits only where none are given', () => {
    const p = { ...open, defaultMemory: '256m', defaultCpus: '1' };
    expect(withDefaultLimits(p, spec())).toMatchObject({ memoryBytes: 256 * 1024 ** 2, nanoCpus: 1e9 });
    expect(withDefaultLimits(p, spec({ memoryBytes: 64 * 1024 ** 2 })).memoryBytes).toBe(64 * 1024 ** 2);
  });

  it('ownership scope refuses unmanaged objects unless --scope all', () => {
    const managed = loadConfig({});
    expect(() => assertInScope(managed, {}, 'container "x"')).toThrow(/--scope all/);
    expect(() => assertInScope(managed, { 'io.docker-orchestration-mcp.managed': 'true' }, 'x')).not.toThrow();
    expect(() => assertInScope(loadConfig({ DOM_SCOPE: 'all' }), {}, 'x')).not.toThrow();
  });
});

describe('privileges beyond the defaults', () => {
  const sec = (security: ContainerSpec['security']) => spec({ security });

  it.each([
    ['privileged', { privileged: true }, /privileged.*DOM_ALLOW_PRIVILEGED=1/],
    ['pid host', { pidMode: 'host' }, /host-namespace.*pid "host".*DOM_ALLOW_HOST_NAMESPACES=1/],
    ['ipc host', { ipcMode: 'host' }, /host-namespace.*ipc/],
    ['uts host', { utsMode: 'host' }, /host-namespace.*uts/],
    ['user namespaces off', { usernsMode: 'host' }, /userns-off.*DOM_ALLOW_HOST_NAMESPACES=1/],
    ['SYS_ADMIN', { capAdd: ['SYS_ADMIN'] }, /capability.*SYS_ADMIN.*DOM_ALLOWED_CAPABILITIES including SYS_ADMIN/],
    ['ALL capabilities', { capAdd: ['ALL'] }, /capability.*ALL/],
    [
      'a host device',
      { devices: [{ pathOnHost: '/dev/kvm', pathInContainer: '/dev/kvm', permissions: 'rwm' }] },
      /devices.*\/dev\/kvm.*DOM_ALLOW_DEVICES=1/,
    ],
    ['seccomp unconfined', { securityOpt: ['seccomp=unconfined'] }, /unconfined.*DOM_ALLOW_UNCONFINED=1/],
    ['apparmor unconfined', { securityOpt: ['apparmor:unconfined'] }, /unconfined/],
    ['SELinux labels off', { securityOpt: ['label=disable'] }, /unconfined/],
  ])('refuses %s, naming the rule and the setting', (_what, security, message) => {
    expect(() => checkContainerSpec(open, sec(security), 'container x')).toThrow(message);
  });

  it('allows what is harmless or configured', () => {
    expect(() =>
      checkContainerSpec(
        open,
        sec({
          capAdd: ['NET_BIND_SERVICE'],
          capDrop: ['ALL'],
          securityOpt: ['no-new-privileges:true'],
          ipcMode: 'shareable',
        }),
        'c',
      ),
    ).not.toThrow();
    const wide = {
      ...open,
      allowPrivileged: true,
      allowHostNamespaces: true,
      allowedCapabilities: ['SYS_ADMIN'],
      allowDevices: true,
      allowUnconfined: true,
    };
    expect(() =>
      checkContainerSpec(
        wide,
        sec({
          privileged: true,
          pidMode: 'host',
          usernsMode: 'host',
          capAdd: ['SYS_ADMIN'],
          devices: [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x', permissions: 'r' }],
          securityOpt: ['seccomp=unconfined'],
        }),
        'c',
      ),
    ).not.toThrow();
  });
});
