import { createHmac } from 'node:crypto';
import { posix } from 'node:path';
import type { InterpolationEnv } from './interpolate.js';
import type { PathSegment } from './issues.js';
import type { ReadFile } from './parse.js';
import { isRecord, type FieldReader } from './reader.js';

/**
 * Compose `secrets` and `configs` without Swarm: a top-level definition names where the content
 * comes from (`file`, `environment` or, for configs, `content`); a service lists the ones it gets
 * as files (secrets under /run/secrets, configs at their target). The content is held in a
 * SecretContent, which prints, serialises and logs as "[redacted]", and only a keyed digest of it
 * enters the config hash.
 */

type Path = readonly PathSegment[];
export type FileSourceKind = 'secret' | 'config';

const REDACTED = '[redacted]';

/** Bytes that must never be shown: every way of turning it into text gives "[redacted]". */
export class SecretContent {
  readonly #bytes: Buffer;
  constructor(text: string) {
    this.#bytes = Buffer.from(text, 'utf8');
  }
  /** The bytes, for the one place that writes them into a container. */
  bytes(): Buffer {
    return this.#bytes;
  }
  get size(): number {
    return this.#bytes.length;
  }
  /** HMAC-SHA256 under `key`: what the config hash includes, so a leaked hash cannot be brute-forced offline. */
  digest(key: Buffer | string): string {
    return createHmac('sha256', key).update(this.#bytes).digest('hex');
  }
  toJSON(): string {
    return REDACTED;
  }
  toString(): string {
    return REDACTED;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return REDACTED;
  }
}

/** A file a service gets from a secret or config: copied into its containers before they start. */
export interface ServiceFile {
  kind: FileSourceKind;
  /** The key under top-level `secrets` / `configs`. */
  source: string;
  /** Absolute path in the container. */
  target: string;
  mode: number;
  uid: number;
  gid: number;
  content: SecretContent;
}

/** Top-level definitions whose content could be read, by key; undefined content means the definition was refused. */
export interface FileSources {
  secrets: ReadonlyMap<string, SecretContent | undefined>;
  configs: ReadonlyMap<string, SecretContent | undefined>;
  /** Variables named by `environment:` sources: their values are content, to be masked wherever inputs are shown. */
  variables: string[];
}

export interface FileSourceContext {
  read: FieldReader;
  env: InterpolationEnv;
  /** Resolves a host path as bind sources and env_file are (relative to the project folder). */
  resolvePath: (p: string) => string | undefined;
  readFile?: ReadFile;
}

const SECRET_KEYS = ['file', 'environment', 'name', 'labels'] as const;
const CONFIG_KEYS = ['file', 'environment', 'content', 'name', 'labels'] as const;
const SWARM_ONLY = ['external', 'driver', 'driver_opts', 'template_driver'] as const;
const SWARM_HINT = 'it needs Swarm; without Swarm give "file", "environment"';

/** Reads top-level `secrets` and `configs`: every definition checked, its content read (through the confined reader). */
export function readFileSources(top: Record<string, unknown>, ctx: FileSourceContext): FileSources {
  const variables: string[] = [];
  for (const section of [top.secrets, top.configs]) {
    if (!isRecord(section)) continue;
    for (const def of Object.values(section)) {
      if (isRecord(def) && typeof def.environment === 'string') variables.push(def.environment);
    }
  }
  return {
    secrets: definitions(top.secrets, 'secret', ctx),
    configs: definitions(top.configs, 'config', ctx),
    variables: [...new Set(variables)].sort(),
  };
}

function definitions(
  value: unknown,
  kind: FileSourceKind,
  ctx: FileSourceContext,
): Map<string, SecretContent | undefined> {
  const out = new Map<string, SecretContent | undefined>();
  if (value === undefined) return out;
  const section = `${kind}s`;
  const entries = ctx.read.map(value, [section]);
  if (!entries) return out;
  for (const [key, raw] of Object.entries(entries)) {
    const path = [section, key];
    const cfg = ctx.read.map(raw, path);
    out.set(key, cfg ? contentOf(kind, key, cfg, path, ctx) : undefined);
  }
  return out;
}

function contentOf(
  kind: FileSourceKind,
  key: string,
  cfg: Record<string, unknown>,
  path: Path,
  ctx: FileSourceContext,
): SecretContent | undefined {
  const { read } = ctx;
  const sources = kind === 'config' ? ['file', 'environment', 'content'] : ['file', 'environment'];
  const hint = `${SWARM_HINT}${kind === 'config' ? ' or "content"' : ''} instead`;
  read.keys(
    cfg,
    path,
    kind === 'config' ? CONFIG_KEYS : SECRET_KEYS,
    SWARM_ONLY,
    Object.fromEntries(SWARM_ONLY.map((k) => [k, hint])),
  );
  const given = sources.filter((s) => cfg[s] !== undefined);
  if (given.length !== 1) {
    if (cfg.external === undefined) {
      read.add(
        path,
        given.length === 0
          ? `${kind} "${key}" needs one of ${sources.map((s) => `"${s}"`).join(', ')}`
          : `give only one of ${given.map((s) => `"${s}"`).join(', ')}`,
      );
    }
    return undefined;
  }
  if (cfg.name !== undefined) read.string(cfg.name, [...path, 'name']);
  if (cfg.labels !== undefined) read.keyValues(cfg.labels, [...path, 'labels']);
  const source = given[0] as 'file' | 'environment' | 'content';
  const at = [...path, source];
  // Values are never quoted in messages below: a Compose file may put anything there.
  if (source === 'content') {
    const text = read.string(cfg.content, at, { numbers: true, booleans: true });
    return text === undefined ? undefined : new SecretContent(text);
  }
  if (source === 'environment') {
    const variable = read.string(cfg.environment, at, { nonEmpty: true });
    if (variable === undefined) return undefined;
    const text = ctx.env[variable];
    if (text === undefined) {
      read.add(at, `variable "${variable}" is not set: pass it in the deploy's "env" (or the project's .env)`);
      return undefined;
    }
    return new SecretContent(text);
  }
  const file = read.string(cfg.file, at, { nonEmpty: true });
  if (file === undefined) return undefined;
  if (!ctx.readFile) {
    read.add(at, `cannot read ${kind} file "${file}": this Compose source has no file access (give it as a file)`);
    return undefined;
  }
  const full = ctx.resolvePath(file);
  if (full === undefined) {
    read.add(at, `cannot resolve "${file}": relative paths need the project directory (deploy with "file")`);
    return undefined;
  }
  // A refusal by the file policy (outside the roots, too large) propagates with its own kind.
  const text = ctx.readFile(full, `${kind} file`);
  if (text === undefined) {
    read.add(at, `${kind} file "${full}" not found`);
    return undefined;
  }
  return new SecretContent(text);
}

/** The `secrets` or `configs` a service lists, as files to copy into its containers. */
export function serviceFilesOf(
  kind: FileSourceKind,
  value: unknown,
  path: Path,
  read: FieldReader,
  sources: FileSources,
  modeText?: (path: Path) => string | undefined,
): ServiceFile[] {
  const defined = kind === 'secret' ? sources.secrets : sources.configs;
  if (!Array.isArray(value)) {
    read.add(path, `expected a list of ${kind} names or mappings with source and target`);
    return [];
  }
  const files: ServiceFile[] = [];
  value.forEach((item: unknown, i) => {
    const at = [...path, i];
    let source: string | undefined;
    let target: string | undefined;
    let mode = 0o444;
    let uid = 0;
    let gid = 0;
    if (typeof item === 'string') source = item;
    else if (isRecord(item)) {
      read.keys(item, at, ['source', 'target', 'uid', 'gid', 'mode']);
      if (item.source === undefined) read.add(at, '"source" is required');
      else source = read.string(item.source, [...at, 'source'], { nonEmpty: true });
      if (item.target !== undefined) target = read.string(item.target, [...at, 'target'], { nonEmpty: true });
      if (item.uid !== undefined) uid = idOf(item.uid, [...at, 'uid'], read) ?? 0;
      if (item.gid !== undefined) gid = idOf(item.gid, [...at, 'gid'], read) ?? 0;
      if (item.mode !== undefined) mode = modeOf(item.mode, [...at, 'mode'], read, modeText?.([...at, 'mode'])) ?? mode;
    } else {
      read.add(at, `expected a ${kind} name or a mapping with source and target`);
      return;
    }
    if (source === undefined) return;
    if (!defined.has(source)) {
      read.add(at, `${kind} "${source}" is not declared under the top-level "${kind}s"`);
      return;
    }
    const content = defined.get(source);
    const full = targetOf(kind, source, target, at, read);
    if (content === undefined || full === undefined) return;
    if (files.some((f) => f.target === full)) {
      read.add(at, `two ${kind}s have the target "${full}"`);
      return;
    }
    files.push({ kind, source, target: full, mode, uid, gid, content });
  });
  return files;
}

const MAX_TARGET = 250;

/** Secrets: /run/secrets/NAME, a relative target under /run/secrets; configs: /NAME, a relative target under /. */
function targetOf(
  kind: FileSourceKind,
  source: string,
  target: string | undefined,
  at: Path,
  read: FieldReader,
): string | undefined {
  const base = kind === 'secret' ? '/run/secrets' : '/';
  const raw = target ?? source;
  const full = posix.normalize(raw.startsWith('/') ? raw : posix.join(base, raw));
  const where = target === undefined ? at : [...at, 'target'];
  if (raw.split('/').includes('..') || raw.includes('\0')) read.add(where, 'the target must not contain ".." or NUL');
  else if (full === '/' || full.endsWith('/')) read.add(where, 'the target must name a file, not a folder');
  else if (Buffer.byteLength(full) > MAX_TARGET) read.add(where, `the target path is longer than ${MAX_TARGET} bytes`);
  else return full;
  return undefined;
}

function idOf(value: unknown, at: Path, read: FieldReader): number | undefined {
  const s = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  if (s !== undefined && /^\d{1,10}$/.test(s) && Number(s) <= 0xffffffff) return Number(s);
  read.add(at, 'expected a numeric user or group id');
  return undefined;
}

/**
 * File modes as Compose reads them: a number with a leading zero (`0440`) or `0o` is octal, other
 * numbers are decimal (`288`), a string is octal ("0440", "440"). YAML 1.2 reads `0440` as the
 * number 440, so for numbers the text as written (`written`, from the source line) decides; without
 * it, a number of at most three octal digits is taken as the octal it most likely was.
 */
function modeOf(value: unknown, at: Path, read: FieldReader, written?: string): number | undefined {
  let mode: number | undefined;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    if (written !== undefined && /^0[0-7]+$/.test(written)) mode = parseInt(written, 8);
    else if (written !== undefined && /^\d+$|^0o[0-7]+$/i.test(written)) mode = value;
    else mode = /^[0-7]{1,3}$/.test(String(value)) ? parseInt(String(value), 8) : value;
  } else if (typeof value === 'string' && /^(0o?)?[0-7]{1,4}$/i.test(value.trim())) {
    mode = parseInt(value.trim().replace(/^0o/i, ''), 8);
  }
  if (mode !== undefined && mode <= 0o7777) return mode;
  read.add(at, 'expected an octal file mode like 0440');
  return undefined;
}
