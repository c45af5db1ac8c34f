import { isIP } from 'node:net';
import type { PolicyConfig } from '../config.js';
import { ToolError } from '../kernel/errors.js';
import { refuse } from './hostAccess.js';

/**
 * User networks: what a network driver and its options give containers on the host. bridge and
 * overlay keep containers behind the host's NAT, as the default bridge does; macvlan, ipvlan and
 * plugins put them on the host's own LAN (past its firewall and the 127.0.0.1 publishing rule), so
 * drivers are an allow-list. Bridge options are an allow-list too: the ones that only name, size or
 * isolate the bridge. Routed gateway modes, trusted host interfaces, or publishing ports on an
 * address other than loopback would let containers (or the LAN) reach beyond what the default
 * bridge allows.
 */

const DEFAULT_DRIVERS = new Set(['bridge', 'overlay']);

const HARMLESS_OPTIONS = new Set([
  'com.docker.network.bridge.name',
  'com.docker.network.bridge.enable_icc',
  'com.docker.network.bridge.enable_ip_masquerade',
  'com.docker.network.driver.mtu',
  'com.docker.network.container_iface_prefix',
  'com.docker.network.bridge.host_binding_ipv4',
  'com.docker.network.internal',
  'encrypted',
]);

/** "BRIDGE ", "bridge:latest" -> "bridge". */
export function normaliseNetworkDriver(driver: string | undefined): string {
  const d = (driver ?? '')
    .trim()
    .toLowerCase()
    .replace(/:latest$/, '');
  return d === '' ? 'bridge' : d;
}

function isLoopback(ip: string): boolean {
  const v = ip.trim();
  return isIP(v) !== 0 && (v.startsWith('127.') || v === '::1');
}

export interface NetworkDecision {
  driver: string;
  options: Record<string, string>;
}

/** A network to create (create_network, a stack's network): its driver and options, normalised, or a `denied` error. */
export function checkNetwork(
  policy: PolicyConfig,
  driver: string | undefined,
  options: Record<string, string> | null | undefined,
  where: string,
): NetworkDecision {
  const d = normaliseNetworkDriver(driver);
  const operatorAllowed = policy.allowedNetworkDrivers.includes(d);
  if (!DEFAULT_DRIVERS.has(d) && !operatorAllowed) {
    refuse(
      'network-driver',
      `${where}: network driver "${d}" is not bridge or overlay (macvlan and ipvlan put containers on the host's own LAN, plugins do what they decide)`,
      `DOM_ALLOWED_NETWORK_DRIVERS including ${d}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(options ?? {})) {
    const key = k.trim().toLowerCase();
    if (key in out)
      throw new ToolError(
        'invalid_input',
        `${where}: driver option "${key}" is given twice (keys differ only in case or spaces).`,
      );
    out[key] = String(v);
  }
  // A driver the operator allowed by name takes its options as the operator chose to trust it.
  if (operatorAllowed && !DEFAULT_DRIVERS.has(d)) return { driver: d, options: out };
  for (const [key, value] of Object.entries(out)) {
    if (policy.allowedNetworkOptions.includes(key)) continue;
    if (!HARMLESS_OPTIONS.has(key)) {
      refuse(
        'network-option',
        `${where}: driver option "${key}" is not one the server knows to be harmless (${[...HARMLESS_OPTIONS].join(', ')})`,
        `DOM_ALLOWED_NETWORK_OPTIONS including ${key}`,
      );
    }
    if (key === 'com.docker.network.bridge.host_binding_ipv4' && !isLoopback(value)) {
      refuse(
        'network-option',
        `${where}: "${key}" = "${value}" would publish ports on an address other than loopback`,
        `DOM_ALLOWED_NETWORK_OPTIONS including ${key}`,
      );
    }
  }
  return { driver: d, options: out };
}
