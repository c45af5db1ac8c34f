import { randomUUID } from 'node:crypto';
import type { HistoryPort, TaskRecord, TaskStatus } from '../history/port.js';
import type { Logger } from '../logger.js';

/**
 * Long tool calls run as tasks (io.modelcontextprotocol/tasks): the call answers at once with a
 * task, the work goes on in this process whatever happens to the request that started it (an
 * HTTP client may disconnect), and its status, progress, result or error are read later by id.
 * Every change is recorded in the history, so a restarted server reports a task it did not
 * finish as interrupted (src/history marks them at open) and keeps finished results.
 *
 * One runner per process: HTTP builds a server per request, and a task must outlive it.
 */

/** What one attempt at the work ends with: the tool's result, or a question for the user first. */
export type AttemptOutcome = { result: Record<string, unknown> } | { inputRequests: Record<string, unknown> };

export interface Attempt {
  /** The user's answers to the questions of the previous attempt (tasks/update), if any. */
  inputResponses?: Record<string, unknown>;
  signal: AbortSignal;
  progress: (message: string) => void;
}

/** One run of the work; run again with the answers when it asked for input. */
export type Work = (attempt: Attempt) => Promise<AttemptOutcome>;

export interface TaskView extends TaskRecord {
  pollIntervalMs: number;
  /** Questions for the user while status is input_required. */
  inputRequests?: Record<string, unknown>;
}

interface Live {
  record: TaskRecord;
  controller: AbortController;
  work: Work;
  inputRequests?: Record<string, unknown>;
  cancelRequested: boolean;
  expiry?: NodeJS.Timeout;
}

export interface TaskRunnerOptions {
  /** How long a finished task stays readable in memory (the history keeps it). */
  ttlMs?: number;
  pollIntervalMs?: number;
}

const TERMINAL: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminal(status: TaskStatus): boolean {
  return TERMINAL.includes(status);
}

export class TaskRunner {
  private readonly live = new Map<string, Live>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly ttlMs: number;
  private readonly pollIntervalMs: number;
  private closed = false;

  constructor(
    private readonly history: HistoryPort,
    private readonly log: Logger,
    opts: TaskRunnerOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 60 * 60_000;
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
  }

  /** Starts the work as a task and returns it at once (status working). */
  start(tool: string, work: Work): TaskView {
    const now = Date.now();
    const record: TaskRecord = {
      id: randomUUID(),
      tool,
      status: 'working',
      createdAt: now,
      updatedAt: now,
      ttlMs: this.ttlMs,
    };
    const entry: Live = { record, controller: new AbortController(), work, cancelRequested: false };
    this.live.set(record.id, entry);
    this.history.saveTask(record);
    this.log.info({ task: record.id, tool }, 'task started');
    this.attempt(entry, undefined);
    return this.view(entry);
  }

  /** The task as it is now: from memory while this process knows it, else from the history. */
  get(id: string): TaskView | undefined {
    const entry = this.live.get(id);
    if (entry) return this.view(entry);
    const stored = this.history.getTask(id);
    return stored && { ...stored, pollIntervalMs: this.pollIntervalMs };
  }

  /** The user's answers to a task waiting for input: the work runs again with them. */
  update(id: string, inputResponses: Record<string, unknown>): 'ok' | 'not_found' | 'not_waiting' {
    const entry = this.live.get(id);
    if (!entry) return this.history.getTask(id) ? 'not_waiting' : 'not_found';
    if (entry.record.status !== 'input_required') return 'not_waiting';
    entry.inputRequests = undefined;
    this.change(entry, 'working', 'answer received');
    this.attempt(entry, inputResponses);
    return 'ok';
  }

  /**
   * Asks a task to stop: the work sees its signal aborted and undoes what it did (a deploy rolls
   * back); the task turns cancelled when the work has ended. A finished task stays as it is.
   */
  cancel(id: string): 'ok' | 'not_found' | 'finished' {
    const entry = this.live.get(id);
    if (!entry) return this.history.getTask(id) ? 'finished' : 'not_found';
    if (isTerminal(entry.record.status)) return 'finished';
    entry.cancelRequested = true;
    if (entry.record.status === 'input_required') {
      this.change(entry, 'cancelled', 'cancelled before it started');
      return 'ok';
    }
    this.change(entry, 'working', 'cancelling: undoing what was done');
    entry.controller.abort(new Error('task cancelled'));
    return 'ok';
  }

  /**
   * Stops every running task (server shutdown): their work rolls back as on cancel, and is
   * given up to `graceMs` to do so. A task still open after that is reported as interrupted
   * by the next server that opens the history.
   */
  async close(graceMs = 20_000): Promise<void> {
    for (const entry of this.live.values()) {
      if (entry.expiry) clearTimeout(entry.expiry);
      if (isTerminal(entry.record.status)) continue;
      entry.cancelRequested = true;
      entry.controller.abort(new Error('server shutting down'));
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
    ]);
    clearTimeout(timer);
    this.closed = true;
  }

  private attempt(entry: Live, inputResponses: Record<string, unknown> | undefined): void {
    const progress = (message: string) => {
      if (!isTerminal(entry.record.status) && !entry.cancelRequested) this.change(entry, 'working', message);
    };
    const run = entry
      .work({ inputResponses, signal: entry.controller.signal, progress })
      .then(
        (outcome) => {
          if (entry.cancelRequested) return this.change(entry, 'cancelled', cancelledMessage(outcome));
          if ('inputRequests' in outcome) {
            entry.inputRequests = outcome.inputRequests;
            return this.change(entry, 'input_required', 'waiting for the user to answer');
          }
          entry.record.result = outcome.result;
          this.change(entry, 'completed', outcome.result.isError ? 'finished with a tool error' : 'finished');
        },
        (err: unknown) => {
          if (entry.cancelRequested) return this.change(entry, 'cancelled', 'cancelled');
          this.log.error({ err, task: entry.record.id }, 'task failed');
          entry.record.error = { code: -32603, message: err instanceof Error ? err.message : String(err) };
          this.change(entry, 'failed', 'failed');
        },
      )
      .finally(() => {
        this.running.delete(run);
        if (isTerminal(entry.record.status)) this.expireLater(entry);
      });
    this.running.add(run);
  }

  private change(entry: Live, status: TaskStatus, statusMessage: string): void {
    entry.record.status = status;
    entry.record.statusMessage = statusMessage;
    entry.record.updatedAt = Date.now();
    if (!this.closed || isTerminal(status)) this.history.saveTask(entry.record);
    if (isTerminal(status)) this.log.info({ task: entry.record.id, tool: entry.record.tool, status }, 'task ended');
  }

  private expireLater(entry: Live): void {
    if (this.closed) return;
    entry.expiry = setTimeout(() => this.live.delete(entry.record.id), this.ttlMs);
    entry.expiry.unref();
  }

  private view(entry: Live): TaskView {
    const v: TaskView = { ...entry.record, pollIntervalMs: this.pollIntervalMs };
    if (entry.inputRequests) v.inputRequests = entry.inputRequests;
    return v;
  }
}

function cancelledMessage(outcome: AttemptOutcome): string {
  if ('result' in outcome) {
    const content = outcome.result.content as { type: string; text?: string }[] | undefined;
    const text = content?.find((c) => c.type === 'text')?.text;
    if (text) return `cancelled: ${text.slice(0, 300)}`;
  }
  return 'cancelled';
}
