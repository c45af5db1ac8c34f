import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { withDeadline } from '../util/timeout.js';
import { connectionOptions } from './connection.js';
import { mapEngineError, ToolError, type ErrorContext } from './errors.js';

/** Newest Engine API this server is written and tested against. */
export const OUR_API_VERSION = '1.45';

export interface CallOptions extends Partial<ErrorContext> {
  timeoutMs?: number;
  signal?: AbortSignal;
}

let dockerode: Promise<typeof Docker> | undefined;

function loadDockerode(): Promise<typeof Docker> {
  dockerode ??= import('dockerode').then((m) => m.default);
  return dockerode;
}

/** Compares "1.41" style versions. */
export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj - bmaj || amin - bmin;
}

/**
 * The one door to the Docker Engine: a dockerode client pinned to min(our API, daemon's API),
 * and `call()`, which puts a deadline and error mapping around every request.
 */
export class Engine {
  readonly timeoutMs: number;
  private readonly options: Docker.DockerOptions;
  private pinned?: Promise<Docker>;
  private version?: string;

  constructor(
    config: Config,
    private readonly log: Logger,
  ) {
    this.timeoutMs = config.engineTimeoutMs;
    this.options = connectionOptions(config.docker);
  }

  /** The API version in use once connected (undefined before the first call). */
  get apiVersion(): string | undefined {
    return this.version;
  }

  private connect(signal?: AbortSignal): Promise<Docker> {
    if (!this.pinned) {
      this.pinned = (async () => {
        // Loaded on first use: dockerode (and its ssh/tls stack) is most of the start-up time.
        const Docker = await loadDockerode();
        const probe = new Docker({ ...this.options, timeout: this.timeoutMs });
        void signal;
        const v = (await probe.version()) as { ApiVersion?: string };
        const daemon = v.ApiVersion ?? '1.24';
        this.version = compareApiVersions(daemon, OUR_API_VERSION) < 0 ? daemon : OUR_API_VERSION;
        this.log.debug({ daemonApi: daemon, pinned: this.version }, 'engine connected');
        return new Docker({ ...this.options, version: `v${this.version}`, timeout: this.timeoutMs });
      })();
      // A failed connect must not stick: the next call tries again.
      this.pinned.catch(() => {
        this.pinned = undefined;
      });
    }
    return this.pinned;
  }

  /**
   * Runs one Engine request with a deadline (default: the configured engine timeout)
   * and maps whatever it throws to a ToolError.
   */
  async call<T>(action: string, fn: (docker: Docker, signal: AbortSignal) => Promise<T>, opts: CallOptions = {}): Promise<T> {
    const ctx: ErrorContext = { action, ...opts };
    const what = opts.target ? `${action} ${opts.target}` : action;
    try {
      return await withDeadline(
        what,
        opts.timeoutMs ?? this.timeoutMs,
        async (signal) => fn(await this.connect(signal), signal),
        opts.signal,
      );
    } catch (err) {
      if (err instanceof ToolError) throw err;
      throw mapEngineError(err, ctx);
    }
  }

  /** A client without an inactivity timeout, for long-lived streams (events, follow). */
  async streamingClient(): Promise<Docker> {
    await this.connect();
    const Docker = await loadDockerode();
    return new Docker({ ...this.options, version: `v${this.version}` });
  }
}
