import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { ToolError } from '../kernel/errors.js';

/** Compose documents shipped with the package in templates/, each with an `x-template` block. */

export interface TemplateVariable {
  name: string;
  /** The default written in the document (`${NAME:-default}`); absent when there is none. */
  default?: string;
  /** True for `${NAME:?message}`: the deploy fails unless it is given. */
  required: boolean;
  description?: string;
}

export interface StackTemplate {
  name: string;
  description: string;
  variables: TemplateVariable[];
  services: string[];
  text: string;
  path: string;
}

/**
 * The package's templates/ folder: two levels up from src/stacks or dist/stacks, one level
 * up from the bundled dist/cli.js.
 */
export const TEMPLATES_DIR =
  ['../../templates/', '../templates/']
    .map((rel) => fileURLToPath(new URL(rel, import.meta.url)))
    .find((dir) => existsSync(dir)) ?? fileURLToPath(new URL('../../templates/', import.meta.url));

const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}/g;

/** The variables a Compose text uses, with their defaults; `$$` escapes are skipped. Pure. */
export function templateVariables(text: string, descriptions: Record<string, string> = {}): TemplateVariable[] {
  const found = new Map<string, TemplateVariable>();
  const unescaped = text.replace(/\$\$/g, '');
  for (const m of unescaped.matchAll(VARIABLE)) {
    const [, name = '', op, arg] = m;
    const v = found.get(name) ?? { name, required: false };
    if (op === ':-' || op === '-') v.default ??= arg ?? '';
    if (op === ':?' || op === '?') v.required = true;
    const d = descriptions[name];
    if (d) v.description = d;
    found.set(name, v);
  }
  return [...found.values()];
}

function loadTemplate(name: string, path: string): StackTemplate {
  const text = readFileSync(path, 'utf8');
  const doc = (parse(text) ?? {}) as {
    'x-template'?: { description?: string; variables?: Record<string, string> };
    services?: Record<string, unknown>;
  };
  const meta = doc['x-template'] ?? {};
  return {
    name,
    description: meta.description ?? '',
    variables: templateVariables(text, meta.variables ?? {}),
    services: Object.keys(doc.services ?? {}),
    text,
    path,
  };
}

export function listTemplates(dir = TEMPLATES_DIR): StackTemplate[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  } catch {
    return [];
  }
  return files.sort().map((f) => loadTemplate(f.replace(/\.ya?ml$/, ''), `${dir}${dir.endsWith('/') ? '' : '/'}${f}`));
}

export function getTemplate(name: string, dir = TEMPLATES_DIR): StackTemplate {
  const all = listTemplates(dir);
  const t = all.find((x) => x.name === name);
  if (!t) {
    throw new ToolError(
      'not_found',
      `Unknown template "${name}". Available templates: ${all.map((x) => x.name).join(', ') || '(none)'}; list_stack_templates describes them.`,
    );
  }
  return t;
}
