import { describe, expect, it } from 'vitest';
import { overlapProblem, ownOverlapProblem, type HostBind } from '../../src/policy/bindOverlap.js';

const b = (source: string, writable: boolean, owner = 'x'): HostBind => ({ source, writable, owner });

describe('overlapping binds', () => {
  it('a source inside a folder another container binds writable is refused, read-only or not', () => {
    expect(overlapProblem(b('/data/a/b', false), b('/data/a', true))).toMatch(/lies inside/);
    expect(overlapProblem(b('/data/a/b', true), b('/data/a', true))).toMatch(/lies inside/);
  });
  it("a writable source containing another container's source is refused", () => {
    expect(overlapProblem(b('/data/a', true), b('/data/a/b', false))).toMatch(/contains/);
  });
  it('read-only over read-only, the same folder, and unrelated folders are fine', () => {
    expect(overlapProblem(b('/data/a', false), b('/data/a/b', false))).toBeUndefined();
    expect(overlapProblem(b('/data/a', true), b('/data/a', true))).toBeUndefined();
    expect(overlapProblem(b('/data/a', true), b('/data/ab', true))).toBeUndefined();
    expect(overlapProblem(b('/data/a/b', false), b('/data/a', false))).toBeUndefined();
  });
  it('one container: a writable bind containing another of its own', () => {
    expect(ownOverlapProblem([b('/data/a', true), b('/data/a/b', false)])).toMatch(/its own/);
    expect(ownOverlapProblem([b('/data/a', false), b('/data/a/b', true)])).toBeUndefined();
  });
});
