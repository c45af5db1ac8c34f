/** Label keys: ours, and the ones Docker Compose writes so `docker compose` understands our stacks. */
export const LABEL_MANAGED = 'io.docker-orchestration-mcp.managed';
export const LABEL_INSTANCE = 'io.docker-orchestration-mcp.instance';
export const LABEL_SOURCE = 'io.docker-orchestration-mcp.source';
/** On an image built for a stack service: the hash of its build inputs (context, Dockerfile, args, target...). */
export const LABEL_BUILD_HASH = 'io.docker-orchestration-mcp.build-hash';
/** On a stack network: the hash of its settings (driver, options, internal, attachable, ipam). */
export const LABEL_NETWORK_HASH = 'io.docker-orchestration-mcp.network-hash';

export const COMPOSE_PROJECT = 'com.docker.compose.project';
export const COMPOSE_SERVICE = 'com.docker.compose.service';
export const COMPOSE_ONEOFF = 'com.docker.compose.oneoff';
export const COMPOSE_NUMBER = 'com.docker.compose.container-number';
export const COMPOSE_CONFIG_HASH = 'com.docker.compose.config-hash';
export const COMPOSE_VERSION = 'com.docker.compose.version';
export const COMPOSE_NETWORK = 'com.docker.compose.network';
export const COMPOSE_VOLUME = 'com.docker.compose.volume';
export const COMPOSE_WORKING_DIR = 'com.docker.compose.project.working_dir';
export const COMPOSE_CONFIG_FILES = 'com.docker.compose.project.config_files';

export function managedLabels(instance: string): Record<string, string> {
  return { [LABEL_MANAGED]: 'true', [LABEL_INSTANCE]: instance };
}

export function isManaged(labels: Record<string, string> | null | undefined): boolean {
  return labels?.[LABEL_MANAGED] === 'true';
}
