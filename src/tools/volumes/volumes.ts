import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { keyValueList } from '../portable.js';
import { ToolError } from '../../kernel/errors.js';
import { COMPOSE_PROJECT, managedLabels } from '../../docker/labels.js';
import { listNames } from '../../docker/networks.js';
import {
  assertVolumeDriver,
  assertVolumeName,
  createVolume,
  inspectVolume,
  listVolumes,
  removeVolume,
  volumeTarget,
  volumeUsers,
} from '../../docker/volumes.js';
import { bindDevice, checkVolumeDeviceOverlap } from '../../policy/bindOverlap.js';
import { checkVolume } from '../../policy/hostAccess.js';
import { checkRemoteBind, enginePlace } from '../../policy/remoteBinds.js';
import { defineTool } from '../defineTool.js';
import { pagingInput, paginate } from '../paging.js';
import { moreHint } from '../render.js';
import { confirmArg, destructiveOutcome, idArg } from '../schemas.js';
import { defineDestructiveTool } from '../defineDestructiveTool.js';
import { timedStep } from '../../history/record.js';

const volumeRowSchema = z.object({
  name: z.string(),
  driver: z.string(),
  scope: z.string(),
  created: z.string().optional(),
  managed: z.boolean(),
  stack: z.string().optional(),
  usedBy: z.array(z.string()).describe('Containers (running or stopped) that mount it, at most 20.'),
  usedByCount: z.number(),
});

export const createVolumeTool = defineTool({
  name: 'create_volume',
  title: 'Create volume',
  description:
    'Create a named volume (driver "local" by default, driver options, labels). Data in it outlives the containers that mount it. A name already taken is refused. Options that reach the host (o=bind of a host folder, other filesystem types, volume plugins) go through the same host-access policy as bind mounts.',
  toolset: 'volumes',
  kind: 'create',
  input: z.object({
    name: z.string().min(2).max(255).optional().describe('Volume name (default: a generated "vol-xxxxxxxx").'),
    driver: z.string().min(1).max(128).optional().describe('Volume driver (default "local").'),
    driver_opts: keyValueList({ maxValue: 4096 })
      .optional()
      .describe('e.g. tmpfs: ["type=tmpfs", "device=tmpfs", "o=size=64m"].'),
    labels: keyValueList({ maxValue: 4096 }).optional().describe('["KEY=VALUE"]; the managed label is added.'),
  }),
  output: z.object({
    name: z.string(),
    driver: z.string(),
    mountpoint: z.string(),
    labels: z.record(z.string(), z.string()),
  }),
  async handler(a, ctx) {
    const name = a.name ?? `vol-${randomBytes(4).toString('hex')}`;
    assertVolumeName(name);
    await assertVolumeDriver(ctx.engine, name, a.driver ?? 'local', ctx.signal);
    // The host-access model: a local volume with o=bind is a bind mount in disguise, other types mount on the host.
    const decided = checkVolume(ctx.config.policy, a.driver, a.driver_opts, `volume "${name}"`);
    const device = bindDevice(decided.driver, decided.options);
    if (device) checkRemoteBind(ctx.config.policy, enginePlace(ctx.engine), device, `volume "${name}"`);
    if (device) await checkVolumeDeviceOverlap(ctx.engine, ctx.config, device, `volume "${name}"`, ctx.signal);
    const v = await createVolume(
      ctx.engine,
      {
        name,
        driver: a.driver ?? 'local',
        driverOpts: decided.options,
        labels: { ...(a.labels ?? {}), ...managedLabels(ctx.config.instanceLabel) },
      },
      ctx.signal,
    );
    const data = { name: v.Name, driver: v.Driver, mountpoint: v.Mountpoint, labels: v.Labels ?? {} };
    return {
      data,
      text: `Created ${data.driver} volume "${data.name}". Mount it with volumes: ["${data.name}:/path/in/container"].`,
    };
  },
});

export const listVolumesTool = defineTool({
  name: 'list_volumes',
  title: 'List volumes',
  description:
    'List volumes as compact rows: name, driver, created, managed, stack, and which containers use each. Filter by name, driver, label, dangling (unused) or stack; page with limit and cursor.',
  toolset: 'volumes',
  kind: 'read',
  input: z.object({
    filters: z
      .object({
        name: z.array(z.string().max(256)).optional(),
        driver: z.string().max(128).optional(),
        label: z.array(z.string().max(512)).optional(),
        dangling: z.boolean().optional().describe('true: only volumes no container uses.'),
        stack: z.string().max(256).optional().describe('Only volumes of this stack (Compose project).'),
      })
      .optional(),
    ...pagingInput,
  }),
  output: z.object({ volumes: z.array(volumeRowSchema), total: z.number(), nextCursor: z.string().optional() }),
  async handler({ filters, limit, cursor }, ctx) {
    const rows = await listVolumes(ctx.engine, filters ?? {}, ctx.signal);
    const page = paginate(rows, (r) => r.name, limit ?? 50, cursor);
    const data: { volumes: typeof page.items; total: number; nextCursor?: string } = {
      volumes: page.items,
      total: page.total,
    };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const text = page.items.length
      ? page.items
          .map(
            (r) =>
              `${r.name}  ${r.driver}${r.stack ? `  stack=${r.stack}` : ''}  ${r.usedByCount ? `used by ${r.usedBy.join(',')}` : 'unused'}`,
          )
          .join('\n') + moreHint(page.items.length, page.total, page.nextCursor)
      : 'No volumes match.';
    return { data, text };
  },
});

export const removeVolumeTool = defineDestructiveTool({
  name: 'remove_volume',
  title: 'Remove volume',
  description:
    'Remove a named volume and its data. Refused while any container (running or stopped) uses it; the answer names them. Destructive: needs confirmation.',
  toolset: 'volumes',
  input: z.object({ id: idArg.describe('Volume name.'), confirm: confirmArg }),
  output: z.object({ name: z.string(), ...destructiveOutcome }),
  async resolve({ id }, ctx) {
    const v = await inspectVolume(ctx.engine, id, ctx.signal);
    return { scope: [{ what: volumeTarget(v.Name), labels: v.Labels }], found: v };
  },
  async plan(v, { id, confirm }, ctx) {
    const users = await volumeUsers(ctx.engine, v.Name, ctx.signal);
    if (users.length) {
      throw new ToolError(
        'conflict',
        `Volume "${v.Name}" is in use by ${users.length} container(s): ${listNames(users.map((u) => `${u.name} (${u.state})`))}. Remove those containers first (the data stays until the volume is removed).`,
        { users: users.map((u) => u.name) },
      );
    }
    const stack = v.Labels?.[COMPOSE_PROJECT];
    return {
      summary: `Remove volume "${v.Name}" (driver ${v.Driver}) and all data in it.`,
      record: { target: v.Name, ...(stack ? { stack } : {}), source: 'volume', inputs: { id, confirm } },
      refused: (message) => ({ name: v.Name, done: false, message }),
      async run(h) {
        await timedStep(h, 'remove', () => removeVolume(ctx.engine, v.Name, ctx.signal));
        const message = `Removed volume "${v.Name}".`;
        return { data: { name: v.Name, done: true, message }, text: message };
      },
    };
  },
});
