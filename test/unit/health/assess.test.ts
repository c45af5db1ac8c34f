import type Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import {
  aggregateVerdict,
  assessContainer,
  assessServices,
  errorLinesOf,
  healDecision,
  overallVerdict,
  shouldRun,
  type Verdict,
} from '../../../src/health/assess.js';
import { restartDelay, SETTLE_MS, SIGNAL_SETTLE_MS } from '../../../src/health/watcher.js';

interface Opts {
  name?: string;
  status?: string;
  exitCode?: number;
  oom?: boolean;
  health?: { status: string; log?: { exit: number; output: string }[] };
  policy?: string;
  labels?: Record<string, string>;
  memory?: number;
  nanoCpus?: number;
  restartCount?: number;
}

function inspect(o: Opts = {}): Docker.ContainerInspectInfo {
  const status = o.status ?? 'running';
  return {
    Id: 'abcdef0123456789abcdef',
    Name: `/${o.name ?? 'web'}`,
    RestartCount: o.restartCount ?? 0,
    State: {
      Status: status,
      Running: status === 'running' || status === 'paused',
      Paused: status === 'paused',
      Restarting: status === 'restarting',
      OOMKilled: o.oom ?? false,
      Dead: status === 'dead',
      Pid: 1,
      ExitCode: o.exitCode ?? 0,
      Error: '',
      StartedAt: '2026-01-01T00:00:00Z',
      FinishedAt: '0001-01-01T00:00:00Z',
      ...(o.health
        ? {
            Health: {
              Status: o.health.status,
              FailingStreak: 0,
              Log: (o.health.log ?? []).map((l, i) => ({
                Start: `t${i}`,
                End: `t${i}`,
                ExitCode: l.exit,
                Output: l.output,
              })),
            },
          }
        : {}),
    },
    Config: { Labels: { 'io.docker-orchestration-mcp.managed': 'true', ...(o.labels ?? {}) } },
    HostConfig: {
      RestartPolicy: { Name: o.policy ?? 'no', MaximumRetryCount: 0 },
      Memory: o.memory ?? 0,
      NanoCpus: o.nanoCpus ?? 0,
    },
  } as unknown as Docker.ContainerInspectInfo;
}

const stack = { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'api' };

describe('health assessment of one container', () => {
  it('calls a running container without healthcheck or warnings healthy', () => {
    const a = assessContainer({ inspect: inspect() });
    expect(a).toMatchObject({
      name: 'web',
      verdict: 'healthy',
      reasons: [],
      managed: true,
      state: 'running',
      restartPolicy: 'no',
    });
    expect(a.exitCode).toBeUndefined();
  });

  it('reports a failing healthcheck as unhealthy with its last outputs', () => {
    const a = assessContainer({
      inspect: inspect({
        health: {
          status: 'unhealthy',
          log: [
            { exit: 0, output: 'ok\n' },
            { exit: 1, output: 'ls: /tmp/ok: No such file or directory\n' },
          ],
        },
      }),
    });
    expect(a.verdict).toBe('unhealthy');
    expect(a.reasons[0]).toBe('healthcheck failing (exit 1): ls: /tmp/ok: No such file or directory');
    expect(a.healthchecks).toEqual([
      { start: 't0', exitCode: 0, output: 'ok' },
      { start: 't1', exitCode: 1, output: 'ls: /tmp/ok: No such file or directory' },
    ]);
  });

  it('keeps only the last three healthcheck runs and caps their output', () => {
    const log = Array.from({ length: 5 }, (_, i) => ({ exit: 1, output: `${i}`.repeat(1000) }));
    const a = assessContainer({ inspect: inspect({ health: { status: 'unhealthy', log } }) });
    expect(a.healthchecks).toHaveLength(3);
    expect(a.healthchecks?.[2]?.output.length).toBeLessThanOrEqual(301);
  });

  it('says starting while the healthcheck is undecided', () => {
    expect(assessContainer({ inspect: inspect({ health: { status: 'starting' } }) }).verdict).toBe('starting');
  });

  it('flags memory and CPU near their limits, error lines and an earlier OOM as degraded', () => {
    const a = assessContainer({
      inspect: inspect({ memory: 100 * 1024 * 1024, nanoCpus: 5e8, oom: true }),
      stats: { cpuPercent: 48, memoryBytes: 95 * 1024 * 1024 },
      logText: 'starting\nERROR: db refused\nok\npanic: nil map\n',
    });
    expect(a.verdict).toBe('degraded');
    expect(a.resources).toEqual({
      cpuPercent: 48,
      cpuLimit: 0.5,
      cpuOfLimitPercent: 96,
      memoryBytes: 95 * 1024 * 1024,
      memoryLimitBytes: 100 * 1024 * 1024,
      memoryOfLimitPercent: 95,
    });
    expect(a.reasons).toEqual([
      'memory at 95% of its limit',
      'CPU at 96% of its limit',
      'it was killed for running out of memory before',
      '2 recent error lines in its logs',
    ]);
    expect(a.errorLines).toEqual(['ERROR: db refused', 'panic: nil map']);
  });

  it('does not compare against the host when there is no limit', () => {
    const a = assessContainer({
      inspect: inspect(),
      stats: { cpuPercent: 180, memoryBytes: 5e9, memoryLimitBytes: 8e9, memoryPercent: 62 },
    });
    expect(a.verdict).toBe('healthy');
    expect(a.resources).toEqual({ cpuPercent: 180, memoryBytes: 5e9 });
  });

  it('calls an exited container that should run unhealthy, one that need not stopped', () => {
    const crashed = assessContainer({
      inspect: inspect({ status: 'exited', exitCode: 137, oom: true, policy: 'always' }),
    });
    expect(crashed.verdict).toBe('unhealthy');
    expect(crashed.reasons[0]).toBe(
      'exited with code 137 (killed: out of memory) but should run (restart policy always)',
    );
    const done = assessContainer({ inspect: inspect({ status: 'exited', exitCode: 3 }) });
    expect(done).toMatchObject({ verdict: 'stopped', exitCode: 3, shouldRun: false, reasons: ['exited with code 3'] });
    expect(assessContainer({ inspect: inspect({ status: 'created' }) }).reasons).toEqual(['created, never started']);
  });

  it('knows crash loops: the Engine restarting it, or the watcher having given up', () => {
    expect(
      assessContainer({ inspect: inspect({ status: 'restarting', policy: 'always', restartCount: 7, exitCode: 1 }) })
        .verdict,
    ).toBe('crash-looping');
    const a = assessContainer({ inspect: inspect({ status: 'exited', exitCode: 3 }), watcherCrashLooping: true });
    expect(a.verdict).toBe('crash-looping');
    expect(a.reasons).toEqual([
      'the self-heal watcher exhausted its restart budget for it and stopped restarting it',
      'exited with code 3',
    ]);
  });
});

describe('should it run', () => {
  it('follows the restart policy, stack services and one-off containers', () => {
    expect(shouldRun(inspect({ status: 'exited', exitCode: 0, policy: 'always' }))).toBe(true);
    expect(shouldRun(inspect({ status: 'exited', exitCode: 0, policy: 'unless-stopped' }))).toBe(true);
    expect(shouldRun(inspect({ status: 'exited', exitCode: 0, policy: 'on-failure' }))).toBe(false);
    expect(shouldRun(inspect({ status: 'exited', exitCode: 2, policy: 'on-failure' }))).toBe(true);
    expect(shouldRun(inspect({ status: 'exited', exitCode: 2, policy: 'no' }))).toBe(false);
    expect(shouldRun(inspect({ status: 'exited', exitCode: 2, labels: stack }))).toBe(true);
    expect(shouldRun(inspect({ status: 'exited', exitCode: 0, labels: stack }))).toBe(false);
    expect(
      shouldRun(
        inspect({
          status: 'exited',
          exitCode: 2,
          policy: 'always',
          labels: { ...stack, 'com.docker.compose.oneoff': 'True' },
        }),
      ),
    ).toBe(false);
  });
});

describe('heal decision', () => {
  it('restarts unhealthy running containers and starts exited ones that should run', () => {
    expect(
      healDecision(
        assessContainer({ inspect: inspect({ health: { status: 'unhealthy', log: [{ exit: 1, output: 'bad' }] } }) }),
      ),
    ).toEqual({
      action: 'restart',
      reason: 'healthcheck failing (exit 1): bad',
    });
    expect(
      healDecision(assessContainer({ inspect: inspect({ status: 'exited', exitCode: 1, labels: stack }) })),
    ).toMatchObject({ action: 'start' });
  });

  it('leaves alone what is fine, what need not run and crash loops', () => {
    expect(healDecision(assessContainer({ inspect: inspect() }))).toEqual({ skip: 'nothing to heal (healthy)' });
    expect(healDecision(assessContainer({ inspect: inspect({ status: 'exited', exitCode: 0 }) }))).toHaveProperty(
      'skip',
      expect.stringContaining('not expected to run'),
    );
    expect(
      healDecision(assessContainer({ inspect: inspect({ status: 'restarting', policy: 'always' }) })),
    ).toHaveProperty('skip', expect.stringContaining('crash-looping'));
  });
});

describe('service verdicts', () => {
  it('aggregates replicas: all bad -> worst, mixed -> degraded, stopped ones do not count', () => {
    const v = (...xs: Verdict[]) => aggregateVerdict(xs);
    expect(v()).toBe('stopped');
    expect(v('stopped', 'stopped')).toBe('stopped');
    expect(v('healthy', 'healthy')).toBe('healthy');
    expect(v('unhealthy', 'crash-looping')).toBe('crash-looping');
    expect(v('healthy', 'unhealthy')).toBe('degraded');
    expect(v('healthy', 'stopped')).toBe('healthy');
    expect(v('unhealthy', 'stopped')).toBe('unhealthy');
    expect(v('starting', 'healthy')).toBe('starting');
  });

  it('groups by stack and service; plain containers are their own service', () => {
    const a1 = assessContainer({ inspect: inspect({ name: 'shop-api-1', labels: stack }) });
    const a2 = assessContainer({
      inspect: inspect({
        name: 'shop-api-2',
        labels: stack,
        health: { status: 'unhealthy', log: [{ exit: 1, output: 'x' }] },
      }),
    });
    const plain = assessContainer({ inspect: inspect({ name: 'solo', status: 'exited', exitCode: 0 }) });
    const services = assessServices([plain, a2, a1]);
    expect(services).toEqual([
      {
        service: 'solo',
        verdict: 'stopped',
        containers: [{ name: 'solo', verdict: 'stopped' }],
        reasons: ['exited with code 0'],
      },
      {
        stack: 'shop',
        service: 'api',
        verdict: 'degraded',
        containers: [
          { name: 'shop-api-1', verdict: 'healthy' },
          { name: 'shop-api-2', verdict: 'unhealthy' },
        ],
        reasons: ['shop-api-2: healthcheck failing (exit 1): x'],
      },
    ]);
    expect(overallVerdict(services)).toBe('degraded');
    expect(overallVerdict([])).toBe('healthy');
  });
});

describe('error lines and backoff', () => {
  it('keeps the last few error-looking lines, capped', () => {
    const text =
      Array.from({ length: 10 }, (_, i) => `line ${i} failed`).join('\n') +
      '\nall good\n' +
      `Exception: ${'x'.repeat(500)}`;
    const lines = errorLinesOf(text);
    expect(lines).toHaveLength(5);
    expect(lines[0]).toBe('line 6 failed');
    expect(lines[4]?.length).toBe(201);
    expect(errorLinesOf('fine\nall good')).toEqual([]);
  });

  it('doubles the delay per restart in the window and waits for a stop event after a death', () => {
    expect(restartDelay(1000, 0, 'unhealthy')).toBe(1000);
    expect(restartDelay(1000, 3, 'unhealthy')).toBe(8000);
    expect(restartDelay(100, 0, 'die')).toBe(SETTLE_MS);
    expect(restartDelay(500, 2, 'die')).toBe(2000);
    // A death by SIGKILL/SIGTERM (what a stop ends in) waits longer for the stop event.
    expect(restartDelay(100, 0, 'die', 137)).toBe(SIGNAL_SETTLE_MS);
    expect(restartDelay(100, 0, 'die', 1)).toBe(SETTLE_MS);
  });
});

describe('error lines in logs', () => {
  it('counts errors, not warnings that mention failure', async () => {
    const { errorLinesOf } = await import('../../../src/health/assess.js');
    const text = [
      '1:M 25 Nov 2026 23:33:28.743 # WARNING Memory overcommit must be enabled! ... it can can also cause failures without low memory condition',
      '2026/11/25 10:00:01 [error] 7#7: *1 open() "/x" failed (2: No such file or directory)',
      'FATAL:  password authentication failed for user "app"',
      'listening on 0.0.0.0:80',
      'errorless line mentioning terrors',
    ].join('\n');
    expect(errorLinesOf(text)).toEqual([
      '2026/11/25 10:00:01 [error] 7#7: *1 open() "/x" failed (2: No such file or directory)',
      'FATAL:  password authentication failed for user "app"',
    ]);
  });
});
