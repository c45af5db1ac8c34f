import type { Engine } from '../docker/engine.js';
import { COMPOSE_NUMBER, COMPOSE_SERVICE, LABEL_SOURCE, isManaged } from '../docker/labels.js';
import { containerState, type ListedContainer } from '../docker/stackObjects.js';
import { stackNames, stackObjects } from './engineState.js';

/** Compact views of stacks as they run: what list_stacks and get_stack_status answer. */

export type StackHealth = 'healthy' | 'unhealthy' | 'starting' | 'degraded' | 'stopped' | 'running';

export interface StackSummary {
  name: string;
  services: number;
  running: number;
  containers: number;
  health: StackHealth;
  created: string;
  source?: string;
  managed: boolean;
}

/** One word for a set of containers: the worst state wins. */
export function aggregateHealth(rows: { state: string; health?: string }[]): StackHealth {
  if (rows.length === 0 || rows.every((r) => r.state !== 'running')) return 'stopped';
  if (rows.some((r) => r.health === 'unhealthy')) return 'unhealthy';
  if (rows.some((r) => r.state !== 'running' && r.state !== 'exited')) return 'degraded';
  if (rows.some((r) => r.health === 'starting')) return 'starting';
  if (rows.some((r) => r.state !== 'running')) return 'degraded';
  return rows.some((r) => r.health === 'healthy') ? 'healthy' : 'running';
}

export function summarize(name: string, containers: ListedContainer[]): StackSummary {
  const rows = containers.map((c) => c.row);
  const services = new Set(containers.map((c) => c.labels[COMPOSE_SERVICE] ?? ''));
  const runningServices = new Set(
    containers.filter((c) => c.state === 'running').map((c) => c.labels[COMPOSE_SERVICE] ?? ''),
  );
  const created = Math.min(...containers.map((c) => c.created));
  const s: StackSummary = {
    name,
    services: services.size,
    running: runningServices.size,
    containers: containers.length,
    health: aggregateHealth(rows),
    created: new Date(created * 1000).toISOString(),
    managed: containers.every((c) => isManaged(c.labels)),
  };
  const source = containers.map((c) => c.labels[LABEL_SOURCE]).find((x) => x);
  if (source) s.source = source;
  return s;
}

export async function listStackSummaries(engine: Engine, signal?: AbortSignal): Promise<StackSummary[]> {
  const byStack = await stackNames(engine, signal);
  return [...byStack.entries()].map(([name, containers]) => summarize(name, containers));
}

export interface ServiceContainerStatus {
  name: string;
  id: string;
  number: number;
  state: string;
  health?: string;
  ports: string[];
  restarts: number;
  exitCode?: number;
  lastError?: string;
  startedAt?: string;
}

export interface ServiceStatus {
  service: string;
  state: StackHealth;
  image: string;
  containers: ServiceContainerStatus[];
}

export interface StackStatus extends StackSummary {
  serviceStatus: ServiceStatus[];
  networks: string[];
  volumes: string[];
}

const ERROR_MAX = 300;

export async function stackStatus(
  engine: Engine,
  name: string,
  signal?: AbortSignal,
): Promise<StackStatus | undefined> {
  const objects = await stackObjects(engine, name, signal);
  if (objects.containers.length === 0 && objects.networks.length === 0 && objects.volumes.length === 0)
    return undefined;
  const byService = new Map<string, ServiceContainerStatus[]>();
  const images = new Map<string, string>();
  await Promise.all(
    objects.containers.map(async (c) => {
      const row = c.row;
      const service = c.labels[COMPOSE_SERVICE] ?? '';
      const status: ServiceContainerStatus = {
        name: c.name,
        id: row.id,
        number: Number(c.labels[COMPOSE_NUMBER] ?? 0),
        state: c.state,
        ports: row.ports,
        restarts: 0,
      };
      images.set(service, c.image);
      try {
        const info = await containerState(engine, c.id, signal);
        status.restarts = info.restartCount;
        if (info.health) status.health = info.health;
        if (!info.running) status.exitCode = info.exitCode;
        if (info.startedAt && !info.startedAt.startsWith('0001')) status.startedAt = info.startedAt;
        const err =
          info.error ||
          (info.health === 'unhealthy' && info.lastHealthOutput !== undefined
            ? `healthcheck: ${info.lastHealthOutput.trim()}`
            : '') ||
          (!info.running && info.exitCode !== 0 ? `exited with code ${info.exitCode}` : '');
        if (err) status.lastError = err.slice(0, ERROR_MAX);
      } catch {
        if (row.health) status.health = row.health;
      }
      const list = byService.get(service) ?? [];
      list.push(status);
      byService.set(service, list);
    }),
  );
  const serviceStatus: ServiceStatus[] = [...byService.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([service, containers]) => ({
      service,
      state: aggregateHealth(containers),
      image: images.get(service) ?? '',
      containers: containers.sort((a, b) => a.number - b.number),
    }));
  const summary: StackSummary =
    objects.containers.length > 0
      ? summarize(name, objects.containers)
      : { name, services: 0, running: 0, containers: 0, health: 'stopped', created: '', managed: true };
  return {
    ...summary,
    serviceStatus,
    networks: objects.networks.map((n) => n.name).sort(),
    volumes: objects.volumes.map((v) => v.name).sort(),
  };
}
