import { describe, expect, it } from 'vitest';
import { mapEngineError, ToolError } from '../../src/kernel/errors.js';

const ctx = { action: 'start', target: 'container "web"' };

describe('mapEngineError', () => {
  it('connection failures are engine_unavailable with a hint', () => {
    for (const code of ['ENOENT', 'ECONNREFUSED']) {
      const e = mapEngineError(Object.assign(new Error('x'), { code }), ctx);
      expect(e.kind).toBe('engine_unavailable');
      expect(e.message).toMatch(/DOCKER_HOST/);
    }
    expect(mapEngineError({ code: 'EACCES' }, ctx).message).toMatch(/permission denied/);
  });

  it('HTTP codes map to stable kinds, with the Engine message', () => {
    expect(mapEngineError({ statusCode: 404, json: { message: 'No such container: web' } }, ctx)).toMatchObject({
      kind: 'not_found',
    });
    expect(
      mapEngineError({ statusCode: 409, json: { message: 'Conflict.' } }, { ...ctx, conflict: 'name taken' }).message,
    ).toMatch(/name taken/);
    expect(mapEngineError({ statusCode: 400, json: { message: 'invalid mode' } }, ctx)).toMatchObject({
      kind: 'invalid_input',
    });
    expect(mapEngineError({ statusCode: 403, json: { message: 'network has active endpoints' } }, ctx)).toMatchObject({
      kind: 'conflict',
    });
    expect(mapEngineError({ statusCode: 500, json: { message: 'pull access denied for x' } }, ctx)).toMatchObject({
      kind: 'denied',
    });
    expect(mapEngineError({ statusCode: 500, json: { message: 'something broke' } }, ctx)).toMatchObject({
      kind: 'failed',
    });
  });

  it('a 404 can say what was missing when it is not the target', () => {
    const e = mapEngineError(
      { statusCode: 404, json: { message: 'No such container' } },
      { action: 'create', notFound: 'image foo:1 not found' },
    );
    expect(e.message).toMatch(/image foo:1 not found/);
  });

  it('an empty body keeps the reason (a 304 on start says "already started", found by the fuzz test)', () => {
    const e = mapEngineError(
      {
        statusCode: 304,
        reason: 'container already started',
        message: '(HTTP code 304) container already started -  ',
        json: Buffer.alloc(0),
      },
      ctx,
    );
    expect(e.message).toMatch(/container already started/);
  });

  it('ToolErrors pass through', () => {
    const t = new ToolError('timeout', 'slow');
    expect(mapEngineError(t, ctx)).toBe(t);
  });
});
