import { describe, expect, it } from 'vitest';
import { boundAnswer, capList, capText } from '../../src/tools/bounds.js';

describe('answer bounds', () => {
  it('leaves a small answer alone', () => {
    expect(boundAnswer('ok', { a: [1, 2] }, 1000)).toEqual({ text: 'ok', data: { a: [1, 2] } });
  });

  it('cuts lists and long strings until the answer fits, keeping the JSON valid and saying so', () => {
    const data = {
      state: 'running',
      rows: Array.from({ length: 5000 }, (_, i) => ({ id: `row-${i}`, note: 'n'.repeat(300) })),
      log: 'x'.repeat(100_000),
    };
    const text = 'line\n'.repeat(50_000);
    const bounded = boundAnswer(text, data, 64 * 1024);
    expect(bounded).toBeDefined();
    const size = Buffer.byteLength(JSON.stringify(bounded?.data)) + Buffer.byteLength(bounded?.text ?? '');
    expect(size).toBeLessThanOrEqual(64 * 1024);
    expect(bounded?.truncatedFrom).toBeGreaterThan(64 * 1024);
    expect(bounded?.text).toMatch(/Answer cut from \d+ bytes to fit 65536/);
    const out = bounded?.data as typeof data;
    expect(out.state).toBe('running');
    expect(out.rows.length).toBeGreaterThan(0);
    expect(out.rows[0]?.id).toBe('row-0');
  });

  it('gives up (for an error answer) when even the smallest form is too large', () => {
    const wide = Object.fromEntries(Array.from({ length: 5000 }, (_, i) => [`key-${i}`, i]));
    expect(boundAnswer('', wide, 1024)).toBeUndefined();
  });

  it('summarises lists and texts with what was left out', () => {
    expect(capList([1, 2, 3], 2)).toEqual({ shown: [1, 2], more: 1 });
    expect(capList([1], 2)).toEqual({ shown: [1], more: 0 });
    expect(capText('abcdef', 3)).toBe('abc… [3 more characters]');
  });
});
