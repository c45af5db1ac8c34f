import type { z } from 'zod';
import { recorded } from '../history/record.js';
import { DEPLOYMENT_KINDS, type DeploymentHandle, type DeploymentKind, type DeploymentStart } from '../history/port.js';
import { isManaged } from '../docker/labels.js';
import { assertManagedInScope } from '../policy/scope.js';
import { notConfirmedMessage } from './confirm.js';
import { defineTool, type ToolAnswer, type ToolContext, type ToolDefinition } from './defineTool.js';

/**
 * Destructive tools, written once: every one resolves what it would change, checks it
 * against the ownership scope, asks for confirmation, and records the call in the
 * deployment history (a refusal as `not_confirmed`, a confirmed action as succeeded,
 * failed or cancelled). A tool supplies only the parts that differ: how to find its
 * objects, what it would do, and how to do it.
 */

/** An object the action changes, judged by the ownership scope (`--scope`). */
export interface ScopeSubject {
  /** How the refusal names it, e.g. `container "web"`. */
  what: string;
  /** Its labels (managed = carries this server's label)... */
  labels?: Record<string, string> | null | undefined;
  /** ...or, when the caller knows it already, whether it is managed. */
  managed?: boolean;
}

/** What a destructive tool found: the objects to check against the scope, and anything it wants to keep. */
export interface Resolved<T> {
  scope: ScopeSubject[];
  found: T;
}

/** Where the confirmed action's records come from. */
export type ActionRun<O> =
  /** One record for the call: the wrapper begins it and finishes it from how `run` ends. */
  | { run: (h: DeploymentHandle) => Promise<ToolAnswer<O>> }
  /**
   * The use case writes one record per object it changes (heal: one per container, the same
   * records the self-heal watcher writes); the wrapper records only a refusal.
   */
  | { runRecordingEach: () => Promise<ToolAnswer<O>> };

/** A destructive action ready to confirm. */
export type DestructiveAction<O> = ActionRun<O> & {
  /** What will happen, in one sentence: the question put to the user and the refusal's "Would:". */
  summary: string;
  /** The history record of the call (kind and who are filled in). */
  record: Omit<DeploymentStart, 'who' | 'kind'>;
  /** The answer's data when not confirmed (`message` says who said no and what would have happened). */
  refused: (message: string) => O;
  /** Replaces "nothing changed" in a refusal (exec: "nothing ran"). */
  nothing?: string;
};

export interface DestructiveToolDefinition<I extends z.ZodObject, O extends z.ZodObject, T> extends Omit<
  ToolDefinition<I, O>,
  'kind' | 'handler'
> {
  /** The kind of its history records, when not the tool's name (heal_containers: "heal", like the watcher's). */
  historyKind?: DeploymentKind;
  /**
   * Finds the objects the call would change (inspects them); throws a ToolError when they do
   * not exist or the call is bad. Runs before the scope check, so it must change nothing.
   */
  resolve: (args: z.infer<I>, ctx: ToolContext) => Promise<Resolved<T>>;
  /**
   * Decides what to do with what `resolve` found, after the scope check: refusals that are
   * not the scope's (in use, running) throw; an answer with nothing to do is returned as is
   * (no confirmation, no record).
   */
  plan: (
    found: T,
    args: z.infer<I>,
    ctx: ToolContext,
  ) => Promise<DestructiveAction<z.infer<O>> | ToolAnswer<z.infer<O>>>;
}

function isAction<O>(p: DestructiveAction<O> | ToolAnswer<O>): p is DestructiveAction<O> {
  return 'summary' in p && 'record' in p;
}

export function assertSubjectsInScope(ctx: Pick<ToolContext, 'config'>, subjects: ScopeSubject[]): void {
  for (const s of subjects) assertManagedInScope(ctx.config, s.managed ?? isManaged(s.labels), s.what);
}

/** The one way to write a destructive tool (kind "destructive", argument `confirm`). */
export function defineDestructiveTool<I extends z.ZodObject, O extends z.ZodObject, T>(
  def: DestructiveToolDefinition<I, O, T>,
): ToolDefinition<I, O> {
  const { resolve, plan, historyKind, ...tool } = def;
  const kind = historyKind ?? def.name;
  // A record of a kind the history does not know could not be listed: fail at start-up, not at the first call.
  if (!(DEPLOYMENT_KINDS as readonly string[]).includes(kind))
    throw new Error(`destructive tool ${def.name}: history kind "${kind}" is not in DEPLOYMENT_KINDS`);
  return defineTool({
    ...tool,
    kind: 'destructive',
    async handler(args, ctx) {
      const { scope, found } = await resolve(args, ctx);
      assertSubjectsInScope(ctx, scope);
      const action = await plan(found, args, ctx);
      if (!isAction(action)) return action;
      const record: DeploymentStart = { ...action.record, kind: kind as DeploymentKind, who: ctx.who };
      const confirm = (args as { confirm?: boolean }).confirm;
      const confirmation = await ctx.confirm(confirm, action.summary);
      if (!confirmation.confirmed) {
        const message = notConfirmedMessage(
          confirmation,
          action.summary,
          action.nothing ? { nothing: action.nothing } : {},
        );
        ctx.history.begin(record).finish('not_confirmed', message);
        return { data: action.refused(message), text: message };
      }
      if ('runRecordingEach' in action) return action.runRecordingEach();
      return recorded(ctx.history, record, ctx.signal, action.run);
    },
  });
}
