import type Docker from 'dockerode';
import type { Engine } from './engine.js';
import { ToolError } from '../kernel/errors.js';
import { assertObjectRef } from './refs.js';

/**
 * Read-only Engine queries that the layers above need for checks and reports (policy,
 * validation, get_system_info). Each one goes through Engine.call (a deadline, error mapping)
 * and hands the caller's AbortSignal to the request, so a cancelled tool call stops waiting.
 * The Engine's answer types are named here so that no module outside src/docker imports dockerode.
 */

export type ContainerSummary = Docker.ContainerInfo;
export type ContainerInspect = Docker.ContainerInspectInfo;
export type ContainerHostConfig = Docker.HostConfig;
export type VolumeInspect = Docker.VolumeInspectInfo;

/** The fields of GET /info this server reads. */
export interface EngineInfo {
  ServerVersion?: string;
  OperatingSystem?: string;
  KernelVersion?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  Driver?: string;
  CgroupVersion?: string;
  Containers?: number;
  ContainersRunning?: number;
  ContainersStopped?: number;
  ContainersPaused?: number;
  Images?: number;
  Swarm?: { LocalNodeState?: string };
  Name?: string;
}

/** The fields of GET /version this server reads. */
export interface EngineVersion {
  Version: string;
  ApiVersion: string;
}

/** Every container on the Engine, running or not (raw list entries: mounts, labels, names). */
export async function listAllContainers(engine: Engine, signal?: AbortSignal): Promise<ContainerSummary[]> {
  return engine.call('list containers', (d, sig) => d.listContainers({ all: true, abortSignal: sig }), { signal });
}

/** Every volume on the Engine, with driver and options. */
export async function listAllVolumes(engine: Engine, signal?: AbortSignal): Promise<VolumeInspect[]> {
  const answer = await engine.call('list volumes', (d, sig) => d.listVolumes({ abortSignal: sig }), { signal });
  return answer.Volumes ?? [];
}

/** dockerode passes `abortSignal` on to the request for these calls; its type definitions leave it out. */
interface SignalledSystemCalls {
  info(opts: { abortSignal: AbortSignal }): Promise<EngineInfo | null>;
  version(opts: { abortSignal: AbortSignal }): Promise<EngineVersion>;
}

function system(d: Docker): SignalledSystemCalls {
  return d as unknown as SignalledSystemCalls;
}

export async function engineInfo(engine: Engine, signal?: AbortSignal): Promise<EngineInfo> {
  const info = await engine.call('read engine info', (d, sig) => system(d).info({ abortSignal: sig }), { signal });
  return info ?? {};
}

/** GET /version; `timeoutMs` shortens the Engine's deadline (a reachability probe). */
export async function engineVersion(engine: Engine, signal?: AbortSignal, timeoutMs?: number): Promise<EngineVersion> {
  return engine.call('read engine version', (d, sig) => system(d).version({ abortSignal: sig }), {
    signal,
    ...(timeoutMs ? { timeoutMs } : {}),
  });
}

/** Whether a network or volume of this name (or id) exists. A name outside Docker's alphabet cannot exist. */
export async function objectExists(
  engine: Engine,
  type: 'network' | 'volume',
  name: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    assertObjectRef(name, type);
  } catch {
    return false;
  }
  const target = `${type} "${name}"`;
  try {
    // dockerode does not hand an abortSignal on for network (or image) inspect; Engine.call
    // still stops waiting when the caller's signal fires or the deadline passes.
    if (type === 'network')
      await engine.call('inspect network', (d) => d.getNetwork(name).inspect(), { target, signal });
    else
      await engine.call('inspect volume', (d, sig) => d.getVolume(name).inspect({ abortSignal: sig }), {
        target,
        signal,
      });
    return true;
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return false;
    throw err;
  }
}

/** An image's inspect data, or undefined when the Engine does not have it. Nothing is pulled. */
export async function inspectImageIfPresent(
  engine: Engine,
  ref: string,
  signal?: AbortSignal,
): Promise<Docker.ImageInspectInfo | undefined> {
  try {
    return await engine.call('inspect image', (d) => d.getImage(ref).inspect(), { target: ref, signal });
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return undefined;
    throw err;
  }
}
