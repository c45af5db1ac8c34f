import { describe, expect, it } from 'vitest';
import { isStale, LEASE_GRACE_MS, type LockHolder } from '../../../src/stacks/lock.js';

const holder = (o: Partial<LockHolder>): LockHolder => ({
  holder: 'd1',
  host: 'h1',
  pid: process.pid,
  since: new Date().toISOString(),
  leaseMs: 60_000,
  operation: 'deploy',
  ...o,
});

describe('stack lock staleness', () => {
  it('a lock held by a live process on this host is not stale, however old', () => {
    expect(isStale(holder({ since: new Date(0).toISOString() }), Date.now(), 'h1')).toBe(false);
  });
  it('a lock held by a process that no longer runs on this host is stale at once', () => {
    expect(isStale(holder({ pid: 2 ** 22 + 12345 }), Date.now(), 'h1')).toBe(true);
  });
  it('a lock from another host is stale only after its lease plus the grace', () => {
    const since = Date.now();
    const h = holder({ host: 'other', since: new Date(since).toISOString() });
    expect(isStale(h, since + 60_000 + LEASE_GRACE_MS - 1, 'h1')).toBe(false);
    expect(isStale(h, since + 60_000 + LEASE_GRACE_MS + 1, 'h1')).toBe(true);
  });
  it('a lock with unreadable labels from another host is stale (it cannot be ours to wait for)', () => {
    expect(isStale(holder({ host: 'other', since: 'garbage' }), Date.now(), 'h1')).toBe(true);
  });
});
