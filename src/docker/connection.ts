import type { DockerOptions } from 'dockerode';
import { ConfigError, readTlsFiles, type DockerConfig } from '../config.js';

/**
 * Turns DOCKER_HOST (and TLS settings) into dockerode options. Pure apart from reading
 * TLS files. Supports unix://, tcp:// (http or https with DOCKER_TLS_VERIFY), ssh://, npipe://.
 */
export function connectionOptions(cfg: DockerConfig): DockerOptions {
  const host = cfg.host;
  if (!host) return { socketPath: '/var/run/docker.sock' };
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new ConfigError(
      `DOCKER_HOST "${host}" is not a URL; use unix:///var/run/docker.sock, tcp://HOST:2375 or ssh://USER@HOST`,
    );
  }
  switch (url.protocol) {
    case 'unix:':
      return { socketPath: url.pathname };
    case 'npipe:':
      return { socketPath: `//./pipe/${url.pathname.replace(/^\/+/, '').replace(/^pipe\//, '')}` };
    case 'tcp:':
    case 'http:':
    case 'https:': {
      const tls = cfg.tlsVerify || url.protocol === 'https:';
      const port = url.port ? Number(url.port) : tls ? 2376 : 2375;
      const opts: DockerOptions = { host: url.hostname, port, protocol: tls ? 'https' : 'http' };
      if (tls && cfg.certPath) Object.assign(opts, readTlsFiles(cfg.certPath));
      return opts;
    }
    case 'ssh:': {
      const opts: DockerOptions = { protocol: 'ssh', host: url.hostname, port: url.port ? Number(url.port) : 22 };
      if (url.username) opts.username = decodeURIComponent(url.username);
      // Authentication through the ssh agent, as the docker CLI does (explicit options get no agent by themselves).
      if (cfg.sshAgent) opts.sshOptions = { agent: cfg.sshAgent };
      return opts;
    }
    default:
      throw new ConfigError(
        `DOCKER_HOST scheme "${url.protocol}" is not supported; use unix://, tcp://, ssh:// or npipe://`,
      );
  }
}
