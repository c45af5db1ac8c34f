import { ToolError } from '../../kernel/errors.js';

/** One step of a key path: a mapping key or a sequence index. */
export type PathSegment = string | number;
export type KeyPath = readonly PathSegment[];

/** One problem found in a Compose file, located by key path and (when known) line. */
export interface ComposeIssue {
  path: string;
  line?: number;
  message: string;
}

/** Finds the 1-based line of a key path in the source, if it is there. */
export type Locate = (path: KeyPath) => number | undefined;

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** ['services', 'web', 'ports', 0] -> "services.web.ports[0]"; odd keys are quoted: labels["com.x"]. */
export function formatPath(path: KeyPath): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function formatIssue(issue: ComposeIssue): string {
  const line = issue.line === undefined ? '' : issue.path ? ` (line ${issue.line})` : `line ${issue.line}`;
  const where = issue.path + line;
  return where ? `${where}: ${issue.message}` : issue.message;
}

const LISTED_IN_MESSAGE = 10;

/** One invalid_input error listing the first problems in its message and all of them in details.errors. */
export function composeError(issues: readonly ComposeIssue[], title = 'Invalid Compose file'): ToolError {
  const shown = issues.slice(0, LISTED_IN_MESSAGE).map((i) => `- ${formatIssue(i)}`);
  if (issues.length > LISTED_IN_MESSAGE) shown.push(`- ... and ${issues.length - LISTED_IN_MESSAGE} more`);
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return new ToolError('invalid_input', `${title} (${count}):\n${shown.join('\n')}`, { errors: [...issues] });
}

/** Collects every problem instead of stopping at the first, so one answer can list them all. */
export class IssueCollector {
  readonly issues: ComposeIssue[] = [];

  constructor(private readonly locate: Locate = () => undefined) {}

  add(path: KeyPath, message: string): void {
    const issue: ComposeIssue = { path: formatPath(path), message };
    const line = this.locate(path);
    if (line !== undefined) issue.line = line;
    this.issues.push(issue);
  }

  get count(): number {
    return this.issues.length;
  }

  throwIfAny(title?: string): void {
    if (this.issues.length > 0) throw composeError(this.issues, title);
  }
}
