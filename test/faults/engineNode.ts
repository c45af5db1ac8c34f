import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import Docker from 'dockerode';

/**
 * A disposable Docker Engine 28.5 for the fault suite: the node image of test/engine28 (built
 * by test/engine28/build-image.sh), run as a container of the host Engine with the same
 * settings as test/engine28/up.sh, except that dockerd is not the node's main process: the
 * node idles and dockerd is started with `docker exec`, so the suite can SIGKILL, SIGSTOP and
 * restart it while the node (and containerd with the containers) stays. The inner Engine's
 * socket appears on the host under /var/tmp/dom-engine28/<node>/docker.sock; the suite and the
 * server under test talk to it there. Only container state matters to the suite, so nothing
 * of the inner Engine's published ports is ever reached (the network rule holds).
 */

const IMAGE = process.env.ENGINE28_IMAGE ?? 'dom-test/engine28:1';
const WORK = process.env.ENGINE28_WORK ?? '/var/tmp/dom-engine28';
const TEST_IMAGE = 'dom-test/busybox:1';

function sh(cmd: string, args: string[], opts: { input?: Buffer; timeoutMs?: number } = {}): string {
  return execFileSync(cmd, args, {
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 120_000,
    ...(opts.input ? { input: opts.input } : {}),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export class EngineNode {
  readonly name: string;
  readonly outer: string;
  readonly socket: string;
  readonly host: string;
  readonly docker: Docker;

  /**
   * `prefix`: the start of the node's name (its container, volume and folder); each suite has its own.
   * `options.tlsPort`: a host port on 127.0.0.1 for the inner Engine's TLS endpoint (tcp 2376,
   * --tlsverify with ca.pem, server-cert.pem and server-key.pem from `<outer>/tls`, written by the caller).
   */
  constructor(
    prefix = 'dom-faults',
    private readonly options: { tlsPort?: number } = {},
  ) {
    this.name = `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
    this.outer = `${WORK}/${this.name}`;
    this.socket = `${this.outer}/docker.sock`;
    this.host = `unix://${this.socket}`;
    this.docker = new Docker({ socketPath: this.socket });
  }

  async start(): Promise<void> {
    sh('docker', ['image', 'inspect', IMAGE], { timeoutMs: 30_000 });
    mkdirSync(this.outer, { recursive: true });
    sh('docker', ['volume', 'create', '--label', `dom-test.run=${this.name}`, `${this.name}-data`]);
    sh('docker', [
      'run',
      '-d',
      '--init',
      '--name',
      this.name,
      '--label',
      `dom-test.run=${this.name}`,
      '--label',
      'dom-test.engine28=1',
      '--cap-add',
      'ALL',
      '--cap-drop',
      'SYS_RESOURCE',
      '--security-opt',
      'seccomp=unconfined',
      '--security-opt',
      'apparmor=unconfined',
      '--security-opt',
      'systempaths=unconfined',
      '--device-cgroup-rule',
      'a *:* rwm',
      '--cgroupns',
      'host',
      '-v',
      '/sys/fs/cgroup:/sys/fs/cgroup:rw',
      '-v',
      `${this.name}-data:/var/lib/docker`,
      '-v',
      `${this.outer}:/run/outer`,
      ...(this.options.tlsPort ? ['-p', `127.0.0.1:${this.options.tlsPort}:2376`] : []),
      '--entrypoint',
      'sleep',
      IMAGE,
      'infinity',
    ]);
    await this.startDaemon();
    const tar = execFileSync('docker', ['save', TEST_IMAGE], { maxBuffer: 512 * 1024 * 1024 });
    sh('docker', ['-H', this.host, 'load', '-q'], { input: tar });
  }

  /** Starts dockerd in the node (after a kill) and waits until it answers. */
  async startDaemon(): Promise<void> {
    const tls = this.options.tlsPort
      ? ' -H tcp://0.0.0.0:2376 --tlsverify --tlscacert /run/outer/tls/ca.pem --tlscert /run/outer/tls/server-cert.pem --tlskey /run/outer/tls/server-key.pem'
      : '';
    const cmd = `exec dockerd -H unix:///var/run/docker.sock -H unix:///run/outer/docker.sock${tls} --cgroup-parent /${this.name} >>/var/log/dockerd.log 2>&1`;
    sh('docker', ['exec', '-d', this.name, 'sh', '-c', cmd]);
    await this.waitUp(90_000);
  }

  async waitUp(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      try {
        await this.docker.ping();
        return;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`the Engine in ${this.name} did not answer within ${ms} ms: ${this.logs()}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  private pid(): string {
    return sh('docker', ['exec', this.name, 'pgrep', '-x', 'dockerd']).trim().split('\n')[0] ?? '';
  }

  /** kill -9 of dockerd (containerd and the containers' shims stay, as after a daemon crash). */
  kill(): void {
    sh('docker', ['exec', this.name, 'pkill', '-9', '-x', 'dockerd']);
    for (let i = 0; i < 50; i++) {
      if (spawnSync('docker', ['exec', this.name, 'pgrep', '-x', 'dockerd']).status !== 0) return;
      execFileSync('sleep', ['0.1']);
    }
  }

  pause(): void {
    sh('docker', ['exec', this.name, 'kill', '-STOP', this.pid()]);
  }

  resume(): void {
    sh('docker', ['exec', this.name, 'kill', '-CONT', this.pid()]);
  }

  logs(): string {
    return (
      spawnSync('docker', ['exec', this.name, 'tail', '-20', '/var/log/dockerd.log'], { encoding: 'utf8' }).stdout ?? ''
    );
  }

  stop(): void {
    spawnSync(
      'bash',
      ['-c', `timeout 60 docker -H ${this.host} ps -aq | xargs -r timeout 60 docker -H ${this.host} rm -f`],
      { stdio: 'ignore' },
    );
    spawnSync('docker', ['rm', '-f', this.name], { stdio: 'ignore' });
    spawnSync(
      'bash',
      [
        '-c',
        `for p in /sys/fs/cgroup/*/${this.name}; do [ -d "$p" ] && find "$p" -depth -type d -exec rmdir {} + 2>/dev/null; done; true`,
      ],
      { stdio: 'ignore' },
    );
    spawnSync('docker', ['volume', 'rm', `${this.name}-data`], { stdio: 'ignore' });
    rmSync(this.outer, { recursive: true, force: true });
  }
}
