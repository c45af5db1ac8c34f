import { isIPv4 } from 'node:net';
import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { inspectContainer, target } from '../../docker/containers.js';
import { ToolError } from '../../kernel/errors.js';
import { COMPOSE_PROJECT, managedLabels } from '../../docker/labels.js';
import {
  assertKnownNetworkDriver,
  attachedNames,
  connectContainer,
  createNetwork,
  disconnectContainer,
  inspectNetwork,
  listNames,
  listNetworks,
  networkTarget,
  removeNetwork,
} from '../../docker/networks.js';
import { assertObjectRef } from '../../docker/refs.js';
import { checkNetwork, normaliseNetworkDriver } from '../../policy/networkPolicy.js';
import { assertInScope } from '../../policy/scope.js';
import { defineTool } from '../defineTool.js';
import { pagingInput, paginate } from '../paging.js';
import { moreHint } from '../render.js';
import { confirmArg, destructiveOutcome, idArg } from '../schemas.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { timedStep } from '../../history/record.js';

const labelsArg = keyValueList({ maxValue: 4096 }).optional().describe('["KEY=VALUE"]; the managed label is added.');

const networkRowSchema = z.object({
  id: z.string(),
  name: z.string(),
  driver: z.string(),
  scope: z.string(),
  subnets: z.array(z.string()),
  internal: z.boolean(),
  attachable: z.boolean(),
  containers: z.array(z.string()).describe('Names of attached containers (at most 20).'),
  containerCount: z.number(),
  managed: z.boolean(),
  stack: z.string().optional(),
});

export const createNetworkTool = defineTool({
  name: 'create_network',
  title: 'Create network',
  description:
    'Create a user network: driver bridge (one host) or overlay (swarm), optional subnet/gateway/ip_range, internal (no outside access), attachable, labels. Containers on it reach each other by name and alias. Duplicate names are refused.',
  toolset: 'networks',
  kind: 'create',
  input: z.object({
    name: z.string().min(1).max(128).describe('Network name.'),
    driver: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        '"bridge" (default) or "overlay" (needs swarm mode); other installed drivers (macvlan, ipvlan, plugins) only when the server allows them (DOM_ALLOWED_NETWORK_DRIVERS).',
      ),
    subnet: z.string().max(64).optional().describe('CIDR block, e.g. "10.42.0.0/24".'),
    gateway: z.string().max(64).optional().describe('Gateway address inside the subnet, e.g. "10.42.0.1".'),
    ip_range: z
      .string()
      .max(64)
      .optional()
      .describe('CIDR sub-range of the subnet to allocate container addresses from.'),
    internal: z.boolean().optional().describe('No route to outside networks (default false).'),
    attachable: z.boolean().optional().describe('For overlay: standalone containers may attach (default false).'),
    ipv6: z.boolean().optional().describe('Enable IPv6 (default false).'),
    options: keyValueList({ maxValue: 1024 })
      .optional()
      .describe(
        'Driver options, ["KEY=VALUE"]; bridge/overlay options outside a harmless set are refused unless DOM_ALLOWED_NETWORK_OPTIONS names them.',
      ),
    labels: labelsArg,
  }),
  output: z.object({
    id: z.string(),
    name: z.string(),
    driver: z.string(),
    subnets: z.array(z.string()),
    internal: z.boolean(),
    attachable: z.boolean(),
  }),
  async handler(a, ctx) {
    // A driver the Engine does not have is bad input before it is a policy question.
    const wanted = normaliseNetworkDriver(a.driver);
    if (wanted !== 'bridge') await assertKnownNetworkDriver(ctx.engine, a.name, wanted, ctx.signal);
    const decided = checkNetwork(ctx.config.policy, a.driver, a.options, `network "${a.name}"`);
    const driver = decided.driver;
    const id = await createNetwork(
      ctx.engine,
      {
        name: a.name,
        driver,
        ...(a.subnet ? { subnet: a.subnet } : {}),
        ...(a.gateway ? { gateway: a.gateway } : {}),
        ...(a.ip_range ? { ipRange: a.ip_range } : {}),
        internal: a.internal ?? false,
        attachable: a.attachable ?? false,
        enableIpv6: a.ipv6 ?? false,
        labels: { ...(a.labels ?? {}), ...managedLabels(ctx.config.instanceLabel) },
        options: decided.options,
      },
      ctx.signal,
    );
    const n = await inspectNetwork(ctx.engine, id, ctx.signal);
    const subnets = (n.IPAM?.Config ?? []).map((c) => c.Subnet).filter((s): s is string => !!s);
    const data = {
      id: id.slice(0, 12),
      name: n.Name,
      driver: n.Driver,
      subnets,
      internal: n.Internal ?? false,
      attachable: n.Attachable ?? false,
    };
    return {
      data,
      text: `Created ${data.driver} network "${data.name}" (${data.id})${subnets.length ? ` subnet ${subnets.join(', ')}` : ''}${data.internal ? ', internal' : ''}.`,
    };
  },
});

export const listNetworksTool = defineTool({
  name: 'list_networks',
  title: 'List networks',
  description:
    'List networks as compact rows: id, name, driver, scope, subnets, internal, attached containers, managed, stack. Filter by name, driver, label or stack; page with limit and cursor.',
  toolset: 'networks',
  kind: 'read',
  input: z.object({
    filters: z
      .object({
        name: z.array(z.string().max(256)).optional(),
        driver: z.array(z.string().max(128)).optional(),
        label: z.array(z.string().max(512)).optional(),
        stack: z.string().max(256).optional().describe('Only networks of this stack (Compose project).'),
      })
      .optional(),
    ...pagingInput,
  }),
  output: z.object({ networks: z.array(networkRowSchema), total: z.number(), nextCursor: z.string().optional() }),
  async handler({ filters, limit, cursor }, ctx) {
    const rows = await listNetworks(ctx.engine, filters ?? {}, ctx.signal);
    const page = paginate(rows, (r) => `${r.name}\u0000${r.id}`, limit ?? 50, cursor);
    const data: { networks: typeof page.items; total: number; nextCursor?: string } = {
      networks: page.items,
      total: page.total,
    };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const text = page.items.length
      ? page.items
          .map(
            (r) =>
              `${r.id}  ${r.name}  ${r.driver}/${r.scope}${r.subnets.length ? `  ${r.subnets.join(',')}` : ''}${r.internal ? '  internal' : ''}  ${r.containerCount} container(s)${r.containers.length ? `: ${r.containers.join(',')}` : ''}`,
          )
          .join('\n') + moreHint(page.items.length, page.total, page.nextCursor)
      : 'No networks match.';
    return { data, text };
  },
});

export const removeNetworkTool = defineDestructiveTool({
  name: 'remove_network',
  title: 'Remove network',
  description:
    'Remove a network. Refused while containers are attached (the answer names them: disconnect or remove them first). Pre-defined networks (bridge, host, none) cannot be removed. Destructive: needs confirmation.',
  toolset: 'networks',
  input: z.object({ id: idArg, confirm: confirmArg }),
  output: z.object({ id: z.string(), name: z.string(), ...destructiveOutcome }),
  async resolve({ id }, ctx) {
    const n = await inspectNetwork(ctx.engine, id, ctx.signal);
    return { scope: [{ what: networkTarget(n.Name), labels: n.Labels }], found: n };
  },
  async plan(n, { id, confirm }, ctx) {
    const attached = attachedNames(n);
    if (attached.length) {
      throw new ToolError(
        'conflict',
        `Network "${n.Name}" still has ${attached.length} attached container(s): ${listNames(attached)}. Disconnect them (disconnect_container_from_network) or remove them first.`,
        { users: attached },
      );
    }
    const base = { id: n.Id.slice(0, 12), name: n.Name };
    const stack = n.Labels?.[COMPOSE_PROJECT];
    return {
      summary: `Remove ${n.Driver} network "${n.Name}" (${n.Id.slice(0, 12)}).`,
      record: { target: n.Name, ...(stack ? { stack } : {}), source: 'network', inputs: { id, confirm } },
      refused: (message) => ({ ...base, done: false, message }),
      async run(h) {
        await timedStep(h, 'remove', () => removeNetwork(ctx.engine, n.Id, ctx.signal));
        const message = `Removed network "${n.Name}".`;
        return { data: { ...base, done: true, message }, text: message };
      },
    };
  },
});

const connectionAnswer = z.object({
  network: z.string(),
  container: z.string(),
  changed: z.boolean().describe('false when the container was already in the requested state'),
  aliases: z.array(z.string()),
  ip: z.string().optional(),
  message: z.string(),
});

function endpointOf(c: Awaited<ReturnType<typeof inspectContainer>>, network: string, networkId: string) {
  const nets = c.NetworkSettings?.Networks ?? {};
  return nets[network] ?? Object.values(nets).find((e) => e.NetworkID === networkId);
}

export const connectContainerToNetworkTool = defineTool({
  name: 'connect_container_to_network',
  title: 'Connect container to network',
  description:
    'Attach a container to a network, optionally with DNS aliases (other containers on that network then reach it by its name and each alias) and a fixed IPv4 address. Already connected with those aliases is not an error.',
  toolset: 'networks',
  kind: 'update',
  input: z.object({
    network: idArg.describe('Network name or id.'),
    container: idArg.describe('Container name or id.'),
    aliases: z
      .array(
        z
          .string()
          .min(1)
          .max(253)
          .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/, 'an alias is a DNS name: letters, digits, ".", "-", "_"'),
      )
      .max(32)
      .optional(),
    ipv4_address: z.string().max(64).optional().describe('Fixed address (the network needs a user-defined subnet).'),
  }),
  output: connectionAnswer,
  async handler(a, ctx) {
    assertObjectRef(a.container, 'container');
    // A stopped container takes any address and then can never start ("Invalid IPv4 address").
    if (a.ipv4_address !== undefined && !isIPv4(a.ipv4_address)) {
      throw new ToolError(
        'invalid_input',
        `ipv4_address ${JSON.stringify(a.ipv4_address)} is not an IPv4 address: give one like "10.20.0.5" inside the network's subnet, or leave it out.`,
      );
    }
    const [c, n] = await Promise.all([
      inspectContainer(ctx.engine, a.container, ctx.signal),
      inspectNetwork(ctx.engine, a.network, ctx.signal),
    ]);
    const cname = c.Name.replace(/^\//, '');
    assertInScope(ctx.config, c.Config.Labels, target(cname));
    const wanted = a.aliases ?? [];
    const existing = endpointOf(c, n.Name, n.Id);
    if (existing) {
      const have = existing.Aliases ?? [];
      if (wanted.every((x) => have.includes(x))) {
        const message = `Container "${cname}" is already connected to "${n.Name}"${have.length ? ` (aliases ${have.join(', ')})` : ''}.`;
        return {
          data: {
            network: n.Name,
            container: cname,
            changed: false,
            aliases: have,
            ...(existing.IPAddress ? { ip: existing.IPAddress } : {}),
            message,
          },
          text: message,
        };
      }
      throw new ToolError(
        'conflict',
        `Container "${cname}" is already connected to "${n.Name}" with aliases [${have.join(', ')}]; aliases cannot be changed in place. Disconnect it first, then connect with the new aliases.`,
      );
    }
    await connectContainer(
      ctx.engine,
      n.Id,
      c.Id,
      { aliases: wanted, ...(a.ipv4_address ? { ipv4Address: a.ipv4_address } : {}) },
      ctx.signal,
    );
    const after = endpointOf(await inspectContainer(ctx.engine, c.Id, ctx.signal), n.Name, n.Id);
    const aliases = after?.Aliases ?? wanted;
    const data = {
      network: n.Name,
      container: cname,
      changed: true,
      aliases,
      ...(after?.IPAddress ? { ip: after.IPAddress } : {}),
      message: '',
    };
    data.message = `Connected "${cname}" to "${n.Name}"${data.ip ? ` at ${data.ip}` : ''}${wanted.length ? ` with aliases ${wanted.join(', ')}` : ''}.`;
    return { data, text: data.message };
  },
});

export const disconnectContainerFromNetworkTool = defineTool({
  name: 'disconnect_container_from_network',
  title: 'Disconnect container from network',
  description: 'Detach a container from a network. A container that is not connected is not an error (changed: false).',
  toolset: 'networks',
  kind: 'update',
  input: z.object({
    network: idArg.describe('Network name or id.'),
    container: idArg.describe('Container name or id.'),
    force: z.boolean().optional().describe('Force the disconnect (e.g. for an endpoint left by a dead container).'),
  }),
  output: connectionAnswer,
  async handler(a, ctx) {
    assertObjectRef(a.container, 'container');
    const [c, n] = await Promise.all([
      inspectContainer(ctx.engine, a.container, ctx.signal),
      inspectNetwork(ctx.engine, a.network, ctx.signal),
    ]);
    const cname = c.Name.replace(/^\//, '');
    assertInScope(ctx.config, c.Config.Labels, target(cname));
    if (!endpointOf(c, n.Name, n.Id)) {
      const message = `Container "${cname}" is not connected to "${n.Name}"; nothing to do.`;
      return { data: { network: n.Name, container: cname, changed: false, aliases: [], message }, text: message };
    }
    await disconnectContainer(ctx.engine, n.Id, c.Id, a.force ?? false, ctx.signal);
    const message = `Disconnected "${cname}" from "${n.Name}".`;
    return { data: { network: n.Name, container: cname, changed: true, aliases: [], message }, text: message };
  },
});
