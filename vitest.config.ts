import { defineConfig } from 'vitest/config';

// The fault-injection suite (issue 13) starts, kills and pauses an Engine of its own: it runs
// only when asked for (npm run test:faults, DOM_FAULTS=1), never as part of `npm test`.
const faults = {
  test: {
    name: 'faults',
    include: ['test/faults/**/*.test.ts'],
    environment: 'node',
    testTimeout: 240_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { groupOrder: 2 },
  },
};

// The Swarm suite (issue 16) runs on the three-node cluster of test/swarm/up.sh (state file
// $SWARM_STATE): only when asked for (npm run test:swarm, DOM_SWARM=1), one file at a time.
const swarm = {
  test: {
    name: 'swarm',
    include: ['test/swarm/**/*.test.ts'],
    environment: 'node',
    env: { DOM_HISTORY_PATH: ':memory:' },
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    sequence: { groupOrder: 3 },
  },
};

export default defineConfig({
  test: {
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node', sequence: { groupOrder: 0 } } },
      {
        test: {
          name: 'integration',
          // Servers the tests start keep no history in the user's home unless a test gives a file.
          env: { DOM_HISTORY_PATH: ':memory:' },
          // The attack tests of test/security run like integration tests: a real client, the real Engine.
          include: ['test/integration/**/*.test.ts', 'test/security/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 180_000,
          globalSetup: ['test/integration/globalSetup.ts'],
          fileParallelism: true,
          maxWorkers: 2,
          // Unit tests first; integration tests after them, two files at a time.
          sequence: { groupOrder: 1 },
        },
      },
      ...(process.env.DOM_FAULTS === '1' ? [faults] : []),
      ...(process.env.DOM_SWARM === '1' ? [swarm] : []),
    ],
  },
});
