import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { startHttpServer, TOKEN, type HttpServer } from '../security/helpers.js';
import { BUSYBOX } from './engine.js';
import { uniqueName } from './mcpClient.js';
import { projectObjects, removeProject } from './stacksHelpers.js';
import type { TaskId } from '@modelcontextprotocol/ext-tasks/core';
import { connectTasksClient, rawDispatchFor, type TasksClient } from './tasksClient.js';

/**
 * Long tools as MCP tasks (io.modelcontextprotocol/tasks) over Streamable HTTP, through the SDK
 * v2 Client and the official ext-tasks session: the task outlives the client that started it,
 * cancel rolls a deploy back, a restarted server reports what it did not finish as interrupted,
 * and a client that does not opt in gets the plain answer.
 */

const dir = mkdtempSync(join(tmpdir(), 'dom-test-tasks-'));
const historyPath = join(dir, 'history.db');
const projects: string[] = [];
let http: HttpServer;

/** A stack whose deploy lasts about `healthyAfterS` seconds: healthy only after the first check. */
function slowStack(healthyAfterS: number): string {
  return [
    'services:',
    '  app:',
    `    image: ${BUSYBOX}`,
    '    init: true',
    '    command: ["sleep", "3600"]',
    '    healthcheck:',
    '      test: ["CMD", "true"]',
    `      interval: ${healthyAfterS}s`,
    '      retries: 1',
  ].join('\n');
}

beforeAll(async () => {
  http = await startHttpServer([], { DOM_HISTORY_PATH: historyPath });
});
afterAll(async () => {
  await http?.stop();
  for (const p of projects) await removeProject(p);
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

async function startTask(c: TasksClient, tool: string, args: Record<string, unknown>): Promise<TaskId> {
  const execution = await c.session.callTool(tool, args as never, { task: { preference: 'require' } });
  expect(execution.kind).toBe('task');
  if (execution.kind !== 'task') throw new Error('no task');
  const id = execution.handle.taskId;
  // Hand the task off (ext-tasks' way to let go of it without cancelling it): whoever has its
  // id may pick it up, from this client or another.
  await execution.handoff(() => undefined);
  return id;
}

describe('tasks over HTTP', () => {
  it('a deploy started as a task survives its client: a new client polls it and gets the result', async () => {
    const name = uniqueName('task');
    projects.push(name);
    const first = await connectTasksClient(http.url);
    const started = Date.now();
    const taskId = await startTask(first, 'deploy_application_stack', { name, compose: slowStack(6) });
    // The call answered with a task at once, long before the stack can be healthy.
    expect(Date.now() - started).toBeLessThan(5000);
    // The client goes away: its transport closes (closing the ext-tasks session would cancel
    // the tasks it still owns, which is not what a dropped client does).
    await first.client.close();

    const second = await connectTasksClient(http.url);
    try {
      const task = second.session.task(taskId);
      const messages: string[] = [];
      const last = await until('the task to finish', async () => {
        const view = await task.snapshot();
        if (view.statusMessage) messages.push(view.statusMessage);
        return view.status === 'working' ? undefined : view;
      });
      expect(last.status, last.statusMessage).toBe('completed');
      // Progress of the deploy shows as the task's status message while it works.
      expect(messages.some((m) => m.includes(`create ${name}-app-1`) || m.includes('wait for app'))).toBe(true);
      const outcome = await task.result();
      expect(outcome.status).toBe('completed');
      const result = (
        outcome as { result: { isError?: boolean; structuredContent?: { services?: { name: string }[] } } }
      ).result;
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.structuredContent)).toContain('app');
      expect((await projectObjects(name)).containers.length).toBe(1);
    } finally {
      await second.close();
    }
  });

  it('a cancelled deploy task rolls back: nothing of the stack is left and the history says cancelled', async () => {
    const name = uniqueName('taskcancel');
    projects.push(name);
    const c = await connectTasksClient(http.url);
    try {
      const taskId = await startTask(c, 'deploy_application_stack', { name, compose: slowStack(60) });
      const task = c.session.task(taskId);
      // Cancel once the container exists: the deploy is waiting for it to be healthy.
      await until('the container', async () => ((await projectObjects(name)).containers.length > 0 ? true : undefined));
      await task.cancel();
      const view = await until('the task to end', async () => {
        const v = await task.snapshot();
        return v.status === 'working' ? undefined : v;
      });
      expect(view.status).toBe('cancelled');
      expect(await projectObjects(name)).toEqual({ containers: [], networks: [], volumes: [] });
      const history = await c.client.callTool({ name: 'get_deployment_history', arguments: { stack: name } });
      const entries = (history.structuredContent as { entries: { outcome: string; kind: string }[] }).entries;
      expect(entries[0]).toMatchObject({ kind: 'deploy_stack', outcome: 'cancelled' });
    } finally {
      await c.close();
    }
  });

  it('a client that does not opt in gets the plain answer on the call', async () => {
    const name = uniqueName('taskplain');
    projects.push(name);
    // A current client (2026-07-28) whose capabilities do not name the extension.
    const client = new Client(
      { name: 'plain', version: '1.0.0' },
      { versionNegotiation: { mode: { pin: '2026-07-28' } } },
    );
    await client.connect(
      new StreamableHTTPClientTransport(new URL(http.url), {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    try {
      const compose = `services:\n  app:\n    image: ${BUSYBOX}\n    init: true\n    command: ["sleep", "3600"]\n`;
      const plain = await client.callTool({ name: 'deploy_application_stack', arguments: { name, compose } });
      expect(plain.isError).toBeFalsy();
      expect(JSON.stringify(plain.structuredContent)).toContain('app');
    } finally {
      await client.close();
    }
  });

  it('remove_stack as a task asks the user (input_required, answered by tasks/update) before removing', async () => {
    const name = uniqueName('taskrm');
    projects.push(name);
    const asked: string[] = [];
    const c = await connectTasksClient(http.url, (message) => {
      asked.push(message);
      return { action: 'accept', content: { confirm: true } };
    });
    try {
      const compose = `services:\n  app:\n    image: ${BUSYBOX}\n    init: true\n    command: ["sleep", "3600"]\n`;
      const deploy = await c.session.callTool(
        'deploy_application_stack',
        { name, compose },
        { task: { preference: 'require' } },
      );
      expect((await deploy.settle()).outcome.status).toBe('completed');
      expect((await projectObjects(name)).containers.length).toBe(1);

      const removal = await c.session.callTool('remove_stack', { name }, { task: { preference: 'require' } });
      expect(removal.kind).toBe('task');
      const { outcome } = await removal.settle();
      expect(outcome.status, JSON.stringify(outcome)).toBe('completed');
      expect((outcome as { result: { isError?: boolean } }).result.isError).toBeFalsy();
      expect(asked.length).toBe(1);
      expect(asked[0]).toContain(name);
      expect((await projectObjects(name)).containers).toEqual([]);
    } finally {
      await c.close();
    }
  });

  it('bad arguments are refused on the call itself, not in a task', async () => {
    const c = await connectTasksClient(http.url);
    try {
      const execution = await c.session.callTool(
        'deploy_application_stack',
        { name: 'Bad Name!', compose: 'x', template: 'y' },
        { task: { preference: 'allow' } },
      );
      expect(execution.kind).toBe('immediate');
      const { outcome } = await execution.settle();
      const result = (outcome as { result?: { isError?: boolean } }).result;
      expect(outcome.status === 'failed' || result?.isError === true).toBe(true);
    } finally {
      await c.close();
    }
  });

  it('tasks/get of an unknown task is a clear protocol error', async () => {
    const dispatch = rawDispatchFor(http.url);
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' },
      'io.modelcontextprotocol/clientCapabilities': {},
    };
    const answer = await dispatch({ id: 7, method: 'tasks/get', params: { taskId: 'no-such-task', _meta: meta } });
    expect(answer.kind).toBe('error');
    expect(answer.kind === 'error' && answer.error.message).toMatch(/No task "no-such-task"/);
  });
});

describe('tasks and server restarts', () => {
  it('a task the server did not finish is reported as interrupted after a restart', async () => {
    const restartDir = mkdtempSync(join(tmpdir(), 'dom-test-tasks-restart-'));
    const env = { DOM_HISTORY_PATH: join(restartDir, 'history.db') };
    const name = uniqueName('taskkill');
    projects.push(name);
    let server = await startHttpServer([], env);
    try {
      const c = await connectTasksClient(server.url);
      const taskId = await startTask(c, 'deploy_application_stack', { name, compose: slowStack(60) });
      await until('the container', async () => ((await projectObjects(name)).containers.length > 0 ? true : undefined));
      await c.close();
      server.child.kill('SIGKILL');
      await server.stop();

      server = await startHttpServer([], env);
      const again = await connectTasksClient(server.url);
      try {
        const view = await again.session.task(taskId).snapshot();
        expect(view.status).toBe('failed');
        expect(view.statusMessage).toBe('interrupted');
        const outcome = await again.session.task(taskId).result();
        expect(outcome.status).toBe('failed');
        expect(String((outcome as { error: Error }).error.message)).toMatch(/interrupted/);
      } finally {
        await again.close();
      }
    } finally {
      await server.stop();
      rmSync(restartDir, { recursive: true, force: true });
    }
  });
});
