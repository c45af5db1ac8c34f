import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BUSYBOX, docker } from './engine.js';
import { freePort } from './mcpClient.js';

/**
 * A Docker registry of the test's own on loopback (Debian's `docker-registry`), with htpasswd
 * auth and storage in a temp folder. The Engine treats 127.0.0.1:PORT as an insecure registry,
 * so push and pull work without TLS. Only the process started here is stopped, by its pid.
 */
export interface TestRegistry {
  host: string;
  port: number;
  username: string;
  password: string;
  /** Pushes a local image as `host/repo:tag` with the registry's credentials, then drops the local tag. */
  push(localRef: string, repo: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

async function waitForRegistry(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`docker-registry exited with code ${proc.exitCode}:\n${log()}`);
    try {
      const r = await fetch(url);
      if (r.status === 401 || r.status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer on ${url} within 15 s:\n${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function followStream(stream: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(stream, (err: Error | null, events: { error?: string }[]) => {
      const failed = events?.find((e) => e.error);
      if (err) reject(err);
      else if (failed) reject(new Error(failed.error));
      else resolve();
    });
  });
}

export async function startRegistry(username = 'dom-user', password = 'dom-pass-' + Date.now()): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'dom-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const htpasswd = execFileSync('htpasswd', ['-Bbn', username, password], { encoding: 'utf8' });
  writeFileSync(join(dir, 'htpasswd'), htpasswd);
  writeFileSync(
    join(dir, 'config.yml'),
    [
      'version: 0.1',
      'log:',
      '  level: warn',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dir, 'data')}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      'auth:',
      '  htpasswd:',
      '    realm: dom-test-registry',
      `    path: ${join(dir, 'htpasswd')}`,
      '',
    ].join('\n'),
  );
  let output = '';
  const proc = spawn('docker-registry', ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  proc.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const stop = async () => {
    if (proc.pid !== undefined && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (proc.exitCode === null) proc.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForRegistry(`http://${host}/v2/`, proc, () => output);
  } catch (err) {
    await stop();
    throw err;
  }
  const auth = { username, password, serveraddress: host };
  return {
    host,
    port,
    username,
    password,
    async push(localRef = BUSYBOX, repo: string, tag: string) {
      const remote = `${host}/${repo}`;
      await docker.getImage(localRef).tag({ repo: remote, tag });
      const stream = (await docker.getImage(`${remote}:${tag}`).push({ tag, authconfig: auth })) as unknown as Readable;
      await followStream(stream);
      await docker.getImage(`${remote}:${tag}`).remove({ noprune: true });
      return `${remote}:${tag}`;
    },
    stop,
  };
}
