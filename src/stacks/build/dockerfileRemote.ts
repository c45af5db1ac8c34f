/**
 * Finds the `ADD` sources of a Dockerfile that the builder would fetch over the network (an
 * `ADD http://...` is downloaded by the Engine, from the host's network namespace). The text is
 * read the way the builder reads it: the `# escape=` parser directive, line continuations,
 * comment lines, instruction names in any case, `--flag` options, the JSON-array form and
 * `ONBUILD ADD`. Decisions lean to "remote": a source whose text still holds `$` could become a
 * URL once ARG/ENV are expanded, and escapes and quotes are removed before looking for `://`.
 */

type Escape = '\\' | '`';

const DIRECTIVE = /^#[ \t]*([a-z][a-z0-9]*)[ \t]*=[ \t]*(.*?)[ \t]*$/i;

/**
 * The escape character the parser directives at the top of the file set (`\` by default). Only
 * the leading run of directive lines counts, as in the builder.
 */
export function dockerfileEscape(text: string): Escape {
  for (const line of text.split(/\r?\n/)) {
    const m = DIRECTIVE.exec(line.trim());
    if (!m) break;
    if (m[1]?.toLowerCase() === 'escape') return m[2]?.[0] === '`' ? '`' : '\\';
  }
  return '\\';
}

/** Logical instruction lines: continuations joined, comment and blank lines left out. */
export function logicalLines(text: string, escape: Escape): string[] {
  const out: string[] = [];
  const continued = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  let pending: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\r$/, '');
    const trimmed = line.trim();
    // Comment and empty lines are dropped, also inside a continued instruction.
    if (trimmed.startsWith('#') || trimmed === '') continue;
    const cont = continued.test(line);
    const part = cont ? line.replace(continued, '') : line;
    pending = pending === undefined ? part : pending + part;
    if (!cont) {
      out.push(pending.trim());
      pending = undefined;
    }
  }
  if (pending !== undefined && pending.trim()) out.push(pending.trim());
  return out;
}

/** True when the builder could fetch this `ADD` source over the network. */
export function isRemoteAddSource(source: string, escape: Escape = '\\'): boolean {
  if (source.includes('$')) return true;
  const plain = source.split(escape).join('').replace(/["']/g, '');
  return plain.includes('://') || /^git@/i.test(plain);
}

/** The sources of one `ADD` (its arguments after the flags, all but the destination). */
function addSources(args: string): string[] {
  let rest = args.trim();
  for (;;) {
    const m = /^--\S*\s*/.exec(rest);
    if (!m) break;
    rest = rest.slice(m[0].length);
  }
  let words: string[] | undefined;
  if (rest.startsWith('[')) {
    try {
      const parsed: unknown = JSON.parse(rest);
      if (Array.isArray(parsed) && parsed.every((w) => typeof w === 'string')) words = parsed as string[];
    } catch {
      // Not JSON: the builder reads it as the shell form.
    }
  }
  words ??= rest.split(/\s+/).filter(Boolean);
  // A lone word is still checked: the builder refuses it, but nothing here should fetch it first.
  return words.length > 1 ? words.slice(0, -1) : words;
}

function remoteSourcesWith(text: string, escape: Escape): string[] {
  const found: string[] = [];
  for (const line of logicalLines(text, escape)) {
    let instruction = line;
    // ONBUILD ADD ... runs in every image built FROM this one.
    for (;;) {
      const m = /^onbuild\s+/i.exec(instruction);
      if (!m) break;
      instruction = instruction.slice(m[0].length);
    }
    const m = /^add(?:\s+|$)/i.exec(instruction);
    if (!m) continue;
    for (const src of addSources(instruction.slice(m[0].length))) if (isRemoteAddSource(src, escape)) found.push(src);
  }
  return found;
}

/**
 * The `ADD` sources in `text` that the builder could fetch over the network. The file is read
 * with the escape its directive sets and also with the other one (the legacy builder and BuildKit
 * disagree on which leading comments are directives): a remote source under either is reported.
 */
export function remoteAddSources(text: string): string[] {
  const primary = dockerfileEscape(text);
  const other: Escape = primary === '\\' ? '`' : '\\';
  return [...new Set([...remoteSourcesWith(text, primary), ...remoteSourcesWith(text, other)])];
}
