import { describe, expect, it } from 'vitest';
import { Tally } from '../../fuzz/tally.js';

describe('fuzz tally', () => {
  it('counts per tool how far calls got and how they ended, and keeps the broken ones with their arguments', () => {
    const t = new Tally(['a', 'b']);
    t.record('a', { x: 1 }, { type: 'rejected' }, 5, false);
    t.record('a', { x: 2 }, { type: 'ok' }, 10, true);
    t.record('a', { x: 3 }, { type: 'error', kind: 'not_found', message: 'Error (not_found): no x' }, 20, false);
    t.record('a', { x: 4 }, { type: 'error', kind: 'not_found', message: 'Error (not_found): no y' }, 1, false);
    t.record('b', { y: 1 }, { type: 'broken', what: 'no tool answer' }, 60_000, false);
    expect(t.tools.get('a')).toMatchObject({
      calls: 4,
      rejected: 1,
      reached: 3,
      ok: 1,
      errors: { not_found: 2 },
      examples: { not_found: 'Error (not_found): no x' },
      rewritten: 1,
      maxMs: 20,
    });
    expect(t.totals()).toEqual({ calls: 5, rejected: 1, reached: 4, ok: 1 });
    expect(t.broken).toEqual([{ tool: 'b', args: '{"y":1}', what: 'no tool answer' }]);
    const table = t.table().split('\n');
    expect(table[0]).toMatch(/^tool\s+calls\s+rejected\s+reached\s+ok/);
    expect(table.find((l) => l.startsWith('a '))).toMatch(/not_found 2/);
    expect(table.at(-1)).toMatch(/^TOTAL\s+5\s+1\s+4\s+1/);
    expect(() => t.record('c', {}, { type: 'ok' }, 1, false)).toThrow(/unknown tool/);
  });
});
