/** Stable error kinds every tool answer uses; the public contract for clients. */
export const ERROR_KINDS = [
  'not_found',
  'conflict',
  'invalid_input',
  'denied',
  'engine_unavailable',
  'timeout',
  'failed',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** An error with a stable kind and a message that tells the user what to do next. */
export class ToolError extends Error {
  readonly kind: ErrorKind;
  readonly details?: Record<string, unknown>;

  constructor(kind: ErrorKind, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'ToolError';
    this.kind = kind;
    if (details) this.details = details;
  }
}

export function isToolError(err: unknown): err is ToolError {
  return err instanceof ToolError;
}

interface EngineErrorShape {
  name?: string;
  code?: string;
  statusCode?: number;
  json?: unknown;
  reason?: string;
  message?: string;
}

/** What the failed call was doing, so the message can say it. */
export interface ErrorContext {
  action: string;
  /** e.g. `container "web"` */
  target?: string;
  /** What a 404 means for this call, when it is not the target itself (e.g. the image on create). */
  notFound?: string;
  /** What a 409 means for this call. */
  conflict?: string;
}

/** The Engine's own words, without a trailing period (our messages add their own). */
function engineMessage(e: EngineErrorShape): string {
  return rawEngineMessage(e).trim().replace(/\.+$/, '');
}

function rawEngineMessage(e: EngineErrorShape): string {
  const json = e.json;
  if (json && typeof json === 'object' && 'message' in json && typeof json.message === 'string') return json.message;
  if (typeof json === 'string' && json.trim()) return json.trim();
  // An empty body (a 304 answers with none) falls through to the reason.
  if (Buffer.isBuffer(json) && json.toString('utf8').trim()) return json.toString('utf8').trim();
  // Stream endpoints (pull, logs) leave json null; the Engine's text is only in the message.
  const detail = /^\(HTTP code \d+\) [^-]*- (.+)$/s.exec(e.message ?? '')?.[1]?.trim();
  if (detail) return detail;
  return e.reason ?? e.message ?? 'unknown error';
}

const CONNECTION_CODES = new Set([
  'ENOENT',
  'ECONNREFUSED',
  'EACCES',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'EPERM',
]);

/**
 * Maps anything dockerode/docker-modem throws to a ToolError. Pure: the mapping
 * reads only the error's shape (connection `code`, HTTP `statusCode`, `json.message`).
 */
export function mapEngineError(err: unknown, ctx: ErrorContext): ToolError {
  if (isToolError(err)) return err;
  const e = (err ?? {}) as EngineErrorShape;
  const what = ctx.target ? `${ctx.action} ${ctx.target}` : ctx.action;

  if (e.code && CONNECTION_CODES.has(e.code)) {
    const hint =
      e.code === 'EACCES' || e.code === 'EPERM'
        ? 'permission denied on the Docker socket: run as a user in the docker group or point DOCKER_HOST at an Engine you may use'
        : 'is the Docker Engine running? Start it (e.g. `dockerd`) or set DOCKER_HOST to the right address';
    return new ToolError('engine_unavailable', `Cannot ${what}: Docker Engine unreachable (${e.code}); ${hint}.`);
  }
  if (e.code === 'ETIMEDOUT' || e.code === 'ESOCKETTIMEDOUT' || (!e.statusCode && /timeout/i.test(e.message ?? ''))) {
    return new ToolError(
      'timeout',
      `Cannot ${what}: the Docker Engine did not answer in time; check the Engine's health or raise the timeout.`,
    );
  }
  if (e.name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new ToolError('failed', `Cancelled: ${what}.`);
  }

  const msg = engineMessage(e);
  switch (e.statusCode) {
    case 400:
      return new ToolError('invalid_input', `Cannot ${what}: ${msg}. Fix the arguments and try again.`);
    case 401:
    case 403:
      if (/active endpoints/i.test(msg)) {
        return new ToolError('conflict', `Cannot ${what}: ${msg}. Disconnect or remove the containers using it first.`);
      }
      return new ToolError('denied', `Cannot ${what}: ${msg}.`);
    case 404:
      return new ToolError(
        'not_found',
        `Cannot ${what}: ${ctx.notFound ?? msg}. Check the name or id (list tools show what exists).`,
      );
    case 409:
      return new ToolError('conflict', `Cannot ${what}: ${ctx.conflict ?? msg}.`);
    case 500:
    case 502:
    case 503:
      if (/pull access denied|unauthorized|authentication required|denied/i.test(msg)) {
        return new ToolError(
          'denied',
          `Cannot ${what}: ${msg}. Check registry credentials (Docker config or environment).`,
        );
      }
      if (/manifest unknown|not found/i.test(msg)) {
        return new ToolError('not_found', `Cannot ${what}: ${msg}.`);
      }
      return new ToolError('failed', `Cannot ${what}: the Docker Engine reported: ${msg}.`);
    case undefined: // no HTTP status: a connection or client error
    default:
      return new ToolError('failed', `Cannot ${what}: ${msg}.`);
  }
}
