import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import type { Engine } from '../../src/docker/engine.js';
import { memoryHistory } from '../../src/history/port.js';
import { ToolError } from '../../src/kernel/errors.js';
import { silent } from './history/helpers.js';
import { explicitOnly } from '../../src/tools/confirm.js';
import { defineDestructiveTool } from '../../src/tools/defineDestructiveTool.js';
import type { ToolContext } from '../../src/tools/defineTool.js';
import { confirmArg, destructiveOutcome } from '../../src/tools/schemas.js';

/**
 * The wrapper's order and records, with a tool whose "objects" are in memory (the Engine is
 * not involved; test/integration/destructive.test.ts covers the real tools against it).
 */

const store = new Map<string, { labels: Record<string, string>; inUse?: boolean }>();

const removeThing = defineDestructiveTool({
  name: 'remove_volume',
  title: 'Remove thing',
  description: 'test',
  toolset: 'volumes',
  input: z.object({ id: z.string(), confirm: confirmArg, nothingToDo: z.boolean().optional() }),
  output: z.object({ id: z.string(), ...destructiveOutcome }),
  async resolve({ id }) {
    const t = store.get(id);
    if (!t) throw new ToolError('not_found', `no thing ${id}`);
    return { scope: [{ what: `thing "${id}"`, labels: t.labels }], found: t };
  },
  async plan(t, { id, confirm, nothingToDo }) {
    if (t.inUse) throw new ToolError('conflict', `thing ${id} is in use`);
    if (nothingToDo) return { data: { id, done: true, message: 'nothing to do' }, text: 'nothing to do' };
    return {
      summary: `Remove thing "${id}".`,
      record: { target: id, inputs: { id, confirm } },
      refused: (message) => ({ id, done: false, message }),
      async run(h) {
        h.step({ name: 'remove', durationMs: 0, outcome: 'ok' });
        if (id === 'breaks') throw new ToolError('failed', 'the Engine said no');
        store.delete(id);
        return { data: { id, done: true, message: 'removed' }, text: 'removed' };
      },
    };
  },
});

function context(scope: 'managed' | 'all' = 'managed'): ToolContext {
  return {
    engine: {} as Engine,
    config: { ...loadConfig({}), scope },
    log: silent,
    signal: new AbortController().signal,
    progress: () => undefined,
    confirm: explicitOnly,
    history: memoryHistory(),
    who: 'unit',
  };
}

const managed = { 'io.docker-orchestration-mcp.managed': 'true' };
const outcomes = (ctx: ToolContext) => ctx.history.list({ limit: 50 }).entries.map((e) => [e.target, e.outcome]);

describe('defineDestructiveTool', () => {
  it('declares kind destructive', () => {
    expect(removeThing.kind).toBe('destructive');
  });

  it('records a refusal as not_confirmed with the message it answers, and changes nothing', async () => {
    store.set('a', { labels: managed });
    const ctx = context();
    const r = await removeThing.handler({ id: 'a' }, ctx);
    expect(r.data).toEqual({
      id: 'a',
      done: false,
      message: 'Not confirmed; nothing changed. Would: Remove thing "a". Call again with confirm: true to do it.',
    });
    const [entry] = ctx.history.list({ limit: 5 }).entries;
    expect(entry).toMatchObject({ kind: 'remove_volume', target: 'a', who: 'unit', outcome: 'not_confirmed' });
    expect(entry?.error).toBe(r.data.message);
    expect(store.has('a')).toBe(true);
  });

  it('records a confirmed action as succeeded with its steps, or failed with the error', async () => {
    store.set('b', { labels: managed });
    store.set('breaks', { labels: managed });
    const ctx = context();
    expect((await removeThing.handler({ id: 'b', confirm: true }, ctx)).data.done).toBe(true);
    await expect(removeThing.handler({ id: 'breaks', confirm: true }, ctx)).rejects.toThrow(/the Engine said no/);
    expect(outcomes(ctx)).toEqual([
      ['breaks', 'failed'],
      ['b', 'succeeded'],
    ]);
    expect(ctx.history.list({ limit: 5, target: 'b' }).entries[0]?.steps).toEqual([
      expect.objectContaining({ name: 'remove', outcome: 'ok' }),
    ]);
  });

  it('checks the ownership scope before the tool plans or asks, and --scope all widens it', async () => {
    store.set('foreign', { labels: {}, inUse: true });
    const ctx = context();
    // denied, not the plan's conflict: the scope is checked first, and nothing is recorded
    await expect(removeThing.handler({ id: 'foreign', confirm: true }, ctx)).rejects.toMatchObject({
      kind: 'denied',
      message: expect.stringMatching(/^Refused: thing "foreign" was not created by this server/),
    });
    await expect(removeThing.handler({ id: 'foreign', confirm: true }, context('all'))).rejects.toMatchObject({
      kind: 'conflict',
    });
    expect(outcomes(ctx)).toEqual([]);
  });

  it('answers a plan with nothing to do without asking or recording', async () => {
    store.set('c', { labels: managed });
    const ctx = context();
    const r = await removeThing.handler({ id: 'c', nothingToDo: true }, ctx);
    expect(r.data).toEqual({ id: 'c', done: true, message: 'nothing to do' });
    expect(outcomes(ctx)).toEqual([]);
  });
});
