import type { Readable } from 'node:stream';
import type { Engine } from './engine.js';
import { ToolError } from './errors.js';
import { forEachJsonLine } from './streams.js';

export type PullPolicy = 'missing' | 'always' | 'never';

export interface PullProgress {
  current: number;
  total: number;
  message: string;
}

/** Adds ":latest" when a reference has neither tag nor digest, as `docker pull` does. */
export function withDefaultTag(ref: string): string {
  if (ref.includes('@')) return ref;
  const lastSlash = ref.lastIndexOf('/');
  return ref.slice(lastSlash + 1).includes(':') ? ref : `${ref}:latest`;
}

// A first component is a registry host only if it has a dot or a port, or is localhost (Docker's rule).
const IMAGE_REF = /^(?:(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)(?::\d+)?\/|[a-zA-Z0-9-]+:\d+\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function assertImageRef(ref: string): void {
  if (!ref || !ref.trim()) throw new ToolError('invalid_input', 'image is empty: give an image reference like "nginx:1.27" or "registry:5000/app:tag".');
  if (!IMAGE_REF.test(ref) && !/^sha256:[a-f0-9]{12,64}$/.test(ref) && !/^[a-f0-9]{12,64}$/.test(ref)) {
    throw new ToolError('invalid_input', `"${ref}" is not a valid image reference: use lowercase NAME[:TAG] or NAME@sha256:DIGEST.`);
  }
}

export async function imageExists(engine: Engine, ref: string, signal?: AbortSignal): Promise<boolean> {
  try {
    await engine.call('inspect image', (d) => d.getImage(ref).inspect(), { target: ref, signal });
    return true;
  } catch (err) {
    if (err instanceof ToolError && err.kind === 'not_found') return false;
    throw err;
  }
}

/**
 * Pulls an image, reporting aggregate byte progress across layers. `auth` is the
 * X-Registry-Auth payload (never logged, never in the URL).
 */
export async function pullImage(
  engine: Engine,
  ref: string,
  opts: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; timeoutMs?: number; auth?: object } = {},
): Promise<{ image: string; status: string }> {
  const full = withDefaultTag(ref);
  const layers = new Map<string, { current: number; total: number }>();
  let lastStatus = '';
  let streamError: string | undefined;
  await engine.call(
    'pull image',
    async (docker, signal) => {
      const stream = (await docker.pull(full, { abortSignal: signal, ...(opts.auth ? { authconfig: opts.auth } : {}) })) as Readable;
      signal.addEventListener('abort', () => stream.destroy(), { once: true });
      await forEachJsonLine(stream, (ev) => {
        if (typeof ev.error === 'string') streamError = ev.error;
        const id = typeof ev.id === 'string' ? ev.id : undefined;
        const status = typeof ev.status === 'string' ? ev.status : '';
        if (status) lastStatus = status;
        const detail = ev.progressDetail as { current?: number; total?: number } | undefined;
        if (id && detail?.total) layers.set(id, { current: detail.current ?? 0, total: detail.total });
        if (id && /complete|already exists/i.test(status)) {
          const l = layers.get(id);
          if (l) l.current = l.total;
        }
        let current = 0;
        let total = 0;
        for (const l of layers.values()) {
          current += l.current;
          total += l.total;
        }
        opts.onProgress?.({ current, total, message: id ? `${id}: ${status}` : status });
      });
    },
    { target: full, signal: opts.signal, timeoutMs: opts.timeoutMs ?? Math.max(engine.timeoutMs, 600_000) },
  );
  if (streamError) {
    const kind = /denied|unauthorized|authentication required|no basic auth/i.test(streamError)
      ? 'denied'
      : /not found|manifest unknown/i.test(streamError)
        ? 'not_found'
        : 'failed';
    throw new ToolError(kind, `Cannot pull ${full}: ${streamError}`);
  }
  return { image: full, status: lastStatus };
}

/** Makes sure `ref` is present locally according to the pull policy. */
export async function ensureImage(
  engine: Engine,
  ref: string,
  policy: PullPolicy,
  opts: { onProgress?: (p: PullProgress) => void; signal?: AbortSignal; auth?: object } = {},
): Promise<{ pulled: boolean }> {
  if (policy !== 'always' && (await imageExists(engine, ref, opts.signal))) return { pulled: false };
  if (policy === 'never') {
    throw new ToolError('not_found', `Image ${ref} is not present locally and pull is "never": build or load it first, or use pull "missing".`);
  }
  await pullImage(engine, ref, opts);
  return { pulled: true };
}
