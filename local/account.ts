/**
 * The simulated AWS account of local mode: Lambda functions with versions and weighted aliases,
 * hook functions, and CloudWatch alarms evaluated on metrics that synthetic traffic produces as it
 * flows through each alias by weight. It keeps AWS's rules — one additional version per alias,
 * weights within [0, 1], the additional version differs from the primary, a RevisionId that changes
 * on every update — and implements the ports directly (no pure-JS emulator of these services exists).
 */

import { type AlbRouting, albRuleBroken } from '../functions/core/alb.ts';
import { aliasRuleBroken, describeRouting, type LambdaRouting } from '../functions/core/deployment.ts';
import { StepShiftError, Transient } from '../functions/core/errors.ts';
import type { LambdaGroup } from '../functions/core/group-config.ts';
import type {
  AlarmState,
  AlarmWatcher,
  ForwardLocation,
  HookPayload,
  HookResult,
  HookRunner,
  LoadBalancer,
  ServiceScaler,
  ServiceState,
  TrafficRouter,
} from '../functions/ports.ts';
import type { VirtualClock } from './clock.ts';

/** How a version behaves under traffic. */
export interface VersionProfile {
  /** Fraction of invocations that fail, 0–1. */
  errorRate: number;
  /** Typical duration in milliseconds. */
  latencyMs: number;
}

interface Alias {
  version: string;
  weights: Record<string, number>;
  revisionId: number;
}

interface LambdaFunction {
  versions: Map<string, VersionProfile>;
  aliases: Map<string, Alias>;
  /** Synthetic requests per virtual second through each alias. */
  rps: number;
}

export interface AlarmDefinition {
  name: string;
  /** What the alarm watches: a function name, or target group ARNs (both of an ECS group: roles swap). */
  target: string | string[];
  metric: 'ErrorRate' | 'LatencyAverage';
  /** ALARM when the metric is above this (a fraction for ErrorRate, ms for latency). */
  threshold: number;
  /** Seconds of virtual time per datapoint. */
  periodSeconds: number;
  /** Consecutive breaching datapoints that put the alarm in ALARM. */
  evaluationPeriods: number;
}

interface AlarmRuntime {
  def: AlarmDefinition;
  state: AlarmState;
  breaching: number;
  /** Set by setAlarmState: stays until the next datapoint, as CloudWatch's SetAlarmState. */
  forcedUntil?: number;
}

export type HookFunction = (payload: HookPayload) => HookResult | Promise<HookResult>;

export interface Invocation {
  at: number;
  /** The function name, or the target group ARN, the request went through. */
  target: string;
  /** The function version, or the task definition, that served it. */
  version: string;
  error: boolean;
  latencyMs: number;
}

export type AlarmListener = (name: string, state: AlarmState, previous: AlarmState) => void;

type Fault = { operation: 'UpdateAlias' | 'GetAlias' | 'ModifyListener'; remaining: number };

export class SimulatedAccount implements TrafficRouter, AlarmWatcher, HookRunner, ServiceScaler {
  private readonly functions = new Map<string, LambdaFunction>();
  private readonly alarms = new Map<string, AlarmRuntime>();
  private readonly hookFunctions = new Map<string, HookFunction>();
  private readonly listeners = new Set<AlarmListener>();
  private readonly faults: Fault[] = [];
  private invocations: Invocation[] = [];
  private timer: NodeJS.Timeout | undefined;
  private lastTick: number;
  private random: () => number;
  /** Calls made to the control plane, for tests and benchmarks. */
  readonly calls: { operation: string; at: number; input: unknown }[] = [];
  onChange: (() => void) | undefined;

  constructor(
    private readonly clock: VirtualClock,
    seed = 42,
  ) {
    this.random = mulberry32(seed);
    this.lastTick = clock.now();
  }

  // ── set-up (what `aws lambda create-function`, `publish-version`, `create-alias` would do) ──

  createFunction(
    name: string,
    profile: VersionProfile,
    options: { alias?: string; rps?: number } = {},
  ): void {
    const fn: LambdaFunction = {
      versions: new Map([['1', profile]]),
      aliases: new Map(),
      rps: options.rps ?? 50,
    };
    this.functions.set(name, fn);
    if (options.alias) fn.aliases.set(options.alias, { version: '1', weights: {}, revisionId: 1 });
    this.onChange?.();
  }

  /** Publishes a new version with that behaviour; returns its number. */
  publishVersion(name: string, profile: VersionProfile): string {
    const fn = this.fn(name);
    const version = String(fn.versions.size + 1);
    fn.versions.set(version, profile);
    this.onChange?.();
    return version;
  }

  registerHook(functionName: string, fn: HookFunction): void {
    this.hookFunctions.set(functionName, fn);
  }

  defineAlarm(def: AlarmDefinition): void {
    this.alarms.set(def.name, { def, state: 'INSUFFICIENT_DATA', breaching: 0 });
  }

  /** As CloudWatch's SetAlarmState: the state holds until the next datapoint is evaluated. */
  setAlarmState(name: string, state: 'OK' | 'ALARM'): void {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new StepShiftError(`no alarm ${name}`);
    alarm.forcedUntil = this.clock.now() + alarm.def.periodSeconds * 1000;
    this.setState(alarm, state);
  }

  onAlarm(listener: AlarmListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Makes the next `count` calls of an operation fail as throttled, as AWS does under load. */
  throttle(operation: Fault['operation'], count = 1): void {
    this.faults.push({ operation, remaining: count });
  }

  /** Changes the alias behind stepshift's back (for drift tests and rehearsals). */
  setAliasRouting(
    functionName: string,
    alias: string,
    version: string,
    weights: Record<string, number> = {},
  ): void {
    this.writeAlias(functionName, alias, version, weights);
  }

  aliasRouting(functionName: string, alias: string): LambdaRouting {
    const a = this.alias(functionName, alias);
    return { kind: 'lambda', version: a.version, additionalVersionWeights: { ...a.weights } };
  }

  alarmState(name: string): AlarmState {
    return this.alarms.get(name)?.state ?? 'MISSING';
  }

  recentInvocations(sinceMs: number): Invocation[] {
    return this.invocations.filter((i) => i.at >= sinceMs);
  }

  // ── synthetic traffic ──

  /** Sends traffic through every alias every `realIntervalMs`, and evaluates the alarms. */
  startTraffic(realIntervalMs = 25): void {
    this.lastTick = this.clock.now();
    this.timer ??= setInterval(() => this.tick(), realIntervalMs);
    this.timer.unref();
  }

  stopTraffic(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of traffic up to now, then one evaluation of every alarm. Public for deterministic tests. */
  tick(): void {
    const now = this.clock.now();
    const elapsedS = Math.min(60, (now - this.lastTick) / 1000);
    this.lastTick = now;
    for (const [name, fn] of this.functions) {
      for (const alias of fn.aliases.values()) {
        const expected = fn.rps * elapsedS;
        const count = Math.floor(expected) + (this.random() < expected % 1 ? 1 : 0);
        for (let i = 0; i < count; i++) {
          const version = this.pick(alias);
          const profile = fn.versions.get(version);
          if (!profile) continue;
          this.invocations.push({
            at: now - this.random() * elapsedS * 1000,
            target: name,
            version,
            error: this.random() < profile.errorRate,
            latencyMs: profile.latencyMs * (0.5 + this.random()),
          });
        }
      }
    }
    const horizon = now - 3_600_000;
    if (
      this.invocations.length > 50_000 ||
      (this.invocations[0]?.at !== undefined && this.invocations[0].at < horizon)
    ) {
      this.invocations = this.invocations.filter((i) => i.at >= horizon).slice(-50_000);
    }
    this.ecsTick(now, elapsedS);
    for (const alarm of this.alarms.values()) this.evaluate(alarm, now);
  }

  private evaluate(alarm: AlarmRuntime, now: number): void {
    if (alarm.forcedUntil !== undefined) {
      if (now < alarm.forcedUntil) return;
      delete alarm.forcedUntil;
    }
    const { def } = alarm;
    const targets = [def.target].flat();
    const window = this.invocations.filter(
      (i) => targets.includes(i.target) && i.at > now - def.periodSeconds * 1000 && i.at <= now,
    );
    if (window.length === 0) {
      this.setState(alarm, 'INSUFFICIENT_DATA');
      return;
    }
    const value =
      def.metric === 'ErrorRate'
        ? window.filter((i) => i.error).length / window.length
        : window.reduce((s, i) => s + i.latencyMs, 0) / window.length;
    alarm.breaching = value > def.threshold ? alarm.breaching + 1 : 0;
    this.setState(alarm, alarm.breaching >= def.evaluationPeriods ? 'ALARM' : 'OK');
  }

  private setState(alarm: AlarmRuntime, state: AlarmState): void {
    if (alarm.state === state) return;
    const previous = alarm.state;
    alarm.state = state;
    for (const listener of this.listeners) listener(alarm.def.name, state, previous);
  }

  private pick(alias: Alias): string {
    let r = this.random();
    for (const [version, weight] of Object.entries(alias.weights)) {
      if (r < weight) return version;
      r -= weight;
    }
    return alias.version;
  }

  // ── the ports ──

  async current(group: LambdaGroup): Promise<LambdaRouting> {
    this.record('GetAlias', group.target);
    this.fault('GetAlias');
    return this.aliasRouting(group.target.functionName, group.target.alias);
  }

  async revisionExists(group: LambdaGroup, revision: string): Promise<boolean> {
    return this.fn(group.target.functionName).versions.has(revision);
  }

  async apply(group: LambdaGroup, routing: LambdaRouting): Promise<LambdaRouting> {
    return this.updateAlias(group.target.functionName, group.target.alias, routing.version, {
      ...routing.additionalVersionWeights,
    });
  }

  async states(names: readonly string[]): Promise<Record<string, AlarmState>> {
    this.record('DescribeAlarms', names);
    return Object.fromEntries(names.map((n) => [n, this.alarmState(n)]));
  }

  async invoke(functionName: string, payload: HookPayload): Promise<HookResult> {
    this.record('Invoke', { functionName, payload });
    const fn = this.hookFunctions.get(functionName);
    if (!fn) return { status: 'Failed', reason: `Function not found: ${functionName}` };
    try {
      const result = await fn(payload);
      return result;
    } catch (e) {
      return { status: 'Failed', reason: `function error: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** UpdateAlias with AWS's rules; throws what AWS would answer. */
  private updateAlias(functionName: string, alias: string, version: string, weights: Record<string, number>) {
    this.record('UpdateAlias', { functionName, alias, version, weights });
    this.fault('UpdateAlias');
    const fn = this.fn(functionName);
    if (!fn.versions.has(version)) throw new StepShiftError(`ResourceNotFoundException: version ${version}`);
    const broken = aliasRuleBroken({ kind: 'lambda', version, additionalVersionWeights: weights });
    if (broken) throw new StepShiftError(`InvalidParameterValueException: ${broken}`);
    for (const v of Object.keys(weights)) {
      if (!fn.versions.has(v)) throw new StepShiftError(`ResourceNotFoundException: version ${v}`);
    }
    this.writeAlias(functionName, alias, version, weights);
    return this.aliasRouting(functionName, alias);
  }

  private writeAlias(functionName: string, alias: string, version: string, weights: Record<string, number>) {
    const a = this.alias(functionName, alias);
    a.version = version;
    a.weights = Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0));
    a.revisionId += 1;
    this.onChange?.();
  }

  private fault(operation: Fault['operation']): void {
    const fault = this.faults.find((f) => f.operation === operation && f.remaining > 0);
    if (!fault) return;
    fault.remaining -= 1;
    throw new Transient(`TooManyRequestsException: Rate exceeded (${operation})`);
  }

  private record(operation: string, input: unknown) {
    this.calls.push({ operation, at: this.clock.now(), input });
  }

  private fn(name: string): LambdaFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new StepShiftError(`ResourceNotFoundException: Function not found: ${name}`);
    return fn;
  }

  private alias(functionName: string, alias: string): Alias {
    const a = this.fn(functionName).aliases.get(alias);
    if (!a) throw new StepShiftError(`ResourceNotFoundException: Alias not found: ${functionName}:${alias}`);
    return a;
  }

  // ── ECS services and the ALB (ECS groups) ──

  private readonly taskDefinitions = new Map<string, TaskDefinition>();
  private readonly services = new Map<string, SimService>();
  private readonly albListeners = new Map<string, Record<string, number>>();
  private readonly targetGroupService = new Map<string, string>();
  private readonly imageProfiles = new Map<string, ImageProfile>();
  /** Virtual seconds a service takes to become steady after an update. */
  steadySeconds = 60;

  /** Registers a task definition revision; returns its ARN. */
  registerTaskDefinition(family: string, containers: { name: string; image: string }[]): string {
    const revision = [...this.taskDefinitions.values()].filter((t) => t.family === family).length + 1;
    const arn = `arn:aws:ecs:us-east-1:000000000000:task-definition/${family}:${revision}`;
    this.taskDefinitions.set(arn, { family, revision, containers });
    this.onChange?.();
    return arn;
  }

  /** How tasks of an image behave: error rate and latency, and whether they fail to start. */
  defineImage(image: string, profile: ImageProfile): void {
    this.imageProfiles.set(image, profile);
  }

  createService(
    cluster: string,
    name: string,
    taskDefinition: string,
    desiredCount: number,
    targetGroup: string,
  ): void {
    this.services.set(`${cluster}/${name}`, {
      taskDefinition,
      desiredCount,
      runningCount: desiredCount,
      rollout: 'COMPLETED',
      failedTasks: 0,
      changedAt: this.clock.now(),
      events: [],
    });
    this.targetGroupService.set(targetGroup, `${cluster}/${name}`);
    this.onChange?.();
  }

  createListener(arn: string, weights: Record<string, number>, rps = 40): void {
    this.albListeners.set(arn, { ...weights });
    this.listenerRps.set(arn, rps);
    this.onChange?.();
  }
  private readonly listenerRps = new Map<string, number>();

  /** Changes a listener behind stepshift's back (drift). */
  setListenerWeights(arn: string, weights: Record<string, number>): void {
    this.albListeners.set(arn, { ...weights });
    this.onChange?.();
  }

  listenerWeights(arn: string): Record<string, number> {
    return { ...(this.albListeners.get(arn) ?? {}) };
  }

  service(cluster: string, name: string): ServiceState {
    this.progressServices(this.clock.now());
    const s = this.services.get(`${cluster}/${name}`);
    if (!s) throw new StepShiftError(`ServiceNotFoundException: ${cluster}/${name}`);
    const { changedAt: _c, events, ...state } = s;
    return { ...state, ...(events[0] ? { lastEvent: events[0] } : {}) };
  }

  async describe(cluster: string, service: string): Promise<ServiceState> {
    this.record('DescribeServices', { cluster, service });
    return this.service(cluster, service);
  }

  async update(
    cluster: string,
    service: string,
    change: { taskDefinition?: string; desiredCount: number },
  ): Promise<void> {
    this.record('UpdateService', { cluster, service, ...change });
    const s = this.services.get(`${cluster}/${service}`);
    if (!s) throw new StepShiftError(`ServiceNotFoundException: ${cluster}/${service}`);
    if (change.taskDefinition && !this.taskDefinitions.has(change.taskDefinition)) {
      throw new StepShiftError(`ClientException: TaskDefinition not found: ${change.taskDefinition}`);
    }
    const changed =
      (change.taskDefinition && change.taskDefinition !== s.taskDefinition) ||
      change.desiredCount !== s.desiredCount;
    if (!changed) return;
    s.taskDefinition = change.taskDefinition ?? s.taskDefinition;
    s.desiredCount = change.desiredCount;
    s.rollout = 'IN_PROGRESS';
    s.failedTasks = 0;
    s.changedAt = this.clock.now();
    if (change.desiredCount === 0) s.runningCount = 0;
    this.onChange?.();
  }

  async registerImage(base: string, container: string, image: string): Promise<string> {
    this.record('RegisterTaskDefinition', { base, container, image });
    const td = this.taskDefinitions.get(base);
    if (!td) throw new StepShiftError(`ClientException: Unable to describe task definition ${base}`);
    if (!td.containers.some((c) => c.name === container)) {
      throw new StepShiftError(`task definition ${base} has no container named ${container}`);
    }
    return this.registerTaskDefinition(
      td.family,
      td.containers.map((c) => (c.name === container ? { ...c, image } : c)),
    );
  }

  async set(where: ForwardLocation, routing: AlbRouting): Promise<AlbRouting> {
    const arn = 'listener' in where ? where.listener : where.rule;
    this.record('ModifyListener', { arn, weights: routing.weights });
    this.fault('ModifyListener');
    const broken = albRuleBroken(routing);
    if (broken) throw new StepShiftError(`ValidationError: ${broken}`);
    if (!this.albListeners.has(arn)) throw new StepShiftError(`ListenerNotFoundException: ${arn}`);
    this.albListeners.set(arn, { ...routing.weights });
    this.onChange?.();
    return { kind: 'ecs', weights: { ...routing.weights } };
  }

  /** The ALB as the LoadBalancer port (the account's own current() is the Lambda router's). */
  readonly loadBalancer: LoadBalancer = {
    current: (where) => this.weights(where),
    set: (where, routing) => this.set(where, routing),
  };

  async weights(where: ForwardLocation): Promise<AlbRouting> {
    const arn = 'listener' in where ? where.listener : where.rule;
    this.record('DescribeListeners', { arn });
    const weights = this.albListeners.get(arn);
    if (!weights) throw new StepShiftError(`ListenerNotFoundException: ${arn}`);
    return { kind: 'ecs', weights: { ...weights } };
  }

  private profileOf(taskDefinition: string): ImageProfile {
    const td = this.taskDefinitions.get(taskDefinition);
    const images =
      td?.containers.map((c) => this.imageProfiles.get(c.image)).filter((p): p is ImageProfile => !!p) ?? [];
    return images.find((p) => p.failsToStart) ?? images[0] ?? { errorRate: 0.002, latencyMs: 40 };
  }

  /** Services become steady (or fail) `steadySeconds` after an update, whether or not traffic flows. */
  private progressServices(now: number): void {
    for (const s of this.services.values()) {
      if (s.rollout !== 'IN_PROGRESS' || now - s.changedAt < this.steadySeconds * 1000) continue;
      if (s.desiredCount > 0 && this.profileOf(s.taskDefinition).failsToStart) {
        s.rollout = 'FAILED';
        s.failedTasks = s.desiredCount;
        s.runningCount = 0;
        s.events.unshift(`tasks failed to start: CannotPullContainerError for ${s.taskDefinition}`);
      } else {
        s.rollout = 'COMPLETED';
        s.runningCount = s.desiredCount;
        s.events.unshift(`has reached a steady state with ${s.desiredCount} tasks`);
      }
      this.onChange?.();
    }
  }

  private ecsTick(now: number, elapsedS: number): void {
    this.progressServices(now);
    for (const [listener, weights] of this.albListeners) {
      const total = Object.values(weights).reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const expected = (this.listenerRps.get(listener) ?? 40) * elapsedS;
      const count = Math.floor(expected) + (this.random() < expected % 1 ? 1 : 0);
      for (let i = 0; i < count; i++) {
        let r = this.random() * total;
        let tg = Object.keys(weights)[0] ?? '';
        for (const [arn, w] of Object.entries(weights)) {
          if (r < w) {
            tg = arn;
            break;
          }
          r -= w;
        }
        const service = this.services.get(this.targetGroupService.get(tg) ?? '');
        const profile = service ? this.profileOf(service.taskDefinition) : undefined;
        const healthy = !!service && service.runningCount > 0 && !!profile;
        this.invocations.push({
          at: now - this.random() * elapsedS * 1000,
          target: tg,
          version: service?.taskDefinition ?? 'none',
          error: !healthy || this.random() < (profile?.errorRate ?? 1),
          latencyMs: (profile?.latencyMs ?? 5) * (0.5 + this.random()),
        });
      }
    }
  }

  // ── persistence: the control-plane state survives a restart ──

  snapshot(): AccountSnapshot {
    return {
      ecs: {
        taskDefinitions: [...this.taskDefinitions].map(([arn, td]) => ({ arn, ...td })),
        services: [...this.services].map(([key, svc]) => ({ key, ...svc })),
        listeners: [...this.albListeners].map(([arn, weights]) => ({
          arn,
          weights,
          rps: this.listenerRps.get(arn) ?? 40,
        })),
        targetGroups: [...this.targetGroupService].map(([arn, service]) => ({ arn, service })),
      },
      functions: [...this.functions].map(([name, fn]) => ({
        name,
        rps: fn.rps,
        versions: [...fn.versions].map(([version, profile]) => ({ version, ...profile })),
        aliases: [...fn.aliases].map(([alias, a]) => ({ alias, ...a })),
      })),
    };
  }

  load(snapshot: AccountSnapshot): void {
    for (const { arn, ...td } of snapshot.ecs?.taskDefinitions ?? []) this.taskDefinitions.set(arn, td);
    for (const { key, ...svc } of snapshot.ecs?.services ?? []) this.services.set(key, svc);
    for (const { arn, weights, rps } of snapshot.ecs?.listeners ?? []) {
      this.albListeners.set(arn, weights);
      this.listenerRps.set(arn, rps);
    }
    for (const { arn, service } of snapshot.ecs?.targetGroups ?? [])
      this.targetGroupService.set(arn, service);
    this.functions.clear();
    for (const f of snapshot.functions) {
      this.functions.set(f.name, {
        rps: f.rps,
        versions: new Map(f.versions.map(({ version, ...p }) => [version, p])),
        aliases: new Map(f.aliases.map(({ alias, ...a }) => [alias, a])),
      });
    }
  }

  describeAlias(functionName: string, alias: string): string {
    return describeRouting(this.aliasRouting(functionName, alias));
  }
}

interface TaskDefinition {
  family: string;
  revision: number;
  containers: { name: string; image: string }[];
}

export interface ImageProfile extends VersionProfile {
  /** Tasks of this image never start (a bad image, a missing secret). */
  failsToStart?: boolean;
}

interface SimService extends ServiceState {
  changedAt: number;
  events: string[];
}

export interface AccountSnapshot {
  ecs?: {
    taskDefinitions: ({ arn: string } & TaskDefinition)[];
    services: ({ key: string } & SimService)[];
    listeners: { arn: string; weights: Record<string, number>; rps: number }[];
    targetGroups: { arn: string; service: string }[];
  };
  functions: {
    name: string;
    rps: number;
    versions: ({ version: string } & VersionProfile)[];
    aliases: ({ alias: string } & Alias)[];
  }[];
}

/** A small seeded PRNG, so synthetic traffic is the same run after run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
