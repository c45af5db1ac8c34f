import type Docker from 'dockerode';
import { maskEnvList } from '../util/mask.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE, isManaged } from './labels.js';

/** Compact, context-cheap views of Engine objects. Pure. */

export interface ContainerRow {
  id: string;
  name: string;
  image: string;
  state: string;
  health?: string;
  ports: string[];
  stack?: string;
  service?: string;
  managed: boolean;
}

export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

export function formatPort(p: { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }): string {
  if (!p.PublicPort) return `${p.PrivatePort}/${p.Type}`;
  const ip = p.IP && p.IP !== '0.0.0.0' && p.IP !== '::' ? `${p.IP}:` : '';
  return `${ip}${p.PublicPort}->${p.PrivatePort}/${p.Type}`;
}

function healthFromStatus(status: string | undefined): string | undefined {
  const m = /\((healthy|unhealthy|health: starting)\)/.exec(status ?? '');
  if (!m) return undefined;
  return m[1] === 'health: starting' ? 'starting' : m[1];
}

export function containerRow(c: Docker.ContainerInfo): ContainerRow {
  const labels = c.Labels ?? {};
  // IPv4 and IPv6 bindings of the same port come as two entries; show each once.
  const ports = [...new Set((c.Ports ?? []).map(formatPort))].filter(
    (p, _i, all) => !(p.startsWith('::') && all.includes(p.replace(/^::/, ''))),
  );
  const row: ContainerRow = {
    id: shortId(c.Id),
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image.startsWith('sha256:') ? shortId(c.Image) : c.Image,
    state: c.State,
    ports,
    managed: isManaged(labels),
  };
  const health = healthFromStatus(c.Status);
  if (health) row.health = health;
  if (labels[COMPOSE_PROJECT]) row.stack = labels[COMPOSE_PROJECT];
  if (labels[COMPOSE_SERVICE]) row.service = labels[COMPOSE_SERVICE];
  return row;
}

export function publishedPorts(inspect: Docker.ContainerInspectInfo): string[] {
  const out: string[] = [];
  for (const [key, bindings] of Object.entries(inspect.NetworkSettings?.Ports ?? {})) {
    const [port, proto = 'tcp'] = key.split('/');
    if (!bindings || bindings.length === 0) {
      out.push(`${port}/${proto}`);
      continue;
    }
    for (const b of bindings) {
      if (b.HostIp === '::' && bindings.some((o) => o.HostIp === '0.0.0.0' && o.HostPort === b.HostPort)) continue;
      out.push(formatPort({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: proto }));
    }
  }
  return out;
}

export function healthOf(inspect: Docker.ContainerInspectInfo): string | undefined {
  return inspect.State?.Health?.Status;
}

const NS_PER_S = 1e9;

function nsToDuration(ns: number | undefined): string | undefined {
  if (!ns) return undefined;
  const s = ns / NS_PER_S;
  return s >= 1 ? `${+s.toFixed(3)}s` : `${+(ns / 1e6).toFixed(3)}ms`;
}

export interface ContainerDetail {
  id: string;
  name: string;
  image: string;
  imageId: string;
  created: string;
  state: {
    status: string;
    running: boolean;
    exitCode: number;
    startedAt?: string;
    finishedAt?: string;
    error?: string;
    oomKilled: boolean;
    health?: string;
    healthLog?: { start: string; exitCode: number; output: string }[];
    restartCount: number;
  };
  config: {
    command?: string[];
    entrypoint?: string[];
    env: string[];
    labels: Record<string, string>;
    workingDir?: string;
    user?: string;
    hostname?: string;
    healthcheck?: { test: string[]; interval?: string; timeout?: string; retries?: number; startPeriod?: string };
  };
  restartPolicy: { name: string; maximumRetryCount: number };
  limits: { memoryBytes?: number; nanoCpus?: number; pidsLimit?: number };
  mounts: { type: string; source: string; destination: string; readOnly: boolean; name?: string }[];
  networks: { name: string; ip?: string; aliases: string[] }[];
  ports: string[];
  stack?: string;
  service?: string;
  managed: boolean;
}

const HEALTH_LOG_TAIL = 3;
const HEALTH_OUTPUT_MAX = 500;

export function containerDetail(c: Docker.ContainerInspectInfo): ContainerDetail {
  const cfg = c.Config;
  const labels = cfg?.Labels ?? {};
  const state = c.State;
  const hc = cfg?.Healthcheck;
  const hostCfg = c.HostConfig ?? {};
  const detail: ContainerDetail = {
    id: shortId(c.Id),
    name: c.Name.replace(/^\//, ''),
    image: cfg?.Image ?? '',
    imageId: shortId(c.Image),
    created: c.Created,
    state: {
      status: state.Status,
      running: state.Running,
      exitCode: state.ExitCode,
      oomKilled: state.OOMKilled,
      restartCount: c.RestartCount ?? 0,
    },
    config: {
      env: maskEnvList(cfg?.Env),
      labels,
    },
    restartPolicy: {
      name: hostCfg.RestartPolicy?.Name || 'no',
      maximumRetryCount: hostCfg.RestartPolicy?.MaximumRetryCount ?? 0,
    },
    limits: {},
    mounts: (c.Mounts ?? []).map((m) => {
      const v: ContainerDetail['mounts'][number] = {
        type: m.Type ?? 'volume',
        source: m.Source,
        destination: m.Destination,
        readOnly: m.RW === false,
      };
      if (m.Name) v.name = m.Name;
      return v;
    }),
    networks: Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => {
      // Before API 1.44 the Engine lists the container's short id among the aliases (from
      // 1.44 it is in DNSNames only): left out, so the answer is the same on every Engine.
      const v: ContainerDetail['networks'][number] = {
        name,
        aliases: (n.Aliases ?? []).filter((a: string) => a !== c.Id?.slice(0, 12)),
      };
      if (n.IPAddress) v.ip = n.IPAddress;
      return v;
    }),
    ports: publishedPorts(c),
    managed: isManaged(labels),
  };
  if (state.StartedAt && !state.StartedAt.startsWith('0001')) detail.state.startedAt = state.StartedAt;
  if (state.FinishedAt && !state.FinishedAt.startsWith('0001')) detail.state.finishedAt = state.FinishedAt;
  if (state.Error) detail.state.error = state.Error;
  if (state.Health) {
    detail.state.health = state.Health.Status;
    detail.state.healthLog = (state.Health.Log ?? []).slice(-HEALTH_LOG_TAIL).map((l) => ({
      start: l.Start,
      exitCode: l.ExitCode,
      output: l.Output.length > HEALTH_OUTPUT_MAX ? `${l.Output.slice(0, HEALTH_OUTPUT_MAX)}…` : l.Output,
    }));
  }
  if (cfg?.Cmd) detail.config.command = cfg.Cmd;
  const ep = cfg?.Entrypoint;
  if (ep) detail.config.entrypoint = Array.isArray(ep) ? ep : [ep];
  if (cfg?.WorkingDir) detail.config.workingDir = cfg.WorkingDir;
  if (cfg?.User) detail.config.user = cfg.User;
  if (cfg?.Hostname) detail.config.hostname = cfg.Hostname;
  if (hc?.Test) {
    const h: NonNullable<ContainerDetail['config']['healthcheck']> = { test: hc.Test };
    const interval = nsToDuration(hc.Interval);
    const timeout = nsToDuration(hc.Timeout);
    const start = nsToDuration(hc.StartPeriod);
    if (interval) h.interval = interval;
    if (timeout) h.timeout = timeout;
    if (start) h.startPeriod = start;
    if (hc.Retries) h.retries = hc.Retries;
    detail.config.healthcheck = h;
  }
  if (hostCfg.Memory) detail.limits.memoryBytes = hostCfg.Memory;
  if (hostCfg.NanoCpus) detail.limits.nanoCpus = hostCfg.NanoCpus;
  if (hostCfg.PidsLimit) detail.limits.pidsLimit = hostCfg.PidsLimit;
  if (labels[COMPOSE_PROJECT]) detail.stack = labels[COMPOSE_PROJECT];
  if (labels[COMPOSE_SERVICE]) detail.service = labels[COMPOSE_SERVICE];
  return detail;
}

export interface StatsSample {
  cpuPercent?: number;
  memoryBytes?: number;
  memoryLimitBytes?: number;
  memoryPercent?: number;
  pids?: number;
  networkRxBytes?: number;
  networkTxBytes?: number;
  blockReadBytes?: number;
  blockWriteBytes?: number;
}

interface RawStats {
  cpu_stats?: {
    cpu_usage?: { total_usage?: number; percpu_usage?: number[] };
    system_cpu_usage?: number;
    online_cpus?: number;
  };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  pids_stats?: { current?: number };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/**
 * One stats frame -> compact numbers. CPU % needs a previous frame (`prev`, or the frame's
 * own precpu_stats when the Engine filled it; on cgroup v1 one-shot stats it is empty).
 */
export function statsSample(s: RawStats, prev?: RawStats): StatsSample {
  const out: StatsSample = {};
  const before = prev?.cpu_stats ?? s.precpu_stats;
  const cpuDelta = (s.cpu_stats?.cpu_usage?.total_usage ?? 0) - (before?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats?.system_cpu_usage ?? 0) - (before?.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats?.online_cpus || s.cpu_stats?.cpu_usage?.percpu_usage?.length || 1;
  if (before?.system_cpu_usage && sysDelta > 0 && cpuDelta >= 0)
    out.cpuPercent = round2((cpuDelta / sysDelta) * cpus * 100);
  const mem = s.memory_stats;
  if (mem?.usage !== undefined) {
    const cache = mem.stats?.inactive_file ?? mem.stats?.total_inactive_file ?? mem.stats?.cache ?? 0;
    out.memoryBytes = Math.max(0, mem.usage - cache);
    if (mem.limit) {
      out.memoryLimitBytes = mem.limit;
      out.memoryPercent = round2((out.memoryBytes / mem.limit) * 100);
    }
  }
  if (s.pids_stats?.current !== undefined) out.pids = s.pids_stats.current;
  if (s.networks) {
    out.networkRxBytes = Object.values(s.networks).reduce((a, n) => a + n.rx_bytes, 0);
    out.networkTxBytes = Object.values(s.networks).reduce((a, n) => a + n.tx_bytes, 0);
  }
  const io = s.blkio_stats?.io_service_bytes_recursive;
  if (io) {
    out.blockReadBytes = io.filter((e) => /read/i.test(e.op)).reduce((a, e) => a + e.value, 0);
    out.blockWriteBytes = io.filter((e) => /write/i.test(e.op)).reduce((a, e) => a + e.value, 0);
  }
  return out;
}
