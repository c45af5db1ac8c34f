/**
 * Which Compose keys we support, and which ones exist in the Compose specification but we do
 * not support: the second list lets the error say "not supported" rather than "unknown".
 */

export const TOP_LEVEL_KEYS = ['version', 'name', 'services', 'networks', 'volumes'] as const;
/** Top-level sections of secrets and configs (see fileSources.ts). */
export const FILE_SOURCE_SECTIONS = ['secrets', 'configs'] as const;
export const TOP_LEVEL_UNSUPPORTED = ['secrets', 'configs', 'include', 'models'] as const;

export const SERVICE_KEYS = [
  'image',
  'command',
  'entrypoint',
  'environment',
  'env_file',
  'ports',
  'volumes',
  'networks',
  'depends_on',
  'healthcheck',
  'restart',
  'deploy',
  'mem_limit',
  'cpus',
  'labels',
  'container_name',
  'hostname',
  'working_dir',
  'user',
  'init',
  'stop_grace_period',
  'stop_signal',
  'extra_hosts',
  'profiles',
  'secrets',
  'configs',
  'build',
  'pull_policy',
  // Accepted so that the container policy, not the parser, decides (with a setting to allow them).
  'privileged',
  'cap_add',
  'cap_drop',
  'devices',
  'pid',
  'ipc',
  'uts',
  'userns_mode',
  'security_opt',
] as const;

export const SERVICE_UNSUPPORTED = [
  'annotations',
  'attach',
  'blkio_config',
  'cgroup',
  'cgroup_parent',
  'configs',
  'cpu_count',
  'cpu_percent',
  'cpu_period',
  'cpu_quota',
  'cpu_rt_period',
  'cpu_rt_runtime',
  'cpu_shares',
  'cpuset',
  'credential_spec',
  'develop',
  'device_cgroup_rules',
  'dns',
  'dns_opt',
  'dns_search',
  'domainname',
  'driver_opts',
  'expose',
  'extends',
  'external_links',
  'gpus',
  'group_add',
  'isolation',
  'label_file',
  'links',
  'logging',
  'mac_address',
  'mem_reservation',
  'mem_swappiness',
  'memswap_limit',
  'network_mode',
  'oom_kill_disable',
  'oom_score_adj',
  'pids_limit',
  'platform',
  'post_start',
  'pre_stop',
  'provider',
  'read_only',
  'runtime',
  'scale',
  'secrets',
  'shm_size',
  'stdin_open',
  'storage_opt',
  'sysctls',
  'tmpfs',
  'tty',
  'ulimits',
  'use_api_socket',
  'volumes_from',
] as const;

/** What to do instead, for unsupported keys people often use. */
export const SERVICE_UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  network_mode: 'use "networks"',
  links: 'services on a shared network reach each other by service name',
  scale: 'use deploy.replicas',
  expose: 'services on a shared network reach every port; use "ports" to publish',
};

export const BUILD_KEYS = [
  'context',
  'dockerfile',
  'dockerfile_inline',
  'args',
  'target',
  'labels',
  'network',
  'extra_hosts',
  'shm_size',
  'cache_from',
  'platforms',
] as const;
export const BUILD_UNSUPPORTED = [
  'additional_contexts',
  'cache_to',
  'entitlements',
  'isolation',
  'no_cache',
  'privileged',
  'pull',
  'provenance',
  'sbom',
  'secrets',
  'ssh',
  'tags',
  'ulimits',
] as const;

const BUILDKIT_ONLY =
  'it needs BuildKit, and this server builds with the Engine\'s classic builder; build the image with `docker buildx build` and give the service its "image"';
/** What to do instead, for build keys only BuildKit (docker buildx) acts on. */
export const BUILD_UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  additional_contexts: BUILDKIT_ONLY,
  cache_to: BUILDKIT_ONLY,
  entitlements: BUILDKIT_ONLY,
  privileged: BUILDKIT_ONLY,
  provenance: BUILDKIT_ONLY,
  sbom: BUILDKIT_ONLY,
  secrets: `${BUILDKIT_ONLY} (or pass the value as a build arg only if it is not secret)`,
  ssh: BUILDKIT_ONLY,
  tags: 'the image is tagged with the service\'s "image" (or PROJECT-SERVICE) only',
  no_cache: 'use pull_policy: build to force a rebuild',
};

export const PORT_KEYS = ['target', 'published', 'host_ip', 'protocol'] as const;
export const PORT_UNSUPPORTED = ['mode', 'name', 'app_protocol'] as const;

export const SERVICE_VOLUME_KEYS = ['type', 'source', 'target', 'read_only'] as const;
export const SERVICE_VOLUME_UNSUPPORTED = ['bind', 'volume', 'tmpfs', 'image', 'consistency'] as const;

export const SERVICE_NETWORK_KEYS = ['aliases'] as const;
export const SERVICE_NETWORK_UNSUPPORTED = [
  'ipv4_address',
  'ipv6_address',
  'link_local_ips',
  'mac_address',
  'driver_opts',
  'priority',
  'gw_priority',
] as const;

export const DEPENDS_ON_KEYS = ['condition'] as const;
export const DEPENDS_ON_UNSUPPORTED = ['restart', 'required'] as const;

export const HEALTHCHECK_KEYS = ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'] as const;
export const HEALTHCHECK_UNSUPPORTED = ['start_interval'] as const;

export const DEPLOY_KEYS = ['replicas', 'resources'] as const;
export const DEPLOY_UNSUPPORTED = [
  'mode',
  'placement',
  'update_config',
  'rollback_config',
  'restart_policy',
  'labels',
  'endpoint_mode',
] as const;
/** Keys read only when the stack targets a Swarm (validated by src/swarm/deployConfig.ts). */
export const SWARM_DEPLOY_KEYS = DEPLOY_UNSUPPORTED;
export const SWARM_PORT_KEYS = ['mode'] as const;
export const RESOURCES_KEYS = ['limits', 'reservations'] as const;
export const RESOURCES_UNSUPPORTED = [] as const;
export const LIMITS_KEYS = ['memory', 'cpus', 'pids'] as const;
export const LIMITS_UNSUPPORTED = ['devices'] as const;
/** As Compose without Swarm: memory becomes the soft limit; a CPU reservation is Swarm's and ignored. */
export const RESERVATIONS_KEYS = ['memory', 'cpus'] as const;
export const RESERVATIONS_UNSUPPORTED = ['devices', 'generic_resources'] as const;
export const RESERVATIONS_HINTS: Readonly<Record<string, string>> = {
  devices:
    'GPU and other device requests are not made by this server; use a host without them or run the service outside the stack',
  generic_resources: 'a Swarm scheduling setting; leave it out',
};

export const NETWORK_KEYS = ['driver', 'driver_opts', 'internal', 'external', 'name', 'labels', 'attachable'] as const;
export const NETWORK_UNSUPPORTED = ['ipam', 'enable_ipv4', 'enable_ipv6'] as const;

export const VOLUME_KEYS = ['external', 'name', 'driver', 'driver_opts', 'labels'] as const;

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

export function closestKey(key: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(key, c);
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/*
 * Keys accepted beyond the lists above (the readers check supported keys first, so a key here
 * is accepted even while an older list still names it as unsupported).
 */
export const SERVICE_KEYS_MORE = [
  'expose',
  'pull_policy',
  'network_mode',
  'sysctls',
  'ulimits',
  'platform',
  'runtime',
  'volumes_from',
  'stdin_open',
  'tty',
  'develop',
  'dns',
  'dns_search',
  'dns_opt',
  'domainname',
  'group_add',
  'read_only',
  'shm_size',
  'tmpfs',
  'logging',
  'mem_reservation',
  'links',
  'external_links',
  'annotations',
  'attach',
  'oom_score_adj',
  'pids_limit',
  'extends',
] as const;
export const TOP_LEVEL_KEYS_MORE = ['include'] as const;
export const SERVICE_NETWORK_KEYS_MORE = ['ipv4_address', 'ipv6_address'] as const;
export const DEPENDS_ON_KEYS_MORE = ['restart', 'required'] as const;
export const DEPLOY_KEYS_MORE = ['restart_policy'] as const;
export const NETWORK_KEYS_MORE = ['ipam'] as const;
export const IPAM_KEYS = ['driver', 'config', 'options'] as const;
export const IPAM_CONFIG_KEYS = ['subnet', 'gateway', 'ip_range', 'aux_addresses'] as const;
export const ENV_FILE_KEYS = ['path', 'required', 'format'] as const;
export const INCLUDE_KEYS = ['path', 'project_directory', 'env_file'] as const;
export const EXTENDS_KEYS = ['service', 'file'] as const;

/** What to do instead, for keys still refused (these win over SERVICE_UNSUPPORTED_HINTS). */
export const UNSUPPORTED_HINTS_MORE: Readonly<Record<string, string>> = {
  build: 'images are not built here; build it first (docker build -t NAME .) and set "image: NAME"',
  scale: 'use deploy.replicas',
  blkio_config: 'leave it out: block-IO weights are not set here',
  cgroup: "leave it out: containers use the Engine's default cgroup namespace",
  cgroup_parent: "leave it out: containers stay in Docker's cgroup",
  cpu_count: 'use cpus (or deploy.resources.limits.cpus)',
  cpu_percent: 'use cpus (or deploy.resources.limits.cpus)',
  cpu_period: 'use cpus (or deploy.resources.limits.cpus)',
  cpu_quota: 'use cpus (or deploy.resources.limits.cpus)',
  cpu_shares: 'use cpus (or deploy.resources.limits.cpus)',
  cpu_rt_period: 'leave it out: real-time scheduling is not set here',
  cpu_rt_runtime: 'leave it out: real-time scheduling is not set here',
  cpuset: 'use cpus (or deploy.resources.limits.cpus)',
  credential_spec: 'leave it out: it applies to Windows containers only',
  device_cgroup_rules: 'use devices (allowed by the operator with DOM_ALLOW_DEVICES=1)',
  driver_opts: 'leave it out: per-service network driver options are not set here',
  gpus: 'leave it out: GPUs are not passed to containers here',
  isolation: 'leave it out: it applies to Windows containers only',
  label_file: 'put the labels under "labels"',
  mac_address: 'leave it out: the Engine assigns MAC addresses',
  mem_swappiness: 'leave it out, or use mem_limit',
  memswap_limit: 'use mem_limit (swap follows the Engine default)',
  oom_kill_disable: 'leave it out: set mem_limit high enough instead',
  post_start: "run the command from the image's entrypoint instead",
  pre_stop: 'handle the stop signal in the container instead (stop_signal, stop_grace_period)',
  provider: 'leave it out: provider services are not run here',
  storage_opt: 'leave it out: storage driver options are not set here',
  use_api_socket: 'leave it out: the Engine socket is never given to containers here',
  models: 'leave it out: model runners are not supported here',
};
