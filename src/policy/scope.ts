import type { Config } from '../config.js';
import { ToolError } from '../kernel/errors.js';
import { isManaged } from '../docker/labels.js';

/**
 * Ownership scope: by default tools that change things touch only objects this server
 * labelled as managed. `--scope all` (DOM_SCOPE=all) widens it to everything.
 */
export function assertInScope(config: Config, labels: Record<string, string> | null | undefined, what: string): void {
  assertManagedInScope(config, isManaged(labels), what);
}

/** The same rule, for a caller that already knows whether the object is managed. */
export function assertManagedInScope(config: Config, managed: boolean, what: string): void {
  if (config.scope === 'all' || managed) return;
  throw new ToolError(
    'denied',
    `Refused: ${what} was not created by this server (no io.docker-orchestration-mcp.managed label) and the ownership scope is "managed". Start the server with --scope all (or DOM_SCOPE=all) to act on any object.`,
  );
}
