import type { SecuritySettings } from '../../docker/specParsers.js';
import type { ServiceFile } from './fileSources.js';
import type { ContainerExtras, ContainerSpec } from '../../docker/containerSpec.js';
import type { EngineHealthcheck, MountMapping, PortMapping, RestartPolicy } from '../../docker/specParsers.js';

export const DEPENDS_CONDITIONS = ['service_started', 'service_healthy', 'service_completed_successfully'] as const;
export type DependsCondition = (typeof DEPENDS_CONDITIONS)[number];

export interface ServiceDependency {
  service: string;
  condition: DependsCondition;
  /** `required: false`: a dependency that is missing or not active is skipped. */
  required?: boolean;
}

/*
 * The file as validated: every value checked and typed, but names still the file's keys
 * (volume and network names not yet prefixed with the project) and profiles not yet applied.
 */

export interface ServiceNetworkRef {
  /** The key under top-level `networks` (or "default"). */
  key: string;
  aliases: string[];
  ipv4Address?: string;
  ipv6Address?: string;
}

/** A mount whose `source`, for type "volume", is the key under top-level `volumes`. */
export type ServiceMount = MountMapping;

/** A service's `build` section, validated; paths still as written (resolved when the project is built). */
export interface BuildDefinition {
  /**
   * The context folder as written (default "."); resolved against the working folder and checked
   * against the roots at build time. Or a Git/HTTP(S) URL (isRemoteContext) the Engine fetches.
   */
  context: string;
  /** Path of the Dockerfile, relative to the context unless absolute. */
  dockerfile?: string;
  dockerfileInline?: string;
  args: Record<string, string>;
  target?: string;
  labels: Record<string, string>;
  network?: string;
  /** "host:ip", sorted. */
  extraHosts: string[];
  shmSizeBytes?: number;
  cacheFrom: string[];
  /** `platforms` as written; one build for the Engine's platform is made. */
  platforms?: string[];
}

/** Compose `pull_policy`; "build" and "missing"/"if_not_present" matter for built services. */
export type ServicePullPolicy = 'always' | 'never' | 'missing' | 'build';

export interface ServiceDefinition {
  name: string;
  /** The `image:` key; empty when the service only has `build`. */
  image: string;
  build?: BuildDefinition;
  pullPolicy?: ServicePullPolicy;
  command?: string[];
  entrypoint?: string[];
  /** env_file values, then `environment` over them; `KEY` without a value already resolved. */
  env: Record<string, string>;
  ports: PortMapping[];
  mounts: ServiceMount[];
  networks: ServiceNetworkRef[];
  dependsOn: ServiceDependency[];
  healthcheck?: EngineHealthcheck;
  restart?: RestartPolicy;
  memoryBytes?: number;
  nanoCpus?: number;
  replicas: number;
  labels: Record<string, string>;
  containerName?: string;
  hostname?: string;
  workingDir?: string;
  user?: string;
  init?: boolean;
  stopTimeoutSec?: number;
  stopSignal?: string;
  /** "host:ip", sorted. */
  extraHosts: string[];
  profiles: string[];
  security?: SecuritySettings;
  /** Files from `secrets` and `configs`, copied into each container before it starts. */
  files?: ServiceFile[];
  extra?: ContainerExtras;
  /** `network_mode`: "none", "host", "container:X" or "service:X" (resolved to X's container when projected). */
  networkMode?: string;
  /** `volumes_from` as written ("svc", "svc:ro", "container:x"); services resolved when projected. */
  volumesFrom?: string[];
  /** `links` as "service:alias": the alias is added to the linked service on shared networks. */
  links?: { service: string; alias: string }[];
  platform?: string;
}

export interface NetworkDefinition {
  key: string;
  /** Explicit `name:`; the Engine name is then used as is. */
  name?: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  labels: Record<string, string>;
  ipam?: NetworkIpam;
}

/** A network's address management, in the Engine's shape. */
export interface NetworkIpam {
  driver?: string;
  config: { subnet?: string; gateway?: string; ipRange?: string; auxAddresses?: Record<string, string> }[];
  options?: Record<string, string>;
}

export interface VolumeDefinition {
  key: string;
  name?: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export interface ComposeFile {
  /** Top-level `name`, if any. */
  name?: string;
  services: ServiceDefinition[];
  networks: NetworkDefinition[];
  volumes: VolumeDefinition[];
  /** Variables whose values are secret or config content (`environment:` sources). */
  contentVariables?: string[];
}

/*
 * The project as it is to be deployed: active services only, Engine names resolved,
 * Compose and managed labels added, a config hash per service.
 */

export interface ProjectNetwork {
  key: string;
  /** The Engine name: `${project}_${key}` unless external or named explicitly. */
  name: string;
  /** External networks must exist already; they are never created or removed. */
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  internal: boolean;
  attachable: boolean;
  /** User labels plus Compose's project/network labels and ours. Empty for external networks. */
  labels: Record<string, string>;
  ipam?: NetworkIpam;
}

export interface ProjectVolume {
  key: string;
  name: string;
  external: boolean;
  driver?: string;
  driverOpts: Record<string, string>;
  labels: Record<string, string>;
}

export interface ComposeService {
  name: string;
  replicas: number;
  dependsOn: ServiceDependency[];
  /**
   * The container every replica is created from, without `name` and without the
   * container-number / config-hash labels (see containerSpecFor).
   */
  spec: ContainerSpec;
  /** Set when the file fixes `container_name` (then replicas is 1). */
  containerName?: string;
  /** Files from `secrets` and `configs`, copied into each container before it starts; their content is never shown. */
  files?: ServiceFile[];
  /** sha256 of the service's normalised definition; stored in the config-hash label. */
  configHash: string;
  /** Set when the service is built here; spec.image is then the tag the build gives. */
  build?: BuildDefinition;
  pullPolicy?: ServicePullPolicy;
  /** `platform` as written (not applied: the Engine runs its own platform). */
  platform?: string;
  /** The file sets no healthcheck but the image has one (stacks/imageHealth.ts): the final wait waits for it. Not hashed. */
  imageHealthcheck?: boolean;
}

export interface ComposeProject {
  name: string;
  workingDir?: string;
  /** Active services, in file order. */
  services: ComposeService[];
  /** Services left out because none of their profiles is enabled. */
  inactiveServices: string[];
  /** Networks and volumes used by the active services. */
  networks: ProjectNetwork[];
  volumes: ProjectVolume[];
  /** Start order: every service's dependencies are in an earlier level; a level can start in parallel. */
  levels: string[][];
  warnings: string[];
  /** Variables whose values are secret or config content: mask them wherever inputs are shown. */
  contentVariables?: string[];
  /** Only when loaded for a Swarm: each active service as written (interpolated and resolved), by name. */
  sourceServices?: Record<string, Record<string, unknown>>;
}
