import { spawn, spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryHistory, TASK_INTERRUPTED, type HistoryPort } from '../../src/history/port.js';
import { openDatabase } from '../../src/history/sqlite.js';
import { openSqliteHistory } from '../../src/history/sqliteHistory.js';
import { detailedTask } from '../../src/tasks/mcp.js';
import { TaskRunner, type AttemptOutcome, type Work } from '../../src/tasks/runner.js';
import { silent, tempDir } from './history/helpers.js';

const okResult = (text: string) => ({ result: { content: [{ type: 'text', text }], structuredContent: { text } } });

/** Work that waits until released (or aborted), reporting progress on the way. */
function gate(): {
  work: Work;
  release: (outcome: AttemptOutcome) => void;
  attempts: { inputResponses?: Record<string, unknown>; signal: AbortSignal }[];
} {
  let release: (o: AttemptOutcome) => void = () => undefined;
  const attempts: { inputResponses?: Record<string, unknown>; signal: AbortSignal }[] = [];
  const work: Work = ({ inputResponses, signal, progress }) => {
    attempts.push({ inputResponses, signal });
    progress('1/2 create app-1');
    return new Promise((resolve, reject) => {
      release = resolve;
      signal.addEventListener('abort', () => reject(new Error('aborted: rolled back')));
    });
  };
  return { work, release: (o) => release(o), attempts };
}

async function settled(runner: TaskRunner, id: string) {
  for (let i = 0; i < 100; i++) {
    const t = runner.get(id);
    if (t && t.status !== 'working') return t;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('task did not settle');
}

describe('TaskRunner', () => {
  it('starts work as a working task, shows its progress, and keeps its result', async () => {
    const history = memoryHistory();
    const runner = new TaskRunner(history, silent);
    const g = gate();
    const started = runner.start('deploy_application_stack', g.work);
    expect(started).toMatchObject({
      status: 'working',
      tool: 'deploy_application_stack',
      pollIntervalMs: 1000,
      ttlMs: 3_600_000,
    });
    expect(runner.get(started.id)?.statusMessage).toBe('1/2 create app-1');
    g.release(okResult('deployed'));
    const done = await settled(runner, started.id);
    expect(done.status).toBe('completed');
    expect(detailedTask(done)).toMatchObject({
      taskId: started.id,
      status: 'completed',
      result: { structuredContent: { text: 'deployed' } },
    });
    // The history has it too: a later process answers from there.
    expect(history.getTask(started.id)).toMatchObject({
      status: 'completed',
      result: { structuredContent: { text: 'deployed' } },
    });
  });

  it('cancel aborts the work and the task turns cancelled once the work has ended', async () => {
    const runner = new TaskRunner(memoryHistory(), silent);
    const g = gate();
    const { id } = runner.start('deploy_application_stack', g.work);
    expect(runner.cancel(id)).toBe('ok');
    expect(g.attempts[0]?.signal.aborted).toBe(true);
    const done = await settled(runner, id);
    expect(done.status).toBe('cancelled');
    expect(runner.cancel(id)).toBe('finished');
    expect(runner.cancel('nope')).toBe('not_found');
  });

  it('a question turns the task input_required; the answer runs the work again with it', async () => {
    const runner = new TaskRunner(memoryHistory(), silent);
    const g = gate();
    const { id } = runner.start('remove_stack', g.work);
    const question = {
      confirm: { method: 'elicitation/create', params: { message: 'Remove?', requestedSchema: { type: 'object' } } },
    };
    g.release({ inputRequests: question });
    const waiting = await settled(runner, id);
    expect(detailedTask(waiting)).toMatchObject({ status: 'input_required', inputRequests: question });
    expect(runner.update('nope', {})).toBe('not_found');
    expect(runner.update(id, { confirm: { action: 'accept', content: { confirm: true } } })).toBe('ok');
    expect(runner.get(id)?.status).toBe('working');
    expect(g.attempts[1]?.inputResponses).toEqual({ confirm: { action: 'accept', content: { confirm: true } } });
    g.release(okResult('removed'));
    expect((await settled(runner, id)).status).toBe('completed');
    expect(runner.update(id, {})).toBe('not_waiting');
  });

  it('work that throws fails the task with its message', async () => {
    const runner = new TaskRunner(memoryHistory(), silent);
    const { id } = runner.start('pull_image', async () => {
      throw new Error('engine went away');
    });
    const done = await settled(runner, id);
    expect(detailedTask(done)).toMatchObject({
      status: 'failed',
      error: { code: -32603, message: 'engine went away' },
    });
  });

  it('close cancels running work and waits for it to end', async () => {
    const history = memoryHistory();
    const runner = new TaskRunner(history, silent);
    const g = gate();
    const { id } = runner.start('deploy_application_stack', g.work);
    await runner.close(1000);
    expect(history.getTask(id)?.status).toBe('cancelled');
  });
});

describe('task records in the sqlite history', () => {
  function openAt(file: string): HistoryPort {
    return openSqliteHistory(file, silent);
  }

  it('keep a finished task across reopen, and mark one whose process is gone as interrupted', () => {
    const file = join(tempDir(), 'h.db');
    const h = openAt(file);
    const now = Date.now();
    h.saveTask({
      id: 'done',
      tool: 'pull_image',
      status: 'completed',
      result: { content: [] },
      createdAt: now,
      updatedAt: now,
      ttlMs: 1000,
    });
    h.close();
    // A task left working by a process that no longer runs.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const db = openDatabase(file);
    db.prepare(
      `INSERT INTO tasks (id, tool, status, created_at, updated_at, ttl_ms, owner_host, owner_pid) VALUES ('lost', 'deploy_application_stack', 'working', ?, ?, 1000, ?, ?)`,
    ).run(now, now, hostname(), dead);
    db.close();

    const again = openAt(file);
    try {
      expect(again.getTask('done')).toMatchObject({ status: 'completed', result: { content: [] } });
      expect(again.getTask('lost')).toMatchObject({
        status: 'failed',
        statusMessage: 'interrupted',
        error: TASK_INTERRUPTED,
      });
      expect(again.getTask('never')).toBeUndefined();
    } finally {
      again.close();
    }
  });

  it('leave a task alone while the process that runs it is alive', () => {
    const file = join(tempDir(), 'h.db');
    openAt(file).close();
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const db = openDatabase(file);
      const now = Date.now();
      db.prepare(
        `INSERT INTO tasks (id, tool, status, created_at, updated_at, ttl_ms, owner_host, owner_pid) VALUES ('live', 'pull_image', 'working', ?, ?, 1000, ?, ?)`,
      ).run(now, now, hostname(), child.pid as number);
      db.close();
      const h = openAt(file);
      expect(h.getTask('live')?.status).toBe('working');
      h.close();
    } finally {
      child.kill();
    }
  });
});
