import type { Readable } from 'node:stream';
import { forEachJsonLine } from '../docker/streams.js';
import type { Config } from '../config.js';
import { inspectContainer } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { ToolError } from '../kernel/errors.js';
import { COMPOSE_ONEOFF, COMPOSE_PROJECT, isManaged, LABEL_INSTANCE, LABEL_MANAGED } from '../docker/labels.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import { heal, healRecord } from './heal.js';

/**
 * The self-healing watcher: follows the Engine's event stream (GET /events, not polling) for
 * containers labelled as managed by this server and restarts those that die unexpectedly or
 * turn unhealthy, with exponential backoff and a restart budget per container.
 *
 * Rules (see docs in startSelfHealWatcher):
 * - `die` with a non-zero exit code (a crash, an OOM kill, `docker kill`) -> start it again,
 *   unless it was a deliberate stop (`docker stop`, stop_container, remove_container or a
 *   stack removal), or by the time the delay has passed it runs again (the Engine's restart
 *   policy or someone else did it). A deliberate stop is told by the Engine's `stop` (or
 *   `destroy`) event for the container, in either order around the `die`: Engine 20.10 sends
 *   kill -> die -> stop, Engine 28 kill -> stop -> die. So a `die` is left alone when a `stop`
 *   came since the container last started and at most STOP_BEFORE_DIE_MS before it, and a
 *   pending restart is cancelled when a `stop`/`destroy` arrives after the `die`.
 *   A `die` with exit code 0 is a process that finished on its own: left alone.
 * - `health_status: unhealthy` -> restart it, if it is still running and still unhealthy.
 * - Budget: at most config.maxRestarts restarts per container within config.windowMs; the
 *   delay before each is config.backoffMs doubled per restart already in the window. When the
 *   budget is spent the container is marked crash-looping: one history record (outcome failed)
 *   and a warning log; the watcher leaves it alone until it is started by someone else or removed.
 * - Scope: only containers this server instance manages: labelled managed, with the instance
 *   label equal to config.instanceLabel (DOM_INSTANCE, default "default"), so two servers on
 *   one Engine do not both heal the same container. Filtered at the Engine and checked again
 *   on inspect, whatever `--scope` says: the watcher acts without anyone asking, so it never widens.
 * - The stream ending (Engine restart, socket closed) is logged and retried with backoff
 *   (RECONNECT_MIN_MS doubling up to RECONNECT_MAX_MS); restarts pending at that moment are
 *   dropped, since deaths right before an Engine goes away are the Engine's own doing.
 * - Resync after every reconnect: events missed while the stream was down are not replayed,
 *   so the watcher lists the managed containers and treats each one that exited non-zero since
 *   the stream was lost (and was not seen stopping on purpose) as a `die`, and each running
 *   unhealthy one as `unhealthy`. Then `onReconnect` runs (the stacks' journal reconciler).
 */

export const WATCHER_WHO = 'self-heal watcher';
/** How long after a `die` the watcher waits for the `stop`/`destroy` event of a deliberate stop. */
export const SETTLE_MS = 750;
/**
 * How long before a `die` a `stop` event still marks it as a deliberate stop (Engine 28 sends
 * `stop` first). The Engine sends `stop` once the container has exited, so the two are close;
 * the margin covers a busy Engine.
 */
export const STOP_BEFORE_DIE_MS = 5000;
export const RECONNECT_MIN_MS = 250;
export const RECONNECT_MAX_MS = 30_000;
/** A `start` event this soon after the watcher started a container is the watcher's own. */
const OWN_START_MS = 1000;

export interface SelfHealWatcherOptions {
  engine: Engine;
  config: Config;
  history: HistoryPort;
  log: Logger;
  /** Runs after each reconnect, once the resync is scheduled; errors are logged. */
  onReconnect?: () => Promise<void>;
}

export interface CrashLoopingContainer {
  id: string;
  name: string;
  /** When the budget ran out (ISO time). */
  since: string;
  restarts: number;
  lastTrigger: string;
}

export interface SelfHealState {
  connected: boolean;
  /** Times the event stream was re-established after it ended. */
  reconnects: number;
  /** Restarts done since the watcher started. */
  restarts: number;
  crashLooping: CrashLoopingContainer[];
}

export interface SelfHealWatcher {
  /** Stops following events, cancels pending restarts and waits for running ones to finish. */
  stop(): Promise<void>;
  state(): SelfHealState;
}

interface Trigger {
  kind: 'die' | 'unhealthy';
  at: number;
  exitCode?: number;
  oom?: boolean;
}

interface Tracked {
  id: string;
  name: string;
  stack?: string;
  /** Times of the watcher's restarts within the window. */
  restarts: number[];
  pending?: { timer: NodeJS.Timeout; trigger: Trigger };
  /** Last deliberate stop (stop/destroy event) since the container last started. */
  stoppedAt?: number;
  oomAt?: number;
  acting: boolean;
  ownUntil: number;
  crashLooping?: CrashLoopingContainer;
}

interface EngineEvent {
  Type?: string;
  Action?: string;
  id?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

let active: SelfHealWatcher | undefined;

/** The state of the watcher running in this process, if any (for health_monitoring). */
export function selfHealState(): SelfHealState | undefined {
  return active?.state();
}

/** Delay before the next restart: backoff doubled per restart already made in the window. */
export function restartDelay(backoffMs: number, restartsInWindow: number, trigger: Trigger['kind']): number {
  const d = backoffMs * 2 ** Math.min(restartsInWindow, 16);
  return trigger === 'die' ? Math.max(d, SETTLE_MS) : d;
}

/**
 * Whether a `die` arriving at `dieAt` ends a deliberate stop whose `stop` event came first
 * (Engine 28's order): a stop since the container last started (a `start` clears it),
 * shortly before the die.
 */
export function stoppedOnPurpose(t: { stoppedAt?: number }, dieAt: number): boolean {
  return t.stoppedAt !== undefined && dieAt - t.stoppedAt <= STOP_BEFORE_DIE_MS;
}

/**
 * Starts the self-healing watcher. Contract:
 * - returns at once; the watcher connects in the background and keeps reconnecting until
 *   `stop()` (it never throws, problems are logged and every action is recorded);
 * - acts only on containers labelled io.docker-orchestration-mcp.managed=true whose
 *   io.docker-orchestration-mcp.instance label is config.instanceLabel;
 * - records every restart (and every crash loop it gives up on) in `history` as kind "heal",
 *   who "self-heal watcher";
 * - one watcher per process: `selfHealState()` reports on the one started last.
 */
export function startSelfHealWatcher(opts: SelfHealWatcherOptions): SelfHealWatcher {
  const { engine, config, history } = opts;
  const log = opts.log.child({ component: 'self-heal' });
  const { maxRestarts, windowMs, backoffMs } = config.selfHeal;
  const instance = config.instanceLabel;
  const tracked = new Map<string, Tracked>();
  const inFlight = new Set<Promise<void>>();
  const stopCtrl = new AbortController();
  let stream: Readable | undefined;
  let connected = false;
  let reconnects = 0;
  let restarts = 0;
  let wake: (() => void) | undefined;

  const track = (id: string, attrs: Record<string, string>): Tracked => {
    let t = tracked.get(id);
    if (!t) {
      t = { id, name: attrs.name ?? id.slice(0, 12), restarts: [], acting: false, ownUntil: 0 };
      tracked.set(id, t);
    }
    if (attrs.name) t.name = attrs.name;
    if (attrs[COMPOSE_PROJECT]) t.stack = attrs[COMPOSE_PROJECT];
    return t;
  };

  const cancel = (t: Tracked, why: string) => {
    if (!t.pending) return;
    clearTimeout(t.pending.timer);
    t.pending = undefined;
    log.debug({ container: t.name, why }, 'restart cancelled');
  };

  const markCrashLooping = (t: Tracked, trigger: Trigger) => {
    const what =
      trigger.kind === 'die'
        ? `died (exit code ${trigger.exitCode ?? '?'}${trigger.oom ? ', out of memory' : ''})`
        : 'turned unhealthy';
    const error = `crash-looping: ${t.name} ${what} again after ${t.restarts.length} restarts by the self-heal watcher within ${Math.round(windowMs / 1000)} s; the restart budget (${maxRestarts}) is spent and the watcher stops restarting it. Look at its logs, fix the cause and redeploy or start it.`;
    t.crashLooping = {
      id: t.id.slice(0, 12),
      name: t.name,
      since: new Date().toISOString(),
      restarts: t.restarts.length,
      lastTrigger: what,
    };
    log.warn(
      { container: t.name, restarts: t.restarts.length, windowMs },
      'container is crash-looping; self-heal gave up on it',
    );
    const h = history.begin(
      healRecord({
        name: t.name,
        ...(t.stack ? { stack: t.stack } : {}),
        action: trigger.kind === 'die' ? 'start' : 'restart',
        reason: what,
        who: WATCHER_WHO,
        source: WATCHER_WHO,
        inputs: {
          trigger: trigger.kind,
          exitCode: trigger.exitCode,
          restartsInWindow: t.restarts.length,
          maxRestarts,
          windowMs,
        },
      }),
    );
    h.finish('failed', error);
  };

  const act = async (t: Tracked, trigger: Trigger): Promise<void> => {
    t.pending = undefined;
    if (stopCtrl.signal.aborted) return;
    if (t.stoppedAt !== undefined && t.stoppedAt >= trigger.at) return;
    let c;
    try {
      c = await inspectContainer(engine, t.id, stopCtrl.signal);
    } catch (err) {
      if (!(err instanceof ToolError && err.kind === 'not_found'))
        log.warn({ container: t.name, err: (err as Error).message }, 'cannot inspect container; not healing it');
      return;
    }
    // The ownership scope, checked on what the Engine says now, not on the event.
    if (!isManaged(c.Config?.Labels) || c.Config?.Labels?.[LABEL_INSTANCE] !== instance) return;
    if (c.Config?.Labels?.[COMPOSE_ONEOFF] === 'True') return;
    if (trigger.kind === 'die' && (c.State.Running || c.State.Restarting)) {
      log.debug({ container: t.name }, 'running again already; nothing to do');
      return;
    }
    if (trigger.kind === 'unhealthy' && (!c.State.Running || c.State.Health?.Status !== 'unhealthy')) return;
    const now = Date.now();
    t.restarts = t.restarts.filter((r) => now - r < windowMs);
    if (t.restarts.length >= maxRestarts) return markCrashLooping(t, trigger);
    t.restarts.push(now);
    t.acting = true;
    const action = trigger.kind === 'die' ? 'start' : 'restart';
    const reason =
      trigger.kind === 'die'
        ? `died unexpectedly (exit code ${trigger.exitCode ?? '?'}${trigger.oom ? ', out of memory' : ''})`
        : `healthcheck failing${c.State.Health?.Log?.at(-1) ? `: ${c.State.Health.Log.at(-1)?.Output.trim().slice(0, 300)}` : ''}`;
    try {
      const r = await heal(engine, history, {
        container: c,
        action,
        reason,
        who: WATCHER_WHO,
        source: WATCHER_WHO,
        inputs: {
          trigger: trigger.kind,
          exitCode: trigger.exitCode,
          restartsInWindow: t.restarts.length,
          maxRestarts,
          windowMs,
        },
      });
      restarts++;
      if (r.outcome === 'done')
        log.info(
          { container: t.name, action, reason, restart: t.restarts.length, of: maxRestarts },
          'self-heal: container restarted',
        );
      else log.warn({ container: t.name, action, error: r.error }, 'self-heal: restart failed');
    } finally {
      t.acting = false;
      t.ownUntil = Date.now() + OWN_START_MS;
    }
  };

  const schedule = (t: Tracked, trigger: Trigger) => {
    if (t.crashLooping) {
      log.debug({ container: t.name }, 'crash-looping; left alone');
      return;
    }
    if (t.pending || t.acting) return;
    const now = Date.now();
    const inWindow = t.restarts.filter((r) => now - r < windowMs).length;
    // The budget is checked when the timer fires (act); an exhausted one needs no wait.
    const delay =
      inWindow >= maxRestarts
        ? trigger.kind === 'die'
          ? SETTLE_MS
          : 0
        : restartDelay(backoffMs, inWindow, trigger.kind);
    const timer = setTimeout(() => {
      const p = act(t, trigger).catch((err: unknown) =>
        log.error({ err, container: t.name }, 'self-heal action failed unexpectedly'),
      );
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }, delay);
    t.pending = { timer, trigger };
    log.debug({ container: t.name, trigger: trigger.kind, delay }, 'restart scheduled');
  };

  const onEvent = (ev: EngineEvent) => {
    if (ev.Type && ev.Type !== 'container') return;
    const id = ev.Actor?.ID ?? ev.id;
    const attrs = ev.Actor?.Attributes ?? {};
    const action = ev.Action ?? '';
    if (!id) return;
    // The Engine filters by label already; this guards against a filter it ignored.
    if (attrs[LABEL_MANAGED] !== 'true' || attrs[LABEL_INSTANCE] !== instance) return;
    const t = track(id, attrs);
    const now = Date.now();
    if (action === 'stop' || action === 'destroy') {
      t.stoppedAt = now;
      cancel(t, action === 'stop' ? 'stopped on purpose' : 'removed');
      if (action === 'destroy') tracked.delete(id);
      return;
    }
    if (action === 'oom') {
      t.oomAt = now;
      return;
    }
    if (action === 'start') {
      t.stoppedAt = undefined;
      if (!t.acting && now >= t.ownUntil && t.crashLooping) {
        log.info({ container: t.name }, 'started by someone else: self-heal budget reset');
        t.crashLooping = undefined;
        t.restarts = [];
      }
      return;
    }
    // While the watcher restarts it, the restart's own kill/die/stop events pass by.
    if (t.acting || attrs[COMPOSE_ONEOFF] === 'True') return;
    if (action === 'die') {
      if (stoppedOnPurpose(t, now)) {
        log.debug({ container: t.name }, 'died after a deliberate stop; left alone');
        return;
      }
      const exitCode = Number(attrs.exitCode ?? NaN);
      const oom = t.oomAt !== undefined && now - t.oomAt < 5000;
      if (exitCode === 0 && !oom) return;
      schedule(t, {
        kind: 'die',
        at: now,
        ...(Number.isFinite(exitCode) ? { exitCode } : {}),
        ...(oom ? { oom } : {}),
      });
      return;
    }
    if (action.startsWith('health_status') && /unhealthy/.test(action)) schedule(t, { kind: 'unhealthy', at: now });
  };

  const cancelAll = (why: string) => {
    for (const t of tracked.values()) cancel(t, why);
  };

  /** Deaths and unhealthy turns the stream missed while it was down (see the rules above). */
  const resync = async (lostAt: number) => {
    const rows = await engine.call('list managed containers', (d) =>
      d.listContainers({ all: true, filters: { label: [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${instance}`] } }),
    );
    let found = 0;
    for (const row of rows) {
      if (row.Labels?.[COMPOSE_ONEOFF] === 'True') continue;
      const name = (row.Names?.[0] ?? row.Id).replace(/^\//, '');
      const t = track(row.Id, { ...(row.Labels ?? {}), name });
      if (t.stoppedAt !== undefined && t.stoppedAt >= lostAt - STOP_BEFORE_DIE_MS) continue;
      if (row.State === 'running' && !/unhealthy/.test(row.Status ?? '')) continue;
      const c = await inspectContainer(engine, row.Id, stopCtrl.signal).catch(() => undefined);
      if (!c) continue;
      if (c.State.Running) {
        if (c.State.Health?.Status === 'unhealthy') {
          found++;
          schedule(t, { kind: 'unhealthy', at: Date.now() });
        }
        continue;
      }
      const finished = Date.parse(c.State.FinishedAt ?? '');
      if (c.State.Status !== 'exited' || c.State.ExitCode === 0 || !(finished >= lostAt - STOP_BEFORE_DIE_MS)) continue;
      found++;
      schedule(t, {
        kind: 'die',
        at: Date.now(),
        exitCode: c.State.ExitCode,
        ...(c.State.OOMKilled ? { oom: true } : {}),
      });
    }
    log.info({ containers: rows.length, toHeal: found }, 'self-heal watcher resynced after reconnect');
  };

  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const run = async () => {
    let delay = RECONNECT_MIN_MS;
    let everConnected = false;
    let lostAt = 0;
    while (!stopCtrl.signal.aborted) {
      let why: string;
      try {
        const docker = await engine.streamingClient();
        const s = (await docker.getEvents({
          filters: {
            type: ['container'],
            label: [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${instance}`],
            event: ['die', 'oom', 'stop', 'destroy', 'start', 'health_status'],
          },
          abortSignal: stopCtrl.signal,
        } as never)) as unknown as Readable;
        stream = s;
        connected = true;
        if (everConnected) {
          reconnects++;
          log.info({ reconnects }, 'self-heal watcher reconnected to the Engine event stream');
          // After subscribing, so nothing falls between the list and the stream.
          void resync(lostAt)
            .catch((err: unknown) =>
              log.warn({ err: (err as Error).message }, 'self-heal resync after reconnect failed'),
            )
            .then(() => opts.onReconnect?.())
            .catch((err: unknown) => log.warn({ err: (err as Error).message }, 'reconcile after reconnect failed'));
        } else {
          log.info({ maxRestarts, windowMs, backoffMs, instance }, 'self-heal watcher following Engine events');
        }
        everConnected = true;
        delay = RECONNECT_MIN_MS;
        why = await forEachJsonLine<EngineEvent>(s, onEvent).catch((e: Error) => `error: ${e.message}`);
      } catch (err) {
        why = `cannot connect: ${(err as Error).message}`;
      }
      stream = undefined;
      if (connected) {
        cancelAll('event stream lost');
        lostAt = Date.now();
      }
      connected = false;
      if (stopCtrl.signal.aborted) break;
      log.warn({ why, retryInMs: delay }, 'self-heal watcher lost the Engine event stream; reconnecting');
      await pause(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  };

  const running = run().catch((err: unknown) => log.error({ err }, 'self-heal watcher stopped unexpectedly'));

  const watcher: SelfHealWatcher = {
    async stop() {
      stopCtrl.abort();
      stream?.destroy();
      wake?.();
      cancelAll('watcher stopping');
      await running;
      await Promise.allSettled([...inFlight]);
      if (active === watcher) active = undefined;
    },
    state() {
      return {
        connected,
        reconnects,
        restarts,
        crashLooping: [...tracked.values()].flatMap((t) => (t.crashLooping ? [t.crashLooping] : [])),
      };
    },
  };
  active = watcher;
  return watcher;
}

/** Full or short id -> whether the watcher gave up on it. */
export function isCrashLooping(state: SelfHealState | undefined, id: string): boolean {
  return !!state?.crashLooping.some((c) => id.startsWith(c.id));
}
