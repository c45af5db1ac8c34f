import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  createContainer,
  removeContainer,
  startContainer,
  stopContainer,
  waitForContainer,
  type WaitResult,
} from '../docker/containers.js';
import type { Engine } from '../docker/engine.js';
import { removeNetwork } from '../docker/networks.js';
import { COMPOSE_PROJECT } from '../docker/labels.js';
import {
  containerState,
  createStackNetwork,
  createStackVolume,
  listContainersByLabel,
  renameContainer,
} from '../docker/stackObjects.js';
import { removeVolume } from '../docker/volumes.js';
import { ToolError } from '../kernel/errors.js';
import { ensureImage, type PullPolicy } from '../docker/images.js';
import { sleep } from '../util/timeout.js';
import type { ContainerSpec } from '../docker/containerSpec.js';
import {
  containerSpecFor,
  type ComposeProject,
  type ComposeService,
  type ContainerAction,
  type Plan,
} from './compose/index.js';
import { describeLeft, engineBack, LABEL_DEPLOYMENT, undoDeployment, type Journal } from './journal.js';
import type { DeploymentHandle, StepRecord } from '../history/port.js';
import { StepLog } from './stepLog.js';
import { installSecretFiles } from './secrets.js';

/** Applies a plan to the Engine along the depends_on graph, and rolls back what it changed on failure. */

export type WaitMode = 'healthy' | 'running' | 'none';
/** What a dependent (or the final wait) needs from a service. */
type Readiness = 'started' | 'running' | 'healthy' | 'completed';

/**
 * How long a just-started container must stay up before a deploy reports it running: the window
 * `docker compose up --wait` gives too (its first check comes 500 ms after its starts, and an
 * exited container fails it). The Engine records an instant exit (`false`) within ~70 ms of
 * answering the start even with 30 starts at once on 2 cores, so it is caught with room to spare.
 */
const START_GRACE_MS = 500;

export interface ApplyOptions {
  engine: Engine;
  log: Logger;
  signal: AbortSignal;
  /** One call per step, when it begins. */
  progress: (current: number, total: number, message: string) => void;
  wait: WaitMode;
  /** Budget for every wait (dependency gates and the final wait), from the start of the apply. */
  timeoutMs: number;
  pull: PullPolicy;
  /** Added to every container after containerSpecFor, so they stay out of the config hash. */
  extraLabels: Record<string, string>;
  /** Last adjustments before create (e.g. the policy's default limits); also outside the hash. */
  finishSpec?: (spec: ContainerSpec) => ContainerSpec;
  /** The deployment's history record: every step is written to it as it ends. */
  record: DeploymentHandle;
  /** Where every change is written before it is made; its label goes on every object created. */
  journal: Journal;
  /** How long a rollback waits for a lost Engine to come back before reporting what is left. */
  rollbackEngineWaitMs?: number;
  /** Last log lines and health output of a failed container, for the answer. */
  describeFailure?: (id: string) => Promise<string>;
}

export interface ServiceReport {
  service: string;
  containers: { name: string; id: string; action: ContainerAction['action'] }[];
  /** ms from the start of the apply until the service met its final condition. */
  readyMs?: number;
  condition: Readiness;
}

export interface ApplyResult {
  /** As the deployment history records them. */
  steps: StepRecord[];
  services: ServiceReport[];
  /** ms from the start of the apply until every service met its condition. */
  timeToReadyMs: number;
  durationMs: number;
}

interface Backup {
  id: string;
  originalName: string;
  currentName: string;
  wasRunning: boolean;
}

interface Failure {
  service?: string;
  containerId?: string;
  message: string;
  kind: 'failed' | 'timeout';
}

class StepFailed extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

/** The deploy's first failure: kept as the root cause for the report, and it halts the deploy's other work. */
class FirstFailure {
  private first?: Failure;
  private readonly halt = new AbortController();
  /** The caller's signal, also aborted at the first failure. */
  readonly signal: AbortSignal;

  constructor(outer: AbortSignal) {
    this.signal = AbortSignal.any([outer, this.halt.signal]);
  }

  get failure(): Failure | undefined {
    return this.first;
  }

  fail(f: Failure): never {
    if (!this.first) {
      this.first = f;
      this.halt.abort(new Error(f.message));
    }
    throw new StepFailed(f);
  }
}

const STOP_TIMEOUT_DEFAULT_S = 10;
const ROLLBACK_ENGINE_WAIT_MS = 60_000;

function shortId(id: string): string {
  return id.slice(0, 12);
}

/** How long a stop may take before the Engine kills the container. */
function stopTimeout(service: ComposeService | undefined): number {
  return service?.spec.stopTimeoutSec ?? STOP_TIMEOUT_DEFAULT_S;
}

function hasHealthcheck(service: ComposeService): boolean {
  if (service.imageHealthcheck) return true;
  const test = service.spec.healthcheck?.Test;
  return !!test && test.length > 0 && test[0] !== 'NONE';
}

export class StackApplier {
  private readonly started = Date.now();
  private readonly log: StepLog;
  private readonly services: Map<string, ComposeService>;
  /** When this deploy last started a container (0: none); see verifyStillUp. */
  private lastStartAt = 0;
  private readonly ids = new Map<
    string,
    { number: number; id: string; name: string; action: ContainerAction['action'] }[]
  >();
  private readonly readyAt = new Map<string, number>();
  private readonly memo = new Map<string, Promise<void>>();
  private readonly backups: Backup[] = [];
  /** Containers one list call found running at the start of the final wait (see runningNow). */
  private runningAtFinalWait = new Set<string>();
  /** extraLabels plus this deploy's label: on every container, network and volume it creates. */
  private readonly labels: Record<string, string>;
  private readonly first: FirstFailure;

  constructor(
    private readonly project: ComposeProject,
    private readonly plan: Plan,
    private readonly o: ApplyOptions,
  ) {
    this.services = new Map(project.services.map((s) => [s.name, s]));
    this.labels = { ...o.extraLabels, [LABEL_DEPLOYMENT]: o.journal.state.label };
    this.first = new FirstFailure(o.signal);
    const expected =
      this.imagesToEnsure().length +
      plan.networks.filter((n) => n.action === 'create').length +
      plan.volumes.filter((v) => v.action === 'create').length +
      plan.containers.filter((c) => c.action !== 'keep').length +
      (o.wait === 'none' ? 0 : project.services.length);
    this.log = new StepLog(o.record, o.progress, expected);
  }

  private imagesToEnsure(): string[] {
    return [...this.pullPolicies().keys()];
  }

  /** Each image to ensure with its pull policy: a service's pull_policy, else the deploy's. */
  private pullPolicies(): Map<string, 'missing' | 'always' | 'never'> {
    const out = new Map<string, 'missing' | 'always' | 'never'>();
    for (const c of this.plan.containers.filter((a) => a.action === 'create' || a.action === 'recreate')) {
      const service = this.services.get(c.service);
      // Built images were made by the build step (src/stacks/build.ts); they are never pulled.
      if (!service?.spec.image || service.build) continue;
      const policy =
        service.pullPolicy === undefined || service.pullPolicy === 'build' ? this.o.pull : service.pullPolicy;
      // Two services naming one image: "always" wins, then "missing".
      const had = out.get(service.spec.image);
      if (!had || policy === 'always' || (policy === 'missing' && had === 'never')) out.set(service.spec.image, policy);
    }
    return out;
  }

  private step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.log.run(name, fn);
  }

  private get signal(): AbortSignal {
    return this.first.signal;
  }

  private fail(f: Failure): never {
    return this.first.fail(f);
  }

  async run(): Promise<ApplyResult> {
    try {
      await this.ensureImages();
      await this.createResources();
      await this.retireRemovals();
      await this.startServices();
      await this.finalWait();
      await this.verifyStillUp();
    } catch (err) {
      await this.rollbackAndThrow(err);
    }
    // From here on the new state stands: an interrupted cleanup is finished, never undone.
    this.o.journal.phase('committed');
    await this.cleanupAfterSuccess();
    this.o.journal.close();
    const services: ServiceReport[] = this.project.services.map((s) => {
      const r: ServiceReport = {
        service: s.name,
        containers: (this.ids.get(s.name) ?? []).map((c) => ({ name: c.name, id: shortId(c.id), action: c.action })),
        condition: this.finalCondition(s),
      };
      const at = this.readyAt.get(`${s.name}:${r.condition}`);
      if (at !== undefined) r.readyMs = at - this.started;
      return r;
    });
    const readyTimes = services.map((s) => s.readyMs ?? 0);
    return {
      steps: this.log.steps,
      services,
      timeToReadyMs: Math.max(0, ...readyTimes),
      durationMs: Date.now() - this.started,
    };
  }

  private async ensureImages(): Promise<void> {
    await Promise.all(
      [...this.pullPolicies()].map(([image, pull]) =>
        this.step(`image ${image}`, () => ensureImage(this.o.engine, image, pull, { signal: this.signal })).catch(
          (err: unknown) => this.fail({ message: `image ${image}: ${(err as Error).message}`, kind: 'failed' }),
        ),
      ),
    );
  }

  private async createResources(): Promise<void> {
    for (const n of this.plan.networks.filter((a) => a.action === 'create')) {
      const def = this.project.networks.find((x) => x.name === n.name);
      if (!def) continue;
      await this.step(`create network ${n.name}`, async () => {
        this.o.journal.intend({ op: 'create-network', name: def.name });
        await createStackNetwork(
          this.o.engine,
          {
            name: def.name,
            driver: def.driver ?? 'bridge',
            internal: def.internal,
            attachable: def.attachable,
            driverOpts: def.driverOpts,
            labels: { ...def.labels, ...this.labels },
            ...(def.ipam ? { ipam: def.ipam } : {}),
          },
          this.signal,
        );
      });
    }
    for (const v of this.plan.volumes.filter((a) => a.action === 'create')) {
      const def = this.project.volumes.find((x) => x.name === v.name);
      if (!def) continue;
      await this.step(`create volume ${v.name}`, async () => {
        this.o.journal.intend({ op: 'create-volume', name: def.name });
        await createStackVolume(
          this.o.engine,
          {
            name: def.name,
            driver: def.driver ?? 'local',
            driverOpts: def.driverOpts,
            labels: { ...def.labels, ...this.labels },
          },
          this.signal,
        );
      });
    }
  }

  /** Containers the file no longer wants: stopped and renamed aside now, removed once the deploy succeeded. */
  private async retireRemovals(): Promise<void> {
    for (const c of this.plan.containers.filter((a) => a.action === 'remove')) {
      await this.step(`retire ${c.name} (${c.reason})`, () =>
        this.setAside(c.id as string, c.name, this.services.get(c.service)),
      );
    }
  }

  /** Stops a container and renames it to a backup name, remembering how to restore it. */
  private async setAside(id: string, name: string, service: ComposeService | undefined): Promise<void> {
    const { running } = await containerState(this.o.engine, id, this.signal);
    const backup: Backup = { id, originalName: name, currentName: name, wasRunning: running };
    this.backups.push(backup);
    const backupName = `${name}-backup-${randomBytes(3).toString('hex')}`;
    this.o.journal.intend({ op: 'set-aside', id, originalName: name, backupName, wasRunning: running });
    if (running) await stopContainer(this.o.engine, id, stopTimeout(service), this.signal);
    await renameContainer(this.o.engine, id, backupName, { target: `container "${name}"`, signal: this.signal });
    backup.currentName = backupName;
  }

  private startServices(): Promise<void> {
    return this.settle(this.project.services.map((s) => this.startService(s.name)));
  }

  /** Waits for every promise; rethrows the first failure (the root cause) once all have settled. */
  private async settle(promises: Promise<unknown>[]): Promise<void> {
    const results = await Promise.allSettled(promises);
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw this.first.failure ? new StepFailed(this.first.failure) : rejected.reason;
  }

  private once(key: string, fn: () => Promise<void>): Promise<void> {
    let p = this.memo.get(key);
    if (!p) {
      p = fn();
      p.catch(() => undefined);
      this.memo.set(key, p);
    }
    return p;
  }

  /** Gates on the dependencies' conditions, then brings every replica of the service to its planned state. */
  private startService(name: string): Promise<void> {
    return this.once(`${name}:started`, async () => {
      const service = this.services.get(name) as ComposeService;
      await Promise.all(service.dependsOn.map((d) => this.ready(d.service, conditionOf(d.condition))));
      const actions = this.plan.containers.filter((c) => c.service === name && c.action !== 'remove');
      const list: { number: number; id: string; name: string; action: ContainerAction['action'] }[] = [];
      this.ids.set(name, list);
      await Promise.all(
        actions.map(async (a) => {
          const id = await this.applyReplica(service, a);
          list.push({ number: a.number, id, name: a.name, action: a.action });
        }),
      );
      list.sort((x, y) => x.number - y.number);
      this.readyAt.set(`${name}:started`, Date.now());
    });
  }

  private async applyReplica(service: ComposeService, a: ContainerAction): Promise<string> {
    const fail = (err: unknown, id?: string): never =>
      this.fail({
        service: service.name,
        message: `${a.action} ${a.name}: ${(err as Error).message}`,
        kind: 'failed',
        ...(id ? { containerId: id } : {}),
      });
    if (a.action === 'keep') return a.id as string;
    if (a.action === 'start') {
      return this.step(`start ${a.name} (${a.reason})`, async () => {
        this.o.journal.intend({ op: 'start-existing', id: a.id as string, name: a.name });
        await startContainer(this.o.engine, a.id as string, this.signal);
        this.lastStartAt = Date.now();
        return a.id as string;
      }).catch((err: unknown) => fail(err, a.id));
    }
    const label = a.action === 'recreate' ? `recreate ${a.name} (${a.reason})` : `create ${a.name}`;
    let id: string | undefined;
    return this.step(label, async () => {
      if (a.action === 'recreate') await this.setAside(a.id as string, a.name, service);
      const base = containerSpecFor(this.project, service.name, a.number);
      Object.assign(base.labels, this.labels);
      const spec = this.o.finishSpec ? this.o.finishSpec(base) : base;
      this.o.journal.intend({ op: 'create-container', name: a.name });
      id = await createContainer(this.o.engine, spec, this.signal);
      await installSecretFiles(this.o.engine, id, service.files, this.signal);
      await startContainer(this.o.engine, id, this.signal);
      this.lastStartAt = Date.now();
      return id;
    }).catch((err: unknown) => fail(err, id));
  }

  /** Resolves when every container of the service meets `cond`; fails the deploy naming the service otherwise. */
  private ready(name: string, cond: Readiness): Promise<void> {
    return this.once(`${name}:${cond}`, async () => {
      await this.startService(name);
      if (cond !== 'started') {
        const containers = this.ids.get(name) ?? [];
        const label = cond === 'completed' ? 'complete successfully' : `be ${cond}`;
        await this.step(`wait for ${name} to ${label}`, () =>
          Promise.all(containers.map((c) => this.waitOne(name, c.id, c.name, cond))),
        );
      }
      this.readyAt.set(`${name}:${cond}`, Date.now());
    });
  }

  private async waitOne(service: string, id: string, name: string, cond: Exclude<Readiness, 'started'>): Promise<void> {
    if (cond === 'running' && this.runningAtFinalWait.has(id)) return;
    const remaining = Math.max(0, this.started + this.o.timeoutMs - Date.now());
    let r: WaitResult;
    try {
      r =
        cond === 'completed'
          ? await this.waitCompleted(id, remaining)
          : await waitForContainer(this.o.engine, id, cond, remaining, this.signal);
    } catch (err) {
      return this.fail({ service, containerId: id, message: `${name}: ${(err as Error).message}`, kind: 'failed' });
    }
    if (!r.reached && cond === 'running' && (await this.finishedOneShot(id))) return;
    if (!r.reached) {
      const what = cond === 'completed' ? 'complete successfully' : `become ${cond}`;
      const timedOut = r.reason?.startsWith('not ') ?? false;
      this.fail({
        service,
        containerId: id,
        kind: timedOut ? 'timeout' : 'failed',
        message: `service "${service}" (${name}) did not ${what}: ${timedOut ? `not ${cond} within the ${Math.round(this.o.timeoutMs / 1000)} s timeout (state ${r.state}${r.health ? `, health ${r.health}` : ''})` : (r.reason ?? r.state)}`,
      });
    }
  }

  /**
   * Compose semantics: a container that exited 0 is a one-shot service that finished, not a
   * failure, when only "running" is asked of it (nothing waits for it to be healthy).
   */
  private async finishedOneShot(id: string): Promise<boolean> {
    const st = await containerState(this.o.engine, id, this.signal).catch(() => undefined);
    return !!st && !st.running && st.status === 'exited' && st.exitCode === 0;
  }

  private async waitCompleted(id: string, timeoutMs: number): Promise<WaitResult> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const st = await containerState(this.o.engine, id, this.signal);
      if (!st.running && (st.status === 'exited' || st.status === 'dead')) {
        return st.exitCode === 0
          ? { reached: true, state: st.status }
          : { reached: false, state: st.status, reason: `the container exited with code ${st.exitCode}` };
      }
      if (Date.now() >= deadline)
        return { reached: false, state: st.status, reason: `not completed after ${Math.round(timeoutMs / 1000)} s` };
      await sleep(Math.min(250, Math.max(0, deadline - Date.now())), this.signal);
    }
  }

  private finalCondition(s: ComposeService): Readiness {
    const oneShot = this.project.services.some((x) =>
      x.dependsOn.some((d) => d.service === s.name && d.condition === 'service_completed_successfully'),
    );
    if (oneShot) return 'completed';
    if (this.o.wait === 'none') return 'started';
    return this.o.wait === 'healthy' && hasHealthcheck(s) ? 'healthy' : 'running';
  }

  /**
   * Ids of the stack's containers the Engine lists as running now: one list call answers for
   * every container at once, where an inspect each costs one Engine round trip per container.
   * Only "running" is taken from it; anything else is inspected one by one as before.
   */
  private async runningNow(): Promise<Set<string>> {
    const listed = await listContainersByLabel(this.o.engine, [`${COMPOSE_PROJECT}=${this.project.name}`], {
      signal: this.signal,
    });
    return new Set(listed.filter((c) => c.state === 'running').map((c) => c.id));
  }

  private async finalWait(): Promise<void> {
    if (this.o.wait === 'none') return;
    this.runningAtFinalWait = await this.runningNow();
    return this.settle(this.project.services.map((s) => this.ready(s.name, this.finalCondition(s))));
  }

  /**
   * A container that crashed right after starting must not pass as deployed. A process that
   * fails at once (`false`) can still look running to the first inspect, so the check waits
   * until the newest start is at least START_GRACE_MS old.
   */
  private async verifyStillUp(): Promise<void> {
    if (this.o.wait === 'none') return;
    const sinceStart = Date.now() - this.lastStartAt;
    if (this.lastStartAt && sinceStart < START_GRACE_MS) await sleep(START_GRACE_MS - sinceStart, this.signal);
    const running = await this.runningNow();
    for (const s of this.project.services) {
      const cond = this.finalCondition(s);
      if (cond === 'completed') continue;
      for (const c of this.ids.get(s.name) ?? []) {
        // Running now passes whatever the condition; only the others need their exit code.
        if (running.has(c.id)) continue;
        const info = await containerState(this.o.engine, c.id, this.signal);
        const oneShotDone = cond !== 'healthy' && info.status === 'exited' && info.exitCode === 0;
        if (!info.running && !oneShotDone) {
          this.fail({
            service: s.name,
            containerId: c.id,
            kind: 'failed',
            message: `service "${s.name}" (${c.name}) stopped right after starting: exit code ${info.exitCode}`,
          });
        }
      }
    }
  }

  private async cleanupAfterSuccess(): Promise<void> {
    const quiet = (what: string) => (err: unknown) =>
      this.o.log.warn({ err, what }, 'cleanup after stack deploy failed');
    for (const b of this.backups) {
      await removeContainer(this.o.engine, b.id, { force: true, volumes: false }).catch(
        quiet(`remove ${b.currentName}`),
      );
    }
    for (const n of this.plan.networks.filter((a) => a.action === 'remove')) {
      await this.step(`remove network ${n.name} (${n.reason})`, () =>
        removeNetwork(this.o.engine, n.id ?? n.name),
      ).catch(quiet(`remove network ${n.name}`));
    }
    for (const v of this.plan.volumes.filter((a) => a.action === 'remove')) {
      await this.step(`remove volume ${v.name} (${v.reason})`, () => removeVolume(this.o.engine, v.name)).catch(
        quiet(`remove volume ${v.name}`),
      );
    }
  }

  /** Undoes what this deploy changed: new objects removed, set-aside containers restored. Never uses the caller's signal. */
  private async rollbackAndThrow(err: unknown): Promise<never> {
    const cancelled = this.o.signal.aborted;
    const failure: Failure =
      this.first.failure ??
      (err instanceof StepFailed ? err.failure : { message: (err as Error)?.message ?? String(err), kind: 'failed' });
    let context = '';
    if (failure.containerId && this.o.describeFailure)
      context = await this.o.describeFailure(failure.containerId).catch(() => '');
    this.log.begin('rollback');
    const t0 = Date.now();
    const engine = this.o.engine;
    // An Engine that went away mid-deploy is waited for (bounded): undoing needs it.
    let r = await undoDeployment(engine, this.o.journal.state);
    if (r.problems.length && (await engineBack(engine, this.o.rollbackEngineWaitMs ?? ROLLBACK_ENGINE_WAIT_MS))) {
      const again = await undoDeployment(engine, this.o.journal.state);
      r = { undone: [...r.undone, ...again.undone], problems: again.problems };
    }
    const { undone, problems } = r;
    const left = problems.length ? describeLeft(this.o.journal.state) : [];
    if (problems.length) this.o.journal.phase('left behind', [...problems, ...left]);
    else this.o.journal.close();
    this.log.add({
      name: 'rollback',
      durationMs: Date.now() - t0,
      ...(problems.length ? { outcome: 'failed', error: problems.join('; ') } : { outcome: 'rolled_back' }),
    });

    const head = cancelled
      ? `Deploy of stack "${this.project.name}" was cancelled`
      : `Deploy of stack "${this.project.name}" failed${failure.service ? ` at service "${failure.service}"` : ''}`;
    const lines = [`${head}: ${failure.message.replace(/\.+$/, '')}.`];
    lines.push(
      undone.length || problems.length
        ? `Rolled back: ${undone.length ? undone.join('; ') : 'nothing'}${problems.length ? `. Could NOT undo: ${problems.join('; ')}` : ''}.`
        : 'Nothing had been changed yet.',
    );
    if (left.length) {
      lines.push(
        `Left behind until reconciled: ${left.join('; ')}. The server rolls this back when the Engine answers again (on reconnect, restart, or at the next deploy_application_stack or remove_stack of "${this.project.name}", which reconciles it first).`,
      );
    }
    if (context) lines.push(context);
    throw new ToolError(cancelled ? 'failed' : failure.kind, lines.join('\n'), {
      ...(failure.service ? { service: failure.service } : {}),
      rolledBack: undone,
      rollbackProblems: problems,
      leftBehind: left,
      steps: this.log.steps,
    });
  }
}

function conditionOf(c: 'service_started' | 'service_healthy' | 'service_completed_successfully'): Readiness {
  return c === 'service_healthy' ? 'healthy' : c === 'service_completed_successfully' ? 'completed' : 'started';
}

export function applyPlan(project: ComposeProject, plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  return new StackApplier(project, plan, options).run();
}
