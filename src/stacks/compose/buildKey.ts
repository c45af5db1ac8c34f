import type { PullPolicy } from '../../docker/images.js';
import { parseMemory } from '../../docker/specParsers.js';
import { formatPath, type PathSegment } from './issues.js';
import * as K from './keys.js';
import type { BuildDefinition, ServicePullPolicy } from './model.js';
import { extraHostsOf, labelsOf, type ServiceContext } from './serviceFields.js';
import type { FieldReader } from './reader.js';

type Path = readonly PathSegment[];

/** A service's `build`: the short form (`build: ./dir`) or the mapping. */
export function buildOf(
  value: unknown,
  path: Path,
  ctx: ServiceContext,
  servicePlatform?: string,
): BuildDefinition | undefined {
  const { read } = ctx;
  if (typeof value === 'string') {
    if (!value.trim()) return void read.add(path, 'expected the path of the build context folder');
    return { context: value, args: {}, labels: {}, extraHosts: [], cacheFrom: [] };
  }
  const raw = read.map(value, path);
  if (!raw) return undefined;
  read.keys(raw, path, K.BUILD_KEYS, K.BUILD_UNSUPPORTED, K.BUILD_UNSUPPORTED_HINTS);
  const at = (key: string): Path => [...path, key];
  const def: BuildDefinition = { context: '.', args: {}, labels: {}, extraHosts: [], cacheFrom: [] };
  if (raw.context !== undefined) {
    const c = read.string(raw.context, at('context'), { nonEmpty: true });
    if (c !== undefined && isRemoteContext(c)) {
      if (!/^(https?|git):\/\/|^git@/i.test(c))
        read.add(at('context'), 'a remote build context is a Git repository or an HTTP(S) URL');
      else def.context = c;
    } else if (c !== undefined) def.context = c;
  }
  // An empty `dockerfile` (an unset variable) means the default, as in Compose.
  if (raw.dockerfile !== undefined && raw.dockerfile !== '')
    set(def, 'dockerfile', read.string(raw.dockerfile, at('dockerfile'), { nonEmpty: true }));
  if (raw.dockerfile_inline !== undefined)
    set(def, 'dockerfileInline', read.string(raw.dockerfile_inline, at('dockerfile_inline'), { nonEmpty: true }));
  if (def.dockerfile !== undefined && def.dockerfileInline !== undefined)
    read.add(path, '"dockerfile" and "dockerfile_inline" cannot both be set');
  if (raw.args !== undefined) {
    // `ARG` without a value takes it from the interpolation environment, as Compose does; unset means left out.
    for (const [key, v] of Object.entries(read.keyValues(raw.args, at('args')) ?? {})) {
      const resolved = v ?? ctx.env[key];
      if (resolved !== undefined) def.args[key] = resolved;
    }
  }
  if (raw.target !== undefined) set(def, 'target', read.string(raw.target, at('target'), { nonEmpty: true }));
  if (raw.labels !== undefined) def.labels = labelsOf(raw.labels, at('labels'), read);
  if (raw.network !== undefined) set(def, 'network', read.string(raw.network, at('network'), { nonEmpty: true }));
  if (raw.extra_hosts !== undefined) def.extraHosts = extraHostsOf(raw.extra_hosts, at('extra_hosts'), read);
  if (raw.shm_size !== undefined) {
    const size = raw.shm_size as string | number;
    set(
      def,
      'shmSizeBytes',
      read.attempt(at('shm_size'), () => parseMemory(size, 'shm_size')),
    );
  }
  if (raw.cache_from !== undefined) def.cacheFrom = read.list(raw.cache_from, at('cache_from')) ?? [];
  if (raw.platforms !== undefined) {
    const platforms = read.list(raw.platforms, at('platforms'));
    if (platforms?.length) {
      const wanted = servicePlatform?.toLowerCase();
      if (wanted !== undefined && !platforms.some((p) => p.toLowerCase() === wanted))
        read.add(at('platforms'), `must include the service's platform "${servicePlatform}", as in Compose`);
      def.platforms = platforms;
      if (platforms.length > 1)
        ctx.warnings?.push(
          `${formatPath(path)}.platforms: the image is built for the Engine's own platform only (the Engine's builder makes one platform per build), not ${platforms.join(', ')}.`,
        );
    }
  }
  return def;
}

/** `https://…`, `git://…`, `git@host:repo`: a context the Engine fetches itself. */
export function isRemoteContext(context: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(context) || /^git@/i.test(context);
}

const PULL_POLICIES: Record<string, ServicePullPolicy> = {
  always: 'always',
  never: 'never',
  missing: 'missing',
  if_not_present: 'missing',
  build: 'build',
};

/** `pull_policy`: always, never, missing (or if_not_present), build. */
export function pullPolicyOf(value: unknown, path: Path, read: FieldReader): ServicePullPolicy | undefined {
  const s = read.string(value, path);
  if (s === undefined) return undefined;
  const policy = PULL_POLICIES[s];
  if (!policy) read.add(path, `expected one of always, never, missing, if_not_present, build; got "${s}"`);
  return policy;
}

/**
 * The pull policy a service's image gets: its own `pull_policy` (always, missing, never) over the
 * deploy's `pull`; "build" concerns building, so the deploy's applies. As the stack applier does.
 */
export function effectivePull(service: { pullPolicy?: ServicePullPolicy }, stackPull: PullPolicy): PullPolicy {
  return service.pullPolicy === undefined || service.pullPolicy === 'build' ? stackPull : service.pullPolicy;
}

function set<T, F extends keyof T>(target: T, field: F, value: T[F] | undefined): void {
  if (value !== undefined) target[field] = value;
}
