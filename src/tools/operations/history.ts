import { z } from 'zod';
import { stringFromNumber } from '../portable.js';
import { ToolError } from '../../kernel/errors.js';
import { DEPLOYMENT_KINDS, STEP_OUTCOMES, type DeploymentEntry, type HistoryQuery } from '../../history/port.js';
import { toUnixSeconds } from '../../util/time.js';
import { defineTool } from '../defineTool.js';

const KINDS = DEPLOYMENT_KINDS;
const OUTCOMES = ['running', 'succeeded', 'failed', 'cancelled', 'dry_run', 'not_confirmed'] as const;
/** Errors carry log lines; a list shows their start, a single record all of it. */
const LIST_ERROR_CHARS = 300;

const stepSchema = z.object({
  name: z.string(),
  service: z.string().optional(),
  durationMs: z.number(),
  outcome: z.enum(STEP_OUTCOMES),
  error: z.string().optional(),
});

const entrySchema = z.object({
  id: z.string(),
  kind: z.enum(KINDS),
  target: z.string(),
  stack: z.string().optional(),
  source: z.string().optional(),
  engine: z.string().optional().describe('The Engine it ran on (absent: the default).'),
  who: z.string(),
  startedAt: z.string(),
  durationMs: z.number().optional(),
  outcome: z.enum(OUTCOMES),
  error: z.string().optional(),
  steps: z.array(stepSchema),
  inputs: z.unknown().optional().describe('The arguments (secrets masked); only when one `id` is asked for.'),
  plan: z.unknown().optional().describe('Only when one `id` is asked for.'),
});
type Entry = z.infer<typeof entrySchema>;

function cut(text: string | undefined, max: number): string | undefined {
  if (text === undefined || text.length <= max) return text;
  return `${text.slice(0, max)}… [${text.length - max} more chars; ask for this id]`;
}

function project(e: DeploymentEntry, detail: boolean): Entry {
  const max = detail ? Infinity : LIST_ERROR_CHARS;
  const out: Entry = {
    id: e.id,
    kind: e.kind,
    target: e.target,
    who: e.who,
    startedAt: e.startedAt,
    outcome: e.outcome,
    steps: [],
  };
  if (e.stack !== undefined) out.stack = e.stack;
  if (e.source !== undefined) out.source = e.source;
  if (e.engine !== undefined) out.engine = e.engine;
  if (e.durationMs !== undefined) out.durationMs = e.durationMs;
  const error = cut(e.error, max);
  if (error !== undefined) out.error = error;
  out.steps = e.steps.map((s) => {
    const step: z.infer<typeof stepSchema> = { name: s.name, durationMs: s.durationMs, outcome: s.outcome };
    if (s.service !== undefined) step.service = s.service;
    const err = cut(s.error, max);
    if (err !== undefined) step.error = err;
    return step;
  });
  if (detail) {
    out.inputs = e.inputs;
    if (e.plan !== undefined) out.plan = e.plan;
  }
  return out;
}

function seconds(ms: number | undefined): string {
  return ms === undefined ? '?' : `${(ms / 1000).toFixed(1)}s`;
}

function line(e: Entry, detail: boolean): string {
  const head = `${e.startedAt}  ${e.id}  ${e.kind} ${e.target}${e.stack && e.stack !== e.target ? ` (stack ${e.stack})` : ''}${e.engine ? ` on ${e.engine}` : ''}: ${e.outcome} in ${seconds(e.durationMs)} by ${e.who}`;
  const lines = [head];
  if (e.error) lines.push(`  error: ${detail ? e.error : (e.error.split('\n')[0] ?? '')}`);
  if (e.steps.length) {
    const shown = detail ? e.steps : e.steps.slice(0, 12);
    const steps = shown.map(
      (s) =>
        `${s.service ? `${s.service}: ` : ''}${s.name} ${seconds(s.durationMs)}${s.outcome === 'ok' ? '' : ` ${s.outcome}`}`,
    );
    if (shown.length < e.steps.length) steps.push(`+${e.steps.length - shown.length} more`);
    lines.push(`  steps: ${steps.join(', ')}`);
  }
  return lines.join('\n');
}

export const getDeploymentHistoryTool = defineTool({
  name: 'get_deployment_history',
  title: 'Deployment history',
  description:
    'Past deploys, removals, heals, Swarm changes and other destructive actions (refused ones too: not_confirmed), newest first, with outcome, error and step durations. Pass id for one record with inputs and plan.',
  toolset: 'operations',
  kind: 'read',
  input: z.object({
    id: z.string().min(1).max(64).optional(),
    stack: z.string().max(256).optional(),
    target: z.string().max(512).optional(),
    kind: z.enum(KINDS).optional(),
    outcome: z.enum(OUTCOMES).optional(),
    since: stringFromNumber().optional().describe('ISO time, unix seconds or "2h" ago.'),
    limit: z.number().int().min(1).max(200).optional().describe('Default 20.'),
    cursor: z.string().max(512).optional().describe('nextCursor of the previous page.'),
  }),
  output: z.object({
    entries: z.array(entrySchema),
    nextCursor: z.string().optional(),
  }),
  async handler(a, ctx) {
    const q: HistoryQuery = { limit: a.limit ?? 20 };
    if (a.id !== undefined) q.id = a.id;
    if (a.stack !== undefined) q.stack = a.stack;
    if (a.target !== undefined) q.target = a.target;
    if (a.kind !== undefined) q.kind = a.kind;
    if (a.outcome !== undefined) q.outcome = a.outcome;
    if (a.since !== undefined) q.sinceMs = toUnixSeconds(a.since, 'since') * 1000;
    if (a.cursor !== undefined) q.cursor = a.cursor;
    const page = ctx.history.list(q);
    const detail = a.id !== undefined;
    if (detail && page.entries.length === 0) {
      throw new ToolError(
        'not_found',
        `No deployment record "${a.id}": list them with get_deployment_history (no id) to see the ids.`,
      );
    }
    const entries = page.entries.map((e) => project(e, detail));
    const data: { entries: Entry[]; nextCursor?: string } = { entries };
    if (page.nextCursor) data.nextCursor = page.nextCursor;
    const text = entries.length
      ? entries.map((e) => line(e, detail)).join('\n') +
        (page.nextCursor ? `\n(more: pass cursor "${page.nextCursor}")` : '')
      : 'No deployments recorded' +
        (a.stack || a.target || a.kind || a.outcome || a.since !== undefined ? ' that match these filters.' : ' yet.');
    return { data, text };
  },
});
