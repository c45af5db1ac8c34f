import { resolve } from 'node:path';
import { z } from 'zod';
import type { ContainerSpec } from '../../docker/containerSpec.js';
import { ToolError } from '../../docker/errors.js';
import { assertImageRef } from '../../docker/images.js';
import { managedLabels } from '../../docker/labels.js';
import {
  parseCommand,
  parseCpus,
  parseHealthcheck,
  parseMemory,
  parsePort,
  parseRestart,
  parseSecurity,
  parseVolume,
} from '../../docker/specParsers.js';

const portObject = z.object({
  target: z.number().int(),
  published: z.union([z.number().int(), z.string()]).optional(),
  host_ip: z.string().optional(),
  protocol: z.string().optional(),
});

// Closed: options such as bind.propagation or volume.driver_opts are refused, not dropped silently.
const volumeObject = z.strictObject({
  type: z.enum(['volume', 'bind', 'tmpfs']).optional(),
  source: z.string().optional(),
  target: z.string(),
  read_only: z.boolean().optional(),
});

export const healthcheckInput = z.object({
  test: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('"wget -q -O- http://localhost/" (run by the shell) or ["CMD", "prog", "arg"]'),
  interval: z.union([z.string(), z.number()]).optional().describe('e.g. "10s"'),
  timeout: z.union([z.string(), z.number()]).optional(),
  retries: z.number().int().min(0).optional(),
  start_period: z.union([z.string(), z.number()]).optional(),
  disable: z.boolean().optional(),
});

const commandArg = z.union([z.string().max(8192), z.array(z.string().max(8192)).max(256)]);

export const deployContainerInput = z.object({
  image: z
    .string()
    .min(1, 'image is empty: give an image reference like "nginx:1.27"')
    .max(512)
    .describe('Image reference, e.g. "nginx:1.27".'),
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/, 'name may use letters, digits, "_", "." and "-" and must start with a letter or digit')
    .optional(),
  command: commandArg.optional().describe('Command as an array, or a string split as a shell would split it.'),
  entrypoint: commandArg.optional(),
  env: z
    .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
    .optional()
    .describe('Environment variables; secret-looking values are masked in every answer.'),
  ports: z
    .array(z.union([z.string(), z.number(), portObject]))
    .max(100)
    .optional()
    .describe('"8080:80", "127.0.0.1:8080:80/tcp", 80, or {target, published, host_ip, protocol}.'),
  volumes: z
    .array(z.union([z.string(), volumeObject]))
    .max(100)
    .optional()
    .describe('"data:/var/lib/x" (named volume), "./dir:/x:ro" (bind, relative to the server\'s working directory), or {type, source, target, read_only}.'),
  network: z.string().min(1).max(256).optional().describe('Network to join, by name.'),
  restart: z.string().optional().describe('no | always | unless-stopped | on-failure[:N]'),
  resources: z
    .object({
      memory: z.union([z.string(), z.number()]).optional().describe('Memory limit, e.g. "256m".'),
      cpus: z.union([z.number(), z.string()]).optional().describe('CPU limit, e.g. 0.5.'),
    })
    .optional(),
  labels: z.record(z.string(), z.string()).optional(),
  healthcheck: healthcheckInput.optional(),
  hostname: z.string().max(253).optional(),
  working_dir: z.string().max(4096).optional(),
  user: z.string().max(256).optional(),
  init: z.boolean().optional().describe('Run an init process as PID 1 (forwards signals, reaps zombies).'),
  stop_timeout: z.number().int().min(0).max(3600).optional().describe('Seconds to wait on stop before the container is killed.'),
  privileged: z.boolean().optional().describe('Run privileged (refused by the container policy unless allowed).'),
  cap_add: z.array(z.string().max(64)).max(64).optional().describe('Capabilities to add; beyond Docker\'s defaults only if the policy allows them.'),
  cap_drop: z.array(z.string().max(64)).max(64).optional().describe('Capabilities to drop, e.g. ["ALL"].'),
  devices: z.array(z.string().max(512)).max(32).optional().describe('"/dev/HOST[:/dev/CONTAINER[:rwm]]" (refused unless the policy allows devices).'),
  pid: z.string().max(256).optional().describe('PID namespace: "host" or "container:NAME" are refused unless allowed.'),
  ipc: z.string().max(256).optional().describe('IPC namespace ("private", "shareable"; "host" refused unless allowed).'),
  uts: z.string().max(256).optional().describe('UTS namespace ("host" refused unless allowed).'),
  userns_mode: z.string().max(256).optional().describe('"host" turns user-namespace remapping off (refused unless allowed).'),
  cgroupns: z.string().max(32).optional().describe('Cgroup namespace: "private", or "host" (refused unless allowed).'),
  security_opt: z
    .array(z.string().max(65536))
    .max(32)
    .optional()
    .describe('e.g. ["no-new-privileges:true"]; unconfined or custom profiles (seccomp JSON, AppArmor, SELinux labels) are refused unless allowed.'),
  sysctls: z
    .record(z.string().max(256), z.string().max(4096))
    .optional()
    .describe('Kernel parameters, e.g. {"net.ipv4.ip_forward": "1"}; only namespaced ones (net.*, IPC kernel.*, fs.mqueue.*) unless allowed.'),
  cgroup_parent: z.string().max(4096).optional().describe('Parent cgroup (refused unless allowed).'),
  volumes_from: z
    .array(z.string().max(256))
    .max(16)
    .optional()
    .describe('"CONTAINER[:ro|:rw]": mount every volume of another container; it must pass the same host-access policy.'),
  device_cgroup_rules: z.array(z.string().max(256)).max(32).optional().describe('e.g. "c 1:3 rwm" (refused unless devices are allowed).'),
  pull: z.enum(['missing', 'always', 'never']).optional().describe('When to pull the image (default: missing).'),
  wait: z.enum(['none', 'running', 'healthy']).optional().describe('Return when the container is running (default) or healthy, or at once (none).'),
  timeout: z.number().min(1).max(3600).optional().describe('Seconds to wait for `wait` (default 60).'),
});

export type DeployContainerInput = z.infer<typeof deployContainerInput>;

function stringEnv(env: DeployContainerInput['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!/^[^=\0]+$/.test(k)) throw new ToolError('invalid_input', `env name ${JSON.stringify(k)} is invalid: a name may not be empty or contain "=".`);
    out[k] = String(v);
  }
  return out;
}

const RESERVED_LABEL_PREFIXES = ['io.docker-orchestration-mcp.', 'com.docker.compose.'];

/** Validates deploy_container arguments into a ContainerSpec. Pure apart from resolving relative bind paths. */
export function toContainerSpec(a: DeployContainerInput, instance: string, cwd = process.cwd()): ContainerSpec {
  assertImageRef(a.image);
  for (const k of Object.keys(a.labels ?? {})) {
    if (RESERVED_LABEL_PREFIXES.some((p) => k.startsWith(p))) {
      throw new ToolError('invalid_input', `label "${k}" is reserved for this server and Compose; choose another key.`);
    }
  }
  const spec: ContainerSpec = {
    image: a.image,
    env: stringEnv(a.env),
    ports: (a.ports ?? []).map((p, i) => parsePort(p, `ports[${i}]`)),
    // Relative to the server's directory, cleaned lexically as the Engine cleans bind sources; the policy then resolves symlinks.
    mounts: (a.volumes ?? []).map((v, i) => parseVolume(v, `volumes[${i}]`, (p) => resolve(cwd, p))),
    networks: a.network ? [{ name: a.network, aliases: [] }] : [],
    labels: { ...(a.labels ?? {}), ...managedLabels(instance) },
    extraHosts: [],
  };
  if (a.name) spec.name = a.name;
  if (a.command !== undefined) spec.command = parseCommand(a.command, 'command');
  if (a.entrypoint !== undefined) spec.entrypoint = parseCommand(a.entrypoint, 'entrypoint');
  if (a.restart) spec.restart = parseRestart(a.restart);
  if (a.resources?.memory !== undefined) spec.memoryBytes = parseMemory(a.resources.memory, 'resources.memory');
  if (a.resources?.cpus !== undefined) spec.nanoCpus = parseCpus(a.resources.cpus, 'resources.cpus');
  if (a.healthcheck) spec.healthcheck = parseHealthcheck(a.healthcheck);
  if (a.hostname) spec.hostname = a.hostname;
  if (a.working_dir) spec.workingDir = a.working_dir;
  if (a.user) spec.user = a.user;
  if (a.init !== undefined) spec.init = a.init;
  if (a.stop_timeout !== undefined) spec.stopTimeoutSec = a.stop_timeout;
  const security = parseSecurity(a);
  if (security) spec.security = security;
  const seen = new Set<string>();
  for (const p of spec.ports) {
    if (p.hostPort === undefined) continue;
    const key = `${p.hostIp ?? '*'}:${p.hostPort}/${p.protocol}`;
    if (seen.has(key)) throw new ToolError('invalid_input', `ports: host port ${p.hostPort}/${p.protocol} is given twice.`);
    seen.add(key);
  }
  return spec;
}
