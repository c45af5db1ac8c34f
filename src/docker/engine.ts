import type Docker from 'dockerode';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { withDeadline } from '../util/timeout.js';
import { connectionOptions } from './connection.js';
import { DEFAULT_ENGINE_NAME, engineEndpoint, isLocalEngine, type EngineSpec } from '../config/engines.js';
import { mapEngineError, ToolError, type ErrorContext } from '../kernel/errors.js';

/**
 * Newest Engine API this server is written and tested against (Engine 28.5 speaks 1.51).
 * Older Engines are spoken to in their own version; where the calls differ, see API_FEATURES.
 */
export const OUR_API_VERSION = '1.51';

/** The first API version with each behaviour this server adapts to. */
export const API_FEATURES = {
  /** `NetworkingConfig.EndpointsConfig` may name several networks at create (before: one, connect the rest after). */
  multiNetworkCreate: '1.44',
} as const;

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

/** The version to speak to a daemon that speaks `daemon`: the lower of it and ours. */
export function pinApiVersion(daemon: string): string {
  return compareApiVersions(daemon, OUR_API_VERSION) < 0 ? daemon : OUR_API_VERSION;
}

/**
 * The one door to the Docker Engine: a dockerode client pinned to min(our API, daemon's API),
 * and `call()`, which puts a deadline and error mapping around every request.
 */
export class Engine {
  readonly timeoutMs: number;
  /** The configured name (DOM_ENGINES; "default" for DOCKER_HOST alone). */
  readonly name: string;
  /** Where it is, without credentials. */
  readonly endpoint: string;
  /** Whether it runs on this server's machine (host paths are judged here): see isLocalEngine. */
  readonly local: boolean;
  private readonly options: Docker.DockerOptions;
  private pinned?: Promise<Docker>;
  private version?: string;
  /** Whether errors name this Engine: only when the server has several. */
  private readonly named: boolean;

  /** `spec`: which Engine (default: the first configured one). `named`: say its name in errors. */
  constructor(
    config: Config,
    private readonly log: Logger,
    spec: EngineSpec = config.engines?.[0] ?? { name: DEFAULT_ENGINE_NAME, docker: config.docker },
    named = false,
  ) {
    this.timeoutMs = config.engineTimeoutMs;
    this.name = spec.name;
    this.endpoint = engineEndpoint(spec.docker);
    const first = config.engines?.[0];
    this.local = isLocalEngine(spec.docker, !first || first.name === spec.name);
    this.named = named;
    this.options = connectionOptions(spec.docker);
  }

  /** The API version in use once connected (undefined before the first call). */
  get apiVersion(): string | undefined {
    return this.version;
  }

  /** Whether the API version in use has `feature` (false before the first call). */
  supports(feature: keyof typeof API_FEATURES): boolean {
    return this.version !== undefined && compareApiVersions(this.version, API_FEATURES[feature]) >= 0;
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
        this.version = pinApiVersion(daemon);
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
  async call<T>(
    action: string,
    fn: (docker: Docker, signal: AbortSignal) => Promise<T>,
    opts: CallOptions = {},
  ): Promise<T> {
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
      const mapped = err instanceof ToolError ? err : mapEngineError(err, ctx);
      throw this.named ? this.naming(mapped, err, what) : mapped;
    }
  }

  /**
   * With several Engines, an Engine that cannot be reached (or does not answer) is named, with
   * its endpoint and what to do: the model may pick another one. (With one, the message keeps
   * its DOCKER_HOST advice.)
   */
  private naming(mapped: ToolError, raw: unknown, what: string): ToolError {
    if ((mapped.kind !== 'engine_unavailable' && mapped.kind !== 'timeout') || mapped.details?.engine) return mapped;
    const engine = `Engine "${this.name}" (${this.endpoint})`;
    const todo = `Check that it runs and that this server can reach it, or pass another \`engine\` (list_engines shows which are reachable).`;
    const code = (raw as { code?: unknown } | undefined)?.code;
    const message =
      mapped.kind === 'engine_unavailable'
        ? `Cannot ${what}: ${engine} is unreachable${typeof code === 'string' ? ` (${code})` : ''}. ${todo}`
        : `${engine}: ${mapped.message} ${todo}`;
    return new ToolError(mapped.kind, message, { ...mapped.details, engine: this.name });
  }

  /** A client without an inactivity timeout, for long-lived streams (events, follow). */
  async streamingClient(): Promise<Docker> {
    await this.connect();
    const Docker = await loadDockerode();
    return new Docker({ ...this.options, version: `v${this.version}` });
  }
}
