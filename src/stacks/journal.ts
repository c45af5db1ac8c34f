import { randomBytes } from 'node:crypto';
import { startContainer, stopContainer } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { removeNetwork } from '../docker/networks.js';
import {
  containerState,
  forceRemoveContainer,
  listContainersByLabel,
  listNetworksByLabel,
  listVolumesByLabel,
  pingEngine,
  renameContainer,
} from '../docker/stackObjects.js';
import { removeVolume } from '../docker/volumes.js';
import { ToolError } from '../kernel/errors.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import { sleep } from '../util/timeout.js';
import { acquireStackLock } from './lock.js';

/**
 * The in-flight journal of a stack deploy: every change is written (to the deployment's history
 * record) before it is made, and every object the deploy creates carries its deployment label.
 * Undo therefore never guesses by "new since I started": it removes exactly what carries this
 * deploy's label and puts back exactly the containers the journal set aside.
 *
 * A journal stays open while the deploy runs, and after a rollback that could not finish (the
 * Engine gone). Open journals of dead deploys are reconciled under the stack lock: at the next
 * deploy or removal of the stack, on server start, and when the self-heal watcher reconnects.
 */

export const LABEL_DEPLOYMENT = 'io.docker-orchestration-mcp.deployment';

export type JournalEntry =
  | { op: 'create-network'; name: string }
  | { op: 'create-volume'; name: string }
  | { op: 'create-container'; name: string }
  | { op: 'set-aside'; id: string; originalName: string; backupName: string; wasRunning: boolean }
  | { op: 'start-existing'; id: string; name: string };

export type JournalPhase = 'applying' | 'committed' | 'left behind';

export interface JournalState {
  v: 1;
  stack: string;
  /** The deployment label value on every object this deploy creates. */
  label: string;
  phase: JournalPhase;
  entries: JournalEntry[];
  /** What a rollback could not undo, for the report. */
  left?: string[];
}

export function newDeploymentLabel(): string {
  return `${Date.now().toString(36)}-${randomBytes(6).toString('hex')}`;
}

/** The writer side, used by the applier. Writes are synchronous (SQLite) and never throw. */
export class Journal {
  readonly state: JournalState;
  constructor(
    private readonly sink: { journal(state: unknown): void },
    stack: string,
    label: string,
  ) {
    this.state = { v: 1, stack, label, phase: 'applying', entries: [] };
    this.write();
  }
  intend(e: JournalEntry): void {
    this.state.entries.push(e);
    this.write();
  }
  phase(p: JournalPhase, left?: string[]): void {
    this.state.phase = p;
    if (left) this.state.left = left;
    this.write();
  }
  close(): void {
    this.sink.journal(null);
  }
  private write(): void {
    this.sink.journal(this.state);
  }
}

export interface UndoReport {
  undone: string[];
  problems: string[];
}

const notFound = (err: unknown) => err instanceof ToolError && err.kind === 'not_found';

/** Waits (bounded) until the Engine answers; false when it did not within `ms`. */
export async function engineBack(engine: Engine, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    try {
      await pingEngine(engine, 5000);
      return true;
    } catch {
      if (Date.now() >= deadline) return false;
      await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
    }
  }
}

/** Undoes a deploy from its journal: objects with its label removed, set-aside containers put back. */
export async function undoDeployment(engine: Engine, j: JournalState): Promise<UndoReport> {
  const undone: string[] = [];
  const problems: string[] = [];
  const attempt = async (what: string, fn: () => Promise<unknown>, goneIsDone = true) => {
    try {
      await fn();
      undone.push(what);
    } catch (e) {
      if (goneIsDone && notFound(e)) undone.push(what);
      else problems.push(`${what}: ${(e as Error).message.split('\n')[0]}`);
    }
  };
  const labels = [`${LABEL_DEPLOYMENT}=${j.label}`];
  let created: { id: string; name: string }[];
  try {
    created = await listContainersByLabel(engine, labels, { what: 'list containers of deployment' });
  } catch (e) {
    problems.push(`list the containers this deploy created: ${(e as Error).message.split('\n')[0]}`);
    return { undone, problems };
  }
  for (const c of created) {
    const name = c.name || c.id;
    await attempt(`removed new container ${name}`, () =>
      forceRemoveContainer(engine, c.id, { volumes: true, target: `container "${name}"` }),
    );
  }
  const asides = j.entries
    .filter((e): e is Extract<JournalEntry, { op: 'set-aside' }> => e.op === 'set-aside')
    .reverse();
  for (const b of asides) {
    await attempt(
      `restored ${b.originalName}`,
      async () => {
        const info = await containerState(engine, b.id);
        if (info.name !== b.originalName)
          await renameContainer(engine, b.id, b.originalName, { target: `container "${b.backupName}"` });
        // An already running container counts as started.
        if (b.wasRunning && !info.running) await startContainer(engine, b.id);
      },
      false,
    );
  }
  for (const s of j.entries.filter(
    (e): e is Extract<JournalEntry, { op: 'start-existing' }> => e.op === 'start-existing',
  )) {
    await attempt(`stopped ${s.name} again`, () =>
      stopContainer(engine, s.id, 1).catch((err: unknown) => {
        if (!(err instanceof ToolError && /304|not running/i.test(err.message))) throw err;
      }),
    );
  }
  try {
    const nets = await listNetworksByLabel(engine, labels, { what: 'list networks of deployment' });
    for (const n of nets) await attempt(`removed network ${n.name}`, () => removeNetwork(engine, n.id));
    const vols = await listVolumesByLabel(engine, labels, { what: 'list volumes of deployment' });
    for (const v of vols) await attempt(`removed volume ${v.name}`, () => removeVolume(engine, v.name));
  } catch (e) {
    problems.push(`list the networks and volumes this deploy created: ${(e as Error).message.split('\n')[0]}`);
  }
  return { undone, problems };
}

/** What an open journal may still leave on the Engine, in words, for an answer made while the Engine is away. */
export function describeLeft(j: JournalState): string[] {
  const left: string[] = [];
  const names = (op: JournalEntry['op']) =>
    j.entries.filter((e) => e.op === op).map((e) => ('name' in e ? e.name : ''));
  const containers = names('create-container');
  if (containers.length) left.push(`containers it may have created: ${containers.join(', ')}`);
  const nets = names('create-network');
  if (nets.length) left.push(`networks: ${nets.join(', ')}`);
  const vols = names('create-volume');
  if (vols.length) left.push(`volumes: ${vols.join(', ')}`);
  for (const e of j.entries)
    if (e.op === 'set-aside')
      left.push(`${e.originalName} set aside as ${e.backupName}${e.wasRunning ? ' (stopped)' : ''}`);
  for (const e of j.entries) if (e.op === 'start-existing') left.push(`${e.name} started`);
  left.push(`(every object it created carries the label ${LABEL_DEPLOYMENT}=${j.label})`);
  return left;
}

/** After a deploy was committed only the set-aside containers remain to go. */
async function finishCommitted(engine: Engine, j: JournalState): Promise<UndoReport> {
  const undone: string[] = [];
  const problems: string[] = [];
  for (const e of j.entries) {
    if (e.op !== 'set-aside') continue;
    try {
      await forceRemoveContainer(engine, e.id, { target: `container "${e.backupName}"` });
      undone.push(`removed replaced container ${e.backupName}`);
    } catch (err) {
      if (notFound(err)) undone.push(`removed replaced container ${e.backupName}`);
      else problems.push(`remove ${e.backupName}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return { undone, problems };
}

function isJournal(v: unknown): v is JournalState {
  const j = v as Partial<JournalState> | null;
  return !!j && j.v === 1 && typeof j.label === 'string' && typeof j.stack === 'string' && Array.isArray(j.entries);
}

/**
 * Settles the open journals of a stack other than `exceptId`. The caller holds the stack lock,
 * so every other open journal belongs to a deploy that is over (finished or dead). Throws
 * `failed` naming what is left when one cannot be settled (the Engine away, a stuck object).
 */
export async function reconcileStack(
  engine: Engine,
  history: HistoryPort,
  stack: string,
  log: Logger,
  exceptId?: string,
): Promise<string[]> {
  const notes: string[] = [];
  for (const open of history.openJournals(stack)) {
    if (open.id === exceptId) continue;
    if (!isJournal(open.journal)) {
      history.settleJournal(open.id, 'failed', 'journal unreadable; dropped');
      continue;
    }
    const j = open.journal;
    const r = j.phase === 'committed' ? await finishCommitted(engine, j) : await undoDeployment(engine, j);
    if (r.problems.length) {
      const left = r.problems;
      history.settleJournal(open.id, 'failed', `reconcile incomplete: ${left.join('; ')}`, {
        ...j,
        phase: j.phase === 'committed' ? 'committed' : 'left behind',
        left,
      });
      throw new ToolError(
        'failed',
        `Stack "${stack}" has objects left by the interrupted deployment ${open.id} that could not be cleaned up: ${left.join('; ')}. Call deploy_application_stack (or remove_stack) for "${stack}" again once the Engine answers.`,
      );
    }
    const note =
      j.phase === 'committed'
        ? `reconciled: the deploy had succeeded; ${r.undone.join('; ') || 'nothing left to clean'}`
        : `reconciled after interruption: rolled back: ${r.undone.join('; ') || 'nothing to undo'}`;
    history.settleJournal(open.id, j.phase === 'committed' ? 'succeeded' : 'failed', note);
    log.info({ deployment: open.id, stack, phase: j.phase, undone: r.undone }, 'stack deploy journal reconciled');
    notes.push(`deployment ${open.id}: ${note}`);
  }
  return notes;
}

/**
 * Reconciles every stack with an open journal, each under its lock (a stack busy with a live
 * deploy is left to that deploy). For server start and Engine reconnects; never throws.
 */
export async function reconcileAll(
  engine: Engine,
  history: HistoryPort,
  instanceLabel: string,
  log: Logger,
): Promise<void> {
  const stacks = [...new Set(history.openJournals().map((j) => j.stack))];
  for (const stack of stacks) {
    try {
      const lock = await acquireStackLock(engine, {
        stack,
        holder: `reconcile-${newDeploymentLabel()}`,
        operation: 'reconcile',
        leaseMs: 120_000,
        instanceLabel,
      });
      try {
        await reconcileStack(engine, history, stack, log);
      } finally {
        await lock.release().catch(() => undefined);
      }
    } catch (err) {
      log.warn(
        { stack, err: (err as Error).message },
        'could not reconcile an interrupted stack deploy now; retried at the next deploy, restart or reconnect',
      );
    }
  }
}
