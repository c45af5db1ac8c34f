import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { ToolError } from '../docker/errors.js';
import type { ReadFile } from './compose/index.js';
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

/** Synchronous file reader for the Compose library: undefined when the file is missing. */
export const readFileOrUndefined: ReadFile = (path) => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ToolError('invalid_input', `Cannot read ${path}: ${(err as Error).message}`);
  }
};

export function resolveSource(input: SourceInput, cwd = process.cwd()): ResolvedSource {
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
    throw new ToolError('invalid_input', '`variables` go with `template`; for `compose` or `file` use `env` for interpolation.');
  }
  const digest = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);
  if (input.compose !== undefined) {
    return { text: input.compose, label: 'inline', kind: 'compose', variables: {}, digest: digest(input.compose) };
  }
  if (input.file !== undefined) {
    const path = isAbsolute(input.file) ? input.file : resolve(cwd, input.file);
    const text = readFileOrUndefined(path);
    if (text === undefined) throw new ToolError('not_found', `Compose file ${path} does not exist: give the path of a Compose file the server can read.`);
    return { text, label: `file:${path}`, kind: 'file', workingDir: dirname(path), configFile: path, variables: {}, digest: digest(text) };
  }
  const t = getTemplate(input.template as string);
  return { text: t.text, label: `template:${t.name}`, kind: 'template', variables: input.variables ?? {}, digest: digest(t.text) };
}
