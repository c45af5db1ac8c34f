/**
 * What the rest of the server needs from the deployment history: record a deployment
 * (deploy, remove, heal, any other destructive action) with its steps, and list past ones. The SQLite store implements
 * it; `memoryHistory()` serves tests and the CLI's one-shot calls.
 */

export const DEPLOYMENT_KINDS = [
  'deploy_stack',
  'remove_stack',
  'deploy_container',
  'remove_container',
  'heal',
  'remove_volume',
  'remove_network',
  'remove_image',
  'exec_in_container',
  'update_service',
  'update_node',
] as const;
/**
 * What was done: a deployment, a removal, a heal, another destructive tool (named after it);
 * update_service: a Swarm service scaled, updated or rolled back; update_node: a Swarm node drained or activated.
 */
export type DeploymentKind = (typeof DEPLOYMENT_KINDS)[number];
export type DeploymentOutcome = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'dry_run' | 'not_confirmed';

export const STEP_OUTCOMES = ['ok', 'failed', 'skipped', 'rolled_back'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

export interface StepRecord {
  /** e.g. "create web-1", "wait healthy db", "pull nginx:1.27" */
  name: string;
  service?: string;
  durationMs: number;
  /** rolled_back: a step that undid the deployment's changes (the deployment itself failed). */
  outcome: StepOutcome;
  error?: string;
}

export interface DeploymentStart {
  kind: DeploymentKind;
  /** Stack or container name. */
  target: string;
  stack?: string;
  /** compose | file:PATH | template:NAME | container */
  source?: string;
  /** Who asked: the MCP client's name/version, or "cli". */
  who: string;
  /** The tool arguments, secrets already masked by the caller. */
  inputs: unknown;
  plan?: unknown;
  /** The Engine it ran on (by its configured name); absent in records older than several Engines. */
  engine?: string;
}

export interface DeploymentHandle {
  readonly id: string;
  step(step: StepRecord): void;
  setPlan(plan: unknown): void;
  finish(outcome: Exclude<DeploymentOutcome, 'running'>, error?: string): void;
  /** Writes the in-flight journal of a stack deploy (src/stacks/journal.ts); null clears it. */
  journal(state: unknown): void;
}

/** A deployment whose journal is still open: unfinished, or finished leaving objects behind. */
export interface OpenJournal {
  id: string;
  stack: string;
  outcome: DeploymentOutcome;
  journal: unknown;
  /** The Engine the deployment ran on; undefined for records written before Engines had names (the default one). */
  engine?: string;
}

export interface DeploymentEntry extends DeploymentStart {
  id: string;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  outcome: DeploymentOutcome;
  error?: string;
  steps: StepRecord[];
}

export interface HistoryQuery {
  /** Only the deployment with this id. */
  id?: string;
  stack?: string;
  target?: string;
  kind?: DeploymentKind;
  outcome?: DeploymentOutcome;
  /** Only entries started at or after this time (ms since epoch). */
  sinceMs?: number;
  limit: number;
  cursor?: string;
}

export interface HistoryPage {
  entries: DeploymentEntry[];
  nextCursor?: string;
}

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

/** A tool call run as an MCP task, as recorded so that it outlives the request (and the process). */
export interface TaskRecord {
  id: string;
  tool: string;
  status: TaskStatus;
  statusMessage?: string;
  /** The tool's CallToolResult, once completed. */
  result?: unknown;
  /** JSON-RPC style error, once failed. */
  error?: { code: number; message: string; data?: unknown };
  createdAt: number;
  updatedAt: number;
  ttlMs: number | null;
}

/** The error a task gets when the server that ran it stopped before it finished. */
export const TASK_INTERRUPTED = {
  code: -32603,
  message:
    'interrupted: the server stopped before the task finished; check the stack with get_stack_status and the deployment history',
  data: { kind: 'interrupted' },
};

export interface HistoryPort {
  begin(start: DeploymentStart): DeploymentHandle;
  list(query: HistoryQuery): HistoryPage;
  /** Deployments with an open journal, of one stack or all. */
  openJournals(stack?: string): OpenJournal[];
  /**
   * Closes a journal after reconciling it: the journal is cleared, `note` is appended to the
   * error, and a deployment still `running` (its process died) becomes `outcome`.
   */
  settleJournal(id: string, outcome: Exclude<DeploymentOutcome, 'running'>, note: string, keepJournal?: unknown): void;
  /** Inserts or replaces a task's record. */
  saveTask(task: TaskRecord): void;
  getTask(id: string): TaskRecord | undefined;
  close(): void;
}

/**
 * The history store cannot be opened (corrupt, not a database, unwritable, newer schema).
 * Raised at startup so the server refuses to run rather than lose records silently.
 */
export class HistoryOpenError extends Error {
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot open the deployment history at ${path}: ${reason}`, options);
    this.name = 'HistoryOpenError';
  }
}

/** A history kept in memory only (lost on exit). */
export function memoryHistory(): HistoryPort {
  const entries: DeploymentEntry[] = [];
  const tasks = new Map<string, TaskRecord>();
  let seq = 0;
  const journals = new Map<string, { entry: DeploymentEntry; state: unknown }>();
  return {
    begin(start) {
      const started = Date.now();
      const entry: DeploymentEntry = {
        ...start,
        id: String(++seq),
        startedAt: new Date(started).toISOString(),
        outcome: 'running',
        steps: [],
      };
      entries.push(entry);
      journals.set(entry.id, { entry, state: null });
      return {
        id: entry.id,
        step: (s) => void entry.steps.push(s),
        setPlan: (plan) => void (entry.plan = plan),
        finish(outcome, error) {
          entry.outcome = outcome;
          entry.finishedAt = new Date().toISOString();
          entry.durationMs = Date.now() - started;
          if (error) entry.error = error;
        },
        journal(state) {
          const j = journals.get(entry.id);
          if (j) j.state = state ?? null;
        },
      };
    },
    list(q) {
      const matching = entries
        .filter(
          (e) =>
            (!q.id || e.id === q.id) &&
            (!q.stack || e.stack === q.stack) &&
            (!q.target || e.target === q.target) &&
            (!q.kind || e.kind === q.kind),
        )
        .filter((e) => (!q.outcome || e.outcome === q.outcome) && (!q.sinceMs || Date.parse(e.startedAt) >= q.sinceMs))
        .reverse();
      const start = q.cursor ? Number(q.cursor) : 0;
      const page = matching.slice(start, start + q.limit);
      return start + q.limit < matching.length
        ? { entries: page, nextCursor: String(start + q.limit) }
        : { entries: page };
    },
    openJournals(stack) {
      return [...journals.values()]
        .filter((j) => j.state !== null && j.state !== undefined && (!stack || j.entry.stack === stack))
        .map((j) => ({
          id: j.entry.id,
          stack: j.entry.stack ?? j.entry.target,
          outcome: j.entry.outcome,
          journal: j.state,
          ...(j.entry.engine === undefined ? {} : { engine: j.entry.engine }),
        }));
    },
    settleJournal(id, outcome, note, keepJournal) {
      const j = journals.get(id);
      if (!j) return;
      j.state = keepJournal ?? null;
      if (j.entry.outcome === 'running') {
        j.entry.outcome = outcome;
        j.entry.finishedAt = new Date().toISOString();
      }
      j.entry.error = j.entry.error ? `${j.entry.error}\n${note}` : note;
    },
    saveTask: (task) => void tasks.set(task.id, { ...task }),
    getTask: (id) => {
      const t = tasks.get(id);
      return t && { ...t };
    },
    close() {},
  };
}
