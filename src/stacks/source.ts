import { createHash } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import type { Config } from '../config.js';
import { ToolError } from '../kernel/errors.js';
import { loadProject, type ComposeProject, type LoadProjectOptions, type ReadFile } from './compose/index.js';
import { getTemplate } from './templates.js';

/** Where a stack's Compose text comes from: inline text, a file (with `.env` beside it) or a template. */

export interface SourceInput {
  compose?: string | undefined;
  file?: string | undefined;
  template?: string | undefined;
  variables?: Record<string, string> | undefined;
}

export interface ResolvedSource {
  text: string;
  /** For labels and history: "inline", "file:/abs/path", "template:name". */
  label: string;
  kind: 'compose' | 'file' | 'template';
  workingDir?: string;
  configFile?: string;
  /** Template variables (only for templates). */
  variables: Record<string, string>;
  digest: string;
}

/** Reads a file on a tool's behalf (the policy's confined reader); undefined when optional and missing. */
export interface TextFiles {
  readText(path: string, what: string, opts?: { optional?: boolean }): Promise<string | undefined>;
  /** Relative `file` paths resolve against this folder. */
  readonly baseDir: string;
}

export interface SourceLimits {
  /** Largest Compose text, inline or from a file, in bytes. */
  maxBytes: number;
}

export async function resolveSource(
  input: SourceInput,
  files: TextFiles,
  limits: SourceLimits,
): Promise<ResolvedSource> {
  const given = (['compose', 'file', 'template'] as const).filter((k) => input[k] !== undefined);
  if (given.length !== 1) {
    throw new ToolError(
      'invalid_input',
      given.length === 0
        ? 'Give exactly one source: `compose` (Compose YAML text), `file` (path to a Compose file) or `template` (see list_stack_templates).'
        : `Give exactly one source, not ${given.map((g) => `\`${g}\``).join(' and ')}: use \`compose\`, \`file\` or \`template\` alone.`,
    );
  }
  if (input.variables !== undefined && input.template === undefined) {
    throw new ToolError(
      'invalid_input',
      '`variables` go with `template`; for `compose` or `file` use `env` for interpolation.',
    );
  }
  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  if (input.compose !== undefined) {
    const size = Buffer.byteLength(input.compose);
    if (size > limits.maxBytes) {
      throw new ToolError(
        'invalid_input',
        `The Compose text is ${size} bytes, over the limit of ${limits.maxBytes} bytes. Split the stack, or ask the operator to raise DOM_MAX_FILE_BYTES.`,
      );
    }
    return { text: input.compose, label: 'inline', kind: 'compose', variables: {}, digest: digest(input.compose) };
  }
  if (input.file !== undefined) {
    // resolve() also normalises an absolute path, so labels and the working dir carry no "..".
    const path = resolve(files.baseDir, input.file);
    const text = (await files.readText(path, 'Compose file')) as string;
    return {
      text,
      label: `file:${path}`,
      kind: 'file',
      workingDir: dirname(path),
      configFile: path,
      variables: {},
      digest: digest(text),
    };
  }
  const t = getTemplate(input.template as string);
  return {
    text: t.text,
    label: `template:${t.name}`,
    kind: 'template',
    variables: input.variables ?? {},
    digest: digest(t.text),
  };
}

/**
 * The interpolation sources the server adds (see Config.compose): the server's environment as the
 * lowest source when the operator enabled it, and the home folder for `~`.
 */
export function composeEnvironment(
  config: Pick<Config, 'compose'>,
): Pick<LoadProjectOptions, 'fallbackEnv' | 'homeDir'> {
  const c = config.compose;
  if (!c) return {};
  return { homeDir: c.homeDir, ...(c.envFromServer && c.serverEnv ? { fallbackEnv: c.serverEnv } : {}) };
}

/**
 * The loader options of a resolved source, the same for a deploy and a validation: the call's
 * variables over the source's, profiles, the working folder and config file, the server's
 * interpolation sources and the policy's cap on services.
 */
export function sourceLoadOptions(
  source: ResolvedSource,
  input: { name: string; env?: Record<string, string> | undefined; profiles?: string[] | undefined },
  config: Pick<Config, 'compose' | 'policy'>,
): LoadProjectOptions {
  return {
    text: source.text,
    projectName: input.name,
    env: { ...source.variables, ...(input.env ?? {}) },
    profiles: input.profiles ?? [],
    ...(source.workingDir !== undefined ? { workingDir: source.workingDir } : {}),
    dotEnv: source.kind === 'file',
    ...composeEnvironment(config),
    ...(source.configFile !== undefined ? { configFile: source.configFile } : {}),
    maxServices: config.policy.maxContainersPerStack,
  };
}

/**
 * loadProject with the files a Compose source refers to (`.env` beside it, `env_file`s) read
 * asynchronously through `files`. The Compose library reads synchronously and learns which
 * files it needs only while loading, so it runs once with what has been read so far; the files it
 * asked for are then read and it runs again (at most a few rounds: `.env` can change env_file paths).
 */
const MAX_READ_ROUNDS = 12;

export async function loadProjectWithFiles(
  opts: Omit<LoadProjectOptions, 'readFile'>,
  files: TextFiles,
): Promise<ComposeProject> {
  const read = new Map<string, { text?: string; error?: unknown }>();
  for (let round = 0; ; round++) {
    const wanted = new Map<string, string>();
    const readFile: ReadFile = (path, what) => {
      const got = read.get(path);
      if (got === undefined) {
        wanted.set(path, what);
        return undefined;
      }
      if (got.error !== undefined) throw got.error;
      return got.text;
    };
    let project: ComposeProject | undefined;
    let failure: unknown;
    try {
      project = loadProject({ ...opts, readFile });
    } catch (err) {
      failure = err;
    }
    // Each round can reveal more files (.env, env_file, include and extends chains).
    if (wanted.size === 0 || round >= MAX_READ_ROUNDS) {
      if (project) return project;
      throw failure;
    }
    await Promise.all(
      [...wanted].map(async ([path, what]) => {
        try {
          const text = await files.readText(path, what, { optional: true });
          read.set(path, text === undefined ? {} : { text });
        } catch (error) {
          read.set(path, { error });
        }
      }),
    );
  }
}
