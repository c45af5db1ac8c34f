import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { EngineSettingsError, engineProtectedPaths, parseEngines, type EngineSpec } from './docker/engines.js';

/** Every setting of the server, read in one place (flags over env over defaults). */
export interface Config {
  docker: DockerConfig;
  /** The Engines tools may act on (DOM_ENGINES; src/docker/engines.ts); the first is the default. */
  engines: EngineSpec[];
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
  compose?: { envFromServer: boolean; homeDir: string };
  /** Folder of Docker's config.json (DOCKER_CONFIG, default ~/.docker), read for registry credentials. */
  dockerConfigDir: string;
  /** Registry credentials per registry host from DOM_REGISTRY_AUTH (JSON); never shown to the model. */
  registryAuth: Record<string, RegistryCredential>;
  /** Bearer token for the HTTP transport (DOM_HTTP_TOKEN or --token-file). */
  httpToken?: string;
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
export const CONFIRM_ARGUMENT_MODES: readonly ConfirmArgumentMode[] = ['fallback', 'always', 'never'];

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
  /** Joining the host's network namespace (network "host"). */
  allowHostNetwork: boolean;
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

export interface RegistryCredential {
  username?: string;
  password?: string;
  identitytoken?: string;
}

export interface DockerConfig {
  /** DOCKER_HOST as given (unix://, tcp://, ssh://, npipe://), undefined for the local socket. */
  host?: string;
  tlsVerify: boolean;
  certPath?: string;
  /** SSH_AUTH_SOCK: the ssh agent an `ssh://` Engine authenticates with. */
  sshAgent?: string;
}

export type Env = Record<string, string | undefined>;

/** Flags that the CLI passes; each overrides its environment variable. */
export interface ConfigFlags {
  readOnly?: boolean;
  toolsets?: string;
  disableDestructive?: boolean;
  scope?: string;
  engineTimeout?: string;
  logLevel?: string;
  tokenFile?: string;
  historyPath?: string;
  selfHeal?: boolean;
  /** --file-root, repeatable. */
  fileRoot?: string[];
  confirmArgument?: string;
}

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return /^(1|true|yes|on)$/i.test(v);
}

/**
 * Expands a leading `~` or `~/` to the home folder. JSON client configurations (Claude
 * Desktop's `env`) pass paths as written, with no shell to expand them.
 */
function expandHome(path: string, env: Env): string {
  if (path === '~') return env.HOME || homedir();
  return path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(2)) : path;
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export class ConfigError extends Error {}

/** The socket path of a `unix://` DOCKER_HOST (cleaned), else undefined. */
function unixSocketOf(dockerHost: string | undefined): string | undefined {
  if (!dockerHost?.startsWith('unix://')) return undefined;
  const p = posix.normalize(dockerHost.slice('unix://'.length));
  return p.startsWith('/') ? p : undefined;
}

export function loadConfig(env: Env, flags: ConfigFlags = {}): Config {
  const scope = flags.scope ?? env.DOM_SCOPE ?? 'managed';
  if (scope !== 'managed' && scope !== 'all')
    throw new ConfigError(`--scope must be "managed" or "all", not "${scope}"`);
  const engineTimeoutMs = wholeNumber(
    flags.engineTimeout ?? env.DOM_ENGINE_TIMEOUT_MS,
    '--engine-timeout (DOM_ENGINE_TIMEOUT_MS, milliseconds)',
    30_000,
    100,
    3_600_000,
  );
  const confirmArgument = flags.confirmArgument ?? env.DOM_CONFIRM_ARGUMENT ?? 'fallback';
  if (!(CONFIRM_ARGUMENT_MODES as readonly string[]).includes(confirmArgument)) {
    throw new ConfigError(
      `--confirm-argument (DOM_CONFIRM_ARGUMENT) must be one of ${CONFIRM_ARGUMENT_MODES.join(', ')}, not "${confirmArgument}"`,
    );
  }
  const docker: DockerConfig = {
    tlsVerify: bool(env.DOCKER_TLS_VERIFY) ?? false,
  };
  if (env.DOCKER_HOST) docker.host = env.DOCKER_HOST;
  if (env.SSH_AUTH_SOCK) docker.sshAgent = env.SSH_AUTH_SOCK;
  const home = (path: string): string => expandHome(path, env);
  const certPath =
    (env.DOCKER_CERT_PATH && home(env.DOCKER_CERT_PATH)) ||
    (docker.tlsVerify ? join(env.HOME ?? homedir(), '.docker') : undefined);
  if (certPath) docker.certPath = certPath;
  const engines = engineSpecs(env, docker);
  const historyPath = home(flags.historyPath ?? env.DOM_HISTORY_PATH ?? defaultHistoryPath(env));
  const dockerConfigDir = (env.DOCKER_CONFIG && home(env.DOCKER_CONFIG)) || join(env.HOME ?? homedir(), '.docker');
  const tokenFileSetting = flags.tokenFile ?? env.DOM_HTTP_TOKEN_FILE;
  const tokenFile = tokenFileSetting && home(tokenFileSetting);
  const protectedPaths = [
    unixSocketOf(env.DOCKER_HOST),
    docker.certPath,
    ...engineProtectedPaths(engines),
    dockerConfigDir,
    // The history and what lives beside it (SQLite's side files, the secrets' digest key); a
    // bind of its folder contains them and is refused all the same.
    ...(historyPath === ':memory:' ? [] : ['', '-wal', '-shm', '-journal'].map((suffix) => historyPath + suffix)),
    historyPath === ':memory:' ? undefined : join(dirname(historyPath), 'content-digest.key'),
    tokenFile,
    ...list(env.DOM_PROTECTED_PATHS),
  ]
    .flatMap((p) => (p && isAbsolute(p) ? [posix.normalize(p)] : p ? [resolve(p)] : []))
    .filter((p, i, all) => all.indexOf(p) === i);
  return {
    docker,
    engines,
    engineTimeoutMs,
    readOnly: flags.readOnly ?? bool(env.DOM_READ_ONLY) ?? false,
    toolsets: list(flags.toolsets ?? env.DOM_TOOLSETS),
    disableDestructive: flags.disableDestructive ?? bool(env.DOM_DISABLE_DESTRUCTIVE) ?? false,
    scope,
    logLevel: flags.logLevel ?? env.DOM_LOG_LEVEL ?? 'info',
    instanceLabel: env.DOM_INSTANCE ?? 'default',
    dockerConfigDir,
    registryAuth: parseRegistryAuth(env.DOM_REGISTRY_AUTH),
    ...httpToken(env, flags.tokenFile, home),
    selfHeal: {
      enabled: flags.selfHeal ?? bool(env.DOM_SELF_HEAL) ?? false,
      maxRestarts: positiveInt(env.DOM_SELF_HEAL_MAX_RESTARTS, 'DOM_SELF_HEAL_MAX_RESTARTS', 3),
      windowMs: positiveInt(env.DOM_SELF_HEAL_WINDOW_MS, 'DOM_SELF_HEAL_WINDOW_MS', 10 * 60_000),
      backoffMs: positiveInt(env.DOM_SELF_HEAL_BACKOFF_MS, 'DOM_SELF_HEAL_BACKOFF_MS', 1000),
    },
    confirmArgument: confirmArgument as ConfirmArgumentMode,
    historyPath,
    compose: { envFromServer: bool(env.DOM_COMPOSE_ENV_FROM_SERVER) ?? false, homeDir: env.HOME || homedir() },
    files: filesConfig(env, flags.fileRoot, protectedPaths),
    policy: {
      allowSensitiveMounts: bool(env.DOM_ALLOW_SENSITIVE_MOUNTS) ?? false,
      protectedPaths,
      allowOverlappingBinds: bool(env.DOM_ALLOW_OVERLAPPING_BINDS) ?? false,
      allowedBindRoots: list(env.DOM_ALLOWED_BIND_ROOTS).map(home),
      allowHostNetwork: bool(env.DOM_ALLOW_HOST_NETWORK) ?? false,
      allowPrivileged: bool(env.DOM_ALLOW_PRIVILEGED) ?? false,
      allowHostNamespaces: bool(env.DOM_ALLOW_HOST_NAMESPACES) ?? false,
      allowedCapabilities: list(env.DOM_ALLOWED_CAPABILITIES).map((c) => c.toUpperCase().replace(/^CAP_/, '')),
      allowDevices: bool(env.DOM_ALLOW_DEVICES) ?? false,
      allowUnconfined: bool(env.DOM_ALLOW_UNCONFINED) ?? false,
      allowedImages: list(env.DOM_ALLOWED_IMAGES),
      allowedNetworkDrivers: list(env.DOM_ALLOWED_NETWORK_DRIVERS).map((d) =>
        d
          .trim()
          .toLowerCase()
          .replace(/:latest$/, ''),
      ),
      allowedNetworkOptions: list(env.DOM_ALLOWED_NETWORK_OPTIONS).map((k) => k.trim().toLowerCase()),
      allowedVolumeDrivers: list(env.DOM_ALLOWED_VOLUME_DRIVERS).map((d) => d.toLowerCase().replace(/:latest$/, '')),
      allowedVolumeTypes: list(env.DOM_ALLOWED_VOLUME_TYPES).map((t) => t.toLowerCase()),
      allowedSysctls: list(env.DOM_ALLOWED_SYSCTLS).map((k) => k.replace(/\//g, '.').toLowerCase()),
      allowCgroupParent: bool(env.DOM_ALLOW_CGROUP_PARENT) ?? false,
      maxContainersPerStack: positiveInt(env.DOM_MAX_STACK_CONTAINERS, 'DOM_MAX_STACK_CONTAINERS', 100),
      allowedRuntimes: list(env.DOM_ALLOWED_RUNTIMES).map((r) => r.toLowerCase()),
      allowedLogDrivers: list(env.DOM_ALLOWED_LOG_DRIVERS).map((d) => d.toLowerCase()),
      ...(env.DOM_DEFAULT_MEMORY ? { defaultMemory: env.DOM_DEFAULT_MEMORY } : {}),
      ...(env.DOM_DEFAULT_CPUS ? { defaultCpus: env.DOM_DEFAULT_CPUS } : {}),
    },
  };
}

function engineSpecs(env: Env, docker: DockerConfig): EngineSpec[] {
  try {
    return parseEngines(env, docker);
  } catch (err) {
    throw err instanceof EngineSettingsError ? new ConfigError(err.message) : err;
  }
}

function defaultHistoryPath(env: Env): string {
  return join(
    env.XDG_DATA_HOME || join(env.HOME ?? homedir(), '.local', 'share'),
    'docker-orchestration-mcp',
    'history.db',
  );
}

export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;
export const DEFAULT_MAX_BUILD_CONTEXT_BYTES = 200 * 1024 * 1024;

function filesConfig(env: Env, flagRoots: string[] | undefined, protectedPaths: string[]): FilesConfig {
  const given = flagRoots?.length ? flagRoots : list(env.DOM_FILE_ROOTS);
  const cwd = process.cwd();
  // A server started from "/" (as some desktop clients do) would otherwise read the whole machine.
  const roots = given.length ? given.map((r) => resolve(cwd, expandHome(r, env))) : cwd === '/' ? [] : [cwd];
  return {
    roots,
    maxBytes: positiveInt(env.DOM_MAX_FILE_BYTES, 'DOM_MAX_FILE_BYTES', DEFAULT_MAX_FILE_BYTES),
    readTimeoutMs: positiveInt(env.DOM_FILE_READ_TIMEOUT_MS, 'DOM_FILE_READ_TIMEOUT_MS', 5000),
    protectedPaths,
    maxBuildContextBytes: positiveInt(
      env.DOM_MAX_BUILD_CONTEXT_BYTES,
      'DOM_MAX_BUILD_CONTEXT_BYTES',
      DEFAULT_MAX_BUILD_CONTEXT_BYTES,
    ),
  };
}

function httpToken(env: Env, tokenFile: string | undefined, home: (path: string) => string): { httpToken?: string } {
  const given = tokenFile ?? env.DOM_HTTP_TOKEN_FILE;
  const file = given ? home(given) : undefined;
  if (file) {
    try {
      return { httpToken: readFileSync(file, 'utf8').trim() };
    } catch (err) {
      throw new ConfigError(`cannot read the HTTP token file ${file}: ${(err as Error).message}`);
    }
  }
  return env.DOM_HTTP_TOKEN ? { httpToken: env.DOM_HTTP_TOKEN } : {};
}

function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  return wholeNumber(raw, name, fallback, 1);
}

/**
 * A numeric setting: digits only (no sign, decimals, exponent or hex), within [min, max];
 * absent or empty means `fallback`. Anything else is a start-up error naming the setting.
 */
export function wholeNumber(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (raw === undefined || raw === '') return fallback;
  const text = raw.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be a whole number ${range}, not "${raw}"`);
  }
  return n;
}

function parseRegistryAuth(raw: string | undefined): Record<string, RegistryCredential> {
  if (!raw) return {};
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    throw new ConfigError(
      'DOM_REGISTRY_AUTH must be JSON: {"registry.example:5000": {"username": "...", "password": "..."}}',
    );
  }
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new ConfigError('DOM_REGISTRY_AUTH must be a JSON object keyed by registry host');
  return v as Record<string, RegistryCredential>;
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
