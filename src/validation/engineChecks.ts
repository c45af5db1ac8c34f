import { createServer } from 'node:net';
import type { Engine } from '../docker/engine.js';
import { engineInfo, inspectImageIfPresent, type ContainerSummary } from '../docker/queries.js';
import type { PullPolicy } from '../docker/images.js';
import type { EngineCapacity, Fields } from './specChecks.js';
import { registryOf } from './specChecks.js';
import type { Finding } from './finding.js';

/**
 * Checks against what the Engine (and, when the Engine runs here, this machine) has: images,
 * host ports, container names, networks and volumes, capacity. The Engine queries are typed
 * functions of src/docker/queries.ts; the judgements here are pure functions over their answers,
 * so they can be unit-tested.
 */

// ---------------------------------------------------------------------------
// Engine facts.

export async function engineCapacity(engine: Engine, signal?: AbortSignal): Promise<EngineCapacity> {
  const info = await engineInfo(engine, signal);
  return { cpus: info.NCPU ?? 0, memoryBytes: info.MemTotal ?? 0 };
}

export interface ImageFact {
  present: boolean;
  /** The image declares a HEALTHCHECK of its own. */
  healthcheck: boolean;
}

/** One inspect per distinct reference; nothing is pulled and no registry is contacted. */
export async function imageFacts(
  engine: Engine,
  refs: Iterable<string>,
  signal?: AbortSignal,
): Promise<Map<string, ImageFact>> {
  const distinct = [...new Set(refs)];
  const facts = await Promise.all(
    distinct.map(async (ref): Promise<ImageFact> => {
      const img = await inspectImageIfPresent(engine, ref, signal);
      if (!img) return { present: false, healthcheck: false };
      const test = (img.Config as { Healthcheck?: { Test?: string[] } } | undefined)?.Healthcheck?.Test;
      return { present: true, healthcheck: Array.isArray(test) && test.length > 0 && test[0] !== 'NONE' };
    }),
  );
  return new Map(distinct.map((ref, i) => [ref, facts[i] as ImageFact]));
}

/** Tries to bind the port on this machine: false when another process holds it. */
export function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE' && err.code !== 'EACCES'));
    s.listen({ host: host === '' ? '0.0.0.0' : host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export function containerDisplayName(c: ContainerSummary): string {
  return (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
}

// ---------------------------------------------------------------------------
// Images.

/** present -> nothing; missing with pull never -> error; missing otherwise -> it will be pulled (not checked here). */
export function imageFindings(ref: string, fact: ImageFact | undefined, pull: PullPolicy, fields: Fields): Finding[] {
  const base = { field: fields.image, ...(fields.service !== undefined ? { service: fields.service } : {}) };
  const registry = registryOf(ref);
  if (pull === 'always') {
    return [
      {
        ...base,
        severity: 'info',
        code: 'image',
        message: `Image ${ref} will be pulled from ${registry} at deploy (pull "always").`,
        fix: 'Nothing to do, provided the Engine can reach the registry; use pull "missing" to reuse the local copy.',
      },
    ];
  }
  if (fact?.present) return [];
  if (pull === 'never') {
    return [
      {
        ...base,
        severity: 'error',
        code: 'image',
        message: `Image ${ref} is not present on the Engine and pull is "never".`,
        fix: `Build or load ${ref} on the Engine (docker build / docker load), pull it first (pull_image), or allow pulls with pull "missing".`,
      },
    ];
  }
  return [
    {
      ...base,
      severity: 'warning',
      code: 'image',
      message: `Image ${ref} is not present on the Engine; it will be pulled from ${registry} at deploy (not checked now: no registry is contacted during validation).`,
      fix: `Make sure the Engine can reach ${registry} and the reference is right, or pull it first with pull_image.`,
    },
  ];
}

// ---------------------------------------------------------------------------
// Host ports.

export interface WantedPort {
  service?: string;
  field: string;
  hostIp: string;
  hostPort: number;
  protocol: string;
}

function anyAddress(ip: string): boolean {
  return ip === '' || ip === '0.0.0.0' || ip === '::';
}

export function addressesOverlap(a: string, b: string): boolean {
  return anyAddress(a) || anyAddress(b) || a === b;
}

function where(ip: string): string {
  return anyAddress(ip) ? 'all interfaces' : ip;
}

function portFinding(w: WantedPort, message: string, fix: string): Finding {
  const f: Finding = { severity: 'error', code: 'port', field: w.field, message, fix };
  if (w.service !== undefined) f.service = w.service;
  return f;
}

/** The same host port published twice by one stack (by different services). */
export function duplicatePortFindings(wanted: readonly WantedPort[]): Finding[] {
  const out: Finding[] = [];
  for (let i = 0; i < wanted.length; i++) {
    for (let j = i + 1; j < wanted.length; j++) {
      const a = wanted[i] as WantedPort;
      const b = wanted[j] as WantedPort;
      if (
        a.hostPort === b.hostPort &&
        a.protocol === b.protocol &&
        addressesOverlap(a.hostIp, b.hostIp) &&
        a.service !== b.service
      ) {
        out.push(
          portFinding(
            b,
            `services "${a.service}" and "${b.service}" both publish host port ${a.hostPort}/${a.protocol}`,
            `Give "${b.service}" another host port (or drop the host port to let the Engine pick one).`,
          ),
        );
      }
    }
  }
  return out;
}

export interface PortOwnership {
  /** Containers whose ports the deploy releases first (recreated or removed by it). */
  released?: ReadonlySet<string>;
  /** A container that is the same deployment target (same stack and service): not a conflict. */
  isSelf?: (c: ContainerSummary, w: WantedPort) => boolean;
}

/** Host ports published by other running containers (of any stack, or none). */
export function containerPortFindings(
  wanted: readonly WantedPort[],
  containers: readonly ContainerSummary[],
  own: PortOwnership = {},
): { findings: Finding[]; held: Set<WantedPort> } {
  const findings: Finding[] = [];
  const held = new Set<WantedPort>();
  for (const w of wanted) {
    for (const c of containers) {
      if (own.released?.has(c.Id)) continue;
      const holder = (c.Ports ?? []).find(
        (p) => p.PublicPort === w.hostPort && p.Type === w.protocol && addressesOverlap(p.IP ?? '', w.hostIp),
      );
      if (!holder || own.isSelf?.(c, w)) continue;
      held.add(w);
      const name = containerDisplayName(c);
      const stack = c.Labels?.['com.docker.compose.project'];
      findings.push(
        portFinding(
          w,
          `host port ${w.hostPort}/${w.protocol} is already published by container "${name}"${stack ? ` (stack "${stack}")` : ''}`,
          `Choose another host port, or stop or remove container "${name}" first.`,
        ),
      );
      break;
    }
  }
  return { findings, held };
}

/** Host ports that another process on this machine listens on (only meaningful when the Engine runs here). */
export async function processPortFindings(
  wanted: readonly WantedPort[],
  skip: (w: WantedPort) => boolean,
  bind = canBind,
): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const w of wanted) {
    if (w.protocol !== 'tcp' || skip(w)) continue;
    if (!(await bind(w.hostIp, w.hostPort))) {
      out.push(
        portFinding(
          w,
          `host port ${w.hostPort} is in use on ${where(w.hostIp)} by another process`,
          `Choose another host port, or stop the process listening on ${where(w.hostIp)}:${w.hostPort}.`,
        ),
      );
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Container names.

export interface WantedName {
  service?: string;
  field?: string;
  name: string;
  /** The existing container the deploy replaces under this name (a recreate): not a conflict. */
  replaces?: string;
}

export function nameFindings(wanted: readonly WantedName[], containers: readonly ContainerSummary[]): Finding[] {
  const byName = new Map(containers.flatMap((c) => (c.Names ?? []).map((n) => [n.replace(/^\//, ''), c] as const)));
  const out: Finding[] = [];
  for (const w of wanted) {
    const c = byName.get(w.name);
    if (!c || c.Id === w.replaces) continue;
    const stack = c.Labels?.['com.docker.compose.project'];
    const f: Finding = {
      severity: 'error',
      code: 'name',
      message: `container name "${w.name}" is already taken by container ${c.Id.slice(0, 12)} (${c.State}${stack ? `, stack "${stack}"` : ''}, image ${c.Image})`,
      fix:
        w.service !== undefined && w.field?.endsWith('container_name')
          ? `Change container_name, or remove the existing container "${w.name}" first.`
          : w.service !== undefined
            ? `Use another stack name, or remove the existing container "${w.name}" first.`
            : `Choose another name, or remove the existing container "${w.name}" first (remove_container).`,
    };
    if (w.service !== undefined) f.service = w.service;
    if (w.field) f.field = w.field;
    out.push(f);
  }
  return out;
}
