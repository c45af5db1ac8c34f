import { z } from 'zod';
import { ConfigError } from './error.js';

/**
 * Every setting of the server, declared once: its environment variable, its flag (if any), the
 * zod schema that parses and bounds its text, its default, and the words the README and the
 * start-up errors use. `parseSettings` turns the environment and the CLI flags into one typed
 * object; src/config.ts shapes that into the Config the rest of the server receives; the README's
 * configuration table is generated from this list (src/config/reference.ts, `npm run docs`).
 */

/** README sections, in order. */
export const GROUPS = {
  server: { title: 'Server', intro: '' },
  http: { title: 'Streamable HTTP transport', intro: 'Used with `--transport http` (see *Streamable HTTP* above).' },
  docker: {
    title: 'Docker Engine',
    intro: 'How the server reaches the Engine and registries (the Docker CLI reads the same variables).',
  },
  files: { title: 'Files and Compose', intro: 'See *Files the server reads* and *Application stacks*.' },
  selfHeal: { title: 'Self-healing', intro: '' },
  policy: {
    title: 'Container policy',
    intro:
      'Checked before anything is created, for `deploy_container` and stacks alike; every refusal is a `denied` error naming the rule and the setting that allows it.',
  },
} as const;
export type Group = keyof typeof GROUPS;

/** Which subcommands take the flag: every one (`serve`, `tools`, `call`) or only `serve`. */
export type FlagScope = 'all' | 'serve';

/** The raw text of a setting: an environment value, a flag value, or a repeated flag's values. */
export type RawValue = string | string[];

export interface SettingSpec<S extends z.ZodType = z.ZodType> {
  /** Environment variable; absent for the few flag-only choices. */
  env?: string;
  /** Long flag, e.g. `--max-body`; absent for environment-only settings. */
  flag?: string;
  /** Placeholder of the flag's value (`<bytes>`); absent for a switch. */
  arg?: string;
  /** The flag may be given several times (its values form the list). */
  repeatable?: boolean;
  /** Subcommands that take the flag (default all). */
  commands?: FlagScope;
  /** Unit named in errors (`milliseconds`, `bytes`). */
  unit?: string;
  /** Parses the setting's text (undefined when unset) into its value, applying the default. */
  schema: S;
  /** What a valid value looks like, for errors and the README ("a whole number from 1 to 65535"). */
  expected: string;
  /** The default as the README shows it. */
  shownDefault: string;
  /** One line for the README and `--help`. */
  description: string;
  /** An example value for the README (env form). */
  example?: string;
  group: Group;
  /** The value never appears in an error. */
  secret?: boolean;
}

/**
 * Marks a custom issue whose message reads after the setting's name ("DOCKER_HOST scheme ... is
 * not supported"), or on its own when it spans settings; other issues get "must be <expected>".
 */
const AFTER_LABEL = { afterLabel: true } as const;
const WHOLE_SENTENCE = { wholeSentence: true } as const;

// ---------------------------------------------------------------------------------------------
// Kinds of value: each returns the schema and the words that describe it.

/** On/off: 1/0, true/false, yes/no, on/off (any case); a switch flag gives true. */
function onOff() {
  return { schema: z.stringbool().default(false), expected: '1 or 0 (or true/false, yes/no, on/off)' };
}

/** Digits only (no sign, decimals, exponent or hex), within [min, max]. */
function whole(min: number, fallback: number, max = Number.MAX_SAFE_INTEGER) {
  return {
    schema: z.string().trim().regex(/^\d+$/).transform(Number).pipe(z.int().min(min).max(max)).default(fallback),
    expected: `a whole number ${max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`}`,
  };
}

function oneOf<const T extends readonly [string, ...string[]]>(values: T, fallback: T[number]) {
  return {
    schema: z.string().trim().pipe(z.enum(values)).default(fallback),
    expected: `one of ${values.join(', ')}`,
  };
}

/** Free text; `undefined` when unset. */
function text(expected = 'a non-empty text') {
  return { schema: z.string().min(1).optional(), expected };
}

/** A comma-separated list (or a repeated flag's values), items trimmed, empty items dropped. */
function list(expected = 'a comma-separated list') {
  return {
    schema: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
      .default([]),
    expected,
  };
}

const KIB = 1024;
const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: KIB,
  kb: KIB,
  m: KIB ** 2,
  mb: KIB ** 2,
  g: KIB ** 3,
  gb: KIB ** 3,
};

/** A memory size as Docker writes it ("512m", "1g"), at least 4 MiB; kept as written. */
function memorySize() {
  return {
    schema: z
      .string()
      .trim()
      .refine((s) => {
        const m = /^(\d+(?:\.\d+)?)\s*([kmg]?b?)$/i.exec(s);
        return !!m && Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toLowerCase()] ?? NaN) >= 4 * 1024 ** 2;
      })
      .optional(),
    expected: 'a size like 512m or 1g, at least 4m',
  };
}

/** A number of CPUs above 0 and at most 1024 ("0.5", "2"); kept as written. */
function cpuCount() {
  return {
    schema: z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/)
      .refine((s) => Number(s) > 0 && Number(s) <= 1024)
      .optional(),
    expected: 'a number of CPUs above 0, at most 1024, like 0.5',
  };
}

/** DOCKER_HOST: a URL with a scheme the connection layer speaks (src/docker/connection.ts). */
function engineAddress() {
  const use = 'use unix:///var/run/docker.sock, tcp://HOST:2375, ssh://USER@HOST or npipe://';
  return {
    schema: z
      .string()
      .trim()
      .superRefine((s, ctx) => {
        let protocol: string;
        try {
          protocol = new URL(s).protocol;
        } catch {
          ctx.addIssue({ code: 'custom', message: `${JSON.stringify(s)} is not a URL; ${use}`, params: AFTER_LABEL });
          return;
        }
        if (!['unix:', 'npipe:', 'tcp:', 'http:', 'https:', 'ssh:'].includes(protocol))
          ctx.addIssue({
            code: 'custom',
            message: `scheme ${JSON.stringify(protocol)} is not supported; use unix://, tcp://, ssh:// or npipe://`,
            params: AFTER_LABEL,
          });
      })
      .optional(),
    expected: 'a URL: unix:///var/run/docker.sock, tcp://HOST:2375, ssh://USER@HOST or npipe://',
  };
}

const registryCredential = z.strictObject({
  username: z.string().optional(),
  password: z.string().optional(),
  identitytoken: z.string().optional(),
});
export type RegistryCredential = z.infer<typeof registryCredential>;

/** DOM_REGISTRY_AUTH: JSON object keyed by registry host. */
function registryAuth() {
  return {
    schema: z
      .string()
      .transform((s, ctx) => {
        try {
          return JSON.parse(s) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'not JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.record(z.string().min(1), registryCredential))
      .default({}),
    expected:
      'a JSON object keyed by registry host: {"registry.example:5000": {"username": "...", "password": "..."}} (or "identitytoken")',
  };
}

function setting<S extends z.ZodType>(spec: SettingSpec<S>): SettingSpec<S> {
  return spec;
}

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
    description: 'toolsets to offer: containers, images, networks, volumes, stacks, operations, or `all`',
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
  allowHostNetwork: setting({
    ...onOff(),
    env: 'DOM_ALLOW_HOST_NETWORK',
    group: 'policy',
    shownDefault: 'off',
    description: 'allow the `host` network',
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

/** Environment variables as the process has them. */
export type Env = Record<string, string | undefined>;

/** Values commander parsed, keyed by the flag's camel-case name (`--max-body` -> `maxBody`). */
export type ConfigFlags = Record<string, string | boolean | string[] | undefined>;

/** `--max-body` -> `maxBody`, the key commander stores the value under. */
export function flagKey(flag: string): string {
  return flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

interface Source {
  raw: RawValue;
  from: 'flag' | 'env';
}

/** Where each setting's text comes from: its flag wins over its variable; empty counts as unset. */
function rawSources(env: Env, flags: ConfigFlags): Partial<Record<SettingName, Source>> {
  const out: Partial<Record<SettingName, Source>> = {};
  for (const [name, spec] of Object.entries(SETTINGS) as [SettingName, SettingSpec][]) {
    const flagValue = spec.flag ? flags[flagKey(spec.flag)] : undefined;
    const fromFlag = typeof flagValue === 'boolean' ? String(flagValue) : flagValue;
    if (fromFlag !== undefined && fromFlag !== '' && !(Array.isArray(fromFlag) && fromFlag.length === 0)) {
      out[name] = { raw: fromFlag, from: 'flag' };
      continue;
    }
    const fromEnv = spec.env ? env[spec.env] : undefined;
    if (fromEnv !== undefined && fromEnv !== '') out[name] = { raw: fromEnv, from: 'env' };
  }
  return out;
}

/** How an error names a setting: what the user wrote first, then the other spelling and unit. */
export function settingLabel(spec: SettingSpec, from: 'flag' | 'env' = spec.flag ? 'flag' : 'env'): string {
  const [first, other] = from === 'flag' ? [spec.flag, spec.env] : [spec.env, spec.flag];
  const aside = [other, spec.unit].filter(Boolean).join(', ');
  return `${first ?? other}${aside && first ? ` (${aside})` : ''}`;
}

/**
 * Parses the environment and the flags against the schema. A bad value is a ConfigError (the CLI
 * exits 2) that names each bad setting, the form it expects and, unless secret, what it got.
 */
export function parseSettings(env: Env, flags: ConfigFlags = {}): Settings {
  const sources = rawSources(env, flags);
  const raw = Object.fromEntries(Object.entries(sources).map(([k, s]) => [k, s.raw]));
  const result = SettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const lines = new Set<string>();
  for (const issue of result.error.issues) {
    const name = issue.path[0] as SettingName;
    const spec: SettingSpec = SETTINGS[name];
    const source = sources[name];
    if (issue.code === 'custom' && issue.params?.wholeSentence) {
      lines.add(issue.message);
      continue;
    }
    if (issue.code === 'custom' && issue.params?.afterLabel) {
      lines.add(`${settingLabel(spec, source?.from)} ${issue.message}`);
      continue;
    }
    const got = source && !spec.secret ? `, not ${JSON.stringify(source.raw)}` : '';
    lines.add(`${settingLabel(spec, source?.from)} must be ${spec.expected}${got}`);
  }
  throw new ConfigError([...lines].join('\n'));
}
