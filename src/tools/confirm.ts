import type { ConfirmArgumentMode } from '../config.js';
import { ToolError } from '../kernel/errors.js';

/**
 * Confirmation of destructive actions. The rule: when the client can ask its user (it
 * declared the elicitation capability), only the user's answer confirms; `confirm: true`
 * from the model counts only for clients that cannot ask, or when the server is set to
 * trust it (`confirmArgument: 'always'`). A user's "no" is final for that call.
 */
export type Confirmation =
  | { confirmed: true; by: 'user' | 'argument' }
  | {
      confirmed: false;
      /**
       * declined/cancelled: the user said no or dismissed the question; unavailable: the
       * client could not be asked; preview: not confirmed (no confirm: true, or confirm: false);
       * argument_refused: only a user's answer counts here and this client cannot ask.
       */
      reason: 'declined' | 'cancelled' | 'unavailable' | 'preview' | 'argument_refused';
      /** What the caller may do next; empty when nothing it can send would confirm. */
      hint: string;
    };

export type Confirmer = (explicit: boolean | undefined, summary: string) => Promise<Confirmation>;

/** The user's answer to an elicitation, reduced to what matters here. */
export type ElicitAnswer = 'accept' | 'decline' | 'cancel';

/** Raised to hand a 2026-era `input_required` result back through the adapter. */
export class InputRequiredSignal extends Error {
  constructor(readonly result: unknown) {
    super('input required');
  }
}

export interface ConfirmerOptions {
  /** `true` if the connected client declared the elicitation capability. */
  clientCanElicit: () => boolean;
  /** Asks the user through the client. */
  elicit?: (summary: string) => Promise<ElicitAnswer>;
  confirmArgument?: ConfirmArgumentMode;
}

const RETRY_WITH_CONFIRM = 'Call again with confirm: true to do it.';

export function createConfirmer(opts: ConfirmerOptions): Confirmer {
  const mode = opts.confirmArgument ?? 'fallback';
  return async (explicit, summary) => {
    const canAsk = Boolean(opts.elicit) && opts.clientCanElicit();
    if (explicit === true && (mode === 'always' || (mode === 'fallback' && !canAsk)))
      return { confirmed: true, by: 'argument' };
    if (!canAsk || !opts.elicit) {
      if (mode === 'never') {
        return {
          confirmed: false,
          reason: 'argument_refused',
          hint: "This server accepts only a user's answer through MCP elicitation, and this client cannot ask; use a client that supports elicitation, or the shell (`call`).",
        };
      }
      return { confirmed: false, reason: 'preview', hint: RETRY_WITH_CONFIRM };
    }
    if (explicit === false)
      return {
        confirmed: false,
        reason: 'preview',
        hint: 'Call again without confirm: false and the user will be asked.',
      };
    let answer: ElicitAnswer;
    try {
      answer = await opts.elicit(summary);
    } catch (err) {
      if (err instanceof InputRequiredSignal || err instanceof ToolError) throw err;
      return { confirmed: false, reason: 'unavailable', hint: `(${(err as Error)?.message ?? String(err)})` };
    }
    if (answer === 'accept') return { confirmed: true, by: 'user' };
    if (answer === 'cancel')
      return { confirmed: false, reason: 'cancelled', hint: 'Ask the user before trying again.' };
    return { confirmed: false, reason: 'declined', hint: 'Do not retry unless the user asks for it.' };
  };
}

/** For the shell: a person typed the command and there is no one else to ask, so `confirm: true` counts. */
export const explicitOnly: Confirmer = async (explicit) =>
  explicit === true
    ? { confirmed: true, by: 'argument' }
    : { confirmed: false, reason: 'preview', hint: RETRY_WITH_CONFIRM };

const LEADS: Record<Exclude<Confirmation, { confirmed: true }>['reason'], string> = {
  declined: 'The user declined',
  cancelled: 'The user cancelled the confirmation',
  unavailable: 'Not confirmed: the user could not be asked',
  preview: 'Not confirmed',
  argument_refused: 'Not confirmed: only the user can confirm this',
};

/**
 * The answer of a destructive tool that did not act: who said no, that nothing happened,
 * what would have happened, and what the caller may do next. `retry` replaces
 * "confirm: true" in the hint for tools whose retry needs more arguments.
 */
export function notConfirmedMessage(
  c: Exclude<Confirmation, { confirmed: true }>,
  summary: string,
  opts: { nothing?: string; retry?: string } = {},
): string {
  const hint = opts.retry && c.hint === RETRY_WITH_CONFIRM ? `Call again with ${opts.retry} to do it.` : c.hint;
  return `${LEADS[c.reason]}; ${opts.nothing ?? 'nothing changed'}. Would: ${summary}${hint ? ` ${hint}` : ''}`;
}
