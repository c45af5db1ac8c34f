import type Docker from 'dockerode';
import type { Readable } from 'node:stream';
import type { Engine } from './engine.js';
import { ToolError } from '../kernel/errors.js';
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
const IMAGE_REF =
  /^(?:(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+)(?::\d+)?\/|[a-zA-Z0-9-]+:\d+\/)?[a-z0-9]+(?:[._-]+[a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-]+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

export function assertImageRef(ref: string): void {
  if (!ref || !ref.trim())
    throw new ToolError(
      'invalid_input',
      'image is empty: give an image reference like "nginx:1.27" or "registry:5000/app:tag".',
    );
  if (!IMAGE_REF.test(ref) && !/^sha256:[a-f0-9]{12,64}$/.test(ref) && !/^[a-f0-9]{12,64}$/.test(ref)) {
    throw new ToolError(
      'invalid_input',
      `"${ref}" is not a valid image reference: use lowercase NAME[:TAG] or NAME@sha256:DIGEST.`,
    );
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
      const stream = (await docker.pull(full, {
        abortSignal: signal,
        ...(opts.auth ? { authconfig: opts.auth } : {}),
      })) as Readable;
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
    throw new ToolError(
      'not_found',
      `Image ${ref} is not present locally and pull is "never": build or load it first, or use pull "missing".`,
    );
  }
  await pullImage(engine, ref, opts);
  return { pulled: true };
}

// ---------------------------------------------------------------------------
// Listing, removal and authenticated pulls (images toolset).

export interface ImageRow {
  id: string;
  tags: string[];
  digests: string[];
  sizeBytes: number;
  created: string;
  /** Containers (running or not) created from this image. */
  containers: number;
  dangling: boolean;
}

export interface ImageUser {
  id: string;
  name: string;
  state: string;
  managed: boolean;
}

interface ListedImage {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Size: number;
  Created: number;
}

/** Compact image row. Pure. */
export function imageRow(i: ListedImage, containers: number): ImageRow {
  const tags = (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
  return {
    id: i.Id.replace(/^sha256:/, '').slice(0, 12),
    tags,
    digests: (i.RepoDigests ?? []).filter((d) => !d.startsWith('<none>')),
    sizeBytes: i.Size,
    created: new Date(i.Created * 1000).toISOString(),
    containers,
    dangling: tags.length === 0,
  };
}

/** Container list -> image id -> users. One Engine call for all images. */
async function usersByImage(engine: Engine, signal?: AbortSignal): Promise<Map<string, ImageUser[]>> {
  const containers = await engine.call('list containers', (d) => d.listContainers({ all: true }), { signal });
  const map = new Map<string, ImageUser[]>();
  for (const c of containers) {
    const user: ImageUser = {
      id: c.Id.slice(0, 12),
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      state: c.State,
      managed: c.Labels?.['io.docker-orchestration-mcp.managed'] === 'true',
    };
    map.set(c.ImageID, [...(map.get(c.ImageID) ?? []), user]);
  }
  return map;
}

export interface ImageFilters {
  all?: boolean;
  reference?: string[];
  dangling?: boolean;
  label?: string[];
}

export async function listImages(engine: Engine, f: ImageFilters, signal?: AbortSignal): Promise<ImageRow[]> {
  const filters: Record<string, string[]> = {};
  if (f.reference?.length) filters.reference = f.reference;
  if (f.dangling !== undefined) filters.dangling = [String(f.dangling)];
  if (f.label?.length) filters.label = f.label;
  const [images, users] = await Promise.all([
    engine.call('list images', (d) => d.listImages({ all: f.all ?? false, filters }) as Promise<ListedImage[]>, {
      signal,
    }),
    usersByImage(engine, signal),
  ]);
  return images.map((i) => imageRow(i, users.get(i.Id)?.length ?? 0));
}

export async function inspectImage(
  engine: Engine,
  ref: string,
  signal?: AbortSignal,
): Promise<Docker.ImageInspectInfo> {
  if (!ref || !ref.trim())
    throw new ToolError('invalid_input', 'id is empty: give an image reference (name:tag) or id.');
  // The reference becomes part of the Engine URL: only well-formed references get there.
  assertImageRef(ref);
  return engine.call('inspect image', (d) => d.getImage(ref).inspect(), {
    target: ref,
    signal,
    notFound: `no image "${ref}" here (list_images shows what exists; pull_image fetches one)`,
  });
}

/** Containers created from the image with this full id (sha256:...). */
export async function imageUsers(engine: Engine, imageId: string, signal?: AbortSignal): Promise<ImageUser[]> {
  return ((await usersByImage(engine, signal)).get(imageId) ?? []).sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Whether removing `ref` only drops one of several tags (the image itself stays), the way
 * `docker rmi` treats a tag shared with other references. Pure.
 */
export function removalOnlyUntags(ref: string, repoTags: string[] | undefined): boolean {
  const tags = (repoTags ?? []).filter((t) => t !== '<none>:<none>');
  if (tags.length < 2) return false;
  if (ref.includes('@') || /^(sha256:)?[a-f0-9]{12,64}$/.test(ref)) return false;
  return tags.includes(withDefaultTag(ref)) || tags.includes(ref);
}

export interface RemoveImageResult {
  untagged: string[];
  deleted: string[];
}

export async function removeImage(
  engine: Engine,
  ref: string,
  opts: { force: boolean; prune: boolean },
  signal?: AbortSignal,
): Promise<RemoveImageResult> {
  const res = (await engine.call(
    'remove image',
    (d) => d.getImage(ref).remove({ force: opts.force, noprune: !opts.prune }),
    {
      target: ref,
      signal,
    },
  )) as unknown as { Untagged?: string; Deleted?: string }[] | undefined;
  const out: RemoveImageResult = { untagged: [], deleted: [] };
  for (const r of res ?? []) {
    if (r.Untagged) out.untagged.push(r.Untagged);
    if (r.Deleted) out.deleted.push(r.Deleted.replace(/^sha256:/, '').slice(0, 12));
  }
  return out;
}

/** Names the registry part of an error and the way out. Pure. */
export function classifyPullError(err: ToolError, ref: string, registry: string, authNote?: string): ToolError {
  const msg = err.message;
  if (err.kind === 'timeout' || /^Cancelled/.test(msg)) return err;
  const full = withDefaultTag(ref);
  let engineSaid = msg;
  for (const prefix of [`Cannot pull image ${full}: `, `Cannot pull ${full}: `, 'the Docker Engine reported: ']) {
    if (engineSaid.startsWith(prefix)) engineSaid = engineSaid.slice(prefix.length);
  }
  engineSaid = engineSaid.replace(/\s*Check registry credentials \(Docker config or environment\)\.$/, '');
  if (!/[.!?]$/.test(engineSaid.trim())) engineSaid = `${engineSaid.trim()}.`;
  if (
    /no basic auth credentials|unauthorized|authentication required|access (to the resource )?is denied|pull access denied|denied|incorrect username or password/i.test(
      msg,
    )
  ) {
    return new ToolError(
      'denied',
      `Registry ${registry} refused to pull ${ref}: ${engineSaid.trim()} Give this server credentials for ${registry} in Docker's config.json "auths" (DOCKER_CONFIG or ~/.docker) or in DOM_REGISTRY_AUTH; credentials are never passed as tool arguments.${authNote ? ` ${authNote}` : ''}`,
    );
  }
  if (/manifest unknown|not found|does not exist|repository name not known/i.test(msg)) {
    return new ToolError(
      'not_found',
      `Image ${ref} was not found in registry ${registry}: check the repository name and tag. (${engineSaid.trim()})`,
    );
  }
  if (
    /connection refused|no such host|i\/o timeout|dial tcp|network is unreachable|tls|server gave http response|context deadline exceeded/i.test(
      msg,
    )
  ) {
    return new ToolError(
      'failed',
      `Registry ${registry} is unreachable from the Docker Engine: ${engineSaid.trim()} Check the registry address, that it runs, and the Engine's network/proxy settings.`,
    );
  }
  return err;
}

// ---------------------------------------------------------------------------
// Building (legacy builder endpoint, which every Engine from 20.10 on answers).

export interface BuildStep {
  /** 1-based step number and the Dockerfile's step count, from "Step N/M : INSTRUCTION". */
  index: number;
  total: number;
  instruction: string;
}

export interface BuildImageOptions {
  tag: string;
  /** Path of the Dockerfile inside the context tar. */
  dockerfile: string;
  buildArgs?: Record<string, string>;
  target?: string;
  labels?: Record<string, string>;
  networkMode?: string;
  extraHosts?: string[];
  shmSizeBytes?: number;
  cacheFrom?: string[];
  /** A Git repository or HTTP(S) URL the Engine fetches as the context (no context stream then). */
  remote?: string;
  onStep?: (step: BuildStep) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

const OUTPUT_LINES_KEPT = 20;
const STEP_LINE = /^Step (\d+)\/(\d+) : (.*)$/;
/** The legacy builder's own bookkeeping lines, left out of the output shown for a failed step. */
const BUILDER_CHATTER = /^(--->|Removing intermediate container|Successfully (built|tagged))/;

/**
 * Builds an image from a tar of the build context through the Engine's /build endpoint. A failed
 * step arrives inside a 200 stream as `errorDetail`: it is turned into a `failed` ToolError naming
 * the step and its last output lines. Cancellation and the deadline abort the HTTP request.
 */
export async function buildImage(
  engine: Engine,
  context: Readable | undefined,
  opts: BuildImageOptions,
): Promise<{ imageId: string }> {
  let step: BuildStep | undefined;
  let streamError: string | undefined;
  let imageId: string | undefined;
  const output: string[] = [];
  const query: Docker.ImageBuildOptions & { abortSignal?: AbortSignal } = {
    t: opts.tag,
    dockerfile: opts.dockerfile,
    rm: true,
    forcerm: true,
    // The legacy builder: BuildKit's session protocol is not spoken here.
    version: '1',
  };
  if (opts.buildArgs && Object.keys(opts.buildArgs).length) query.buildargs = opts.buildArgs;
  if (opts.target) query.target = opts.target;
  if (opts.labels && Object.keys(opts.labels).length) query.labels = opts.labels;
  if (opts.networkMode) query.networkmode = opts.networkMode;
  if (opts.shmSizeBytes !== undefined) query.shmsize = opts.shmSizeBytes;
  if (opts.remote !== undefined) query.remote = opts.remote;
  const extra: Record<string, unknown> = {};
  // Repeated query parameters, as the docker CLI sends them.
  if (opts.extraHosts?.length) extra.extrahosts = opts.extraHosts;
  if (opts.cacheFrom?.length) extra.cachefrom = JSON.stringify(opts.cacheFrom);
  await engine.call(
    'build image',
    async (docker, signal) => {
      const stream = (await docker.buildImage(
        context as Readable,
        {
          ...query,
          ...extra,
          abortSignal: signal,
        } as Docker.ImageBuildOptions,
      )) as Readable;
      signal.addEventListener('abort', () => stream.destroy(), { once: true });
      await forEachJsonLine(stream, (ev) => {
        if (typeof ev.stream === 'string') {
          for (const line of ev.stream.split('\n')) {
            const m = STEP_LINE.exec(line.trim());
            if (m) {
              step = { index: Number(m[1]), total: Number(m[2]), instruction: m[3] as string };
              output.length = 0;
              opts.onStep?.(step);
            } else if (line.trim() && !BUILDER_CHATTER.test(line.trim())) {
              output.push(line.slice(0, 500));
              if (output.length > OUTPUT_LINES_KEPT) output.shift();
            }
          }
        }
        const aux = ev.aux as { ID?: string } | undefined;
        if (typeof aux?.ID === 'string') imageId = aux.ID;
        const detail = ev.errorDetail as { message?: string } | undefined;
        if (typeof detail?.message === 'string') streamError = detail.message;
        else if (typeof ev.error === 'string') streamError = ev.error;
      });
      if (signal.aborted) throw new ToolError('failed', `Cancelled: build image ${opts.tag}.`);
    },
    { target: opts.tag, signal: opts.signal, timeoutMs: opts.timeoutMs ?? Math.max(engine.timeoutMs, 600_000) },
  );
  if (streamError !== undefined) {
    const at = step ? `step ${step.index}/${step.total} (${step.instruction.slice(0, 300)})` : 'before the first step';
    const tail = output.length ? `\nLast output:\n${output.map((l) => `  ${l}`).join('\n')}` : '';
    throw new ToolError('failed', `Building ${opts.tag} failed at ${at}: ${streamError.trim().slice(0, 1000)}${tail}`, {
      step: step ?? null,
      output: [...output],
    });
  }
  if (imageId === undefined) {
    const img = await engine.call('inspect image', (d) => d.getImage(opts.tag).inspect(), {
      target: opts.tag,
      signal: opts.signal,
    });
    imageId = img.Id;
  }
  return { imageId };
}
