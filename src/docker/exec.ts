import type { Readable } from 'node:stream';
import { sleep } from '../util/timeout.js';
import { target } from './containers.js';
import type { Engine } from './engine.js';
import { mapEngineError, ToolError } from '../kernel/errors.js';
import { Demuxer, TailBuffer } from './streams.js';

/** Runs a command in a running container with a deadline, stdout and stderr kept apart and capped. */

export interface ExecOptions {
  cmd: string[];
  workingDir?: string;
  env?: Record<string, string>;
  user?: string;
  /** Whole run, from create to exit code. */
  timeoutMs: number;
  /** Cap per stream; the oldest output is dropped beyond it. */
  maxBytes: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  execId: string;
  /** null when the command did not finish in time. */
  exitCode: number | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  truncated: boolean;
  droppedBytes: number;
  durationMs: number;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Validates the command and env, and builds the Engine's exec body. Pure. */
export function toExecBody(o: Pick<ExecOptions, 'cmd' | 'workingDir' | 'env' | 'user'>): Record<string, unknown> {
  if (o.cmd.length === 0 || !o.cmd[0])
    throw new ToolError(
      'invalid_input',
      'command is empty: give the program and its arguments as an array, e.g. ["ls", "-l", "/data"].',
    );
  if (o.workingDir !== undefined && !o.workingDir.startsWith('/')) {
    throw new ToolError(
      'invalid_input',
      `working_dir "${o.workingDir}" must be an absolute path inside the container.`,
    );
  }
  const env: string[] = [];
  for (const [k, v] of Object.entries(o.env ?? {})) {
    if (!ENV_NAME.test(k))
      throw new ToolError(
        'invalid_input',
        `env name "${k}" is not valid: use letters, digits and "_", not starting with a digit.`,
      );
    env.push(`${k}=${v}`);
  }
  const body: Record<string, unknown> = {
    Cmd: o.cmd,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  };
  if (env.length) body.Env = env;
  if (o.workingDir) body.WorkingDir = o.workingDir;
  if (o.user) body.User = o.user;
  return body;
}

/**
 * Creates and starts an exec, reads its output into two bounded tails and returns its exit
 * code. At the deadline it stops reading and answers `timedOut` with the output so far: the
 * Engine API has no way to kill an exec, so the process may keep running in the container.
 */
export async function execInContainer(engine: Engine, containerId: string, o: ExecOptions): Promise<ExecResult> {
  const body = toExecBody(o);
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const remaining = () => Math.max(1, deadline - Date.now());
  // The body travels as JSON only (the exec path has no query string), so env values stay out of URLs.
  const exec = await engine.call(
    'exec in',
    (d, signal) => d.getContainer(containerId).exec({ ...body, abortSignal: signal }),
    {
      target: target(containerId),
      signal: o.signal,
      timeoutMs: Math.min(engine.timeoutMs, remaining()),
      conflict: 'the container is not running (or is paused): start it first',
    },
  );

  const out = new TailBuffer(o.maxBytes);
  const err = new TailBuffer(o.maxBytes);
  const demux = new Demuxer((s, p) => (s === 'stderr' ? err : out).push(p));
  const ctrl = new AbortController();
  const onOuter = () => ctrl.abort();
  o.signal?.addEventListener('abort', onOuter, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  let stream: Readable | undefined;
  try {
    const finished = (async () => {
      stream = (await exec.start({ hijack: true, stdin: false, abortSignal: ctrl.signal })) as unknown as Readable;
      const s = stream;
      await new Promise<void>((resolve, reject) => {
        s.on('data', (chunk: Buffer) => demux.write(chunk));
        s.on('error', reject);
        s.on('end', resolve);
        s.on('close', resolve);
      });
    })();
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), remaining());
    });
    const cancelled = new Promise<'cancelled'>((resolve) =>
      ctrl.signal.addEventListener('abort', () => resolve('cancelled'), { once: true }),
    );
    const outcome = await Promise.race([finished.then(() => 'done' as const), timeout, cancelled]);
    if (outcome === 'cancelled') throw new ToolError('failed', `Cancelled: exec in ${target(containerId)}.`);
    if (outcome === 'timeout') {
      timedOut = true;
      ctrl.abort();
      finished.catch(() => undefined);
    }
  } catch (e) {
    if (e instanceof ToolError) throw e;
    throw mapEngineError(e, { action: 'run the command in', target: target(containerId) });
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onOuter);
    if (timedOut) (stream as Readable | undefined)?.destroy();
  }

  let exitCode: number | null = null;
  if (!timedOut) {
    // The stream ends a moment before the Engine records the exit code.
    for (let i = 0; i < 20; i++) {
      const info = await engine.call('inspect exec in', () => exec.inspect(), {
        target: target(containerId),
        signal: o.signal,
      });
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) {
        exitCode = info.ExitCode;
        break;
      }
      await sleep(25, o.signal);
    }
  }
  const stdout = out.text();
  const stderr = err.text();
  const droppedBytes = out.dropped + err.dropped;
  return {
    execId: exec.id,
    exitCode,
    timedOut,
    stdout,
    stderr,
    truncated: droppedBytes > 0,
    droppedBytes,
    durationMs: Date.now() - started,
  };
}
