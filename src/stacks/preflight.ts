import { createServer } from 'node:net';
import type Docker from 'dockerode';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../docker/errors.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE } from '../docker/labels.js';
import type { ComposeProject, Plan } from './compose/index.js';

/**
 * Checks made before any Engine object is created, so a deploy that cannot work fails with a
 * clear message and leaves nothing behind: external networks and volumes exist, and every host
 * port the new containers publish is free (not held by another container, nor, when the Engine
 * runs on this machine, by any other process).
 */

interface WantedPort {
  service: string;
  hostIp: string;
  hostPort: number;
  protocol: string;
}

function overlaps(a: string, b: string): boolean {
  const any = (ip: string) => ip === '' || ip === '0.0.0.0' || ip === '::';
  return any(a) || any(b) || a === b;
}

function wantedPorts(project: ComposeProject, plan: Plan): WantedPort[] {
  const changing = new Set(plan.containers.filter((c) => c.action === 'create' || c.action === 'recreate' || c.action === 'start').map((c) => c.service));
  return project.services
    .filter((s) => changing.has(s.name))
    .flatMap((s) =>
      s.spec.ports.flatMap((p) => (p.hostPort === undefined ? [] : [{ service: s.name, hostIp: p.hostIp ?? '', hostPort: p.hostPort, protocol: p.protocol }])),
    );
}

/** Tries to bind the port on this machine: false when another process holds it. */
function canBind(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EADDRINUSE' && err.code !== 'EACCES'));
    s.listen({ host: host === '' ? '0.0.0.0' : host, port, exclusive: true }, () => s.close(() => resolve(true)));
  });
}

export async function preflight(engine: Engine, project: ComposeProject, plan: Plan, opts: { engineIsLocal: boolean; signal?: AbortSignal }): Promise<void> {
  const problems: string[] = [];

  for (const n of plan.networks.filter((a) => a.action === 'external')) {
    const exists = await engine
      .call('inspect network', (d) => d.getNetwork(n.name).inspect(), { target: `network "${n.name}"`, signal: opts.signal })
      .then(() => true)
      .catch((e: unknown) => (e instanceof ToolError && e.kind === 'not_found' ? false : Promise.reject(e)));
    if (!exists) problems.push(`external network "${n.name}" does not exist: create it first (create_network) or drop "external"`);
  }
  for (const v of plan.volumes.filter((a) => a.action === 'external')) {
    const exists = await engine
      .call('inspect volume', (d) => d.getVolume(v.name).inspect(), { target: `volume "${v.name}"`, signal: opts.signal })
      .then(() => true)
      .catch((e: unknown) => (e instanceof ToolError && e.kind === 'not_found' ? false : Promise.reject(e)));
    if (!exists) problems.push(`external volume "${v.name}" does not exist: create it first (create_volume) or drop "external"`);
  }

  const wanted = wantedPorts(project, plan);
  // The same host port twice in the stack.
  for (let i = 0; i < wanted.length; i++) {
    for (let j = i + 1; j < wanted.length; j++) {
      const a = wanted[i] as WantedPort;
      const b = wanted[j] as WantedPort;
      if (a.hostPort === b.hostPort && a.protocol === b.protocol && overlaps(a.hostIp, b.hostIp) && a.service !== b.service) {
        problems.push(`services "${a.service}" and "${b.service}" both publish host port ${a.hostPort}/${a.protocol}`);
      }
    }
  }

  if (wanted.length > 0) {
    // Containers of this stack that this deploy stops (recreate/remove) release their ports first.
    const released = new Set(plan.containers.filter((c) => c.action === 'recreate' || c.action === 'remove').flatMap((c) => (c.id ? [c.id] : [])));
    const running: Docker.ContainerInfo[] = await engine.call('list containers', (d) => d.listContainers({ all: false }), { signal: opts.signal });
    const heldByEngine = new Set<string>();
    for (const w of wanted) {
      for (const c of running) {
        if (released.has(c.Id)) continue;
        const holder = (c.Ports ?? []).find((p) => p.PublicPort === w.hostPort && p.Type === w.protocol && overlaps(p.IP ?? '', w.hostIp));
        if (!holder) continue;
        const sameStack = c.Labels?.[COMPOSE_PROJECT] === project.name && c.Labels?.[COMPOSE_SERVICE] === w.service;
        if (sameStack) continue;
        heldByEngine.add(`${w.hostIp}:${w.hostPort}/${w.protocol}`);
        const name = (c.Names?.[0] ?? c.Id).replace(/^\//, '');
        problems.push(
          `service "${w.service}": host port ${w.hostPort}/${w.protocol} is already published by container "${name}": choose another port or stop that container`,
        );
        break;
      }
    }
    if (opts.engineIsLocal) {
      for (const w of wanted) {
        if (w.protocol !== 'tcp' || heldByEngine.has(`${w.hostIp}:${w.hostPort}/${w.protocol}`)) continue;
        const keepsIt = plan.containers.some((c) => c.service === w.service && (c.action === 'recreate' || c.action === 'keep'));
        if (keepsIt) continue;
        if (!(await canBind(w.hostIp, w.hostPort))) {
          problems.push(`service "${w.service}": host port ${w.hostPort} is in use on ${w.hostIp || 'all interfaces'} by another process: choose another port`);
        }
      }
    }
  }

  if (problems.length) {
    const kind = problems.every((p) => p.includes('does not exist')) ? 'not_found' : 'conflict';
    throw new ToolError(kind, `Cannot deploy stack "${project.name}"; nothing was changed:\n${problems.map((p) => `- ${p}`).join('\n')}`, { problems });
  }
}
