import { resolve } from 'node:path';
import { z } from 'zod';
import type { ContainerSpec } from '../../docker/containerSpec.js';
import { ToolError } from '../../kernel/errors.js';
import { assertImageRef } from '../../docker/images.js';
import { managedLabels } from '../../docker/labels.js';
import { commandList, keyValueList, numberFromString, portList, stringFromNumber, volumeList } from '../portable.js';
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

export const healthcheckInput = z.object({
  test: z
    .preprocess(
      (v) => (typeof v === 'string' && v.trim() ? ['CMD-SHELL', v] : v),
      z.array(z.string().max(8192)).min(1).max(256),
    )
    .optional()
    .describe('["CMD-SHELL", "cmd"] or ["CMD", "prog", "arg"]'),
  interval: stringFromNumber('s').optional().describe('e.g. 10s'),
  timeout: stringFromNumber('s').optional(),
  retries: z.number().int().min(0).max(100).optional(),
  start_period: stringFromNumber('s').optional(),
  disable: z.boolean().optional(),
});

const shortStrings = (maxItems: number, maxChars = 256) => z.array(z.string().max(maxChars)).max(maxItems).optional();

export const deployContainerInput = z.object({
  image: z
    .string()
    .min(1, 'image is empty: give an image reference like "nginx:1.27"')
    .max(512)
    .describe('e.g. nginx:1.27'),
  name: z
    .string()
    .regex(
      /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,127}$/,
      'name may use letters, digits, "_", "." and "-" and must start with a letter or digit',
    )
    .optional(),
  command: commandList().optional().describe('e.g. ["sh", "-c", "echo hi"].'),
  entrypoint: commandList().optional(),
  env: keyValueList().optional().describe('["KEY=VALUE"]'),
  ports: portList().optional().describe('"127.0.0.1:8080:80", "8080:80/udp", "80"'),
  volumes: volumeList().optional().describe('"vol:/data", "./dir:/x:ro", "/anon"'),
  network: z.string().min(1).max(256).optional(),
  restart: z.string().max(32).optional().describe('no|always|unless-stopped|on-failure[:N]'),
  resources: z
    .object({
      memory: stringFromNumber().optional().describe('e.g. 256m'),
      cpus: numberFromString(z.number().min(0.01).max(1024)).optional(),
    })
    .optional(),
  labels: keyValueList({ maxValue: 4096 }).optional(),
  healthcheck: healthcheckInput.optional(),
  hostname: z.string().max(253).optional(),
  working_dir: z.string().max(4096).optional(),
  user: z.string().max(256).optional(),
  init: z.boolean().optional(),
  stop_timeout: z.number().int().min(0).max(3600).optional(),
  // Host access: refused by the policy unless the server allows it (see the README).
  privileged: z.boolean().optional(),
  cap_add: shortStrings(64, 64),
  cap_drop: shortStrings(64, 64),
  devices: shortStrings(32, 512),
  pid: z.string().max(256).optional(),
  ipc: z.string().max(256).optional(),
  uts: z.string().max(256).optional(),
  userns_mode: z.string().max(256).optional(),
  cgroupns: z.string().max(32).optional(),
  security_opt: shortStrings(32, 65536),
  sysctls: keyValueList({ maxValue: 4096, maxItems: 64 }).optional(),
  cgroup_parent: z.string().max(4096).optional(),
  volumes_from: shortStrings(16),
  device_cgroup_rules: shortStrings(32),
  pull: z.enum(['missing', 'always', 'never']).optional(),
  wait: z.enum(['none', 'running', 'healthy']).optional().describe('default running'),
  timeout: z.number().int().min(1).max(3600).optional().describe('seconds, default 60'),
});

export type DeployContainerInput = z.infer<typeof deployContainerInput>;

function stringEnv(env: DeployContainerInput['env']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env ?? {})) {
    if (!/^[^=\0]+$/.test(k))
      throw new ToolError(
        'invalid_input',
        `env name ${JSON.stringify(k)} is invalid: a name may not be empty or contain "=".`,
      );
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
    if (seen.has(key))
      throw new ToolError('invalid_input', `ports: host port ${p.hostPort}/${p.protocol} is given twice.`);
    seen.add(key);
  }
  return spec;
}
