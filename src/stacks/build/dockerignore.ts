import { posix } from 'node:path';

/**
 * `.dockerignore` as Docker reads it (moby/patternmatcher): one pattern a line, `#` comments,
 * `!` re-includes, `*` and `?` within one path segment, `**` across any number of segments, and a
 * pattern that matches a folder matches everything under it. The last pattern that matches a path
 * decides. Paths are relative to the context, with "/" separators.
 */
export interface IgnoreRule {
  exclusion: boolean;
  regex: RegExp;
  /** The cleaned pattern, for messages and tests. */
  pattern: string;
}

export function parseDockerignore(text: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    let line = rawLine.trim();
    if (!line || line.startsWith('#')) continue;
    let exclusion = false;
    if (line.startsWith('!')) {
      exclusion = true;
      line = line.slice(1).trim();
    }
    // Docker cleans the pattern (filepath.Clean) and strips a leading "/": patterns are relative to the context.
    let pattern = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (pattern === '' || pattern === '.') pattern = '.';
    rules.push({ exclusion, regex: patternRegex(pattern), pattern });
  }
  return rules;
}

/** Translates one pattern into an anchored regular expression over a relative path. */
export function patternRegex(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        // "**/" also matches no folder at all; a trailing "**" matches everything below.
        if (pattern[i + 1] === '/') {
          i++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (ch === '?') out += '[^/]';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) out += '\\[';
      else {
        let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls}]`;
        i = end;
      }
    } else if (ch === '\\' && i + 1 < pattern.length) {
      i++;
      out += escapeRegex(pattern[i] as string);
    } else out += escapeRegex(ch);
  }
  return new RegExp(`${out}$`);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Whether `path` (relative, "/"-separated) is left out of the context: the last matching rule decides; a match on a parent folder counts. */
export function isIgnored(path: string, rules: readonly IgnoreRule[]): boolean {
  let ignored = false;
  const parts = path.split('/');
  for (const rule of rules) {
    let match = rule.regex.test(path);
    for (let i = 1; !match && i < parts.length; i++) match = rule.regex.test(parts.slice(0, i).join('/'));
    if (match) ignored = !rule.exclusion;
  }
  return ignored;
}

/** Whether a folder left out may still hold re-included files (some `!` rule), so it must be walked. */
export function mayReinclude(rules: readonly IgnoreRule[]): boolean {
  return rules.some((r) => r.exclusion);
}
