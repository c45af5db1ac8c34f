import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';

function linesOf(log: (l: ReturnType<typeof createLogger>) => void): string[] {
  const lines: string[] = [];
  log(createLogger('info', { write: (s: string) => void lines.push(s.trim()) }));
  return lines;
}

const msgKeys = (line: string) => line.match(/"msg":/g)?.length ?? 0;

describe('logger', () => {
  it('writes one msg per line: a msg field of the object moves to `error`', () => {
    const [line = ''] = linesOf((l) =>
      l.info({ tool: 'stop_container', kind: 'not_found', msg: 'No such container: web' }, 'tool error'),
    );
    expect(msgKeys(line)).toBe(1);
    expect(JSON.parse(line)).toMatchObject({
      tool: 'stop_container',
      kind: 'not_found',
      error: 'No such container: web',
      msg: 'tool error',
    });
  });

  it('keeps an existing `error` field and puts the colliding msg under `detail`', () => {
    const [line = ''] = linesOf((l) => l.warn({ error: 'E', msg: 'M' }, 'both'));
    expect(msgKeys(line)).toBe(1);
    expect(JSON.parse(line)).toMatchObject({ error: 'E', detail: 'M', msg: 'both' });
  });

  it('leaves other lines as they are', () => {
    const [a = '', b = '', c = ''] = linesOf((l) => {
      l.info({ path: '/x' }, 'opened');
      l.info('plain');
      l.error({ err: new Error('boom') }, 'failed');
    });
    expect(JSON.parse(a)).toMatchObject({ path: '/x', msg: 'opened' });
    expect(JSON.parse(b)).toMatchObject({ msg: 'plain' });
    expect(JSON.parse(c)).toMatchObject({ msg: 'failed', err: { message: 'boom' } });
    expect([a, b, c].map(msgKeys)).toEqual([1, 1, 1]);
  });
});
