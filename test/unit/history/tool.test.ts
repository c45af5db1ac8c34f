import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config.js';
import type { Engine } from '../../../src/docker/engine.js';
import { recorded, timedStep } from '../../../src/history/record.js';
import { openSqliteHistory } from '../../../src/history/sqliteHistory.js';
import { explicitOnly } from '../../../src/tools/confirm.js';
import type { ToolContext } from '../../../src/tools/defineTool.js';
import { invokeTool } from '../../../src/tools/invoke.js';
import { getDeploymentHistoryTool } from '../../../src/tools/operations/history.js';
import { silent, tempDir } from './helpers.js';

function context(): ToolContext {
  return {
    engine: {} as Engine,
    config: loadConfig({}),
    log: silent,
    signal: new AbortController().signal,
    progress: () => undefined,
    confirm: explicitOnly,
    history: openSqliteHistory(join(tempDir(), 'h.db'), silent),
    who: 'unit',
  };
}

async function call(ctx: ToolContext, args: Record<string, unknown>) {
  const r = await invokeTool(getDeploymentHistoryTool, args, ctx);
  if ('inputRequired' in r) throw new Error('unexpected input request');
  return r;
}

describe('recording helpers', () => {
  it('time each step and finish succeeded, failed or as the work said', async () => {
    const ctx = context();
    const signal = ctx.signal;
    const start = { kind: 'deploy_container', target: 'web', source: 'container', who: 'unit', inputs: {} } as const;
    await recorded(ctx.history, start, signal, async (h) => {
      await timedStep(h, 'pull', () => new Promise((r) => setTimeout(r, 20)));
      await timedStep(h, 'create', async () => 'id');
    });
    await expect(
      recorded(ctx.history, start, signal, (h) =>
        timedStep(h, 'start', async () => {
          throw new Error('port is already allocated');
        }),
      ),
    ).rejects.toThrow('port is already allocated');
    await recorded(ctx.history, start, signal, async (h) => h.finish('not_confirmed', 'asked only'));
    const [notConfirmed, failed, ok] = ctx.history.list({ limit: 10 }).entries;
    expect(ok?.outcome).toBe('succeeded');
    expect(ok?.steps.map((s) => [s.name, s.outcome])).toEqual([
      ['pull', 'ok'],
      ['create', 'ok'],
    ]);
    expect(ok?.steps[0]?.durationMs).toBeGreaterThanOrEqual(15);
    expect(failed).toMatchObject({
      outcome: 'failed',
      error: 'port is already allocated',
      steps: [{ name: 'start', outcome: 'failed', error: 'port is already allocated' }],
    });
    expect(notConfirmed).toMatchObject({ outcome: 'not_confirmed', error: 'asked only' });
    ctx.history.close();
  });
});

describe('get_deployment_history', () => {
  it('lists compact entries, filters, pages, and gives one record in full by id', async () => {
    const ctx = context();
    for (let i = 0; i < 3; i++) {
      const d = ctx.history.begin({
        kind: 'deploy_stack',
        target: 'shop',
        stack: 'shop',
        source: 'inline',
        who: 'unit',
        inputs: { env: { API_TOKEN: 't0k3n' } },
      });
      d.setPlan({ create: ['web'] });
      d.step({ name: 'create web-1', service: 'web', durationMs: 1500, outcome: 'ok' });
      d.finish(i === 2 ? 'failed' : 'succeeded', i === 2 ? `boom\n${'log line\n'.repeat(100)}` : undefined);
    }
    ctx.history.begin({ kind: 'remove_container', target: 'other', who: 'unit', inputs: {} }).finish('succeeded');

    const all = await call(ctx, {});
    const entries = all.structuredContent?.entries as Record<string, unknown>[];
    expect(entries).toHaveLength(4);
    expect(entries[0]).toMatchObject({ kind: 'remove_container', target: 'other', outcome: 'succeeded' });
    expect(entries[1]).toMatchObject({
      kind: 'deploy_stack',
      stack: 'shop',
      outcome: 'failed',
      steps: [{ name: 'create web-1', service: 'web', durationMs: 1500, outcome: 'ok' }],
    });
    expect(entries[1]).not.toHaveProperty('plan');
    expect(entries[1]).not.toHaveProperty('inputs');
    expect(String(entries[1]?.error).length).toBeLessThan(400);
    // The text block: one human line, then every field of the structured result (text-only clients).
    const [line, json] = (all.content[0]?.text ?? '').split('\n');
    expect(line?.length).toBeLessThanOrEqual(200);
    expect(JSON.parse(json ?? '')).toEqual(all.structuredContent);

    const failed = await call(ctx, { stack: 'shop', outcome: 'failed', since: '1h' });
    expect((failed.structuredContent?.entries as unknown[]).length).toBe(1);

    const first = await call(ctx, { limit: 3 });
    expect((first.structuredContent?.entries as unknown[]).length).toBe(3);
    const rest = await call(ctx, { limit: 3, cursor: first.structuredContent?.nextCursor });
    expect((rest.structuredContent?.entries as { target: string }[]).map((e) => e.target)).toEqual(['shop']);
    expect(rest.structuredContent).not.toHaveProperty('nextCursor');

    const id = String(entries[1]?.id);
    const one = await call(ctx, { id });
    const [detail] = one.structuredContent?.entries as Record<string, unknown>[];
    expect(detail).toMatchObject({ id, plan: { create: ['web'] }, inputs: { env: { API_TOKEN: '******' } } });
    expect(String(detail?.error)).toContain('log line\nlog line');

    const missing = await call(ctx, { id: 'nope' });
    expect(missing.isError).toBe(true);
    expect(missing.content[0]?.text).toMatch(/not_found/);
    const badSince = await call(ctx, { since: 'yesterday-ish' });
    expect(badSince.content[0]?.text).toMatch(/invalid_input/);
    const empty = await call(ctx, { stack: 'none' });
    expect(empty.content[0]?.text).toMatch(/^No deployments recorded that match these filters\.\n\{/);
    ctx.history.close();
  });
});
