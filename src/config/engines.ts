import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';

/**
 * Several Engines from one server (issue 16): which Engines the configuration names, read from
 * the environment. Pure: reads only the `env` it is given.
 *
 *   DOM_ENGINES=local=unix:///var/run/docker.sock,build=tcp://10.0.0.5:2376,edge=ssh://ops@edge
 *
 * The first is the default (what a tool acts on without an `engine` argument). TLS is set per
 * Engine: DOM_ENGINE_<NAME>_TLS_VERIFY=1 and DOM_ENGINE_<NAME>_CERT_PATH=folder with ca.pem,
 * cert.pem and key.pem (<NAME> upper-cased, every character other than A-Z and 0-9 as "_");
 * an `https://` URL means TLS too. Without DOM_ENGINES there is one Engine, "default", from
 * DOCKER_HOST, DOCKER_TLS_VERIFY and DOCKER_CERT_PATH as before.
 */

export interface DockerConfig {
  /** DOCKER_HOST as given (unix://, tcp://, ssh://, npipe://), undefined for the local socket. */
  host?: string;
  tlsVerify: boolean;
  certPath?: string;
  /** SSH_AUTH_SOCK: the ssh agent an `ssh://` Engine authenticates with. */
  sshAgent?: string;
}

export interface EngineSpec {
  /** Lower-case name the `engine` argument uses. */
  name: string;
  docker: DockerConfig;
}

/** The name of the one Engine when DOM_ENGINES is not set. */
export const DEFAULT_ENGINE_NAME = 'default';

/** A bad DOM_ENGINES (or per-Engine TLS) setting; src/config.ts reports it as a ConfigError. */
export class EngineSettingsError extends Error {}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,39}$/;
const SCHEMES = new Set(['unix:', 'tcp:', 'http:', 'https:', 'ssh:', 'npipe:']);

type Env = Record<string, string | undefined>;

function bool(v: string | undefined): boolean | undefined {
  if (v === undefined || v === '') return undefined;
  return /^(1|true|yes|on)$/i.test(v.trim());
}

/** The environment prefix of one Engine's own settings: "build-2" -> DOM_ENGINE_BUILD_2_. */
export function engineEnvPrefix(name: string): string {
  return `DOM_ENGINE_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_`;
}

function expandHome(path: string, env: Env): string {
  if (path === '~') return env.HOME || homedir();
  return path.startsWith('~/') ? join(env.HOME || homedir(), path.slice(2)) : path;
}

/** Reads the configured Engines; `fallback` (from DOCKER_HOST) is the one Engine when DOM_ENGINES is unset. */
export function parseEngines(env: Env, fallback: DockerConfig): EngineSpec[] {
  const raw = (env.DOM_ENGINES ?? '').trim();
  if (!raw) return [{ name: DEFAULT_ENGINE_NAME, docker: fallback }];
  const specs: EngineSpec[] = [];
  for (const item of raw.split(',')) {
    const entry = item.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) {
      throw new EngineSettingsError(
        `DOM_ENGINES entry "${entry}" must be name=url (e.g. local=unix:///var/run/docker.sock,remote=tcp://host:2376)`,
      );
    }
    const name = entry.slice(0, eq).trim().toLowerCase();
    const url = entry.slice(eq + 1).trim();
    if (!NAME.test(name)) {
      throw new EngineSettingsError(
        `DOM_ENGINES: Engine name "${entry.slice(0, eq).trim()}" must be 1 to 40 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      );
    }
    if (specs.some((s) => s.name === name)) throw new EngineSettingsError(`DOM_ENGINES names Engine "${name}" twice`);
    specs.push({ name, docker: dockerConfigOf(name, url, env) });
  }
  if (specs.length === 0) throw new EngineSettingsError('DOM_ENGINES is set but names no Engine');
  return specs;
}

function dockerConfigOf(name: string, url: string, env: Env): DockerConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EngineSettingsError(
      `DOM_ENGINES: Engine "${name}" has "${url}", not a URL; use unix:///path/docker.sock, tcp://HOST:2376 or ssh://USER@HOST`,
    );
  }
  if (!SCHEMES.has(parsed.protocol)) {
    throw new EngineSettingsError(
      `DOM_ENGINES: Engine "${name}" uses scheme "${parsed.protocol}"; use unix://, tcp://, https://, ssh:// or npipe://`,
    );
  }
  if (parsed.password) {
    throw new EngineSettingsError(
      `DOM_ENGINES: Engine "${name}" has a password in its URL; use an SSH key (ssh-agent) or TLS client certificates instead`,
    );
  }
  const prefix = engineEnvPrefix(name);
  const tlsVerify = bool(env[`${prefix}TLS_VERIFY`]) ?? false;
  const certSetting = env[`${prefix}CERT_PATH`];
  const docker: DockerConfig = { host: url, tlsVerify };
  if (parsed.protocol === 'ssh:' && env.SSH_AUTH_SOCK) docker.sshAgent = env.SSH_AUTH_SOCK;
  if (certSetting) docker.certPath = expandHome(certSetting, env);
  else if (tlsVerify) {
    throw new EngineSettingsError(
      `${prefix}TLS_VERIFY is set for Engine "${name}" but ${prefix}CERT_PATH (folder with ca.pem, cert.pem, key.pem) is not`,
    );
  }
  return docker;
}

/**
 * Where an Engine is, for people and models: the URL without user, password, query or
 * fragment ("the local socket" when none is configured). Never carries credentials.
 */
export function engineEndpoint(docker: DockerConfig): string {
  if (!docker.host) return 'unix:///var/run/docker.sock';
  try {
    const u = new URL(docker.host);
    if (u.protocol === 'unix:' || u.protocol === 'npipe:') return `${u.protocol}//${u.pathname}`;
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid address)';
  }
}

/**
 * Host paths the container policy protects for every configured Engine: each unix socket, each
 * TLS key folder and the ssh agent of ssh:// Engines (a container given them would hold that Engine).
 */
export function engineProtectedPaths(engines: readonly EngineSpec[]): string[] {
  const out: string[] = [];
  for (const { docker } of engines) {
    if (docker.host?.startsWith('unix://')) {
      const p = posix.normalize(docker.host.slice('unix://'.length));
      if (p.startsWith('/')) out.push(p);
    }
    // The ssh agent an Engine authenticates with holds keys to that Engine's host.
    if (docker.sshAgent) out.push(posix.normalize(docker.sshAgent));
    if (docker.certPath)
      out.push(isAbsolute(docker.certPath) ? posix.normalize(docker.certPath) : resolve(docker.certPath));
  }
  return out;
}

/**
 * Whether an Engine runs on this server's own machine, so host paths (binds, bind volumes) can be
 * judged on this filesystem: only the default Engine (the first configured) when its endpoint is a
 * unix socket (the default socket or DOCKER_HOST=unix://...). Every other Engine, and a default
 * reached over tcp://, https://, ssh:// or npipe://, is remote: its paths are another machine's.
 */
export function isLocalEngine(docker: DockerConfig, isDefault: boolean): boolean {
  if (!isDefault) return false;
  if (!docker.host) return true;
  try {
    return new URL(docker.host).protocol === 'unix:';
  } catch {
    return false;
  }
}
