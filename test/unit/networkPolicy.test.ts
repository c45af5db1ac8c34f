import { describe, expect, it } from 'vitest';
import { loadConfig, type PolicyConfig } from '../../src/config.js';
import { checkNetwork } from '../../src/policy/networkPolicy.js';

const policy: PolicyConfig = loadConfig({}).policy;

describe('network policy', () => {
  it('bridge and overlay in any spelling, with harmless options', () => {
    expect(
      checkNetwork(
        policy,
        ' Bridge ',
        { 'COM.docker.network.bridge.enable_icc': 'false', 'com.docker.network.driver.mtu': '1400' },
        'n',
      ),
    ).toEqual({
      driver: 'bridge',
      options: { 'com.docker.network.bridge.enable_icc': 'false', 'com.docker.network.driver.mtu': '1400' },
    });
    expect(checkNetwork(policy, undefined, {}, 'n').driver).toBe('bridge');
    expect(checkNetwork(policy, 'overlay', { encrypted: '' }, 'n').driver).toBe('overlay');
    expect(
      checkNetwork(policy, 'bridge', { 'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1' }, 'n').driver,
    ).toBe('bridge');
  });
  it.each(['macvlan', 'IPVLAN', 'weave:latest', 'host'])('driver %s is refused', (d) => {
    expect(() => checkNetwork(policy, d, { parent: 'eth0' }, 'n')).toThrow(
      /network-driver.*DOM_ALLOWED_NETWORK_DRIVERS/,
    );
  });
  it('unknown bridge options and a non-loopback host binding are refused', () => {
    expect(() =>
      checkNetwork(policy, 'bridge', { 'com.docker.network.bridge.gateway_mode_ipv4': 'routed' }, 'n'),
    ).toThrow(/network-option/);
    expect(() =>
      checkNetwork(policy, 'bridge', { 'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0' }, 'n'),
    ).toThrow(/network-option.*loopback/);
    expect(() => checkNetwork(policy, 'bridge', { parent: 'eth0' }, 'n')).toThrow(/network-option/);
  });
  it('the settings allow what they name', () => {
    const p = loadConfig({
      DOM_ALLOWED_NETWORK_DRIVERS: 'macvlan',
      DOM_ALLOWED_NETWORK_OPTIONS: 'com.docker.network.bridge.gateway_mode_ipv4',
    }).policy;
    expect(checkNetwork(p, 'macvlan', { parent: 'eth0' }, 'n')).toEqual({
      driver: 'macvlan',
      options: { parent: 'eth0' },
    });
    expect(checkNetwork(p, 'bridge', { 'com.docker.network.bridge.gateway_mode_ipv4': 'routed' }, 'n').driver).toBe(
      'bridge',
    );
  });
});
