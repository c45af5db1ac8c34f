import { z } from 'zod';
import { OUR_API_VERSION } from '../../docker/engine.js';
import { engineInfo, engineVersion } from '../../docker/queries.js';
import { defineTool } from '../defineTool.js';
import { bytes } from '../render.js';

export const getSystemInfoTool = defineTool({
  name: 'get_system_info',
  title: 'Engine and server info',
  description:
    'Engine version, host resources, object counts and the safety settings of this server. Use first to see what the server may do.',
  toolset: 'operations',
  kind: 'read',
  input: z.object({}),
  output: z.object({
    engine: z.object({
      version: z.string(),
      apiVersion: z.string(),
      apiVersionInUse: z.string(),
      os: z.string(),
      kernel: z.string(),
      arch: z.string(),
      cpus: z.number(),
      memoryBytes: z.number(),
      storageDriver: z.string(),
      cgroupVersion: z.string().optional(),
      swarm: z.string(),
    }),
    containers: z.object({ total: z.number(), running: z.number(), stopped: z.number(), paused: z.number() }),
    images: z.number(),
    server: z.object({
      readOnly: z.boolean(),
      scope: z.string(),
      toolsets: z.array(z.string()),
      disableDestructive: z.boolean(),
      maxApiVersion: z.string(),
    }),
  }),
  async handler(_args, ctx) {
    const [info, version] = await Promise.all([
      engineInfo(ctx.engine, ctx.signal),
      engineVersion(ctx.engine, ctx.signal),
    ]);
    const data = {
      engine: {
        version: version.Version,
        apiVersion: version.ApiVersion,
        apiVersionInUse: ctx.engine.apiVersion ?? version.ApiVersion,
        os: info.OperatingSystem ?? '',
        kernel: info.KernelVersion ?? '',
        arch: info.Architecture ?? '',
        cpus: info.NCPU ?? 0,
        memoryBytes: info.MemTotal ?? 0,
        storageDriver: info.Driver ?? '',
        ...(info.CgroupVersion ? { cgroupVersion: info.CgroupVersion } : {}),
        swarm: info.Swarm?.LocalNodeState || 'inactive',
      },
      containers: {
        total: info.Containers ?? 0,
        running: info.ContainersRunning ?? 0,
        stopped: info.ContainersStopped ?? 0,
        paused: info.ContainersPaused ?? 0,
      },
      images: info.Images ?? 0,
      server: {
        readOnly: ctx.config.readOnly,
        scope: ctx.config.scope,
        toolsets: ctx.config.toolsets.length ? ctx.config.toolsets : ['all'],
        disableDestructive: ctx.config.disableDestructive,
        maxApiVersion: OUR_API_VERSION,
      },
    };
    const e = data.engine;
    const text = [
      `Docker Engine ${e.version} (API ${e.apiVersion}, using ${e.apiVersionInUse}) on ${e.os}, kernel ${e.kernel}, ${e.arch}`,
      `${e.cpus} CPUs, ${bytes(e.memoryBytes)} memory, storage ${e.storageDriver}${e.cgroupVersion ? `, cgroup v${e.cgroupVersion}` : ''}, swarm ${e.swarm}`,
      `containers: ${data.containers.running} running, ${data.containers.stopped} stopped, ${data.containers.paused} paused; images: ${data.images}`,
      `server: ${data.server.readOnly ? 'read-only' : 'read-write'}, scope ${data.server.scope}, toolsets ${data.server.toolsets.join(',')}`,
    ].join('\n');
    return { data, text };
  },
});
