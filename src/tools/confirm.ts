import { ToolError } from '../docker/errors.js';

/**
 * Asks for confirmation of a destructive action. Resolves true when the action may go
 * ahead, false when it must not (absent or denied); the handler then answers what it
 * would have done and changes nothing.
 */
export type Confirmer = (explicit: boolean | undefined, summary: string) => Promise<boolean>;

/** Raised to hand a 2026-era `input_required` result back through the adapter. */
export class InputRequiredSignal extends Error {
  constructor(readonly result: unknown) {
    super('input required');
  }
}

export interface ConfirmerOptions {
  /** `true` if the connected client declared the elicitation capability. */
  clientCanElicit: () => boolean;
  /** Asks the user through the client; resolves with whether they accepted. */
  elicit?: (summary: string) => Promise<boolean>;
}

export function createConfirmer(opts: ConfirmerOptions): Confirmer {
  return async (explicit, summary) => {
    if (explicit === true) return true;
    if (explicit === false) return false;
    if (opts.elicit && opts.clientCanElicit()) {
      try {
        return await opts.elicit(summary);
      } catch (err) {
        if (err instanceof InputRequiredSignal) throw err;
        if (err instanceof ToolError) throw err;
        return false;
      }
    }
    return false;
  };
}

/** For the shell: no one to ask, so only an explicit confirm counts. */
export const explicitOnly: Confirmer = async (explicit) => explicit === true;
