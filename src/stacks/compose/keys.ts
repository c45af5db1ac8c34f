/**
 * Which Compose keys we support, and which ones exist in the Compose specification but we do
 * not support: the second list lets the error say "not supported" rather than "unknown".
 */

export const TOP_LEVEL_KEYS = ['version', 'name', 'services', 'networks', 'volumes'] as const;
/** Top-level sections of secrets and configs (see fileSources.ts). */
export const FILE_SOURCE_SECTIONS = ['secrets', 'configs'] as const;
export const TOP_LEVEL_UNSUPPORTED = ['secrets', 'configs', 'include', 'models'] as const;

export const SERVICE_KEYS = [
  'image', 'command', 'entrypoint', 'environment', 'env_file', 'ports', 'volumes', 'networks',
  'depends_on', 'healthcheck', 'restart', 'deploy', 'mem_limit', 'cpus', 'labels', 'container_name',
  'hostname', 'working_dir', 'user', 'init', 'stop_grace_period', 'stop_signal', 'extra_hosts', 'profiles',
  'secrets', 'configs',
  'build', 'pull_policy',
  // Accepted so that the container policy, not the parser, decides (with a setting to allow them).
  'privileged', 'cap_add', 'cap_drop', 'devices', 'pid', 'ipc', 'uts', 'userns_mode', 'security_opt',
] as const;

export const SERVICE_UNSUPPORTED = [
  'annotations', 'attach', 'blkio_config', 'cgroup', 'cgroup_parent', 'configs', 'cpu_count',
  'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period', 'cpu_rt_runtime', 'cpu_shares', 'cpuset',
  'credential_spec', 'develop', 'device_cgroup_rules', 'dns', 'dns_opt', 'dns_search', 'domainname',
  'driver_opts', 'expose', 'extends', 'external_links', 'gpus', 'group_add', 'isolation', 'label_file',
  'links', 'logging', 'mac_address', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'network_mode',
  'oom_kill_disable', 'oom_score_adj', 'pids_limit', 'platform', 'post_start', 'pre_stop', 'provider',
  'read_only', 'runtime', 'scale', 'secrets', 'shm_size', 'stdin_open', 'storage_opt',
  'sysctls', 'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'volumes_from',
] as const;

/** What to do instead, for unsupported keys people often use. */
export const SERVICE_UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  network_mode: 'use "networks"',
  links: 'services on a shared network reach each other by service name',
  scale: 'use deploy.replicas',
  expose: 'services on a shared network reach every port; use "ports" to publish',
};

export const BUILD_KEYS = [
  'context', 'dockerfile', 'dockerfile_inline', 'args', 'target', 'labels', 'network', 'extra_hosts', 'shm_size', 'cache_from',
] as const;
export const BUILD_UNSUPPORTED = [
  'additional_contexts', 'cache_to', 'entitlements', 'isolation', 'no_cache', 'platforms', 'privileged', 'pull', 'provenance',
  'sbom', 'secrets', 'ssh', 'tags', 'ulimits',
] as const;

export const PORT_KEYS = ['target', 'published', 'host_ip', 'protocol'] as const;
export const PORT_UNSUPPORTED = ['mode', 'name', 'app_protocol'] as const;

export const SERVICE_VOLUME_KEYS = ['type', 'source', 'target', 'read_only'] as const;
export const SERVICE_VOLUME_UNSUPPORTED = ['bind', 'volume', 'tmpfs', 'image', 'consistency'] as const;

export const SERVICE_NETWORK_KEYS = ['aliases'] as const;
export const SERVICE_NETWORK_UNSUPPORTED = [
  'ipv4_address', 'ipv6_address', 'link_local_ips', 'mac_address', 'driver_opts', 'priority', 'gw_priority',
] as const;

export const DEPENDS_ON_KEYS = ['condition'] as const;
export const DEPENDS_ON_UNSUPPORTED = ['restart', 'required'] as const;

export const HEALTHCHECK_KEYS = ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'] as const;
export const HEALTHCHECK_UNSUPPORTED = ['start_interval'] as const;

export const DEPLOY_KEYS = ['replicas', 'resources'] as const;
export const DEPLOY_UNSUPPORTED = [
  'mode', 'placement', 'update_config', 'rollback_config', 'restart_policy', 'labels', 'endpoint_mode',
] as const;
export const RESOURCES_KEYS = ['limits'] as const;
export const RESOURCES_UNSUPPORTED = ['reservations'] as const;
export const LIMITS_KEYS = ['memory', 'cpus'] as const;
export const LIMITS_UNSUPPORTED = ['pids', 'devices'] as const;

export const NETWORK_KEYS = ['driver', 'driver_opts', 'internal', 'external', 'name', 'labels', 'attachable'] as const;
export const NETWORK_UNSUPPORTED = ['ipam', 'enable_ipv4', 'enable_ipv6'] as const;

export const VOLUME_KEYS = ['external', 'name', 'driver', 'driver_opts', 'labels'] as const;

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
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
