import type { Readable } from 'node:stream';
import { forEachJsonLine } from '../docker/streams.js';
import type { Config } from '../config.js';
import { inspectContainer } from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { listContainersByLabel, openContainerEvents, type ContainerInspect } from '../docker/healthQueries.js';
import { ToolError } from '../kernel/errors.js';
import { COMPOSE_ONEOFF, COMPOSE_PROJECT, isManaged, LABEL_INSTANCE, LABEL_MANAGED } from '../docker/labels.js';
import type { HistoryPort } from '../history/port.js';
import type { Logger } from '../logger.js';
import { healRecord, type HealOne } from './heal.js';

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
 * The same wait for a death by SIGKILL or SIGTERM (exit 137, 143): what `docker stop` and
 * stop_container end in, so the `stop` event that marks them deliberate is waited for longer
 * (a busy Engine sends it well after the `die`); a crash by those signals is healed this much later.
 */
export const SIGNAL_SETTLE_MS = 3000;

/** How long after a `die` the watcher waits before acting on it. */
export function settleMs(exitCode: number | undefined): number {
  return exitCode === 137 || exitCode === 143 ? SIGNAL_SETTLE_MS : SETTLE_MS;
}
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
  /** Does one restart or start and records it: the heal use case (src/app/heal.ts). */
  heal: HealOne;
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
export function restartDelay(
  backoffMs: number,
  restartsInWindow: number,
  trigger: Trigger['kind'],
  exitCode?: number,
): number {
  const d = backoffMs * 2 ** Math.min(restartsInWindow, 16);
  return trigger === 'die' ? Math.max(d, settleMs(exitCode)) : d;
}

/**
 * Whether a `die` arriving at `dieAt` ends a deliberate stop whose `stop` event came first
 * (Engine 28's order): a stop since the container last started (a `start` clears it),
 * shortly before the die.
 */
export function stoppedOnPurpose(t: { stoppedAt?: number }, dieAt: number): boolean {
  return t.stoppedAt !== undefined && dieAt - t.stoppedAt <= STOP_BEFORE_DIE_MS;
}

/** The containers the watcher has seen, with their restart history and pending restart. */
class TrackedContainers {
  private readonly byId = new Map<string, Tracked>();

  constructor(private readonly log: Logger) {}

  /** The record of a container, created on first sight; name and stack refreshed from `attrs`. */
  track(id: string, attrs: Record<string, string>): Tracked {
    let t = this.byId.get(id);
    if (!t) {
      t = { id, name: attrs.name ?? id.slice(0, 12), restarts: [], acting: false, ownUntil: 0 };
      this.byId.set(id, t);
    }
    if (attrs.name) t.name = attrs.name;
    if (attrs[COMPOSE_PROJECT]) t.stack = attrs[COMPOSE_PROJECT];
    return t;
  }

  forget(id: string): void {
    this.byId.delete(id);
  }

  cancel(t: Tracked, why: string): void {
    if (!t.pending) return;
    clearTimeout(t.pending.timer);
    t.pending = undefined;
    this.log.debug({ container: t.name, why }, 'restart cancelled');
  }

  cancelAll(why: string): void {
    for (const t of this.byId.values()) this.cancel(t, why);
  }

  crashLooping(): CrashLoopingContainer[] {
    return [...this.byId.values()].flatMap((t) => (t.crashLooping ? [t.crashLooping] : []));
  }
}

interface HealerDeps {
  engine: Engine;
  history: HistoryPort;
  log: Logger;
  heal: HealOne;
  budget: Config['selfHeal'];
  instance: string;
  /** Aborted when the watcher stops: pending work is dropped. */
  signal: AbortSignal;
}

function describeTrigger(trigger: Trigger): string {
  return trigger.kind === 'die'
    ? `died (exit code ${trigger.exitCode ?? '?'}${trigger.oom ? ', out of memory' : ''})`
    : 'turned unhealthy';
}

/**
 * Decides and does the restarts: schedules one after the backoff delay, checks on what the
 * Engine says when it is due (scope, state, budget), restarts through the heal use case, and
 * gives up on a container whose budget is spent.
 */
class Healer {
  /** Restarts done since the watcher started. */
  restarts = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly d: HealerDeps) {}

  schedule(t: Tracked, trigger: Trigger): void {
    const { log, budget } = this.d;
    if (t.crashLooping) {
      log.debug({ container: t.name }, 'crash-looping; left alone');
      return;
    }
    if (t.pending || t.acting) return;
    const now = Date.now();
    const inWindow = t.restarts.filter((r) => now - r < budget.windowMs).length;
    // The budget is checked when the timer fires (act); an exhausted one needs no wait.
    const delay =
      inWindow >= budget.maxRestarts
        ? trigger.kind === 'die'
          ? settleMs(trigger.exitCode)
          : 0
        : restartDelay(budget.backoffMs, inWindow, trigger.kind, trigger.kind === 'die' ? trigger.exitCode : undefined);
    const timer = setTimeout(() => {
      const p = this.act(t, trigger).catch((err: unknown) =>
        log.error({ err, container: t.name }, 'self-heal action failed unexpectedly'),
      );
      this.inFlight.add(p);
      void p.finally(() => this.inFlight.delete(p));
    }, delay);
    t.pending = { timer, trigger };
    log.debug({ container: t.name, trigger: trigger.kind, delay }, 'restart scheduled');
  }

  /** Waits for the restarts under way. */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  private async act(t: Tracked, trigger: Trigger): Promise<void> {
    t.pending = undefined;
    if (this.d.signal.aborted) return;
    if (t.stoppedAt !== undefined && t.stoppedAt >= trigger.at) return;
    const c = await this.inspect(t);
    if (!c || !this.stillNeeded(t, c, trigger)) return;
    const { budget } = this.d;
    const now = Date.now();
    t.restarts = t.restarts.filter((r) => now - r < budget.windowMs);
    if (t.restarts.length >= budget.maxRestarts) return this.markCrashLooping(t, trigger);
    t.restarts.push(now);
    t.acting = true;
    try {
      await this.restart(t, c, trigger);
    } finally {
      t.acting = false;
      t.ownUntil = Date.now() + OWN_START_MS;
    }
  }

  private async inspect(t: Tracked): Promise<ContainerInspect | undefined> {
    try {
      return await inspectContainer(this.d.engine, t.id, this.d.signal);
    } catch (err) {
      if (!(err instanceof ToolError && err.kind === 'not_found'))
        this.d.log.warn({ container: t.name, err: (err as Error).message }, 'cannot inspect container; not healing it');
      return undefined;
    }
  }

  /** Whether what the Engine says now still calls for the restart (and the container is ours). */
  private stillNeeded(t: Tracked, c: ContainerInspect, trigger: Trigger): boolean {
    // The ownership scope, checked on what the Engine says now, not on the event.
    const labels = c.Config?.Labels;
    if (!isManaged(labels) || labels?.[LABEL_INSTANCE] !== this.d.instance) return false;
    if (labels?.[COMPOSE_ONEOFF] === 'True') return false;
    if (trigger.kind === 'die' && (c.State.Running || c.State.Restarting)) {
      this.d.log.debug({ container: t.name }, 'running again already; nothing to do');
      return false;
    }
    return !(trigger.kind === 'unhealthy' && (!c.State.Running || c.State.Health?.Status !== 'unhealthy'));
  }

  private async restart(t: Tracked, c: ContainerInspect, trigger: Trigger): Promise<void> {
    const { log, budget } = this.d;
    const action = trigger.kind === 'die' ? 'start' : 'restart';
    const reason =
      trigger.kind === 'die'
        ? `died unexpectedly (exit code ${trigger.exitCode ?? '?'}${trigger.oom ? ', out of memory' : ''})`
        : `healthcheck failing${c.State.Health?.Log?.at(-1) ? `: ${c.State.Health.Log.at(-1)?.Output.trim().slice(0, 300)}` : ''}`;
    const r = await this.d.heal({
      container: c,
      action,
      reason,
      who: WATCHER_WHO,
      source: WATCHER_WHO,
      inputs: this.inputs(t, trigger),
    });
    this.restarts++;
    if (r.outcome === 'done')
      log.info(
        { container: t.name, action, reason, restart: t.restarts.length, of: budget.maxRestarts },
        'self-heal: container restarted',
      );
    else log.warn({ container: t.name, action, error: r.error }, 'self-heal: restart failed');
  }

  private inputs(t: Tracked, trigger: Trigger): Record<string, unknown> {
    const { maxRestarts, windowMs } = this.d.budget;
    return {
      trigger: trigger.kind,
      exitCode: trigger.exitCode,
      restartsInWindow: t.restarts.length,
      maxRestarts,
      windowMs,
    };
  }

  private markCrashLooping(t: Tracked, trigger: Trigger): void {
    const { log, budget } = this.d;
    const what = describeTrigger(trigger);
    const error = `crash-looping: ${t.name} ${what} again after ${t.restarts.length} restarts by the self-heal watcher within ${Math.round(budget.windowMs / 1000)} s; the restart budget (${budget.maxRestarts}) is spent and the watcher stops restarting it. Look at its logs, fix the cause and redeploy or start it.`;
    t.crashLooping = {
      id: t.id.slice(0, 12),
      name: t.name,
      since: new Date().toISOString(),
      restarts: t.restarts.length,
      lastTrigger: what,
    };
    log.warn(
      { container: t.name, restarts: t.restarts.length, windowMs: budget.windowMs },
      'container is crash-looping; self-heal gave up on it',
    );
    const h = this.d.history.begin(
      healRecord({
        name: t.name,
        ...(t.stack ? { stack: t.stack } : {}),
        action: trigger.kind === 'die' ? 'start' : 'restart',
        reason: what,
        who: WATCHER_WHO,
        source: WATCHER_WHO,
        inputs: this.inputs(t, trigger),
      }),
    );
    h.finish('failed', error);
  }
}

/** Turns Engine events into bookkeeping (deliberate stops, OOM kills, starts) and restarts to schedule. */
function routeEvent(
  ev: EngineEvent,
  w: { tracked: TrackedContainers; healer: Healer; instance: string; log: Logger },
): void {
  if (ev.Type && ev.Type !== 'container') return;
  const id = ev.Actor?.ID ?? ev.id;
  const attrs = ev.Actor?.Attributes ?? {};
  const action = ev.Action ?? '';
  if (!id) return;
  // The Engine filters by label already; this guards against a filter it ignored.
  if (attrs[LABEL_MANAGED] !== 'true' || attrs[LABEL_INSTANCE] !== w.instance) return;
  const t = w.tracked.track(id, attrs);
  const now = Date.now();
  if (action === 'stop' || action === 'destroy') {
    t.stoppedAt = now;
    w.tracked.cancel(t, action === 'stop' ? 'stopped on purpose' : 'removed');
    if (action === 'destroy') w.tracked.forget(id);
    return;
  }
  if (action === 'oom') {
    t.oomAt = now;
    return;
  }
  if (action === 'start') {
    t.stoppedAt = undefined;
    if (!t.acting && now >= t.ownUntil && t.crashLooping) {
      w.log.info({ container: t.name }, 'started by someone else: self-heal budget reset');
      t.crashLooping = undefined;
      t.restarts = [];
    }
    return;
  }
  // While the watcher restarts it, the restart's own kill/die/stop events pass by.
  if (t.acting || attrs[COMPOSE_ONEOFF] === 'True') return;
  if (action === 'die') {
    if (stoppedOnPurpose(t, now)) {
      w.log.debug({ container: t.name }, 'died after a deliberate stop; left alone');
      return;
    }
    const exitCode = Number(attrs.exitCode ?? NaN);
    const oom = t.oomAt !== undefined && now - t.oomAt < 5000;
    if (exitCode === 0 && !oom) return;
    w.healer.schedule(t, {
      kind: 'die',
      at: now,
      ...(Number.isFinite(exitCode) ? { exitCode } : {}),
      ...(oom ? { oom } : {}),
    });
    return;
  }
  if (action.startsWith('health_status') && /unhealthy/.test(action))
    w.healer.schedule(t, { kind: 'unhealthy', at: now });
}

interface FollowerHooks {
  onEvent: (ev: EngineEvent) => void;
  /** The stream is open; `lostAt` is when the previous one ended (reconnects only). */
  onOpen: (reconnect: boolean, lostAt: number) => void;
  /** The stream that was open has ended. */
  onLost: () => void;
}

/**
 * Keeps the Engine's event stream open: connects, hands each event on, and after the stream
 * ends reconnects with backoff (RECONNECT_MIN_MS doubling up to RECONNECT_MAX_MS) until stopped.
 */
class EventFollower {
  connected = false;
  /** Times the event stream was re-established after it ended. */
  reconnects = 0;
  private stream: Readable | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly instance: string,
    private readonly log: Logger,
    private readonly signal: AbortSignal,
    private readonly hooks: FollowerHooks,
  ) {}

  /** Runs until the signal aborts; never throws. */
  async run(): Promise<void> {
    let delay = RECONNECT_MIN_MS;
    let everConnected = false;
    let lostAt = 0;
    while (!this.signal.aborted) {
      let why: string;
      try {
        const s = await openContainerEvents(
          this.engine,
          {
            labels: [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${this.instance}`],
            events: ['die', 'oom', 'stop', 'destroy', 'start', 'health_status'],
          },
          this.signal,
        );
        this.stream = s;
        this.connected = true;
        if (everConnected) this.reconnects++;
        this.hooks.onOpen(everConnected, lostAt);
        everConnected = true;
        delay = RECONNECT_MIN_MS;
        why = await forEachJsonLine<EngineEvent>(s, this.hooks.onEvent).catch((e: Error) => `error: ${e.message}`);
      } catch (err) {
        why = `cannot connect: ${(err as Error).message}`;
      }
      this.stream = undefined;
      if (this.connected) {
        this.hooks.onLost();
        lostAt = Date.now();
      }
      this.connected = false;
      if (this.signal.aborted) break;
      this.log.warn({ why, retryInMs: delay }, 'self-heal watcher lost the Engine event stream; reconnecting');
      await this.pause(delay);
      delay = Math.min(delay * 2, RECONNECT_MAX_MS);
    }
  }

  /** Ends the stream and any wait for the next attempt (call after aborting the signal). */
  interrupt(): void {
    this.stream?.destroy();
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** The watcher: event routing, restarts and the stream, put together. */
class Watcher implements SelfHealWatcher {
  private readonly stopCtrl = new AbortController();
  private readonly log: Logger;
  private readonly instance: string;
  private readonly tracked: TrackedContainers;
  private readonly healer: Healer;
  private readonly follower: EventFollower;
  private running: Promise<void> = Promise.resolve();

  constructor(private readonly opts: SelfHealWatcherOptions) {
    this.log = opts.log.child({ component: 'self-heal' });
    this.instance = opts.config.instanceLabel;
    this.tracked = new TrackedContainers(this.log);
    this.healer = new Healer({
      engine: opts.engine,
      history: opts.history,
      log: this.log,
      heal: opts.heal,
      budget: opts.config.selfHeal,
      instance: this.instance,
      signal: this.stopCtrl.signal,
    });
    const routing = { tracked: this.tracked, healer: this.healer, instance: this.instance, log: this.log };
    this.follower = new EventFollower(opts.engine, this.instance, this.log, this.stopCtrl.signal, {
      onEvent: (ev) => routeEvent(ev, routing),
      onOpen: (reconnect, lostAt) => this.opened(reconnect, lostAt),
      onLost: () => this.tracked.cancelAll('event stream lost'),
    });
  }

  start(): void {
    this.running = this.follower
      .run()
      .catch((err: unknown) => this.log.error({ err }, 'self-heal watcher stopped unexpectedly'));
  }

  async stop(): Promise<void> {
    this.stopCtrl.abort();
    this.follower.interrupt();
    this.tracked.cancelAll('watcher stopping');
    await this.running;
    await this.healer.drain();
  }

  state(): SelfHealState {
    return {
      connected: this.follower.connected,
      reconnects: this.follower.reconnects,
      restarts: this.healer.restarts,
      crashLooping: this.tracked.crashLooping(),
    };
  }

  private opened(reconnect: boolean, lostAt: number): void {
    if (!reconnect) {
      const { maxRestarts, windowMs, backoffMs } = this.opts.config.selfHeal;
      this.log.info(
        { maxRestarts, windowMs, backoffMs, instance: this.instance },
        'self-heal watcher following Engine events',
      );
      return;
    }
    this.log.info({ reconnects: this.follower.reconnects }, 'self-heal watcher reconnected to the Engine event stream');
    // After subscribing, so nothing falls between the list and the stream.
    void this.resync(lostAt)
      .catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message }, 'self-heal resync after reconnect failed'),
      )
      .then(() => this.opts.onReconnect?.())
      .catch((err: unknown) => this.log.warn({ err: (err as Error).message }, 'reconcile after reconnect failed'));
  }

  /** Deaths and unhealthy turns the stream missed while it was down (see the rules above). */
  private async resync(lostAt: number): Promise<void> {
    const signal = this.stopCtrl.signal;
    const rows = await listContainersByLabel(
      this.opts.engine,
      [`${LABEL_MANAGED}=true`, `${LABEL_INSTANCE}=${this.instance}`],
      signal,
    );
    let found = 0;
    for (const row of rows) {
      if (row.labels[COMPOSE_ONEOFF] === 'True') continue;
      const t = this.tracked.track(row.id, { ...row.labels, name: row.name });
      if (t.stoppedAt !== undefined && t.stoppedAt >= lostAt - STOP_BEFORE_DIE_MS) continue;
      if (row.state === 'running' && !/unhealthy/.test(row.status)) continue;
      const c = await inspectContainer(this.opts.engine, row.id, signal).catch(() => undefined);
      if (!c) continue;
      const trigger = missedTrigger(c, lostAt);
      if (!trigger) continue;
      found++;
      this.healer.schedule(t, trigger);
    }
    this.log.info({ containers: rows.length, toHeal: found }, 'self-heal watcher resynced after reconnect');
  }
}

/** What a container's state says the watcher missed while the stream was down, if anything. */
function missedTrigger(c: ContainerInspect, lostAt: number): Trigger | undefined {
  if (c.State.Running)
    return c.State.Health?.Status === 'unhealthy' ? { kind: 'unhealthy', at: Date.now() } : undefined;
  const finished = Date.parse(c.State.FinishedAt ?? '');
  if (c.State.Status !== 'exited' || c.State.ExitCode === 0 || !(finished >= lostAt - STOP_BEFORE_DIE_MS))
    return undefined;
  return {
    kind: 'die',
    at: Date.now(),
    exitCode: c.State.ExitCode,
    ...(c.State.OOMKilled ? { oom: true } : {}),
  };
}

/**
 * Starts the self-healing watcher. Contract:
 * - returns at once; the watcher connects in the background and keeps reconnecting until
 *   `stop()` (it never throws, problems are logged and every action is recorded);
 * - acts only on containers labelled io.docker-orchestration-mcp.managed=true whose
 *   io.docker-orchestration-mcp.instance label is config.instanceLabel;
 * - records every restart (through `heal`) and every crash loop it gives up on in `history`
 *   as kind "heal", who "self-heal watcher";
 * - one watcher per process: `selfHealState()` reports on the one started last.
 */
export function startSelfHealWatcher(opts: SelfHealWatcherOptions): SelfHealWatcher {
  const w = new Watcher(opts);
  const watcher: SelfHealWatcher = {
    async stop() {
      await w.stop();
      if (active === watcher) active = undefined;
    },
    state: () => w.state(),
  };
  active = watcher;
  w.start();
  return watcher;
}

/** Full or short id -> whether the watcher gave up on it. */
export function isCrashLooping(state: SelfHealState | undefined, id: string): boolean {
  return !!state?.crashLooping.some((c) => id.startsWith(c.id));
}
