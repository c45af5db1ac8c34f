import fc from 'fast-check';
import type { ComposeCase } from './compose.js';
import { hostileString } from './hostile.js';

/**
 * Placeholders the argument arbitraries put where a call names an Engine object or a host
 * port. Arguments are generated up front from the seed; the placeholders are filled in at
 * call time from the objects this fuzz run owns at that moment.
 */

export type RefKind = 'container' | 'network' | 'volume' | 'stack' | 'image' | 'target';

/** One of our own objects of `kind` (picked by `pick` in [0, 1)), or garbage when we own none. */
export class Ref {
  constructor(
    readonly kind: RefKind,
    readonly pick: number,
    /** The value sent: "%s" stands for the object's name. */
    readonly format = '%s',
  ) {}
}

/** "127.0.0.1:<free port>:<container port>", filled in at call time. */
export class LoopbackPort {
  constructor(
    readonly containerPort: number,
    readonly form: 'string' | 'object',
  ) {}
}

/** A Compose text whose port tokens become free loopback ports at call time. */
export class ComposeText {
  constructor(readonly compose: ComposeCase) {}
}

/** Names nobody else uses: never the name or id prefix of an object this run does not own. */
export const garbageRef: fc.Arbitrary<string> = fc.oneof(
  fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,12}$/).map((s) => `fuzz-nx-${s}`),
  hostileString,
);

export function ref(kind: RefKind, format = '%s'): fc.Arbitrary<unknown> {
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((p) => new Ref(kind, p, format)),
    },
    { weight: 2, arbitrary: garbageRef.map((g) => format.replace('%s', g)) },
  );
}

export function loopbackPort(form: 'string' | 'object' = 'string'): fc.Arbitrary<LoopbackPort> {
  return fc.constantFrom(80, 8080, 53).map((p) => new LoopbackPort(p, form));
}

/** What this run owns right now: names and ids a call may act on. */
export interface OwnObjects {
  containers: string[];
  networks: string[];
  volumes: string[];
  stacks: string[];
  images: string[];
}

export function ownValues(own: OwnObjects, kind: RefKind): string[] {
  if (kind === 'target') return [...own.containers, ...own.stacks];
  return own[`${kind}s`];
}

export function isOwn(own: OwnObjects, kind: RefKind, value: string): boolean {
  return ownValues(own, kind).includes(value);
}

/** Fills the placeholders in `value` (deeply); `port` answers a free loopback port. */
export async function fillPlaceholders(
  value: unknown,
  own: OwnObjects,
  port: () => Promise<number>,
  seen: { composes: ComposeCase[] },
): Promise<unknown> {
  if (value instanceof Ref) {
    const values = ownValues(own, value.kind);
    const name = values.length
      ? (values[Math.floor(value.pick * values.length)] as string)
      : `fuzz-nx-none-${value.kind}`;
    return value.format.replace('%s', name);
  }
  if (value instanceof LoopbackPort) {
    const p = await port();
    return value.form === 'string'
      ? `127.0.0.1:${p}:${value.containerPort}`
      : { target: value.containerPort, published: p, host_ip: '127.0.0.1' };
  }
  if (value instanceof ComposeText) {
    seen.composes.push(value.compose);
    let text = value.compose.text;
    while (text.includes('__FUZZ_PORT__')) text = text.replace('__FUZZ_PORT__', String(await port()));
    return text;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) out.push(await fillPlaceholders(v, own, port, seen));
    return out;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const filled = await fillPlaceholders(v, own, port, seen);
      Object.defineProperty(out, k, { value: filled, enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}
