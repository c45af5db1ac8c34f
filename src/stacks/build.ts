import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import { buildImage } from '../docker/images.js';
import { COMPOSE_PROJECT, COMPOSE_SERVICE, LABEL_BUILD_HASH } from '../docker/labels.js';
import { imageLabels } from '../docker/stackObjects.js';
import type { FileReader } from '../kernel/fileReader.js';
import { canonicalJson } from './compose/hash.js';
import type { ComposeProject, ComposeService } from './compose/index.js';
import { isRemoteContext } from './compose/buildKey.js';
import { contextHash, contextTar, scanContext, type ScannedContext } from './build/context.js';
import { remoteAddSources } from './build/dockerfileRemote.js';

/** What the deploy does about one service's image: build it, or use the one already there. */
export interface BuildDecision {
  service: string;
  image: string;
  action: 'build' | 'keep';
  reason: string;
  /** sha256 of the build inputs, stored on the image as LABEL_BUILD_HASH. */
  inputsHash: string;
}

export interface PreparedBuild extends BuildDecision {
  /** What is sent to the Engine; absent for a remote (Git/HTTP) context, which the Engine fetches. */
  context?: ScannedContext;
}

export interface PrepareOptions {
  files: FileReader;
  maxContextBytes: number;
  /** DOM_ALLOW_HOST_NETWORK: whether RUN steps may use the host's network (`build.network: host`). */
  allowHostNetwork: boolean;
  /**
   * DOM_ALLOW_REMOTE_BUILD_CONTEXTS: whether the Engine may fetch build inputs over the network (a
   * remote build context, a Dockerfile `ADD <url>`). It fetches them from the host's network
   * namespace, where services bound to the host's loopback are in reach of no container.
   */
  allowRemoteBuilds: boolean;
  /**
   * A dry run: a build input that is missing (context folder, Dockerfile) is reported in the plan
   * (the build's reason and a warning) instead of failing, as `docker compose --dry-run` plans it;
   * the deploy itself refuses it. Policy refusals still throw.
   */
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** Networks a build's RUN steps may use: the Engine's own, never another stack's (which may not exist yet). */
function checkBuildNetwork(service: string, network: string | undefined, allowHost: boolean): void {
  if (network === undefined || ['default', 'bridge', 'none'].includes(network)) return;
  if (network === 'host') {
    if (allowHost) return;
    throw new ToolError(
      'denied',
      `Refused by policy (host network): service "${service}" builds with network "host", which gives RUN steps the host's network. Use the default build network, or ask the operator to start the server with DOM_ALLOW_HOST_NETWORK=true.`,
    );
  }
  throw new ToolError(
    'invalid_input',
    `Service "${service}": build network "${network}" is not supported here: builds run on "default", "bridge" or "none" (or "host" when allowed).`,
  );
}

const REMOTE_SETTING = 'DOM_ALLOW_REMOTE_BUILD_CONTEXTS=true';

/** A context the Engine (or Compose) fetches: a URL, `git@host:repo`, or Compose's `github.com/owner/repo` form. */
export function isFetchedContext(context: string): boolean {
  return isRemoteContext(context) || /^github\.com\//i.test(context.trim());
}

function refuseRemote(rule: string, message: string): never {
  throw new ToolError(
    'denied',
    `Refused by policy (${rule}): ${message}. The Engine would fetch it from the host's network, which reaches services no container can. Use a local build context, or ask the operator to start the server with ${REMOTE_SETTING}.`,
    { rule, setting: 'DOM_ALLOW_REMOTE_BUILD_CONTEXTS' },
  );
}

/** Refuses a Dockerfile that makes the builder download something (`ADD <url>`), unless allowed. */
function checkDockerfileAdds(service: string, dockerfileText: string, allow: boolean): void {
  if (allow) return;
  const remote = remoteAddSources(dockerfileText);
  if (remote.length === 0) return;
  refuseRemote(
    'remote-build-add',
    `the Dockerfile of service "${service}" has ADD with a remote source (${remote
      .slice(0, 3)
      .map((r) => JSON.stringify(r.slice(0, 200)))
      .join(', ')}; a source with "$" counts, as ARG/ENV may make it a URL)`,
  );
}

/**
 * For every service with `build`: resolves its context (against the project's working folder,
 * inside the file roots), lists what would be sent, hashes the build inputs and folds that hash
 * into the service's config hash (so a changed context recreates the service and an unchanged one
 * keeps it), then decides whether to build from the pull policy and the image on the Engine.
 * Mutates `project` (config hashes) before the plan is made. Builds nothing.
 */
export async function prepareBuilds(
  engine: Engine,
  project: ComposeProject,
  opts: PrepareOptions,
): Promise<PreparedBuild[]> {
  const out: PreparedBuild[] = [];
  for (const service of project.services) {
    if (!service.build) continue;
    const def = service.build;
    checkBuildNetwork(service.name, def.network, opts.allowHostNetwork);
    let context: ScannedContext | undefined;
    let inputsHash: string;
    if (isFetchedContext(def.context) && !opts.allowRemoteBuilds)
      refuseRemote(
        'remote-build-context',
        `service "${service.name}" has a remote build context (${JSON.stringify(def.context.slice(0, 200))})`,
      );
    if (def.dockerfileInline !== undefined)
      checkDockerfileAdds(service.name, def.dockerfileInline, opts.allowRemoteBuilds);
    if (isRemoteContext(def.context)) {
      if (def.dockerfileInline !== undefined)
        throw new ToolError(
          'invalid_input',
          `Service "${service.name}": "dockerfile_inline" needs a local build context folder; with a remote context, name a Dockerfile in it.`,
        );
      // The Engine fetches the repository: the URL and settings are the inputs known here.
      inputsHash = buildInputsHash(service, `remote\0${def.context}`, def.dockerfile ?? '');
    } else {
      try {
        context = await scanLocalContext(project, service, def, opts);
      } catch (err) {
        if (!opts.dryRun || !(err instanceof ToolError) || err.kind === 'denied') throw err;
        const problem = err.message.replace(/\.$/, '');
        project.warnings.push(`service "${service.name}": the build would fail at deploy: ${problem}.`);
        out.push({
          service: service.name,
          image: service.spec.image,
          action: 'build',
          reason: `would fail: ${problem}`,
          inputsHash: '',
        });
        continue;
      }
      checkDockerfileAdds(service.name, context.dockerfileText, opts.allowRemoteBuilds);
      inputsHash = buildInputsHash(service, await contextHash(context), context.dockerfileText);
    }
    service.configHash = createHash('sha256').update(`${service.configHash}\0build\0${inputsHash}`).digest('hex');
    const { action, reason } = await decide(engine, service, inputsHash, opts.signal);
    out.push({
      service: service.name,
      image: service.spec.image,
      action,
      reason,
      inputsHash,
      ...(context ? { context } : {}),
    });
  }
  return out;
}

/** The context folder (inside the file roots, symlinks resolved) and what would be sent from it. */
async function scanLocalContext(
  project: ComposeProject,
  service: ComposeService,
  def: NonNullable<ComposeService['build']>,
  opts: PrepareOptions,
): Promise<ScannedContext> {
  const base = project.workingDir ?? opts.files.baseDir;
  const what = `build context of service "${service.name}"`;
  const root = await opts.files.realFolder(resolve(base, def.context), what);
  return scanContext(root, {
    ...(def.dockerfile !== undefined ? { dockerfile: def.dockerfile } : {}),
    ...(def.dockerfileInline !== undefined ? { dockerfileInline: def.dockerfileInline } : {}),
    maxBytes: opts.maxContextBytes,
    readText: (abs, file, optional) => opts.files.readText(abs, `${file} of service "${service.name}"`, { optional }),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/** The inputs that make the image: the context's files, the Dockerfile text and the build settings. */
export function buildInputsHash(
  service: Pick<ComposeService, 'build'>,
  filesHash: string,
  dockerfileText: string,
): string {
  const {
    context: _context,
    dockerfile: _dockerfile,
    dockerfileInline: _inline,
    ...settings
  } = service.build ?? { context: '' };
  return createHash('sha256')
    .update(canonicalJson({ files: filesHash, dockerfile: dockerfileText, settings }))
    .digest('hex');
}

async function decide(
  engine: Engine,
  service: ComposeService,
  inputsHash: string,
  signal?: AbortSignal,
): Promise<{ action: 'build' | 'keep'; reason: string }> {
  if (service.pullPolicy === 'build') return { action: 'build', reason: 'pull_policy is "build"' };
  const labels = await imageLabels(engine, service.spec.image, signal);
  if (labels === undefined) return { action: 'build', reason: `image ${service.spec.image} is not on the Engine` };
  if (service.pullPolicy === 'missing' || service.pullPolicy === 'never')
    return { action: 'keep', reason: `image ${service.spec.image} is present (pull_policy "${service.pullPolicy}")` };
  if (labels[LABEL_BUILD_HASH] === inputsHash) return { action: 'keep', reason: 'build inputs unchanged' };
  return {
    action: 'build',
    reason: labels[LABEL_BUILD_HASH]
      ? 'build inputs changed'
      : `image ${service.spec.image} was not built from these inputs`,
  };
}

export interface BuildRunOptions {
  progress: (current: number, total: number, message: string) => void;
  signal?: AbortSignal;
  timeoutMs?: number;
}

/**
 * Builds the images `prepareBuilds` decided to build, one after the other, through the Engine's
 * build endpoint. A failure throws a `failed` ToolError naming the service, the Dockerfile step and
 * its last output lines; nothing else has been created at that point.
 */
export async function buildServices(
  engine: Engine,
  project: ComposeProject,
  builds: readonly PreparedBuild[],
  opts: BuildRunOptions,
): Promise<{ service: string; image: string; imageId: string; durationMs: number }[]> {
  const results = [];
  for (const b of builds.filter((x) => x.action === 'build')) {
    const service = project.services.find((s) => s.name === b.service);
    const def = service?.build;
    if (!service || !def) continue;
    const t0 = Date.now();
    opts.progress(
      0,
      1,
      b.context
        ? `build ${b.service}: sending context (${b.context.totalBytes} bytes)`
        : `build ${b.service}: the Engine fetches ${def.context}`,
    );
    try {
      const { imageId } = await buildImage(engine, b.context ? contextTar(b.context) : undefined, {
        tag: b.image,
        dockerfile: b.context?.dockerfile ?? def.dockerfile ?? 'Dockerfile',
        ...(b.context ? {} : { remote: def.context }),
        buildArgs: def.args,
        ...(def.target !== undefined ? { target: def.target } : {}),
        labels: {
          ...def.labels,
          [COMPOSE_PROJECT]: project.name,
          [COMPOSE_SERVICE]: b.service,
          [LABEL_BUILD_HASH]: b.inputsHash,
        },
        ...(def.network !== undefined ? { networkMode: def.network } : {}),
        extraHosts: def.extraHosts,
        ...(def.shmSizeBytes !== undefined ? { shmSizeBytes: def.shmSizeBytes } : {}),
        cacheFrom: def.cacheFrom,
        onStep: (s) =>
          opts.progress(
            s.index,
            s.total,
            `build ${b.service}: Step ${s.index}/${s.total} : ${s.instruction.slice(0, 200)}`,
          ),
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      });
      results.push({ service: b.service, image: b.image, imageId, durationMs: Date.now() - t0 });
    } catch (err) {
      if (err instanceof ToolError)
        throw new ToolError(err.kind, `Service "${b.service}": ${err.message}`, err.details);
      throw err;
    }
  }
  return results;
}
