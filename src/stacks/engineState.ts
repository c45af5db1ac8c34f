import type { Engine } from '../docker/engine.js';
import {
  COMPOSE_CONFIG_HASH,
  COMPOSE_NUMBER,
  COMPOSE_ONEOFF,
  COMPOSE_PROJECT,
  COMPOSE_SERVICE,
  LABEL_NETWORK_HASH,
} from '../docker/labels.js';
import {
  listContainersByLabel,
  listLabelledObjects,
  type LabelledObjects,
  type ListedContainer,
} from '../docker/stackObjects.js';
import type { ActualContainer, ActualState } from './compose/index.js';

/** What the Engine holds for a stack, found by the Compose project label. */

export function projectFilter(project: string): { label: string[] } {
  return { label: [`${COMPOSE_PROJECT}=${project}`] };
}

export type StackObjects = LabelledObjects;

/** Containers (one-off containers excluded), networks and volumes labelled with the project. */
export async function stackObjects(engine: Engine, project: string, signal?: AbortSignal): Promise<StackObjects> {
  const objects = await listLabelledObjects(engine, projectFilter(project).label, {
    what: 'stack',
    target: `"${project}"`,
    ...(signal ? { signal } : {}),
  });
  return { ...objects, containers: objects.containers.filter((c) => c.labels[COMPOSE_ONEOFF] !== 'True') };
}

/** The planner's view of what runs. */
export function actualState(objects: StackObjects): ActualState {
  const containers: ActualContainer[] = objects.containers.map((c) => {
    const a: ActualContainer = {
      id: c.id,
      name: c.name,
      service: c.labels[COMPOSE_SERVICE] ?? '',
      number: Number(c.labels[COMPOSE_NUMBER] ?? NaN),
      state: c.state,
    };
    const hash = c.labels[COMPOSE_CONFIG_HASH];
    if (hash !== undefined) a.configHash = hash;
    return a;
  });
  return {
    containers,
    networks: objects.networks.map((n) => {
      const hash = n.labels?.[LABEL_NETWORK_HASH];
      return { name: n.name, id: n.id, ...(hash !== undefined ? { configHash: hash } : {}) };
    }),
    volumes: objects.volumes.map((v) => ({ name: v.name })),
  };
}

/** Names of every stack on the Engine: values of the project label on containers, networks and volumes. */
export async function stackNames(engine: Engine, signal?: AbortSignal): Promise<Map<string, ListedContainer[]>> {
  const containers = await listContainersByLabel(engine, [COMPOSE_PROJECT], signal ? { signal } : {});
  const byStack = new Map<string, ListedContainer[]>();
  for (const c of containers) {
    if (c.labels[COMPOSE_ONEOFF] === 'True') continue;
    const name = c.labels[COMPOSE_PROJECT];
    if (!name) continue;
    const list = byStack.get(name) ?? [];
    list.push(c);
    byStack.set(name, list);
  }
  return byStack;
}
