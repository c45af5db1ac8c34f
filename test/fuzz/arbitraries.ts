import fc from 'fast-check';
import { hostileNumber, hostileString, HOSTILE_NUMBERS, HOSTILE_STRINGS, wrongType } from './hostile.js';
import { KEY_VALUE_LISTS } from '../../src/tools/portable.js';

/**
 * fast-check arbitraries from zod 4 schemas, by walking `schema._zod.def` (the exact
 * rules, regexes included, rather than their JSON Schema rendering).
 *
 * Paths name the nodes for overrides: `a.b` (object key), `a[]` (array element),
 * `a{}` (record value). An override replaces the node's own arbitrary (an optional key
 * stays optional). Types this walker does not know are an error, so a new schema shape
 * fails the unit test instead of being fuzzed with nothing.
 */

interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  length?: number;
  value?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}

interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  innerType?: Schema;
  shape?: Record<string, Schema>;
  element?: Schema;
  options?: Schema[];
  keyType?: Schema;
  valueType?: Schema;
  values?: unknown[];
  entries?: Record<string, unknown>;
  items?: Schema[];
  in?: Schema;
  out?: Schema;
  getter?: () => Schema;
}

/** The part of a zod 4 schema this module reads. */
export interface Schema {
  _zod: { def: Def; optin?: 'optional' | 'defaulted' };
  safeParse(v: unknown): { success: boolean };
}

export interface SchemaArbitraryOptions {
  /** Arbitraries for given paths instead of the schema's own. */
  overrides?: Record<string, fc.Arbitrary<unknown>>;
  /** Weight (0-100) of a hostile value in place of a string or number leaf. 0: always valid by schema. */
  hostileRate?: number;
  /** Weight (0-100) of a value of the wrong type in place of an object field. */
  wrongTypeRate?: number;
  /** Longest array / most record keys generated (the schema's own bounds still hold). */
  maxItems?: number;
  /** Longest string generated when the schema allows longer. */
  maxStringLength?: number;
}

interface Ctx {
  overrides: Record<string, fc.Arbitrary<unknown>>;
  hostileRate: number;
  wrongTypeRate: number;
  maxItems: number;
  maxStringLength: number;
}

function checksOf(s: Schema): CheckDef[] {
  return (s._zod.def.checks ?? []).map((c) => c._zod.def);
}

function lengthBounds(s: Schema): { min: number; max: number | undefined } {
  let min = 0;
  let max: number | undefined;
  for (const c of checksOf(s)) {
    if (c.check === 'min_length' && c.minimum !== undefined) min = Math.max(min, c.minimum);
    if (c.check === 'max_length' && c.maximum !== undefined) max = Math.min(max ?? Infinity, c.maximum);
    if (c.check === 'length_equals' && c.length !== undefined) min = max = c.length;
  }
  return { min, max };
}

/** Mixes a valid arbitrary with hostile ones; hostile values that still fit the leaf come up as often as any. */
function withHostile<T>(
  valid: fc.Arbitrary<T>,
  leaf: Schema,
  pool: readonly unknown[],
  any: fc.Arbitrary<unknown>,
  ctx: Ctx,
): fc.Arbitrary<unknown> {
  if (ctx.hostileRate <= 0) return valid;
  const fitting = pool.filter((v) => leaf.safeParse(v).success);
  const hostile = fitting.length ? fc.oneof(any, fc.constantFrom(...fitting)) : any;
  return fc.oneof({ weight: 100 - ctx.hostileRate, arbitrary: valid }, { weight: ctx.hostileRate, arbitrary: hostile });
}

/** Mostly printable ASCII, sometimes any Unicode grapheme (which may be several UTF-16 units long). */
const CHAR = fc.oneof(
  { weight: 8, arbitrary: fc.string({ minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }) },
);

function stringArb(s: Schema, ctx: Ctx): fc.Arbitrary<string> {
  const { min, max } = lengthBounds(s);
  const patterns = checksOf(s)
    .filter((c) => c.check === 'string_format')
    .map((c) => {
      if (!c.pattern) throw new Error(`string format "${c.format}" has no pattern to generate from`);
      return c.pattern;
    });
  const genMax = Math.max(min, Math.min(max ?? Infinity, min + ctx.maxStringLength));
  const fits = (v: string) =>
    v.length >= min &&
    v.length <= (max ?? Infinity) &&
    patterns.every((p) => new RegExp(p.source, p.flags.replace('g', '')).test(v));
  const [first] = patterns;
  if (!first) return fc.string({ minLength: min, maxLength: genMax, unit: CHAR }).filter(fits);
  return fc.stringMatching(first, { size: 'small' }).filter(fits);
}

function numberArb(s: Schema): fc.Arbitrary<number> {
  let min = -Infinity;
  let max = Infinity;
  let minExcluded = false;
  let maxExcluded = false;
  let integer = false;
  for (const c of checksOf(s)) {
    if (c.check === 'greater_than') {
      min = Number(c.value);
      minExcluded = !c.inclusive;
    } else if (c.check === 'less_than') {
      max = Number(c.value);
      maxExcluded = !c.inclusive;
    } else if (c.check === 'number_format') {
      integer = c.format !== 'float32' && c.format !== 'float64';
    } else {
      throw new Error(`number check "${c.check}" is not supported`);
    }
  }
  if (integer) {
    const lo = Number.isFinite(min) ? Math.ceil(minExcluded ? min + 1e-9 : min) : -(2 ** 31);
    const hi = Number.isFinite(max) ? Math.floor(maxExcluded ? max - 1e-9 : max) : 2 ** 31;
    return fc.integer({ min: lo, max: hi });
  }
  return fc.double({
    noNaN: true,
    noDefaultInfinity: true,
    ...(Number.isFinite(min) ? { min, minExcluded } : { min: -1e9 }),
    ...(Number.isFinite(max) ? { max, maxExcluded } : { max: 1e9 }),
  });
}

function walk(s: Schema, path: string, ctx: Ctx): fc.Arbitrary<unknown> {
  const override = ctx.overrides[path];
  if (override) return override;
  const d = s._zod.def;
  switch (d.type) {
    case 'string':
      return withHostile(stringArb(s, ctx), s, HOSTILE_STRINGS, hostileString, ctx);
    case 'number':
      return withHostile(numberArb(s), s, HOSTILE_NUMBERS, hostileNumber, ctx);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'undefined':
      return fc.constant(undefined);
    case 'unknown':
    case 'any':
      return wrongType;
    case 'enum':
      return fc.constantFrom(...Object.values(d.entries ?? {}));
    case 'literal':
      return fc.constantFrom(...(d.values ?? []));
    case 'optional':
    case 'default':
    case 'prefault':
      return fc.option(walk(d.innerType as Schema, path, ctx), { nil: undefined });
    case 'nullable':
      return fc.option(walk(d.innerType as Schema, path, ctx), { nil: null });
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return walk(d.innerType as Schema, path, ctx);
    case 'pipe':
      if (KEY_VALUE_LISTS.has(s)) {
        const key = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.]{0,15}$/);
        return fc.array(
          fc.tuple(key, fc.string({ maxLength: 20 })).map(([k, v]) => `${k}=${v}`),
          { maxLength: ctx.maxItems },
        );
      }
      // A preprocess (its `in` is a transform) accepts what its `out` accepts.
      return walk(((d.in as Schema)._zod.def.type === 'transform' ? d.out : d.in) as Schema, path, ctx);
    case 'lazy':
      return walk((d.getter as () => Schema)(), path, ctx);
    case 'union':
      return fc.oneof(...(d.options ?? []).map((o) => walk(o, path, ctx)));
    case 'array': {
      const { min, max } = lengthBounds(s);
      const maxLength = Math.max(min, Math.min(max ?? Infinity, min + ctx.maxItems));
      return fc.array(walk(d.element as Schema, `${path}[]`, ctx), { minLength: min, maxLength });
    }
    case 'tuple':
      return fc.tuple(...(d.items ?? []).map((item, i) => walk(item, `${path}[${i}]`, ctx)));
    case 'record': {
      const key = walk(d.keyType as Schema, `${path}{key}`, ctx) as fc.Arbitrary<string>;
      return fc.dictionary(key, walk(d.valueType as Schema, `${path}{}`, ctx), { maxKeys: ctx.maxItems });
    }
    case 'object':
      return objectArb(s, path, ctx);
    default:
      throw new Error(`no arbitrary for zod type "${d.type}" at ${path || '(root)'}`);
  }
}

function objectArb(s: Schema, path: string, ctx: Ctx): fc.Arbitrary<Record<string, unknown>> {
  const shape = s._zod.def.shape ?? {};
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  const required: string[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const at = path ? `${path}.${key}` : key;
    const optional = field._zod.optin === 'optional' || field._zod.optin === 'defaulted';
    if (!optional) required.push(key);
    const inner =
      optional && ['optional', 'default', 'prefault'].includes(field._zod.def.type)
        ? (field._zod.def.innerType as Schema)
        : field;
    const valid = walk(inner, at, ctx);
    fields[key] =
      ctx.wrongTypeRate > 0
        ? fc.oneof(
            { weight: 100 - ctx.wrongTypeRate, arbitrary: valid },
            { weight: ctx.wrongTypeRate, arbitrary: wrongType },
          )
        : valid;
  }
  return fc.record(fields, { requiredKeys: required }) as fc.Arbitrary<Record<string, unknown>>;
}

/** An arbitrary of values for `schema`: valid by it when hostileRate and wrongTypeRate are 0. */
export function arbitraryFromSchema(schema: Schema, options: SchemaArbitraryOptions = {}): fc.Arbitrary<unknown> {
  return walk(schema, '', {
    overrides: options.overrides ?? {},
    hostileRate: options.hostileRate ?? 0,
    wrongTypeRate: options.wrongTypeRate ?? 0,
    maxItems: options.maxItems ?? 3,
    maxStringLength: options.maxStringLength ?? 24,
  });
}

/** Re-roots overrides under a prefix: the same field rules for deploy_container and configuration_validation.container. */
export function underPath(
  prefix: string,
  overrides: Record<string, fc.Arbitrary<unknown>>,
): Record<string, fc.Arbitrary<unknown>> {
  return Object.fromEntries(Object.entries(overrides).map(([k, v]) => [`${prefix}.${k}`, v]));
}
