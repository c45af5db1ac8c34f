import { posix } from 'node:path';
import { isToolError } from '../../kernel/errors.js';
import { interpolateData, type InterpolationEnv } from './interpolate.js';
import { IssueCollector, formatPath, type KeyPath, type Locate } from './issues.js';
import * as K from './keys.js';
import { mergeServices } from './merge.js';
import { loadDotEnvFile, parseComposeYaml, type ReadFile } from './parse.js';
import { FieldReader, isRecord } from './reader.js';

/*
 * `include` and `extends`, on interpolated data before validation. Other files are read with the
 * injected reader (the server's confined file reader), relative to the folder of the file that
 * names them. Relative host paths in what comes from another file (bind sources, env_file, build
 * context) are made absolute against that file's folder, as Compose does, so they mean the same
 * thing once merged.
 */

export interface ResolveOptions {
  issues: IssueCollector;
  warnings: string[];
  readFile?: ReadFile;
  /** Folder of the main file; files are unreachable without it (inline Compose text). */
  workingDir?: string;
  /** The main file's path when known (cycle detection and messages). */
  configFile?: string;
  /** Interpolation variables of the main file. */
  env: InterpolationEnv;
  /** Explicit variables: they win in every included file too. */
  explicitEnv: InterpolationEnv;
  /** The lowest source (the server's environment when enabled). */
  fallbackEnv: InterpolationEnv;
  /** Set by resolveIncludesAndExtends: files loaded so far (a diamond of includes must not explode). */
  state?: {
    loads: number;
    cache: Map<string, { data: Record<string, unknown>; locate: Locate } | undefined>;
    /** Included files already resolved (a cycle through one is found the first time it is resolved). */
    resolved: Map<string, Record<string, unknown> | undefined>;
  };
}

/** Where a resource merged into the main file came from, for locating its problems. */
export interface Origin {
  file: string;
  locate: Locate;
}

export interface Resolved {
  data: unknown;
  /** Services, networks and volumes that came from included files: "services.web" -> origin. */
  origins: Map<string, Origin>;
}

const MAX_DEPTH = 20;
/** The most times other files are loaded for one project (includes and extends together). */
export const MAX_FILE_LOADS = 200;
const MAIN = '(the Compose text)';

interface FileContext {
  /** Path of this file, or MAIN. */
  file: string;
  dir?: string;
  env: InterpolationEnv;
}

export function resolveIncludesAndExtends(data: unknown, opts: ResolveOptions): Resolved {
  const main: FileContext = {
    file: opts.configFile ?? MAIN,
    env: opts.env,
    ...(opts.workingDir !== undefined ? { dir: opts.workingDir } : {}),
  };
  const origins = new Map<string, Origin>();
  if (!isRecord(data)) return { data, origins };
  const top = resolveFile(
    data,
    main,
    { ...opts, state: { loads: 0, cache: new Map(), resolved: new Map() } },
    [main.file],
    origins,
    undefined,
  );
  return { data: top, origins };
}

/** One file's includes and extends; `origin` is undefined for the main file. */
function resolveFile(
  top: Record<string, unknown>,
  ctx: FileContext,
  opts: ResolveOptions,
  stack: string[],
  origins: Map<string, Origin>,
  origin: Origin | undefined,
): Record<string, unknown> {
  const report = reporter(opts, origin);
  const out = { ...top };
  if (isRecord(out.services)) out.services = resolveExtends(out.services, ctx, opts, report);
  if (top.include === undefined) return out;
  delete out.include;
  const entries = Array.isArray(top.include) ? top.include : undefined;
  if (!entries) {
    report(['include'], 'expected a list of files (paths, or mappings with "path")');
    return out;
  }
  entries.forEach((entry, i) => {
    const at: KeyPath = ['include', i];
    const spec = includeEntry(entry, at, report);
    if (!spec) return;
    if (ctx.dir === undefined || !opts.readFile) {
      report(
        at,
        'include needs the Compose file on disk: give the stack as `file` (inline Compose text has no folder to read from)',
      );
      return;
    }
    if (stack.length >= MAX_DEPTH) {
      report(at, `includes are nested more than ${MAX_DEPTH} deep`);
      return;
    }
    const paths = spec.paths.map((p) => posix.resolve(ctx.dir as string, p));
    const cycle = paths.find((p) => stack.includes(p));
    if (cycle) {
      report(at, `include cycle: ${[...stack, cycle].join(' -> ')}`);
      return;
    }
    const projectDir =
      spec.projectDirectory === undefined
        ? posix.dirname(paths[0] as string)
        : posix.resolve(ctx.dir, spec.projectDirectory);
    const env = includedEnv(spec, projectDir, ctx.dir, at, opts, report);
    if (!env) return;
    let included: Record<string, unknown> | undefined;
    let firstOrigin: Origin | undefined;
    for (const path of paths) {
      const loaded = loadOtherFile(path, env, opts, at, report);
      if (!loaded) return;
      const fileCtx: FileContext = { file: path, dir: projectDir, env };
      const own: Origin = { file: path, locate: loaded.locate };
      firstOrigin ??= own;
      const key = `${path}\0${projectDir}\0${JSON.stringify(env)}`;
      const resolvedBefore = opts.state?.resolved;
      if (resolvedBefore && !resolvedBefore.has(key)) {
        resolvedBefore.set(key, undefined);
        resolvedBefore.set(
          key,
          rebaseTop(resolveFile(loaded.data, fileCtx, opts, [...stack, path], origins, own), projectDir),
        );
      }
      const resolved =
        resolvedBefore?.get(key) ??
        rebaseTop(resolveFile(loaded.data, fileCtx, opts, [...stack, path], origins, own), projectDir);
      included = included ? mergeTop(included, resolved) : resolved;
      for (const section of ['services', 'networks', 'volumes'] as const) {
        for (const key of Object.keys(isRecord(resolved[section]) ? resolved[section] : {})) {
          if (!origins.has(`${section}.${key}`)) origins.set(`${section}.${key}`, own);
        }
      }
    }
    if (included) mergeIncluded(out, included, at, report, spec.paths.join(', '));
  });
  return out;
}

type Report = (path: KeyPath, message: string) => void;

/** Problems in the main file go to the collector; problems in another file name that file and its line. */
function reporter(opts: ResolveOptions, origin: Origin | undefined): Report {
  if (!origin) return (path, message) => opts.issues.add(path, message);
  return (path, message) => {
    const line = origin.locate(path);
    opts.issues.issues.push({
      path: `${origin.file}: ${formatPath(path)}`,
      ...(line !== undefined ? { line } : {}),
      message,
    });
  };
}

interface IncludeSpec {
  paths: string[];
  projectDirectory?: string;
  envFiles?: string[];
}

function includeEntry(entry: unknown, at: KeyPath, report: Report): IncludeSpec | undefined {
  if (typeof entry === 'string' && entry.trim()) return { paths: [entry.trim()] };
  if (!isRecord(entry)) {
    report(at, 'expected a file path or a mapping with "path"');
    return undefined;
  }
  const read = new FieldReader(new IssueCollector());
  read.keys(entry, at, K.INCLUDE_KEYS);
  for (const i of read.issues.issues) report(at, i.message);
  const paths =
    typeof entry.path === 'string' ? [entry.path] : Array.isArray(entry.path) ? entry.path.map(String) : undefined;
  if (!paths?.length || paths.some((p) => !p.trim())) {
    report([...at, 'path'], 'expected a file path or a list of paths');
    return undefined;
  }
  const spec: IncludeSpec = { paths };
  if (entry.project_directory !== undefined) {
    if (typeof entry.project_directory !== 'string' || !entry.project_directory.trim()) {
      report([...at, 'project_directory'], 'expected a folder path');
      return undefined;
    }
    spec.projectDirectory = entry.project_directory;
  }
  if (entry.env_file !== undefined) {
    const files =
      typeof entry.env_file === 'string'
        ? [entry.env_file]
        : Array.isArray(entry.env_file)
          ? entry.env_file.map(String)
          : undefined;
    if (!files) {
      report([...at, 'env_file'], 'expected a path or a list of paths');
      return undefined;
    }
    spec.envFiles = files;
  }
  return spec;
}

/**
 * An included file's variables: its env_file(s) (default: `.env` in its project directory)
 * over the including file's, the explicit variables over both.
 */
function includedEnv(
  spec: IncludeSpec,
  projectDir: string,
  includingDir: string,
  at: KeyPath,
  opts: ResolveOptions,
  report: Report,
): InterpolationEnv | undefined {
  const readFile = opts.readFile as ReadFile;
  const fromFiles: Record<string, string> = {};
  try {
    if (spec.envFiles === undefined)
      Object.assign(fromFiles, loadDotEnvFile(projectDir, readFile, opts.explicitEnv, opts.env));
    for (const f of spec.envFiles ?? []) {
      // Like `path`, env_file is relative to the including file's folder.
      const path = posix.resolve(includingDir, f);
      if (readFile(path, 'env_file') === undefined) {
        report([...at, 'env_file'], `env_file "${path}" not found`);
        return undefined;
      }
      Object.assign(
        fromFiles,
        loadDotEnvFile(includingDir, readFile, opts.explicitEnv, { ...opts.env, ...fromFiles }, f),
      );
    }
  } catch (err) {
    if (!isToolError(err)) throw err;
    report(at, err.message);
    return undefined;
  }
  return { ...opts.env, ...fromFiles, ...opts.explicitEnv };
}

function loadOtherFile(
  path: string,
  env: InterpolationEnv,
  opts: ResolveOptions,
  at: KeyPath,
  report: Report,
): { data: Record<string, unknown>; locate: Locate } | undefined {
  // The same file with the same variables parses to the same data.
  const key = `${path}\0${JSON.stringify(env)}`;
  const state = opts.state ?? { loads: 0, cache: new Map(), resolved: new Map() };
  if (state.cache.has(key)) return state.cache.get(key);
  if (++state.loads > MAX_FILE_LOADS) {
    report(at, `more than ${MAX_FILE_LOADS} files are included or extended: simplify the include/extends graph`);
    return undefined;
  }
  const loaded = loadAndInterpolate(path, env, opts, at, report);
  state.cache.set(key, loaded);
  return loaded;
}

function loadAndInterpolate(
  path: string,
  env: InterpolationEnv,
  opts: ResolveOptions,
  at: KeyPath,
  report: Report,
): { data: Record<string, unknown>; locate: Locate } | undefined {
  // A refusal by the file reader (outside the file roots, too large) stands as it is.
  const text = (opts.readFile as ReadFile)(path, 'Compose file');
  if (text === undefined) {
    report(at, `file "${path}" not found`);
    return undefined;
  }
  let parsed;
  try {
    parsed = parseComposeYaml(text);
  } catch (err) {
    if (!isToolError(err)) throw err;
    report(at, `${path}: ${err.message}`);
    return undefined;
  }
  const own = new IssueCollector(parsed.locate);
  const data = interpolateData(parsed.data, env, own, opts.warnings);
  for (const issue of own.issues) opts.issues.issues.push({ ...issue, path: `${path}: ${issue.path}` });
  if (own.count > 0) return undefined;
  if (!isRecord(data)) {
    report(at, `${path} is not a Compose file (expected a mapping at the top)`);
    return undefined;
  }
  return { data, locate: parsed.locate };
}

/** Several files in one include are merged as override files. */
function mergeTop(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out = { ...base, ...over };
  for (const section of ['services', 'networks', 'volumes'] as const) {
    const b = isRecord(base[section]) ? base[section] : {};
    const o = isRecord(over[section]) ? over[section] : {};
    const merged: Record<string, unknown> = { ...b };
    for (const [k, v] of Object.entries(o)) {
      merged[k] = section === 'services' && isRecord(b[k]) && isRecord(v) ? mergeServices(b[k], v) : v;
    }
    if (section in base || section in over) out[section] = merged;
  }
  return out;
}

/** Adds an included file's services, networks and volumes; a name defined on both sides is refused. */
function mergeIncluded(
  out: Record<string, unknown>,
  included: Record<string, unknown>,
  at: KeyPath,
  report: Report,
  what: string,
): void {
  for (const section of ['services', 'networks', 'volumes'] as const) {
    const theirs = included[section];
    if (!isRecord(theirs)) continue;
    const ours: Record<string, unknown> = isRecord(out[section]) ? { ...out[section] } : {};
    for (const [key, value] of Object.entries(theirs)) {
      if (key in ours && JSON.stringify(ours[key]) !== JSON.stringify(value)) {
        report(
          at,
          `${section.slice(0, -1)} "${key}" is defined both here and in the included ${what}: rename one of them (or remove one definition)`,
        );
        continue;
      }
      ours[key] = value;
    }
    out[section] = ours;
  }
}

// ---------------------------------------------------------------------------
// extends

function resolveExtends(
  services: Record<string, unknown>,
  ctx: FileContext,
  opts: ResolveOptions,
  report: Report,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(services)) {
    const svc = services[name];
    out[name] =
      isRecord(svc) && svc.extends !== undefined
        ? (extendService(name, services, ctx, opts, report, []) ?? withoutExtends(svc))
        : svc;
  }
  return out;
}

function withoutExtends(svc: Record<string, unknown>): Record<string, unknown> {
  const { extends: _extends, ...rest } = svc;
  return rest;
}

/** The service `name` of `services` (in file ctx) with its extends chain applied; undefined after reporting a problem. */
function extendService(
  name: string,
  services: Record<string, unknown>,
  ctx: FileContext,
  opts: ResolveOptions,
  report: Report,
  chain: string[],
): Record<string, unknown> | undefined {
  const svc = services[name];
  const at: KeyPath = ['services', chain.length ? (chain[0]?.split('#')[1] ?? name) : name, 'extends'];
  if (!isRecord(svc)) return undefined;
  const id = `${ctx.file}#${name}`;
  if (chain.includes(id)) {
    report(at, `extends cycle: ${[...chain, id].map(shortId).join(' -> ')}`);
    return undefined;
  }
  if (chain.length >= MAX_DEPTH) {
    report(at, `extends is nested more than ${MAX_DEPTH} deep`);
    return undefined;
  }
  if (svc.extends === undefined) return svc;
  const ext = svc.extends;
  let base: string | undefined;
  let file: string | undefined;
  if (typeof ext === 'string') base = ext;
  else if (isRecord(ext)) {
    for (const key of Object.keys(ext)) {
      if (!(K.EXTENDS_KEYS as readonly string[]).includes(key))
        report([...at, key], `unknown key "${key}" (extends takes service and file)`);
    }
    if (typeof ext.service === 'string' && ext.service) base = ext.service;
    if (ext.file !== undefined) {
      if (typeof ext.file !== 'string' || !ext.file.trim()) report([...at, 'file'], 'expected a file path');
      else file = ext.file;
    }
  }
  if (base === undefined) {
    report(at, 'expected a service name, or a mapping with "service" (and optionally "file")');
    return undefined;
  }
  let baseServices = services;
  let baseCtx = ctx;
  if (file !== undefined) {
    if (ctx.dir === undefined || !opts.readFile) {
      report(
        at,
        'extends with "file" needs the Compose file on disk: give the stack as `file`, or define the base service in this file',
      );
      return undefined;
    }
    const path = posix.resolve(ctx.dir, file);
    const loaded = loadOtherFile(path, ctx.env, opts, at, report);
    if (!loaded) return undefined;
    if (!isRecord(loaded.data.services) || !isRecord(loaded.data.services[base])) {
      report(at, `service "${base}" is not defined in ${path}`);
      return undefined;
    }
    baseServices = loaded.data.services;
    baseCtx = { file: path, dir: posix.dirname(path), env: ctx.env };
  } else if (!isRecord(services[base])) {
    report(
      at,
      `service "${base}" is not defined in this file${ctx.file === MAIN ? '' : ` (${ctx.file})`}: define it, or add "file:" naming the file that does`,
    );
    return undefined;
  }
  let resolvedBase = extendService(base, baseServices, baseCtx, opts, report, [...chain, id]);
  if (!resolvedBase) return undefined;
  if (baseCtx.dir !== undefined && baseCtx.dir !== ctx.dir) resolvedBase = rebaseService(resolvedBase, baseCtx.dir);
  return mergeServices(withoutExtends(resolvedBase), withoutExtends(svc));
}

function shortId(id: string): string {
  const [file, name] = id.split('#');
  return file === MAIN ? `${name}` : `${name} (${posix.basename(file ?? '')})`;
}

// ---------------------------------------------------------------------------
// Relative host paths, made absolute against the folder of the file they were written in.

function absolute(p: string, dir: string): string {
  return p.startsWith('/') || p.startsWith('~') ? p : posix.resolve(dir, p);
}

/** A short volume's source is a host path when it starts with ".", "/" or "~". */
function rebaseVolume(v: unknown, dir: string): unknown {
  if (typeof v === 'string') {
    const parts = v.split(':');
    if (parts.length >= 2 && (parts[0] as string).startsWith('.'))
      return [absolute(parts[0] as string, dir), ...parts.slice(1)].join(':');
    return v;
  }
  if (isRecord(v) && v.type === 'bind' && typeof v.source === 'string')
    return { ...v, source: absolute(v.source, dir) };
  return v;
}

function rebaseService(svc: Record<string, unknown>, dir: string): Record<string, unknown> {
  const out = { ...svc };
  if (Array.isArray(out.volumes)) out.volumes = out.volumes.map((v) => rebaseVolume(v, dir));
  if (typeof out.env_file === 'string') out.env_file = absolute(out.env_file, dir);
  else if (Array.isArray(out.env_file)) {
    out.env_file = out.env_file.map((f) =>
      typeof f === 'string'
        ? absolute(f, dir)
        : isRecord(f) && typeof f.path === 'string'
          ? { ...f, path: absolute(f.path, dir) }
          : f,
    );
  }
  if (typeof out.build === 'string') out.build = absolute(out.build, dir);
  else if (isRecord(out.build) && typeof out.build.context === 'string' && !/^[a-z]+:\/\//.test(out.build.context)) {
    out.build = { ...out.build, context: absolute(out.build.context, dir) };
  }
  if (isRecord(out.extends) && typeof out.extends.file === 'string')
    out.extends = { ...out.extends, file: absolute(out.extends.file, dir) };
  return out;
}

function rebaseTop(top: Record<string, unknown>, dir: string): Record<string, unknown> {
  if (!isRecord(top.services)) return top;
  const services = Object.fromEntries(
    Object.entries(top.services).map(([k, v]) => [k, isRecord(v) ? rebaseService(v, dir) : v]),
  );
  return { ...top, services };
}
