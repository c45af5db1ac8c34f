import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { flagKey, parseSettings, settingLabel } from '../../src/config/parse.js';
import { SETTINGS } from '../../src/config/settings.js';
import { composeEnvironment } from '../../src/stacks/source.js';

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('the settings schema', () => {
  it('gives the documented defaults when nothing is set', () => {
    const c = loadConfig({ HOME: '/home/ada' });
    expect(c).toMatchObject({
      engineTimeoutMs: 30_000,
      readOnly: false,
      toolsets: [],
      disableDestructive: false,
      scope: 'managed',
      logLevel: 'info',
      instanceLabel: 'default',
      confirmArgument: 'fallback',
      transport: 'stdio',
      registryAuth: {},
      http: {
        host: '127.0.0.1',
        port: 8808,
        allowedHosts: [],
        allowedOrigins: [],
        maxBodyBytes: 4 * 1024 * 1024,
        maxConcurrent: 32,
        headersTimeoutMs: 10_000,
        bodyTimeoutMs: 10_000,
        requestTimeoutMs: 30_000,
      },
      selfHeal: { enabled: false, maxRestarts: 3, windowMs: 600_000, backoffMs: 1000 },
      historyPath: '/home/ada/.local/share/docker-orchestration-mcp/history.db',
      dockerConfigDir: '/home/ada/.docker',
      docker: { tlsVerify: false },
      files: { maxBytes: 1024 * 1024, readTimeoutMs: 5000, maxBuildContextBytes: 200 * 1024 * 1024 },
      policy: { maxContainersPerStack: 100, allowPrivileged: false, allowedImages: [] },
    });
    expect(c.httpToken).toBeUndefined();
    expect(c.docker.host).toBeUndefined();
  });

  it('takes a flag over its environment variable, and treats an empty variable as unset', () => {
    const c = loadConfig(
      {
        DOM_HTTP_PORT: '9000',
        DOM_HTTP_MAX_BODY: '1000',
        DOM_SCOPE: '',
        DOM_HTTP_ALLOWED_HOSTS: 'a.example, b.example',
      },
      { port: '9001', scope: 'all', fileRoot: ['/srv/a,b', '/srv/c'] },
    );
    expect(c.http.port).toBe(9001);
    expect(c.http.maxBodyBytes).toBe(1000);
    expect(c.http.allowedHosts).toEqual(['a.example', 'b.example']);
    expect(c.scope).toBe('all');
    // A repeated flag gives one folder per flag, commas and all; the variable is a comma list.
    expect(c.files.roots).toEqual(['/srv/a,b', '/srv/c']);
    expect(loadConfig({ DOM_FILE_ROOTS: '/srv/a, /srv/b' }).files.roots).toEqual(['/srv/a', '/srv/b']);
  });

  it('reads on/off in the usual spellings and refuses anything else', () => {
    expect(loadConfig({ DOM_READ_ONLY: 'YES' }).readOnly).toBe(true);
    expect(loadConfig({ DOM_READ_ONLY: 'off' }).readOnly).toBe(false);
    expect(loadConfig({ DOM_READ_ONLY: '1' }, { readOnly: false }).readOnly).toBe(false);
    expect(failure(() => loadConfig({ DOM_ALLOW_PRIVILEGED: 'sure' }))).toBe(
      'DOM_ALLOW_PRIVILEGED must be 1 or 0 (or true/false, yes/no, on/off), not "sure"',
    );
  });

  it.each([
    [
      { DOM_ENGINE_TIMEOUT_MS: '99' },
      {},
      'DOM_ENGINE_TIMEOUT_MS (--engine-timeout, milliseconds) must be a whole number from 100 to 3600000, not "99"',
    ],
    [
      {},
      { engineTimeout: '1e3' },
      '--engine-timeout (DOM_ENGINE_TIMEOUT_MS, milliseconds) must be a whole number from 100 to 3600000, not "1e3"',
    ],
    [{}, { port: '-1' }, '--port (DOM_HTTP_PORT) must be a whole number from 0 to 65535, not "-1"'],
    [{ DOM_MAX_STACK_CONTAINERS: '0' }, {}, 'DOM_MAX_STACK_CONTAINERS must be a whole number >= 1, not "0"'],
    [{ DOM_SCOPE: 'everything' }, {}, 'DOM_SCOPE (--scope) must be one of managed, all, not "everything"'],
    [
      {},
      { logLevel: 'loud' },
      '--log-level (DOM_LOG_LEVEL) must be one of fatal, error, warn, info, debug, trace, silent, not "loud"',
    ],
    [{}, { transport: 'carrier-pigeon' }, '--transport must be one of stdio, http, not "carrier-pigeon"'],
    [{ DOM_DEFAULT_MEMORY: '2m' }, {}, 'DOM_DEFAULT_MEMORY must be a size like 512m or 1g, at least 4m, not "2m"'],
    [
      { DOM_DEFAULT_CPUS: '0' },
      {},
      'DOM_DEFAULT_CPUS must be a number of CPUs above 0, at most 1024, like 0.5, not "0"',
    ],
    [
      { DOCKER_HOST: 'ftp://x' },
      {},
      'DOCKER_HOST scheme "ftp:" is not supported; use unix://, tcp://, ssh:// or npipe://',
    ],
    [
      { DOCKER_HOST: 'no url' },
      {},
      'DOCKER_HOST "no url" is not a URL; use unix:///var/run/docker.sock, tcp://HOST:2375, ssh://USER@HOST or npipe://',
    ],
    [{ DOM_INSTANCE: 'a b' }, {}, 'DOM_INSTANCE must be letters, digits, ".", "_" and "-" (at most 128), not "a b"'],
  ])('refuses %j %j naming the setting and the form', (env, flags, message) => {
    expect(failure(() => loadConfig(env, flags))).toBe(message);
  });

  it('names every bad setting at once', () => {
    const message = failure(() => loadConfig({ DOM_SELF_HEAL_WINDOW_MS: 'NaN', DOM_HTTP_MAX_CONCURRENT: '0' }));
    expect(message.split('\n')).toHaveLength(2);
    expect(message).toContain('DOM_SELF_HEAL_WINDOW_MS (milliseconds) must be a whole number >= 1, not "NaN"');
    expect(message).toContain('DOM_HTTP_MAX_CONCURRENT (--max-concurrent) must be');
  });

  it('checks the settings that bound each other', () => {
    expect(failure(() => loadConfig({}, { headersTimeout: '5000', requestTimeout: '1000' }))).toBe(
      '--headers-timeout (5000 ms) must not be longer than --request-timeout (1000 ms)',
    );
  });

  it('never repeats a secret value in an error', () => {
    const auth = failure(() => loadConfig({ DOM_REGISTRY_AUTH: '{"r.example": {"password": "hunter2-xyz", "x": 1}}' }));
    expect(auth).toMatch(/^DOM_REGISTRY_AUTH must be a JSON object keyed by registry host/);
    expect(auth).not.toContain('hunter2');
    expect(failure(() => loadConfig({ DOM_REGISTRY_AUTH: '{not json hunter2' }))).not.toContain('hunter2');
    const token = failure(() => loadConfig({ DOM_HTTP_TOKEN: 'short-secret' }));
    expect(token).toBe('DOM_HTTP_TOKEN must be a token of at least 16 characters');
  });

  it('parses registry credentials into their typed shape', () => {
    const auth = { 'r.example:5000': { username: 'u', password: 'p' }, 'q.example': { identitytoken: 't' } };
    expect(loadConfig({ DOM_REGISTRY_AUTH: JSON.stringify(auth) }).registryAuth).toEqual(auth);
  });

  it('normalises list settings the way the policy compares them', () => {
    const p = loadConfig({
      DOM_ALLOWED_CAPABILITIES: 'cap_net_admin, SYS_PTRACE',
      DOM_ALLOWED_SYSCTLS: 'Net/IPv4/ip_forward',
      DOM_ALLOWED_NETWORK_DRIVERS: 'Macvlan:latest',
    }).policy;
    expect(p.allowedCapabilities).toEqual(['NET_ADMIN', 'SYS_PTRACE']);
    expect(p.allowedSysctls).toEqual(['net.ipv4.ip_forward']);
    expect(p.allowedNetworkDrivers).toEqual(['macvlan']);
  });

  it('hands the server environment to Compose interpolation only when allowed, as it was at start', () => {
    const env = { HOME: '/home/ada', FROM_SERVER: 'yes' };
    expect(composeEnvironment(loadConfig(env))).toEqual({ homeDir: '/home/ada' });
    const allowed = composeEnvironment(loadConfig({ ...env, DOM_COMPOSE_ENV_FROM_SERVER: 'true' }));
    expect(allowed.fallbackEnv?.FROM_SERVER).toBe('yes');
  });

  it('declares each setting once: one key per environment variable and per flag', () => {
    const envs = Object.values(SETTINGS).flatMap((s) => (s.env ? [s.env] : []));
    const flags = Object.values(SETTINGS).flatMap((s) => (s.flag ? [s.flag] : []));
    expect(new Set(envs).size).toBe(envs.length);
    expect(new Set(flags).size).toBe(flags.length);
    for (const s of Object.values(SETTINGS)) expect(s.env ?? s.flag).toBeTruthy();
    expect(flagKey('--max-body')).toBe('maxBody');
    expect(settingLabel(SETTINGS.httpMaxBodyBytes)).toBe('--max-body (DOM_HTTP_MAX_BODY, bytes)');
    expect(parseSettings({}).httpPort).toBe(8808);
  });
});

describe('reading the environment', () => {
  it('happens in the configuration module only (the CLI hands process.env to it)', () => {
    const root = new URL('../../src/', import.meta.url).pathname;
    const readers: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, e.name);
        if (e.isDirectory()) walk(path);
        else if (path.endsWith('.ts')) {
          const lines = readFileSync(path, 'utf8').split('\n');
          lines.forEach((line, i) => {
            if (/process\.env\b/.test(line) && !/loadConfig\(process\.env\b/.test(line))
              readers.push(`${path.slice(root.length)}:${i + 1}`);
          });
        }
      }
    };
    walk(root);
    expect(readers).toEqual([]);
  });
});
