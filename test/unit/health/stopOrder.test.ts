import { describe, expect, it } from 'vitest';
import { STOP_BEFORE_DIE_MS, stoppedOnPurpose } from '../../../src/health/watcher.js';

describe('self-heal: deliberate stop whatever the event order', () => {
  it('a die shortly after a stop event (Engine 28: kill -> stop -> die) is a deliberate stop', () => {
    expect(stoppedOnPurpose({ stoppedAt: 1_000 }, 1_050)).toBe(true);
    expect(stoppedOnPurpose({ stoppedAt: 1_000 }, 1_000 + STOP_BEFORE_DIE_MS)).toBe(true);
  });

  it('a die with no stop since the last start, or long after one, is a death to heal', () => {
    expect(stoppedOnPurpose({}, 1_000)).toBe(false);
    expect(stoppedOnPurpose({ stoppedAt: 1_000 }, 1_001 + STOP_BEFORE_DIE_MS)).toBe(false);
  });
});
