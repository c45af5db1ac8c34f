import { describe, expect, it } from 'vitest';
import { toCreateBody, type ContainerSpec } from '../../../src/docker/containerSpec.js';
import { API_FEATURES, OUR_API_VERSION, pinApiVersion } from '../../../src/docker/engine.js';

function spec(networks: ContainerSpec['networks']): ContainerSpec {
  return { image: 'dom-test/busybox:1', env: {}, ports: [], mounts: [], networks, labels: {}, extraHosts: [] };
}

describe('Engine API version negotiation', () => {
  it("speaks the daemon's version when it is older than ours, ours when it is newer", () => {
    expect(OUR_API_VERSION).toBe('1.51');
    expect(pinApiVersion('1.41')).toBe('1.41'); // Engine 20.10
    expect(pinApiVersion('1.51')).toBe('1.51'); // Engine 28.5
    expect(pinApiVersion('1.52')).toBe('1.51'); // a newer Engine: we stay on what we know
    expect(pinApiVersion('1.9')).toBe('1.9');
  });

  it('joins every network at create from API 1.44, only the first before', () => {
    expect(API_FEATURES.multiNetworkCreate).toBe('1.44');
    const s = spec([
      { name: 'front', aliases: ['web'] },
      { name: 'back', aliases: [] },
    ]);
    const old = toCreateBody(s);
    expect(old.HostConfig?.NetworkMode).toBe('front');
    expect(old.NetworkingConfig?.EndpointsConfig).toEqual({ front: { Aliases: ['web'] } });
    const now = toCreateBody(s, { multiNetwork: true });
    expect(now.HostConfig?.NetworkMode).toBe('front');
    expect(now.NetworkingConfig?.EndpointsConfig).toEqual({ front: { Aliases: ['web'] }, back: { Aliases: [] } });
  });

  it('sends no NetworkingConfig for a container on the default network', () => {
    const body = toCreateBody(spec([]), { multiNetwork: true });
    expect(body.NetworkingConfig).toBeUndefined();
    expect(body.HostConfig?.NetworkMode).toBeUndefined();
  });
});
