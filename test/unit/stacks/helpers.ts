import { expect } from 'vitest';
import { ToolError } from '../../../src/kernel/errors.js';
import type { ComposeIssue } from '../../../src/stacks/compose/issues.js';

/** Runs `fn`, expects an invalid_input ToolError and returns its issues (details.errors). */
export function issuesOf(fn: () => unknown): ComposeIssue[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).kind).toBe('invalid_input');
    return ((err as ToolError).details?.errors ?? []) as ComposeIssue[];
  }
  throw new Error('expected an invalid_input ToolError');
}

/** Joins lines so YAML in tests keeps its indentation readable. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}
