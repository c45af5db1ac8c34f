import { describe, expect, it } from 'vitest';
import { BoundedLineFilter, idFromFragments, rejectionAnswer, type RejectedLine } from '../../src/transports/stdio.js';

async function run(maxBytes: number, chunks: string[]): Promise<{ passed: string; rejected: RejectedLine[] }> {
  const rejected: RejectedLine[] = [];
  const filter = new BoundedLineFilter(maxBytes, (l) => rejected.push(l));
  let passed = '';
  filter.on('data', (d: Buffer) => (passed += d.toString()));
  const ended = new Promise((resolve) => filter.on('end', resolve));
  for (const c of chunks) filter.write(Buffer.from(c));
  filter.end();
  await ended;
  return { passed, rejected };
}

describe('BoundedLineFilter', () => {
  it('passes whole JSON lines on, however the stream is chunked', async () => {
    const { passed, rejected } = await run(100, ['{"a":', '1}\n{"b"', ':2}\n\n']);
    expect(passed).toBe('{"a":1}\n{"b":2}\n');
    expect(rejected).toEqual([]);
  });

  it('discards a line over the limit as it streams and reports it with the id it can read', async () => {
    const big = JSON.stringify({ method: 'tools/call', params: { x: 'y'.repeat(500) }, jsonrpc: '2.0', id: 42 });
    const { passed, rejected } = await run(100, [
      big.slice(0, 50),
      big.slice(50, 300),
      `${big.slice(300)}\n{"ok":true}\n`,
    ]);
    expect(passed).toBe('{"ok":true}\n');
    expect(rejected).toEqual([{ reason: 'too_large', bytes: big.length, id: 42 }]);
  });

  it('reports a line that is not JSON, with no id', async () => {
    const { passed, rejected } = await run(100, ['hello\n{"ok":1}\n']);
    expect(passed).toBe('{"ok":1}\n');
    expect(rejected).toEqual([{ reason: 'not_json', bytes: 5, id: null }]);
  });
});

describe('idFromFragments', () => {
  it('reads the top-level id at the start or the end, never a nested one', () => {
    expect(idFromFragments('{"jsonrpc":"2.0","id":"abc","method":"x"', '')).toBe('abc');
    expect(idFromFragments('{"method":"x","params":{"a":', ',"jsonrpc":"2.0","id":7}')).toBe(7);
    expect(idFromFragments('{"method":"x","params":{"id":5', '"id":5}}')).toBeNull();
    expect(idFromFragments('garbage', 'more garbage')).toBeNull();
  });

  it('answers with a JSON-RPC error carrying that id', () => {
    expect(rejectionAnswer({ reason: 'too_large', bytes: 11, id: 3 }, 10)).toMatchObject({
      jsonrpc: '2.0',
      id: 3,
      error: { code: -32600 },
    });
    expect(rejectionAnswer({ reason: 'not_json', bytes: 1, id: null }, 10)).toMatchObject({
      id: null,
      error: { code: -32700 },
    });
  });
});
