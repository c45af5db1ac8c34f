import type { IssueCollector, PathSegment } from './issues.js';

/** Variables available to interpolation; undefined means unset. */
export type InterpolationEnv = Readonly<Record<string, string | undefined>>;

export class InterpolationError extends Error {
  override name = 'InterpolationError';
}

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const BRACED = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/;

/**
 * Expands Compose variables in one string: `$VAR`, `${VAR}`, `${VAR:-default}` (unset or
 * empty), `${VAR-default}` (unset), `${VAR:?message}` / `${VAR?message}` (error),
 * `${VAR:+alt}` / `${VAR+alt}` (replacement when set) and `$$` for a literal `$`. Defaults may
 * themselves contain variables. A lone `$` is an error, as in Compose. `onUnset` hears about
 * plain references to unset variables (they become "").
 */
export function interpolateString(input: string, env: InterpolationEnv, onUnset?: (name: string) => void): string {
  let out = '';
  let i = 0;
  while (i < input.length) {
    const dollar = input.indexOf('$', i);
    if (dollar < 0) {
      out += input.slice(i);
      break;
    }
    out += input.slice(i, dollar);
    const next = input[dollar + 1];
    if (next === '$') {
      out += '$';
      i = dollar + 2;
    } else if (next === '{') {
      const end = closingBrace(input, dollar + 2);
      if (end < 0)
        throw new InterpolationError('unterminated "${": close it with "}" (or write "$$" for a literal "$")');
      out += expandBraced(input.slice(dollar + 2, end), env, onUnset);
      i = end + 1;
    } else {
      NAME.lastIndex = dollar + 1;
      const name = NAME.exec(input)?.[0];
      if (!name)
        throw new InterpolationError('invalid "$": a variable name must follow it; write "$$" for a literal "$"');
      out += lookup(name, env, onUnset);
      i = dollar + 1 + name.length;
    }
  }
  return out;
}

/** Index of the `}` closing a `${` whose body starts at `from`, counting nested `${...}`. */
function closingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '$' && s[j + 1] === '$') j++;
    else if (s[j] === '$' && s[j + 1] === '{') {
      depth++;
      j++;
    } else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

function lookup(name: string, env: InterpolationEnv, onUnset?: (name: string) => void): string {
  const value = env[name];
  if (value === undefined) onUnset?.(name);
  return value ?? '';
}

function expandBraced(expr: string, env: InterpolationEnv, onUnset?: (name: string) => void): string {
  const m = BRACED.exec(expr);
  // Values are not quoted back: the text may come from a file the caller should not see.
  if (!m)
    throw new InterpolationError(
      'invalid substitution: use ${NAME}, ${NAME:-default}, ${NAME:?message} or ${NAME:+alternative}',
    );
  const name = m[1] as string;
  const op = m[2];
  if (op === undefined) return lookup(name, env, onUnset);
  const arg = () => interpolateString(m[3] ?? '', env, onUnset);
  const value = env[name];
  const isSet = value !== undefined;
  // The ":" forms also treat an empty value as unset.
  const present = op.startsWith(':') ? isSet && value !== '' : isSet;
  switch (op.replace(':', '')) {
    case '-':
      return present ? (value as string) : arg();
    case '+':
      return present ? arg() : '';
    default: {
      if (present) return value as string;
      const message = arg();
      throw new InterpolationError(`required variable ${name} is missing a value${message ? `: ${message}` : ''}`);
    }
  }
}

/**
 * Interpolates every string value in parsed YAML data (mapping keys are left alone). Errors are
 * added to `issues` with their key path; unset variables are reported once each in `warnings`.
 */
export function interpolateData(
  data: unknown,
  env: InterpolationEnv,
  issues: IssueCollector,
  warnings: string[],
): unknown {
  const unset = new Set<string>();
  const onUnset = (name: string) => unset.add(name);
  const walk = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') {
      try {
        return interpolateString(value, env, onUnset);
      } catch (err) {
        if (!(err instanceof InterpolationError)) throw err;
        issues.add(path, err.message);
        return value;
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
    }
    return value;
  };
  const result = walk(data, []);
  for (const name of unset) warnings.push(`The variable ${name} is not set; using an empty string.`);
  return result;
}
