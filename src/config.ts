import {
  EngineSettingsError,
  engineProtectedPaths,
  parseEngines,
  type DockerConfig,
  type EngineSpec,
} from './config/engines.js';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { ConfigError } from './config/error.js';
import { parseSettings, type ConfigFlags, type Env } from './config/parse.js';
import { SETTINGS, type Settings } from './config/settings.js';
import type { RegistryCredential } from './config/spec.js';

export { ConfigError };
export type { DockerConfig };
export type { ConfigFlags, Env, RegistryCredential };

/** Every setting of the server, read in one place (flags over env over defaults; src/config/settings.ts declares them). */
export interface Config {
  docker: DockerConfig;
  /** The Engines tools may act on (DOM_ENGINES; src/config/engines.ts); the first is the default. */
  engines: EngineSpec[];
  /** Where a stack goes when deploy_application_stack does not say (DOM_STACK_TARGET). */
  stackTarget: 'engine' | 'swarm';
  /** Default deadline for one Engine call. */
  engineTimeoutMs: number;
  readOnly: boolean;
  /** Toolsets to expose; empty means the default ones (src/tools/registry.ts), "all" every one. */
  toolsets: string[];
  disableDestructive: boolean;
  /** Mutating tools act only on objects labelled as managed by this server unless `all`. */
  scope: 'managed' | 'all';
  logLevel: string;
  /** Identifies this server instance in labels and history. */
  instanceLabel: string;
  /**
   * Compose interpolation: whether the server's own environment is a source (below `env` and
   * `.env`), and the home folder a `~` host path expands to. Off by default: an MCP client starts
   * the server with a minimal environment, and the server's environment may hold secrets.
   */
  compose?: { envFromServer: boolean; homeDir: string; serverEnv?: Readonly<Env> };
  /** Folder of Docker's config.json (DOCKER_CONFIG, default ~/.docker), read for registry credentials. */
  dockerConfigDir: string;
  /** Registry credentials per registry host from DOM_REGISTRY_AUTH (JSON); never shown to the model. */
  registryAuth: Record<string, RegistryCredential>;
  /** Bearer token for the HTTP transport (DOM_HTTP_TOKEN or --token-file). */
  httpToken?: string;
  /** How `serve` talks to its client. */
  transport: 'stdio' | 'http';
  http: HttpConfig;
  policy: PolicyConfig;
  /** The self-healing watcher (--self-heal / DOM_SELF_HEAL). */
  selfHeal: SelfHealConfig;
  /** Which `confirm: true` counts (DOM_CONFIRM_ARGUMENT, --confirm-argument); see src/tools/confirm.ts. */
  confirmArgument: ConfirmArgumentMode;
  /** SQLite file of the deployment history (DOM_HISTORY_PATH, --history-path); ":memory:" keeps none. */
  historyPath: string;
  /** Files the server reads on a tool's behalf; see src/policy/fileReader.ts. */
  files: FilesConfig;
}

/** Where and how much the server reads for a tool (`file`, `env_file`, `.env`), and the cap on inline Compose text. */
export interface FilesConfig {
  /** Folders files may come from (DOM_FILE_ROOTS, --file-root); default the working directory, none when that is "/". */
  roots: string[];
  /** Largest file (and inline Compose text) in bytes (DOM_MAX_FILE_BYTES, default 1 MiB). */
  maxBytes: number;
  /** Deadline for reading one file (DOM_FILE_READ_TIMEOUT_MS, default 5000). */
  readTimeoutMs: number;
  /** Never read, even inside a root: the server's own keys and state (the policy's protected paths). */
  protectedPaths: string[];
  /** Largest build context sent to the Engine, in bytes of file content (DOM_MAX_BUILD_CONTEXT_BYTES, default 200 MiB). */
  maxBuildContextBytes?: number;
}

/**
 * Which `confirm: true` the server trusts: `fallback` (default) only from clients that
 * cannot ask their user, `always` even from clients that can, `never` not at all (only an
 * elicited answer confirms; clients without elicitation cannot run destructive tools).
 */
export type ConfirmArgumentMode = 'fallback' | 'always' | 'never';

/** Settings of the self-healing watcher; see src/health/. */
export interface SelfHealConfig {
  enabled: boolean;
  /** Restarts allowed per container within `windowMs` before it is reported as crash-looping. */
  maxRestarts: number;
  windowMs: number;
  /** First delay before a restart; doubles with every restart inside the window. */
  backoffMs: number;
}

/** The container policy's settings; see src/policy/hostAccess.ts and src/policy/containerPolicy.ts. */
export interface PolicyConfig {
  /** Bind mounts (and bind volumes) of sensitive host trees, the Engine socket or a folder above it. */
  allowSensitiveMounts: boolean;
  /**
   * Host paths to protect besides the built-in ones: the DOCKER_HOST unix socket, the Engine's TLS
   * client keys (DOCKER_CERT_PATH), registry credentials (DOCKER_CONFIG), the history database,
   * the HTTP token file, and DOM_PROTECTED_PATHS. Binds in, above or aliasing them are refused.
   */
  protectedPaths: string[];
  /** Bind sources that lie inside (or, when writable, contain) another container's bind source: see src/policy/bindOverlap.ts. */
  allowOverlappingBinds: boolean;
  /** When non-empty, bind mounts must lie under one of these host folders. */
  allowedBindRoots: string[];
  /** Binds mounted by a remote Engine or a Swarm node, whose paths cannot be judged here: see src/policy/remoteBinds.ts. */
  allowRemoteBinds: boolean;
  /** Joining the host's network namespace (network "host"). */
  allowHostNetwork: boolean;
  /** Builds whose inputs the Engine fetches over the network (remote build contexts, Dockerfile `ADD <url>`): it fetches them from the host. */
  allowRemoteBuildContexts: boolean;
  /** `privileged: true`. */
  allowPrivileged: boolean;
  /** pid/ipc/uts "host" (or another container's), and user namespaces off (userns_mode "host"). */
  allowHostNamespaces: boolean;
  /** Capabilities that cap_add may grant beyond Docker's default set. */
  allowedCapabilities: string[];
  /** Host devices passed into containers. */
  allowDevices: boolean;
  /** security_opt that turns confinement off (seccomp/apparmor unconfined, label disable). */
  allowUnconfined: boolean;
  /** Network drivers beyond bridge and overlay (macvlan, ipvlan, plugins) that networks may use; their options are then not judged. */
  allowedNetworkDrivers: string[];
  /** Bridge/overlay driver options beyond the harmless ones (see src/policy/networkPolicy.ts). */
  allowedNetworkOptions: string[];
  /** Volume drivers other than local (plugins) that volumes may use. */
  allowedVolumeDrivers: string[];
  /** Filesystem types of local-driver volumes beyond tmpfs and binds (e.g. nfs, cifs, ext4). */
  allowedVolumeTypes: string[];
  /** Sysctls beyond the ones the kernel keeps per container (names, or prefixes ending in "*"). */
  allowedSysctls: string[];
  /** `cgroup_parent`. */
  allowCgroupParent: boolean;
  /** When non-empty, image references must match one of these globs ("registry:5000/*", "nginx:*"). */
  allowedImages: string[];
  /** Limits applied to containers created without their own. */
  defaultMemory?: string;
  defaultCpus?: string;
  /** The most containers one stack may run (services x replicas). */
  maxContainersPerStack: number;
  /** Container runtimes besides runc (e.g. runsc, nvidia); an unset runtime is the Engine's default. */
  allowedRuntimes?: string[];
  /** Logging drivers besides the local ones (json-file, local, none), which send logs off the host or into host services. */
  allowedLogDrivers?: string[];
}

/** The Streamable HTTP transport's address and limits (used by `serve --transport http`). */
export interface HttpConfig {
  host: string;
  port: number;
  allowedHosts: string[];
  allowedOrigins: string[];
  maxBodyBytes: number;
  maxConcurrent: number;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  requestTimeoutMs: number;
}

/**
 * Expands a leading `~` or `~/` to the home folder. JSON client configurations (Claude
 * Desktop's `env`) pass paths as written, with no shell to expand them.
 */
function expandHome(path: string, env: Env): string {
  if (path === '~') return env.HOME || homedir();
  return path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(2)) : path;
}

/** The socket path of a `unix://` DOCKER_HOST (cleaned), else undefined. */
function unixSocketOf(dockerHost: string | undefined): string | undefined {
  if (!dockerHost?.startsWith('unix://')) return undefined;
  const p = posix.normalize(dockerHost.slice('unix://'.length));
  return p.startsWith('/') ? p : undefined;
}

/**
 * The configuration: the environment and the CLI flags parsed against the one settings schema
 * (src/config/settings.ts; flags win over environment), then shaped for the modules that use it.
 * `HOME` and `XDG_DATA_HOME` are read here too, as the base of `~` and of the default paths.
 * Throws ConfigError on a bad value.
 */
export function loadConfig(env: Env, flags: ConfigFlags = {}): Config {
  const s = parseSettings(env, flags);
  const home = (path: string): string => expandHome(path, env);
  const homeDir = env.HOME || homedir();
  const docker = dockerConfig(s, home, homeDir);
  if (env.SSH_AUTH_SOCK) docker.sshAgent = env.SSH_AUTH_SOCK;
  const engines = engineSpecs(env, docker);
  const historyPath = home(s.historyPath ?? defaultHistoryPath(env, homeDir));
  const dockerConfigDir = (s.dockerConfig && home(s.dockerConfig)) || join(homeDir, '.docker');
  const tokenFile = s.httpTokenFile && home(s.httpTokenFile);
  const protectedPaths = [
    unixSocketOf(docker.host),
    docker.certPath,
    ...engineProtectedPaths(engines),
    dockerConfigDir,
    // The history and what lives beside it (SQLite's side files, the secrets' digest key); a
    // bind of its folder contains them and is refused all the same.
    ...(historyPath === ':memory:' ? [] : ['', '-wal', '-shm', '-journal'].map((suffix) => historyPath + suffix)),
    historyPath === ':memory:' ? undefined : join(dirname(historyPath), 'content-digest.key'),
    tokenFile,
    ...s.protectedPaths,
  ]
    .flatMap((p) => (p && isAbsolute(p) ? [posix.normalize(p)] : p ? [resolve(p)] : []))
    .filter((p, i, all) => all.indexOf(p) === i);
  const httpToken = tokenFile ? readTokenFile(tokenFile) : s.httpToken;
  return {
    docker,
    engines,
    stackTarget: s.stackTarget,
    engineTimeoutMs: s.engineTimeoutMs,
    readOnly: s.readOnly,
    toolsets: s.toolsets,
    disableDestructive: s.disableDestructive,
    scope: s.scope,
    logLevel: s.logLevel,
    instanceLabel: s.instance,
    dockerConfigDir,
    registryAuth: s.registryAuth,
    ...(httpToken ? { httpToken } : {}),
    transport: s.transport,
    http: {
      host: s.httpHost ?? '127.0.0.1',
      port: s.httpPort,
      allowedHosts: s.httpAllowedHosts,
      allowedOrigins: s.httpAllowedOrigins,
      maxBodyBytes: s.httpMaxBodyBytes,
      maxConcurrent: s.httpMaxConcurrent,
      headersTimeoutMs: s.httpHeadersTimeoutMs,
      bodyTimeoutMs: s.httpBodyTimeoutMs,
      requestTimeoutMs: s.httpRequestTimeoutMs,
    },
    selfHeal: {
      enabled: s.selfHeal,
      maxRestarts: s.selfHealMaxRestarts,
      windowMs: s.selfHealWindowMs,
      backoffMs: s.selfHealBackoffMs,
    },
    confirmArgument: s.confirmArgument,
    historyPath,
    compose: {
      envFromServer: s.composeEnvFromServer,
      homeDir,
      // The process environment is itself the data here: a snapshot taken at start, and only
      // when the operator allowed it.
      ...(s.composeEnvFromServer ? { serverEnv: { ...env } } : {}),
    },
    files: filesConfig(s, home, protectedPaths),
    policy: policyConfig(s, home, protectedPaths),
  };
}

function engineSpecs(env: Env, docker: DockerConfig): EngineSpec[] {
  try {
    return parseEngines(env, docker);
  } catch (err) {
    throw err instanceof EngineSettingsError ? new ConfigError(err.message) : err;
  }
}

/** The Engine connection. One today; named Engines would map each entry of a list the same way. */
function dockerConfig(s: Settings, home: (path: string) => string, homeDir: string): DockerConfig {
  const docker: DockerConfig = { tlsVerify: s.dockerTlsVerify };
  if (s.dockerHost) docker.host = s.dockerHost;
  const certPath =
    (s.dockerCertPath && home(s.dockerCertPath)) || (docker.tlsVerify ? join(homeDir, '.docker') : undefined);
  if (certPath) docker.certPath = certPath;
  return docker;
}

function policyConfig(s: Settings, home: (path: string) => string, protectedPaths: string[]): PolicyConfig {
  const withoutLatest = (d: string) => d.toLowerCase().replace(/:latest$/, '');
  return {
    allowSensitiveMounts: s.allowSensitiveMounts,
    protectedPaths,
    allowOverlappingBinds: s.allowOverlappingBinds,
    allowedBindRoots: s.allowedBindRoots.map(home),
    allowRemoteBinds: s.allowRemoteBinds,
    allowHostNetwork: s.allowHostNetwork,
    allowRemoteBuildContexts: s.allowRemoteBuildContexts,
    allowPrivileged: s.allowPrivileged,
    allowHostNamespaces: s.allowHostNamespaces,
    allowedCapabilities: s.allowedCapabilities.map((c) => c.toUpperCase().replace(/^CAP_/, '')),
    allowDevices: s.allowDevices,
    allowUnconfined: s.allowUnconfined,
    allowedImages: s.allowedImages,
    allowedNetworkDrivers: s.allowedNetworkDrivers.map(withoutLatest),
    allowedNetworkOptions: s.allowedNetworkOptions.map((k) => k.toLowerCase()),
    allowedVolumeDrivers: s.allowedVolumeDrivers.map(withoutLatest),
    allowedVolumeTypes: s.allowedVolumeTypes.map((t) => t.toLowerCase()),
    allowedSysctls: s.allowedSysctls.map((k) => k.replace(/\//g, '.').toLowerCase()),
    allowCgroupParent: s.allowCgroupParent,
    maxContainersPerStack: s.maxContainersPerStack,
    allowedRuntimes: s.allowedRuntimes.map((r) => r.toLowerCase()),
    allowedLogDrivers: s.allowedLogDrivers.map((d) => d.toLowerCase()),
    ...(s.defaultMemory ? { defaultMemory: s.defaultMemory } : {}),
    ...(s.defaultCpus ? { defaultCpus: s.defaultCpus } : {}),
  };
}

function defaultHistoryPath(env: Env, homeDir: string): string {
  return join(env.XDG_DATA_HOME || join(homeDir, '.local', 'share'), 'docker-orchestration-mcp', 'history.db');
}

export const DEFAULT_MAX_FILE_BYTES = SETTINGS.maxFileBytes.schema.parse(undefined);
export const DEFAULT_MAX_BUILD_CONTEXT_BYTES = SETTINGS.maxBuildContextBytes.schema.parse(undefined);

function filesConfig(s: Settings, home: (path: string) => string, protectedPaths: string[]): FilesConfig {
  // The working directory is where relative roots start: the server's place, not a setting.
  const cwd = process.cwd();
  // A server started from "/" (as some desktop clients do) would otherwise read the whole machine.
  const roots = s.fileRoots.length ? s.fileRoots.map((r) => resolve(cwd, home(r))) : cwd === '/' ? [] : [cwd];
  return {
    roots,
    maxBytes: s.maxFileBytes,
    readTimeoutMs: s.fileReadTimeoutMs,
    protectedPaths,
    maxBuildContextBytes: s.maxBuildContextBytes,
  };
}

function readTokenFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError(`cannot read the HTTP token file ${file}: ${(err as Error).message}`);
  }
}

/** Reads TLS material for a tcp+TLS DOCKER_HOST; kept here so only config touches the filesystem for settings. */
export function readTlsFiles(certPath: string): { ca: Buffer; cert: Buffer; key: Buffer } {
  try {
    return {
      ca: readFileSync(join(certPath, 'ca.pem')),
      cert: readFileSync(join(certPath, 'cert.pem')),
      key: readFileSync(join(certPath, 'key.pem')),
    };
  } catch (err) {
    throw new ConfigError(
      `DOCKER_TLS_VERIFY is set but TLS files could not be read from ${certPath}: ${(err as Error).message}`,
    );
  }
}
