import type Docker from 'dockerode';
import { isIP } from 'node:net';
import type { Engine } from './engine.js';
import { assertObjectRef } from './refs.js';
import { ToolError } from '../kernel/errors.js';
import { COMPOSE_PROJECT, isManaged } from './labels.js';
import { shortId } from './projections.js';

/** Networks on the Engine: validation, create/list/remove, connect/disconnect. */

export function networkTarget(id: string): string {
  return `network "${id}"`;
}

/** "a, b, c and 4 more": names of the objects in the way, bounded for the answer. */
export function listNames(names: string[], max = 10): string {
  const shown = names.slice(0, max).map((n) => `"${n}"`);
  return names.length > max ? `${shown.join(', ')} and ${names.length - max} more` : shown.join(', ');
}

export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

/** Parses "10.20.0.0/16" or "fd00::/64"; throws invalid_input naming the field. Pure. */
export function parseCidr(input: string, field = 'subnet'): Cidr {
  const m = /^([^/\s]+)\/(\d{1,3})$/.exec(input.trim());
  const family = m ? isIP(m[1] as string) : 0;
  const prefix = m ? Number(m[2]) : NaN;
  if (!m || (family !== 4 && family !== 6) || prefix > (family === 4 ? 32 : 128)) {
    throw new ToolError(
      'invalid_input',
      `Invalid ${field} "${input}": give a CIDR block like "10.20.0.0/16" (IPv4, prefix 0-32) or "fd00:1::/64" (IPv6).`,
    );
  }
  return { family, address: m[1] as string, prefix };
}

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

/** Whether an IPv4 address lies in an IPv4 CIDR block (IPv6 is left to the Engine). Pure. */
export function ipv4InCidr(ip: string, cidr: Cidr): boolean {
  if (cidr.family !== 4 || isIP(ip) !== 4) return true;
  const size = 2 ** (32 - cidr.prefix);
  const base = Math.floor(ipv4ToInt(cidr.address) / size) * size;
  const v = ipv4ToInt(ip);
  return v >= base && v < base + size;
}

export interface NetworkSpec {
  name: string;
  driver: string;
  subnet?: string;
  gateway?: string;
  ipRange?: string;
  internal: boolean;
  attachable: boolean;
  enableIpv6: boolean;
  labels: Record<string, string>;
  options: Record<string, string>;
}

export const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/;

/** Validates a spec before the Engine sees it and builds the create body. Pure. */
export function toNetworkBody(spec: NetworkSpec): Record<string, unknown> {
  if (!NETWORK_NAME.test(spec.name)) {
    throw new ToolError(
      'invalid_input',
      `Invalid network name "${spec.name}": use letters, digits, "_", "." or "-", starting with a letter or digit.`,
    );
  }
  const ipam: Record<string, string> = {};
  if (spec.subnet) {
    const subnet = parseCidr(spec.subnet, 'subnet');
    ipam.Subnet = spec.subnet.trim();
    if (spec.gateway) {
      const fam = isIP(spec.gateway);
      if (!fam)
        throw new ToolError(
          'invalid_input',
          `Invalid gateway "${spec.gateway}": give an IP address inside the subnet, like "10.20.0.1".`,
        );
      if (fam !== subnet.family || !ipv4InCidr(spec.gateway, subnet)) {
        throw new ToolError(
          'invalid_input',
          `Gateway ${spec.gateway} is not inside subnet ${spec.subnet}: pick an address in that block.`,
        );
      }
      ipam.Gateway = spec.gateway;
    }
    if (spec.ipRange) {
      const range = parseCidr(spec.ipRange, 'ip_range');
      if (range.family !== subnet.family || range.prefix < subnet.prefix || !ipv4InCidr(range.address, subnet)) {
        throw new ToolError('invalid_input', `ip_range ${spec.ipRange} is not inside subnet ${spec.subnet}.`);
      }
      ipam.IPRange = spec.ipRange.trim();
    }
  } else if (spec.gateway || spec.ipRange) {
    throw new ToolError('invalid_input', 'gateway and ip_range need a subnet: give subnet too (e.g. "10.20.0.0/16").');
  }
  const body: Record<string, unknown> = {
    Name: spec.name,
    // API 1.41 does not refuse a duplicate name unless asked to.
    CheckDuplicate: true,
    Driver: spec.driver,
    Internal: spec.internal,
    Attachable: spec.attachable,
    EnableIPv6: spec.enableIpv6,
    Labels: spec.labels,
    Options: spec.options,
  };
  if (Object.keys(ipam).length) body.IPAM = { Driver: 'default', Config: [ipam] };
  return body;
}

/**
 * Drivers the Engine knows for networks or volumes: built-in ones (from /info) and enabled
 * managed plugins. Asked before create because the Engine spends ~15 s looking for an unknown one.
 */
export async function knownDrivers(
  engine: Engine,
  kind: 'Network' | 'Volume',
  signal?: AbortSignal,
): Promise<string[]> {
  const [info, plugins] = await Promise.all([
    engine.call('read engine info', (d) => d.info() as Promise<{ Plugins?: Record<string, string[] | null> }>, {
      signal,
    }),
    engine
      .call(
        'list plugins',
        (d) =>
          d.listPlugins() as Promise<
            { Name: string; Enabled: boolean; Config?: { Interface?: { Types?: string[] } } }[]
          >,
        { signal },
      )
      .catch(() => []),
  ]);
  const iface = kind === 'Network' ? 'networkdriver' : 'volumedriver';
  const managed = plugins
    .filter((p) => p.Enabled && (p.Config?.Interface?.Types ?? []).some((t) => t.toLowerCase().includes(iface)))
    .flatMap((p) => [p.Name, p.Name.replace(/:latest$/, '')]);
  return [...new Set([...(info.Plugins?.[kind] ?? []), ...managed])];
}

/** invalid_input when the Engine has no network driver of that name. */
export async function assertKnownNetworkDriver(
  engine: Engine,
  network: string,
  driver: string,
  signal?: AbortSignal,
): Promise<void> {
  const drivers = await knownDrivers(engine, 'Network', signal);
  if (drivers.length && !drivers.includes(driver)) {
    throw new ToolError(
      'invalid_input',
      `Cannot create network "${network}": unknown network driver "${driver}". This Engine has: ${drivers.filter((d) => d !== 'null' && d !== 'host').join(', ')}. Use "bridge" (one host) or "overlay" (swarm).`,
    );
  }
}

export async function createNetwork(engine: Engine, spec: NetworkSpec, signal?: AbortSignal): Promise<string> {
  const body = toNetworkBody(spec);
  await assertKnownNetworkDriver(engine, spec.name, spec.driver, signal);
  try {
    const net = await engine.call(
      'create',
      (d) => d.createNetwork({ _query: {}, _body: body } as unknown as Docker.NetworkCreateOptions),
      {
        target: networkTarget(spec.name),
        signal,
        conflict: `a network named "${spec.name}" already exists: choose another name, or use the existing one (list_networks)`,
      },
    );
    return net.id;
  } catch (err) {
    if (!(err instanceof ToolError)) throw err;
    if (err.kind === 'not_found' && /plugin/i.test(err.message)) {
      throw new ToolError(
        'invalid_input',
        `Cannot create network "${spec.name}": unknown network driver "${spec.driver}". Use "bridge" (one host) or "overlay" (swarm), or install the driver plugin first.`,
      );
    }
    if (/not a swarm manager/i.test(err.message)) {
      throw new ToolError(
        'conflict',
        `Cannot create ${spec.driver} network "${spec.name}": the Engine is not a swarm manager. Run \`docker swarm init\` first, or use driver "bridge".`,
      );
    }
    if (/invalid (subnet|cidr)|invalid pool|overlaps|no available network|pool/i.test(err.message)) {
      throw new ToolError(
        'invalid_input',
        err.message.replace(/\. Fix the arguments and try again\.$/, '') + '. Choose a different subnet.',
      );
    }
    throw err;
  }
}

export async function inspectNetwork(
  engine: Engine,
  id: string,
  signal?: AbortSignal,
): Promise<Docker.NetworkInspectInfo> {
  assertObjectRef(id, 'network');
  return engine.call('inspect', (d) => d.getNetwork(id).inspect() as Promise<Docker.NetworkInspectInfo>, {
    target: networkTarget(id),
    signal,
  });
}

export interface NetworkRow {
  id: string;
  name: string;
  driver: string;
  scope: string;
  subnets: string[];
  internal: boolean;
  attachable: boolean;
  /** Names of containers attached (running ones, and stopped ones configured on it), at most 20. */
  containers: string[];
  containerCount: number;
  managed: boolean;
  stack?: string;
}

const MAX_NAMES = 20;

interface ListedNetwork {
  Id: string;
  Name: string;
  Driver: string;
  Scope: string;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Config?: { Subnet?: string }[] | null };
  Labels?: Record<string, string> | null;
}

/** Compact row; `members` are container names attached to it. Pure. */
export function networkRow(n: ListedNetwork, members: string[]): NetworkRow {
  const labels = n.Labels ?? {};
  const row: NetworkRow = {
    id: shortId(n.Id),
    name: n.Name,
    driver: n.Driver,
    scope: n.Scope,
    subnets: (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s),
    internal: n.Internal ?? false,
    attachable: n.Attachable ?? false,
    containers: [...members].sort().slice(0, MAX_NAMES),
    containerCount: members.length,
    managed: isManaged(labels),
  };
  if (labels[COMPOSE_PROJECT]) row.stack = labels[COMPOSE_PROJECT];
  return row;
}

export interface NetworkFilters {
  name?: string[];
  driver?: string[];
  label?: string[];
  stack?: string;
}

/** Container names per network id and per network name, from one container list. */
async function membersByNetwork(engine: Engine, signal?: AbortSignal): Promise<Map<string, Set<string>>> {
  const containers = await engine.call('list containers', (d) => d.listContainers({ all: true }), { signal });
  const map = new Map<string, Set<string>>();
  const add = (key: string, name: string) => {
    if (!map.has(key)) map.set(key, new Set());
    map.get(key)?.add(name);
  };
  for (const c of containers) {
    const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
    for (const [netName, ep] of Object.entries(c.NetworkSettings?.Networks ?? {})) {
      add(`name:${netName}`, name);
      if (ep.NetworkID) add(`id:${ep.NetworkID}`, name);
    }
  }
  return map;
}

export async function listNetworks(engine: Engine, f: NetworkFilters, signal?: AbortSignal): Promise<NetworkRow[]> {
  const filters: Record<string, string[]> = {};
  if (f.name?.length) filters.name = f.name;
  if (f.driver?.length) filters.driver = f.driver;
  const labels = [...(f.label ?? [])];
  if (f.stack) labels.push(`${COMPOSE_PROJECT}=${f.stack}`);
  if (labels.length) filters.label = labels;
  const [nets, members] = await Promise.all([
    engine.call('list networks', (d) => d.listNetworks({ filters }) as Promise<ListedNetwork[]>, { signal }),
    membersByNetwork(engine, signal),
  ]);
  return nets
    .map((n) => {
      const names = new Set([...(members.get(`id:${n.Id}`) ?? []), ...(members.get(`name:${n.Name}`) ?? [])]);
      return networkRow(n, [...names]);
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Containers with an active endpoint on the network (the ones that block removal). */
export function attachedNames(n: Docker.NetworkInspectInfo): string[] {
  return Object.values(n.Containers ?? {})
    .map((c) => c.Name)
    .filter(Boolean)
    .sort();
}

export async function removeNetwork(engine: Engine, id: string, signal?: AbortSignal): Promise<void> {
  await engine.call('remove', (d) => d.getNetwork(id).remove(), { target: networkTarget(id), signal });
}

export async function connectContainer(
  engine: Engine,
  network: string,
  container: string,
  opts: { aliases: string[]; ipv4Address?: string },
  signal?: AbortSignal,
): Promise<void> {
  const endpoint: Record<string, unknown> = { Aliases: opts.aliases };
  if (opts.ipv4Address) endpoint.IPAMConfig = { IPv4Address: opts.ipv4Address };
  await engine.call(
    'connect to',
    (d) => d.getNetwork(network).connect({ Container: container, EndpointConfig: endpoint }),
    {
      target: networkTarget(network),
      signal,
    },
  );
}

export async function disconnectContainer(
  engine: Engine,
  network: string,
  container: string,
  force: boolean,
  signal?: AbortSignal,
): Promise<void> {
  await engine.call(
    'disconnect from',
    (d) => d.getNetwork(network).disconnect({ Container: container, Force: force }),
    {
      target: networkTarget(network),
      signal,
    },
  );
}
