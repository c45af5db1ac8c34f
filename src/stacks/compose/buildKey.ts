import { parseMemory } from '../../docker/specParsers.js';
import type { PathSegment } from './issues.js';
import * as K from './keys.js';
import type { BuildDefinition, ServicePullPolicy } from './model.js';
import { extraHostsOf, labelsOf, type ServiceContext } from './validateService.js';
import type { FieldReader } from './reader.js';

type Path = readonly PathSegment[];

/** A service's `build`: the short form (`build: ./dir`) or the mapping. */
export function buildOf(value: unknown, path: Path, ctx: ServiceContext): BuildDefinition | undefined {
  const { read } = ctx;
  if (typeof value === 'string') {
    if (!value.trim()) return void read.add(path, 'expected the path of the build context folder');
    return { context: value, args: {}, labels: {}, extraHosts: [], cacheFrom: [] };
  }
  const raw = read.map(value, path);
  if (!raw) return undefined;
  read.keys(raw, path, K.BUILD_KEYS, K.BUILD_UNSUPPORTED);
  const at = (key: string): Path => [...path, key];
  const def: BuildDefinition = { context: '.', args: {}, labels: {}, extraHosts: [], cacheFrom: [] };
  if (raw.context !== undefined) {
    const c = read.string(raw.context, at('context'), { nonEmpty: true });
    if (c !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(c))
      read.add(at('context'), 'only a local folder can be a build context here (no Git or HTTP URLs)');
    else if (c !== undefined) def.context = c;
  }
  if (raw.dockerfile !== undefined)
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
  return def;
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

function set<T, F extends keyof T>(target: T, field: F, value: T[F] | undefined): void {
  if (value !== undefined) target[field] = value;
}
