import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALL_TOOLS } from '../../../src/tools/registry.js';
import { arbitraryFromSchema, underPath, type Schema } from '../../fuzz/arbitraries.js';

const asSchema = (s: z.ZodType) => s as unknown as Schema;

const everything = z.object({
  name: z.string().regex(/^[a-z][a-z0-9-]{2,9}$/),
  short: z.string().min(2).max(4),
  exact: z.string().length(3),
  count: z.number().int().min(3).max(7),
  ratio: z.number().gt(0).lt(1),
  flag: z.boolean().optional(),
  mode: z.enum(['a', 'b']),
  kind: z.literal('k'),
  tags: z.array(z.string().max(5)).min(1).max(2),
  env: z.record(z.string().min(1).max(8), z.union([z.string(), z.number(), z.boolean()])).optional(),
  port: z.union([z.number().int(), z.string(), z.object({ target: z.number().int() })]),
  retries: z.number().int().default(3),
  note: z.string().nullable(),
  nested: z.object({ inner: z.array(z.object({ x: z.number().int().min(0) })).max(3) }).optional(),
});

describe('zod 4 schema -> fast-check arbitrary', () => {
  it('generates only values the schema accepts, for every kind of node it supports', () => {
    fc.assert(
      fc.property(arbitraryFromSchema(asSchema(everything)), (v) => {
        expect(everything.safeParse(v).success, JSON.stringify(v)).toBe(true);
      }),
      { numRuns: 500, seed: 1 },
    );
  });

  it('generates valid arguments for every tool of the server', () => {
    for (const tool of ALL_TOOLS) {
      const arb = arbitraryFromSchema(tool.input as unknown as Schema);
      for (const args of fc.sample(arb, { numRuns: 150, seed: 7 })) {
        const r = tool.input.safeParse(args);
        expect(
          r.success,
          `${tool.name}: ${JSON.stringify(args).slice(0, 300)} ${r.success ? '' : r.error.message}`,
        ).toBe(true);
      }
    }
  });

  it('leaves optional keys out sometimes and puts them in sometimes', () => {
    const samples = fc.sample(arbitraryFromSchema(asSchema(everything)), { numRuns: 200, seed: 3 }) as Record<
      string,
      unknown
    >[];
    expect(samples.some((s) => 'flag' in s)).toBe(true);
    expect(samples.some((s) => !('flag' in s))).toBe(true);
  });

  it('uses overrides by path (object key, array element, record value), nested under a prefix', () => {
    const schema = z.object({
      a: z.object({ id: z.string(), list: z.array(z.string()).min(1), map: z.record(z.string(), z.string()) }),
    });
    const arb = arbitraryFromSchema(asSchema(schema), {
      overrides: underPath('a', { id: fc.constant('ID'), 'list[]': fc.constant('EL'), 'map{}': fc.constant('VAL') }),
    });
    for (const v of fc.sample(arb, { numRuns: 50, seed: 5 }) as {
      a: { id: string; list: string[]; map: Record<string, string> };
    }[]) {
      expect(v.a.id).toBe('ID');
      expect(v.a.list.every((e) => e === 'EL')).toBe(true);
      expect(Object.values(v.a.map).every((e) => e === 'VAL')).toBe(true);
    }
  });

  it('mixes in hostile values and wrong types when asked, some of which the schema rejects', () => {
    const schema = z.object({ id: z.string().min(1).max(256), n: z.number().int().min(1).max(10) });
    const samples = fc.sample(arbitraryFromSchema(asSchema(schema), { hostileRate: 40, wrongTypeRate: 10 }), {
      numRuns: 300,
      seed: 11,
    }) as Record<string, unknown>[];
    const valid = samples.filter((s) => schema.safeParse(s).success).length;
    expect(valid).toBeGreaterThan(50);
    expect(valid).toBeLessThan(280);
    expect(samples.some((s) => s.id === '../../etc/passwd')).toBe(true);
    expect(samples.some((s) => typeof s.id !== 'string')).toBe(true);
  });

  it('refuses a schema node it does not know instead of generating nothing', () => {
    expect(() => arbitraryFromSchema(asSchema(z.object({ when: z.date() })))).toThrow(/zod type "date" at when/);
  });
});
