import { describe, expect, it } from 'vitest';
import type { PolicyConfig } from '../../src/config.js';
import type { ContainerSpec } from '../../src/docker/containerSpec.js';
import { checkContainerSpec, withDefaultLimits } from '../../src/policy/containerPolicy.js';
import { assertInScope } from '../../src/policy/scope.js';
import { loadConfig } from '../../src/config.js';

const open: PolicyConfig = { allowSensitiveMounts: false, allowedBindRoots: [], allowHostNetwork: false, allowedImages: [], maxContainersPerStack: 100 };

function spec(over: Partial<ContainerSpec> = {}): ContainerSpec {
  return { image: 'nginx:1.27', env: {}, ports: [], mounts: [], networks: [], labels: {}, extraHosts: [], ...over };
}

const bind = (source: string) => ({ type: 'bind' as const, source, target: '/x', readOnly: false });

describe('container policy', () => {
  it.each(['/var/run/docker.sock', '/run/docker.sock', '/', '/etc', '/etc/shadow', '/root/.ssh', '/var/lib/docker/volumes', '/proc', '/sys/kernel', '/dev'])(
    'refuses a bind mount of %s, naming the rule and the setting',
    (p) => {
      expect(() => checkContainerSpec(open, spec({ mounts: [bind(p)] }), 'container web')).toThrow(/sensitive-bind-mount.*DOM_ALLOW_SENSITIVE_MOUNTS=1/);
    },
  );

  it('allows ordinary binds and named volumes, and sensitive ones when configured', () => {
    expect(() => checkContainerSpec(open, spec({ mounts: [bind('/srv/app'), { type: 'volume', source: 'data', target: '/d', readOnly: false }] }), 'c')).not.toThrow();
    expect(() => checkContainerSpec({ ...open, allowSensitiveMounts: true }, spec({ mounts: [bind('/etc')] }), 'c')).not.toThrow();
  });

  it('enforces allowed bind roots, without being fooled by ..', () => {
    const p = { ...open, allowedBindRoots: ['/srv'] };
    expect(() => checkContainerSpec(p, spec({ mounts: [bind('/srv/app/data')] }), 'c')).not.toThrow();
    expect(() => checkContainerSpec(p, spec({ mounts: [bind('/srv/../home/me')] }), 'c')).toThrow(/bind-mount-outside-allowed-roots.*DOM_ALLOWED_BIND_ROOTS/);
    expect(() => checkContainerSpec(p, spec({ mounts: [bind('/srvx')] }), 'c')).toThrow(/outside the allowed/);
  });

  it('refuses the host network namespace unless allowed', () => {
    expect(() => checkContainerSpec(open, spec({ networks: [{ name: 'host', aliases: [] }] }), 'c')).toThrow(/host-network.*DOM_ALLOW_HOST_NETWORK=1/);
    expect(() => checkContainerSpec({ ...open, allowHostNetwork: true }, spec({ networks: [{ name: 'host', aliases: [] }] }), 'c')).not.toThrow();
  });

  it('allowed images by glob', () => {
    const p = { ...open, allowedImages: ['nginx:*', '127.0.0.1:5000/*'] };
    expect(() => checkContainerSpec(p, spec(), 'c')).not.toThrow();
    expect(() => checkContainerSpec(p, spec({ image: '127.0.0.1:5000/app:1' }), 'c')).not.toThrow();
    expect(() => checkContainerSpec(p, spec({ image: 'evil/miner:latest' }), 'c')).toThrow(/allowed-images.*DOM_ALLOWED_IMAGES/);
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
