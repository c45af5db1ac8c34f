import type Docker from 'dockerode';
import type { Engine } from '../docker/engine.js';
import {
  COMPOSE_CONFIG_HASH,
  COMPOSE_NUMBER,
  COMPOSE_ONEOFF,
  COMPOSE_PROJECT,
  COMPOSE_SERVICE,
  LABEL_NETWORK_HASH,
} from '../docker/labels.js';
import type { ActualContainer, ActualState } from './compose/index.js';

/** What the Engine holds for a stack, found by the Compose project label. */

export function projectFilter(project: string): { label: string[] } {
  return { label: [`${COMPOSE_PROJECT}=${project}`] };
}

export interface StackObjects {
  containers: Docker.ContainerInfo[];
  networks: Docker.NetworkInspectInfo[];
  volumes: Docker.VolumeInspectInfo[];
}

/** Containers (one-off containers excluded), networks and volumes labelled with the project. */
export async function stackObjects(engine: Engine, project: string, signal?: AbortSignal): Promise<StackObjects> {
  const filters = projectFilter(project);
  const [containers, networks, volumes] = await Promise.all([
    engine.call('list containers of stack', (d) => d.listContainers({ all: true, filters }), {
      signal,
      target: `"${project}"`,
    }),
    engine.call('list networks of stack', (d) => d.listNetworks({ filters }), { signal, target: `"${project}"` }),
    engine.call('list volumes of stack', (d) => d.listVolumes({ filters }), { signal, target: `"${project}"` }),
  ]);
  return {
    containers: containers.filter((c) => c.Labels?.[COMPOSE_ONEOFF] !== 'True'),
    networks,
    volumes: volumes.Volumes ?? [],
  };
}

export function containerName(c: Docker.ContainerInfo): string {
  return (c.Names?.[0] ?? '').replace(/^\//, '');
}

/** The planner's view of what runs. */
export function actualState(objects: StackObjects): ActualState {
  const containers: ActualContainer[] = objects.containers.map((c) => {
    const a: ActualContainer = {
      id: c.Id,
      name: containerName(c),
      service: c.Labels?.[COMPOSE_SERVICE] ?? '',
      number: Number(c.Labels?.[COMPOSE_NUMBER] ?? NaN),
      state: c.State,
    };
    const hash = c.Labels?.[COMPOSE_CONFIG_HASH];
    if (hash !== undefined) a.configHash = hash;
    return a;
  });
  return {
    containers,
    networks: objects.networks.map((n) => {
      const hash = n.Labels?.[LABEL_NETWORK_HASH];
      return { name: n.Name, id: n.Id, ...(hash !== undefined ? { configHash: hash } : {}) };
    }),
    volumes: objects.volumes.map((v) => ({ name: v.Name })),
  };
}

/** Names of every stack on the Engine: values of the project label on containers, networks and volumes. */
export async function stackNames(engine: Engine, signal?: AbortSignal): Promise<Map<string, Docker.ContainerInfo[]>> {
  const containers = await engine.call(
    'list containers',
    (d) => d.listContainers({ all: true, filters: { label: [COMPOSE_PROJECT] } }),
    { signal },
  );
  const byStack = new Map<string, Docker.ContainerInfo[]>();
  for (const c of containers) {
    if (c.Labels?.[COMPOSE_ONEOFF] === 'True') continue;
    const name = c.Labels?.[COMPOSE_PROJECT];
    if (!name) continue;
    const list = byStack.get(name) ?? [];
    list.push(c);
    byStack.set(name, list);
  }
  return byStack;
}
