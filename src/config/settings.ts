import { z } from 'zod';
import {
  cpuCount,
  engineAddress,
  list,
  memorySize,
  onOff,
  oneOf,
  registryAuth,
  setting,
  text,
  whole,
  WHOLE_SENTENCE,
} from './spec.js';

/**
 * Every setting of the server, declared once: its environment variable, its flag (if any), the
 * zod schema that parses and bounds its text, its default, and the words the README and the
 * start-up errors use. `parseSettings` turns the environment and the CLI flags into one typed
 * object; src/config.ts shapes that into the Config the rest of the server receives; the README's
 * configuration table is generated from this list (src/config/reference.ts, `npm run docs`).
 * `parseSettings` is in src/config/parse.ts, the kinds of value in src/config/spec.ts.
 */

// ---------------------------------------------------------------------------------------------
// The settings. Order here is the order of the README table within each group.

const MS = 'milliseconds';

export const SETTINGS = {
  // -- server
  readOnly: setting({
    ...onOff(),
    env: 'DOM_READ_ONLY',
    flag: '--read-only',
    group: 'server',
    shownDefault: 'off',
    description: 'only tools of kind `read` are offered',
  }),
  toolsets: setting({
    ...list('a comma-separated list of toolsets, or all'),
    env: 'DOM_TOOLSETS',
    flag: '--toolsets',
    arg: '<list>',
    group: 'server',
    shownDefault: 'containers,stacks,operations',
    example: 'containers,images',
    description: 'toolsets to offer: containers, images, networks, volumes, stacks, operations, swarm, or `all`',
  }),
  disableDestructive: setting({
    ...onOff(),
    env: 'DOM_DISABLE_DESTRUCTIVE',
    flag: '--disable-destructive',
    group: 'server',
    shownDefault: 'off',
    description: 'destructive tools are not offered at all',
  }),
  scope: setting({
    ...oneOf(['managed', 'all'], 'managed'),
    env: 'DOM_SCOPE',
    flag: '--scope',
    arg: '<scope>',
    group: 'server',
    shownDefault: 'managed',
    description: 'objects mutating tools may touch: `managed` (labelled by this server) or `all`',
  }),
  confirmArgument: setting({
    ...oneOf(['fallback', 'always', 'never'], 'fallback'),
    env: 'DOM_CONFIRM_ARGUMENT',
    flag: '--confirm-argument',
    arg: '<mode>',
    group: 'server',
    shownDefault: 'fallback',
    description:
      'which `confirm: true` counts: `fallback` (only from clients that cannot ask their user), `always`, `never` (only an elicited answer)',
  }),
  engineTimeoutMs: setting({
    ...whole(100, 30_000, 3_600_000),
    env: 'DOM_ENGINE_TIMEOUT_MS',
    flag: '--engine-timeout',
    arg: '<ms>',
    unit: MS,
    group: 'server',
    shownDefault: '30000',
    description: 'deadline for one Engine call in milliseconds (pulls and waits have their own, longer ones)',
  }),
  logLevel: setting({
    ...oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    env: 'DOM_LOG_LEVEL',
    flag: '--log-level',
    arg: '<level>',
    group: 'server',
    shownDefault: 'info',
    description: 'level of the JSON logs on stderr',
  }),
  historyPath: setting({
    ...text('a file path, or :memory:'),
    env: 'DOM_HISTORY_PATH',
    flag: '--history-path',
    arg: '<file>',
    group: 'server',
    shownDefault: '`$XDG_DATA_HOME/docker-orchestration-mcp/history.db` (`~/.local/share/...`)',
    description: 'SQLite file of the deployment history; `:memory:` keeps none',
  }),
  instance: setting({
    schema: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/)
      .default('default'),
    expected: 'letters, digits, ".", "_" and "-" (at most 128)',
    env: 'DOM_INSTANCE',
    group: 'server',
    shownDefault: 'default',
    description: 'written into the instance label of what this server creates',
  }),

  // -- HTTP
  transport: setting({
    ...oneOf(['stdio', 'http'], 'stdio'),
    flag: '--transport',
    arg: '<transport>',
    commands: 'serve',
    group: 'http',
    shownDefault: 'stdio',
    description: '`stdio`, or `http` (Streamable HTTP at `/mcp`)',
  }),
  httpHost: setting({
    ...text('a host name or IP address'),
    env: 'DOM_HTTP_HOST',
    flag: '--host',
    arg: '<host>',
    commands: 'serve',
    group: 'http',
    shownDefault: '127.0.0.1',
    description: 'bind address; any other than loopback exposes the server beyond this machine',
  }),
  httpPort: setting({
    ...whole(0, 8808, 65535),
    env: 'DOM_HTTP_PORT',
    flag: '--port',
    arg: '<port>',
    commands: 'serve',
    group: 'http',
    shownDefault: '8808',
    description: 'port; 0 picks a free one',
  }),
  httpToken: setting({
    schema: z.string().trim().min(16).optional(),
    expected: 'a token of at least 16 characters',
    env: 'DOM_HTTP_TOKEN',
    group: 'http',
    secret: true,
    shownDefault: 'none',
    description: 'bearer token every request to `/mcp` must carry (at least 16 characters)',
  }),
  httpTokenFile: setting({
    ...text('a file path'),
    env: 'DOM_HTTP_TOKEN_FILE',
    flag: '--token-file',
    arg: '<file>',
    commands: 'serve',
    group: 'http',
    shownDefault: 'none',
    description: 'file holding the bearer token (wins over `DOM_HTTP_TOKEN`)',
  }),
  httpAllowedHosts: setting({
    ...list('a comma-separated list of host names'),
    env: 'DOM_HTTP_ALLOWED_HOSTS',
    flag: '--allowed-hosts',
    arg: '<list>',
    commands: 'serve',
    group: 'http',
    shownDefault: 'none',
    description: 'extra `Host` header names accepted (besides localhost and the bind address)',
  }),
  httpAllowedOrigins: setting({
    ...list('a comma-separated list of host names'),
    env: 'DOM_HTTP_ALLOWED_ORIGINS',
    flag: '--allowed-origins',
    arg: '<list>',
    commands: 'serve',
    group: 'http',
    shownDefault: 'none',
    description: 'extra `Origin` host names accepted (besides localhost)',
  }),
  httpMaxBodyBytes: setting({
    ...whole(1, 4 * 1024 * 1024, 1024 * 1024 * 1024),
    env: 'DOM_HTTP_MAX_BODY',
    flag: '--max-body',
    arg: '<bytes>',
    unit: 'bytes',
    commands: 'serve',
    group: 'http',
    shownDefault: '4194304 (4 MiB)',
    description: 'largest request body, counted as it arrives',
  }),
  httpMaxConcurrent: setting({
    ...whole(1, 32, 10_000),
    env: 'DOM_HTTP_MAX_CONCURRENT',
    flag: '--max-concurrent',
    arg: '<n>',
    commands: 'serve',
    group: 'http',
    shownDefault: '32',
    description: 'most JSON-RPC messages served at once; each message of a batch counts',
  }),
  httpHeadersTimeoutMs: setting({
    ...whole(100, 10_000, 600_000),
    env: 'DOM_HTTP_HEADERS_TIMEOUT_MS',
    flag: '--headers-timeout',
    arg: '<ms>',
    unit: MS,
    commands: 'serve',
    group: 'http',
    shownDefault: '10000',
    description: 'time allowed to receive request headers (at most the request timeout)',
  }),
  httpBodyTimeoutMs: setting({
    ...whole(100, 10_000, 600_000),
    env: 'DOM_HTTP_BODY_TIMEOUT_MS',
    flag: '--body-timeout',
    arg: '<ms>',
    unit: MS,
    commands: 'serve',
    group: 'http',
    shownDefault: '10000',
    description: 'time allowed to receive a request body after its headers',
  }),
  httpRequestTimeoutMs: setting({
    ...whole(100, 30_000, 3_600_000),
    env: 'DOM_HTTP_REQUEST_TIMEOUT_MS',
    flag: '--request-timeout',
    arg: '<ms>',
    unit: MS,
    commands: 'serve',
    group: 'http',
    shownDefault: '30000',
    description: 'time allowed to receive a whole request; answers may take longer',
  }),

  // -- Docker Engine (one connection today; named Engines would add a list beside it)
  dockerHost: setting({
    ...engineAddress(),
    env: 'DOCKER_HOST',
    group: 'docker',
    shownDefault: 'the local socket',
    description:
      '`unix:///path`, `tcp://host:2375`, `tcp://host:2376` with `DOCKER_TLS_VERIFY` and `DOCKER_CERT_PATH`, `ssh://user@host`',
  }),
  dockerTlsVerify: setting({
    ...onOff(),
    env: 'DOCKER_TLS_VERIFY',
    group: 'docker',
    shownDefault: 'off',
    description: 'use TLS with client certificates for a `tcp://` host',
  }),
  dockerCertPath: setting({
    ...text('a folder path'),
    env: 'DOCKER_CERT_PATH',
    group: 'docker',
    shownDefault: '`~/.docker` when TLS is on',
    description: 'folder of `ca.pem`, `cert.pem`, `key.pem`',
  }),
  engines: setting({
    ...text('name=url,name2=url2'),
    env: 'DOM_ENGINES',
    group: 'docker',
    shownDefault: 'one Engine, `default`, from `DOCKER_HOST`',
    description:
      'several named Engines (`unix://`, `tcp://`/`https://`, `ssh://`); the first is the default and every tool takes `engine`; per-Engine TLS: `DOM_ENGINE_<NAME>_TLS_VERIFY`, `DOM_ENGINE_<NAME>_CERT_PATH`',
  }),
  dockerConfig: setting({
    ...text('a folder path'),
    env: 'DOCKER_CONFIG',
    group: 'docker',
    shownDefault: '`~/.docker`',
    description: 'where registry credentials (`config.json` auths) are read',
  }),
  registryAuth: setting({
    ...registryAuth(),
    env: 'DOM_REGISTRY_AUTH',
    group: 'docker',
    secret: true,
    shownDefault: 'none',
    description: 'registry credentials by registry host; never shown to the model',
  }),

  // -- files and Compose
  fileRoots: setting({
    ...list('a comma-separated list of folders'),
    env: 'DOM_FILE_ROOTS',
    flag: '--file-root',
    arg: '<dir>',
    repeatable: true,
    group: 'files',
    shownDefault: 'the working directory (none when it is `/`)',
    example: '/srv/stacks,/opt/app',
    description: 'folders Compose `file`s, their `.env` and `env_file`s may be read from (the flag is repeatable)',
  }),
  maxFileBytes: setting({
    ...whole(1, 1024 * 1024),
    env: 'DOM_MAX_FILE_BYTES',
    unit: 'bytes',
    group: 'files',
    shownDefault: '1048576 (1 MiB)',
    description: 'largest file read for a tool, and largest inline `compose` text',
  }),
  fileReadTimeoutMs: setting({
    ...whole(1, 5000),
    env: 'DOM_FILE_READ_TIMEOUT_MS',
    unit: MS,
    group: 'files',
    shownDefault: '5000',
    description: 'deadline for reading one such file',
  }),
  maxBuildContextBytes: setting({
    ...whole(1, 200 * 1024 * 1024),
    env: 'DOM_MAX_BUILD_CONTEXT_BYTES',
    unit: 'bytes',
    group: 'files',
    shownDefault: '209715200 (200 MiB)',
    description: "largest build context (file content after `.dockerignore`) sent for a stack service's `build`",
  }),
  stackTarget: setting({
    ...oneOf(['engine', 'swarm'], 'engine'),
    env: 'DOM_STACK_TARGET',
    group: 'files',
    shownDefault: 'engine',
    description:
      'where deploy_application_stack puts a stack when the call does not say (`target`): `engine` (containers, as Compose) or `swarm` (services on a Swarm manager, as `docker stack deploy`)',
  }),
  composeEnvFromServer: setting({
    ...onOff(),
    env: 'DOM_COMPOSE_ENV_FROM_SERVER',
    group: 'files',
    shownDefault: 'off',
    description:
      "the server's own environment (as it was at start) is an interpolation source for Compose files, below `env` and `.env`",
  }),

  // -- self-healing
  selfHeal: setting({
    ...onOff(),
    env: 'DOM_SELF_HEAL',
    flag: '--self-heal',
    commands: 'serve',
    group: 'selfHeal',
    shownDefault: 'off',
    description: 'run the self-healing watcher: restart managed containers that die or turn unhealthy',
  }),
  selfHealMaxRestarts: setting({
    ...whole(1, 3),
    env: 'DOM_SELF_HEAL_MAX_RESTARTS',
    group: 'selfHeal',
    shownDefault: '3',
    description: 'restarts per container within the window before it is reported as crash-looping',
  }),
  selfHealWindowMs: setting({
    ...whole(1, 10 * 60_000),
    env: 'DOM_SELF_HEAL_WINDOW_MS',
    unit: MS,
    group: 'selfHeal',
    shownDefault: '600000',
    description: 'the window restarts are counted in',
  }),
  selfHealBackoffMs: setting({
    ...whole(1, 1000),
    env: 'DOM_SELF_HEAL_BACKOFF_MS',
    unit: MS,
    group: 'selfHeal',
    shownDefault: '1000',
    description: 'first delay before a restart; doubles with every restart inside the window',
  }),

  // -- container policy
  allowSensitiveMounts: setting({
    ...onOff(),
    env: 'DOM_ALLOW_SENSITIVE_MOUNTS',
    group: 'policy',
    shownDefault: 'off',
    description:
      'allow bind mounts (and bind volumes) of sensitive host trees, the Engine socket or a folder above it (see *Security model*)',
  }),
  allowOverlappingBinds: setting({
    ...onOff(),
    env: 'DOM_ALLOW_OVERLAPPING_BINDS',
    group: 'policy',
    shownDefault: 'off',
    description:
      "allow a bind source inside (or a writable one containing) another container's bind source (see *Security model*)",
  }),
  allowedBindRoots: setting({
    ...list('a comma-separated list of folders'),
    env: 'DOM_ALLOWED_BIND_ROOTS',
    group: 'policy',
    shownDefault: 'any',
    example: '/srv,/data',
    description: 'bind mounts must lie under one of these folders (symlinks and `..` resolved)',
  }),
  allowRemoteBinds: setting({
    ...onOff(),
    env: 'DOM_ALLOW_REMOTE_BINDS',
    group: 'policy',
    shownDefault: 'off',
    description:
      'allow binds (and local volumes with bind options) on an Engine other than the local one, or on a Swarm: their paths cannot be judged from here (see *Security model*)',
  }),
  allowHostNetwork: setting({
    ...onOff(),
    env: 'DOM_ALLOW_HOST_NETWORK',
    group: 'policy',
    shownDefault: 'off',
    description: 'allow the `host` network',
  }),
  allowRemoteBuildContexts: setting({
    ...onOff(),
    env: 'DOM_ALLOW_REMOTE_BUILD_CONTEXTS',
    group: 'policy',
    shownDefault: 'off',
    description:
      'allow builds the Engine fetches over the network from the host: a remote (Git/HTTP) `build.context`, and a Dockerfile `ADD` of a URL (see *Security model*)',
  }),
  allowPrivileged: setting({
    ...onOff(),
    env: 'DOM_ALLOW_PRIVILEGED',
    group: 'policy',
    shownDefault: 'off',
    description: 'allow `privileged: true`',
  }),
  allowHostNamespaces: setting({
    ...onOff(),
    env: 'DOM_ALLOW_HOST_NAMESPACES',
    group: 'policy',
    shownDefault: 'off',
    description: 'allow `pid`/`ipc`/`uts`/`cgroupns` set to `host`, and `userns_mode: host` (user namespaces off)',
  }),
  allowedCapabilities: setting({
    ...list('a comma-separated list of capabilities'),
    env: 'DOM_ALLOWED_CAPABILITIES',
    group: 'policy',
    shownDefault: 'none',
    example: 'NET_ADMIN,SYS_PTRACE',
    description: "capabilities `cap_add` may grant beyond Docker's default set (adding a default one is always fine)",
  }),
  allowDevices: setting({
    ...onOff(),
    env: 'DOM_ALLOW_DEVICES',
    group: 'policy',
    shownDefault: 'off',
    description: 'allow host `devices`',
  }),
  allowUnconfined: setting({
    ...onOff(),
    env: 'DOM_ALLOW_UNCONFINED',
    group: 'policy',
    shownDefault: 'off',
    description:
      'allow `security_opt` `seccomp=unconfined`, `apparmor=unconfined`, `systempaths=unconfined`, `label=disable`, and custom seccomp/AppArmor profiles and SELinux labels',
  }),
  allowedVolumeTypes: setting({
    ...list('a comma-separated list of filesystem types'),
    env: 'DOM_ALLOWED_VOLUME_TYPES',
    group: 'policy',
    shownDefault: 'none',
    example: 'nfs,cifs',
    description: 'local-driver volume filesystem types beyond `tmpfs` and binds',
  }),
  allowedNetworkDrivers: setting({
    ...list('a comma-separated list of network drivers'),
    env: 'DOM_ALLOWED_NETWORK_DRIVERS',
    group: 'policy',
    shownDefault: 'none',
    example: 'macvlan',
    description: 'network drivers beyond `bridge` and `overlay` (their options are then not judged)',
  }),
  allowedNetworkOptions: setting({
    ...list('a comma-separated list of driver option names'),
    env: 'DOM_ALLOWED_NETWORK_OPTIONS',
    group: 'policy',
    shownDefault: 'none',
    example: 'key',
    description: 'bridge/overlay driver options beyond the harmless ones',
  }),
  allowedVolumeDrivers: setting({
    ...list('a comma-separated list of volume drivers'),
    env: 'DOM_ALLOWED_VOLUME_DRIVERS',
    group: 'policy',
    shownDefault: 'none',
    example: 'name',
    description: 'volume drivers (plugins) beyond `local`',
  }),
  protectedPaths: setting({
    ...list('a comma-separated list of paths'),
    env: 'DOM_PROTECTED_PATHS',
    group: 'policy',
    shownDefault: 'none',
    example: '/srv/secrets',
    description: 'more host paths no bind (or bind volume) may reach, contain or alias',
  }),
  allowedSysctls: setting({
    ...list('a comma-separated list of sysctl names or prefixes ending in *'),
    env: 'DOM_ALLOWED_SYSCTLS',
    group: 'policy',
    shownDefault: 'none',
    example: 'vm.*',
    description: 'sysctls beyond the per-container ones (names, or prefixes ending in `*`)',
  }),
  allowCgroupParent: setting({
    ...onOff(),
    env: 'DOM_ALLOW_CGROUP_PARENT',
    group: 'policy',
    shownDefault: 'off',
    description: 'allow `cgroup_parent`',
  }),
  allowedRuntimes: setting({
    ...list('a comma-separated list of runtimes'),
    env: 'DOM_ALLOWED_RUNTIMES',
    group: 'policy',
    shownDefault: 'none',
    example: 'runsc',
    description: "container runtimes beyond `runc` (and the Engine's default, when none is named)",
  }),
  allowedLogDrivers: setting({
    ...list('a comma-separated list of logging drivers'),
    env: 'DOM_ALLOWED_LOG_DRIVERS',
    group: 'policy',
    shownDefault: 'none',
    example: 'syslog,gelf',
    description:
      "logging drivers beyond `json-file`, `local` and `none` (the others send output off the Engine's own files)",
  }),
  allowedImages: setting({
    ...list('a comma-separated list of image globs'),
    env: 'DOM_ALLOWED_IMAGES',
    group: 'policy',
    shownDefault: 'any',
    example: 'nginx:*,registry:5000/*',
    description: 'image references must match one of these globs',
  }),
  defaultMemory: setting({
    ...memorySize(),
    env: 'DOM_DEFAULT_MEMORY',
    group: 'policy',
    shownDefault: 'none',
    example: '512m',
    description: 'memory limit applied to containers created without their own',
  }),
  defaultCpus: setting({
    ...cpuCount(),
    env: 'DOM_DEFAULT_CPUS',
    group: 'policy',
    shownDefault: 'none',
    example: '1',
    description: 'CPU limit applied to containers created without their own',
  }),
  maxContainersPerStack: setting({
    ...whole(1, 100),
    env: 'DOM_MAX_STACK_CONTAINERS',
    group: 'policy',
    shownDefault: '100',
    description: 'the most containers one stack may run (services x replicas)',
  }),
};

export type SettingName = keyof typeof SETTINGS;

type Shape = { [K in SettingName]: (typeof SETTINGS)[K]['schema'] };

const shape = Object.fromEntries(Object.entries(SETTINGS).map(([k, s]) => [k, s.schema])) as Shape;

/** The one schema: raw texts by setting name in, typed settings out (with the checks that span settings). */
export const SettingsSchema = z.strictObject(shape).superRefine((s, ctx) => {
  if (s.httpHeadersTimeoutMs > s.httpRequestTimeoutMs)
    ctx.addIssue({
      code: 'custom',
      path: ['httpHeadersTimeoutMs'],
      params: WHOLE_SENTENCE,
      message: `--headers-timeout (${s.httpHeadersTimeoutMs} ms) must not be longer than --request-timeout (${s.httpRequestTimeoutMs} ms)`,
    });
});

export type Settings = z.output<typeof SettingsSchema>;
