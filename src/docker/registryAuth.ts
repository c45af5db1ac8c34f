import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config, RegistryCredential } from '../config.js';

/**
 * Registry credentials for pulls, resolved on the server side only: from DOM_REGISTRY_AUTH
 * (config.registryAuth, keyed by registry host) first, then Docker's config.json `auths`
 * (DOCKER_CONFIG or ~/.docker). They never appear in tool arguments, answers or logs and go to
 * the Engine only as the X-Registry-Auth header. Credential helpers (`credsStore`,
 * `credHelpers`) are not run; a config that relies on them is reported by `source`.
 */

/** Docker Hub's canonical name and the key `docker login` writes for it. */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'registry-1.docker.io', 'docker.io'];

/** The payload dockerode sends (base64 JSON) as X-Registry-Auth. */
export interface EngineAuth {
  username?: string;
  password?: string;
  identitytoken?: string;
  serveraddress: string;
}

export type AuthSource = 'environment' | 'docker-config' | 'none';

export interface ResolvedAuth {
  auth?: EngineAuth;
  source: AuthSource;
  /** Why no credentials were used although something was configured (e.g. a credential helper). */
  note?: string;
}

/**
 * The registry host of an image reference, by Docker's rule: the first path component is a
 * registry when it has a dot or a port, or is "localhost"; otherwise the image is on Docker Hub.
 */
export function registryHost(ref: string): string {
  const slash = ref.indexOf('/');
  if (slash < 0) return DOCKER_HUB;
  const first = ref.slice(0, slash);
  if (first.includes('.') || first.includes(':') || first === 'localhost') {
    return first === 'index.docker.io' || first === 'registry-1.docker.io' ? DOCKER_HUB : first;
  }
  return DOCKER_HUB;
}

/** "https://host:5000/v2/" -> "host:5000"; Docker Hub's many spellings -> "docker.io". */
export function normalizeRegistryKey(key: string): string {
  const k = key.trim().toLowerCase();
  if (DOCKER_HUB_KEYS.includes(k)) return DOCKER_HUB;
  const host = k.replace(/^[a-z][a-z0-9+.-]*:\/\//, '').replace(/\/.*$/, '');
  return DOCKER_HUB_KEYS.includes(host) ? DOCKER_HUB : host;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

/** Decodes one `auths` entry: `auth` is base64 "user:pass"; `identitytoken` is an OAuth refresh token. */
export function decodeAuthEntry(entry: {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
}): RegistryCredential | undefined {
  const out: RegistryCredential = {};
  if (entry.auth) {
    const plain = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = plain.indexOf(':');
    if (colon > 0) {
      out.username = plain.slice(0, colon);
      out.password = plain.slice(colon + 1);
    }
  }
  if (entry.username && !out.username) out.username = entry.username;
  if (entry.password && !out.password) out.password = entry.password;
  if (entry.identitytoken) out.identitytoken = entry.identitytoken;
  return out.password || out.identitytoken ? out : undefined;
}

function toEngineAuth(cred: RegistryCredential, host: string): EngineAuth | undefined {
  const serveraddress = host === DOCKER_HUB ? 'https://index.docker.io/v1/' : host;
  if (cred.identitytoken) return { identitytoken: cred.identitytoken, serveraddress };
  if (cred.username && cred.password !== undefined)
    return { username: cred.username, password: cred.password, serveraddress };
  return undefined;
}

/** Pure lookup over already-read sources; `dockerConfig` is the parsed config.json (or undefined). */
export function lookupAuth(
  host: string,
  fromEnv: Record<string, RegistryCredential>,
  dockerConfig: DockerConfigFile | undefined,
): ResolvedAuth {
  const wanted = normalizeRegistryKey(host);
  for (const [key, cred] of Object.entries(fromEnv)) {
    if (normalizeRegistryKey(key) !== wanted) continue;
    const auth = toEngineAuth(cred, wanted);
    if (auth) return { auth, source: 'environment' };
  }
  for (const [key, entry] of Object.entries(dockerConfig?.auths ?? {})) {
    if (normalizeRegistryKey(key) !== wanted || !entry || typeof entry !== 'object') continue;
    const cred = decodeAuthEntry(entry);
    const auth = cred && toEngineAuth(cred, wanted);
    if (auth) return { auth, source: 'docker-config' };
  }
  const helper =
    Object.entries(dockerConfig?.credHelpers ?? {}).find(([k]) => normalizeRegistryKey(k) === wanted)?.[1] ??
    dockerConfig?.credsStore;
  if (helper) {
    return {
      source: 'none',
      note: `Docker's config names the credential helper "${helper}" for ${wanted}; this server does not run credential helpers. Put the credentials in DOM_REGISTRY_AUTH or in config.json "auths".`,
    };
  }
  return { source: 'none' };
}

/** Reads config.json from the Docker config folder; a missing or unreadable file means no credentials. */
export function readDockerConfig(dir: string): DockerConfigFile | undefined {
  try {
    const v = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as DockerConfigFile) : undefined;
  } catch {
    return undefined;
  }
}

/** Credentials for pulling `ref`, read fresh each time so a `docker login` takes effect at once. */
export function resolveRegistryAuth(
  config: Pick<Config, 'registryAuth' | 'dockerConfigDir'>,
  ref: string,
): ResolvedAuth & { host: string } {
  const host = registryHost(ref);
  return { host, ...lookupAuth(host, config.registryAuth, readDockerConfig(config.dockerConfigDir)) };
}
