/**
 * The simulated AWS account of local mode: Lambda, ECS, ELBv2 and CloudWatch as one simulated service
 * each (local/aws/), the synthetic traffic that flows through them, and their persistence.
 *
 * No pure-JS emulator of these services exists, so each service implements the ports it stands in for
 * and local mode wires the services themselves: `lambda` as router and hook runner, `elb` as load
 * balancer, `ecs` as scaler, `cloudwatch` as alarm watcher, `metrics` as the metric reader of canary
 * analysis (the per-revision figures of the synthetic traffic). The account composes them and holds their
 * durable state, so what survives a restart is written and read here and nowhere else; the set-up and
 * inspection methods below delegate to the service that owns them.
 */

import { CloudWatchWithComposites } from './aws/composite-alarms.ts';
import { ControlPlane, type ControlPlaneCall } from './aws/control-plane.ts';
import {
  type EcsState,
  type ImageProfile,
  type SimService,
  SimulatedEcs,
  type TaskDefinition,
} from './aws/ecs.ts';
import { type Listener, SimulatedElb } from './aws/elbv2.ts';
import { type Alias, type LambdaFunction, SimulatedLambda, type VersionProfile } from './aws/lambda.ts';
import { LocalMetrics } from './aws/metrics.ts';
import { SimulatedSns } from './aws/sns.ts';
import { SyntheticTraffic } from './aws/traffic.ts';
import { type HookBehaviour, hookFunction } from './behaviour.ts';
import type { LocalClock } from './clock.ts';

export type { AlarmDefinition, AlarmListener } from './aws/cloudwatch.ts';
export type { CompositeAlarmDefinition } from './aws/composite-alarms.ts';
export type { ImageProfile } from './aws/ecs.ts';
export type { HookFunction, VersionProfile } from './aws/lambda.ts';
export type { Invocation } from './aws/traffic.ts';

/** The control-plane state as `.stepshift/account.json` keeps it (files written before ECS have no `ecs`). */
export interface AccountSnapshot {
  ecs?: {
    taskDefinitions: ({ arn: string } & TaskDefinition)[];
    services: ({ key: string } & SimService)[];
    listeners: ({ arn: string } & Listener)[];
    targetGroups: { arn: string; service: string }[];
  };
  functions: {
    name: string;
    rps: number;
    versions: ({ version: string } & VersionProfile)[];
    aliases: ({ alias: string } & Alias)[];
  }[];
  /** Hook behaviours set by a rehearsal (`stepshift local hook`); absent in files written before them. */
  hooks?: Record<string, HookBehaviour>;
  /** Image behaviours set by a rehearsal (`stepshift local image`), by image. */
  images?: Record<string, ImageProfile>;
}

/**
 * Everything that survives a restart. Alarms are set up from the group config at every start; hook and
 * image behaviours are kept, since a rehearsal sets them on a running local mode.
 */
interface DurableState {
  functions: Map<string, LambdaFunction>;
  ecs: EcsState;
  listeners: Map<string, Listener>;
  hooks: Map<string, HookBehaviour>;
}

export class SimulatedAccount {
  readonly controlPlane: ControlPlane;
  readonly lambda: SimulatedLambda;
  readonly ecs: SimulatedEcs;
  readonly elb: SimulatedElb;
  readonly cloudwatch: CloudWatchWithComposites;
  readonly traffic: SyntheticTraffic;
  /** Canary analysis's metrics, read from the synthetic traffic; `metrics.failReads(…)` makes reads fail. */
  readonly metrics: LocalMetrics;
  /** What notifications published to their SNS topics (local/notifications.ts). */
  readonly sns = new SimulatedSns();
  private readonly durable: DurableState = {
    functions: new Map(),
    ecs: { taskDefinitions: new Map(), services: new Map(), targetGroups: new Map() },
    listeners: new Map(),
    hooks: new Map(),
  };

  constructor(clock: LocalClock, seed = 42) {
    this.controlPlane = new ControlPlane(clock);
    this.lambda = new SimulatedLambda(this.controlPlane, this.durable.functions);
    this.ecs = new SimulatedEcs(clock, this.controlPlane, this.durable.ecs);
    this.elb = new SimulatedElb(this.controlPlane, this.durable.listeners);
    this.cloudwatch = new CloudWatchWithComposites(clock, this.controlPlane);
    const { lambda, ecs, elb, cloudwatch } = this;
    this.traffic = new SyntheticTraffic(clock, { lambda, ecs, elb, cloudwatch }, seed);
    this.metrics = new LocalMetrics(this.traffic, this.controlPlane);
  }

  // ── persistence: the control-plane state survives a restart ──

  snapshot(): AccountSnapshot {
    const { functions, ecs, listeners, hooks } = this.durable;
    return {
      hooks: Object.fromEntries(hooks),
      images: Object.fromEntries(this.ecs.images()),
      ecs: {
        taskDefinitions: [...ecs.taskDefinitions].map(([arn, td]) => ({ arn, ...td })),
        services: [...ecs.services].map(([key, svc]) => ({ key, ...svc })),
        listeners: [...listeners].map(([arn, { weights, rps }]) => ({ arn, weights, rps })),
        targetGroups: [...ecs.targetGroups].map(([arn, service]) => ({ arn, service })),
      },
      functions: [...functions].map(([name, fn]) => ({
        name,
        rps: fn.rps,
        versions: [...fn.versions].map(([version, profile]) => ({ version, ...profile })),
        aliases: [...fn.aliases].map(([alias, a]) => ({ alias, ...a })),
      })),
    };
  }

  load(snapshot: AccountSnapshot): void {
    const { functions, ecs, listeners } = this.durable;
    for (const [name, behaviour] of Object.entries(snapshot.hooks ?? {}))
      this.setHookBehaviour(name, behaviour);
    for (const [image, profile] of Object.entries(snapshot.images ?? {}))
      this.ecs.defineImage(image, profile);
    for (const { arn, ...td } of snapshot.ecs?.taskDefinitions ?? []) ecs.taskDefinitions.set(arn, td);
    for (const { key, ...svc } of snapshot.ecs?.services ?? []) ecs.services.set(key, svc);
    for (const { arn, weights, rps } of snapshot.ecs?.listeners ?? []) listeners.set(arn, { weights, rps });
    for (const { arn, service } of snapshot.ecs?.targetGroups ?? []) ecs.targetGroups.set(arn, service);
    functions.clear();
    for (const f of snapshot.functions) {
      functions.set(f.name, {
        rps: f.rps,
        versions: new Map(f.versions.map(({ version, ...p }) => [version, p])),
        aliases: new Map(f.aliases.map(({ alias, ...a }) => [alias, a])),
      });
    }
  }

  // ── shared by every service ──

  /** Calls made to the control plane, for tests and benchmarks. */
  get calls(): ControlPlaneCall[] {
    return this.controlPlane.calls;
  }
  get onChange(): (() => void) | undefined {
    return this.controlPlane.onChange;
  }
  set onChange(listener: (() => void) | undefined) {
    this.controlPlane.onChange = listener;
  }
  throttle(...args: Parameters<ControlPlane['throttle']>) {
    this.controlPlane.throttle(...args);
  }

  // ── synthetic traffic ──

  startTraffic(): void {
    this.traffic.start();
  }
  stopTraffic(): void {
    this.traffic.stop();
  }
  /** One round of traffic up to now, then one evaluation of every alarm. Public for deterministic tests. */
  tick(): void {
    this.traffic.tick();
  }

  // ── set-up and inspection, delegated ──

  createFunction(...args: Parameters<SimulatedLambda['createFunction']>) {
    this.lambda.createFunction(...args);
  }
  publishVersion(...args: Parameters<SimulatedLambda['publishVersion']>) {
    return this.lambda.publishVersion(...args);
  }
  registerHook(...args: Parameters<SimulatedLambda['registerHook']>) {
    this.lambda.registerHook(...args);
  }
  /** Makes the hook function answer as `behaviour` says, from its next invocation on; kept across restarts. */
  setHookBehaviour(functionName: string, behaviour: HookBehaviour): void {
    this.lambda.registerHook(functionName, hookFunction(functionName, behaviour));
    this.durable.hooks.set(functionName, behaviour);
    this.controlPlane.changed();
  }
  hookBehaviour(functionName: string): HookBehaviour | undefined {
    return this.durable.hooks.get(functionName);
  }
  aliasRouting(...args: Parameters<SimulatedLambda['aliasRouting']>) {
    return this.lambda.aliasRouting(...args);
  }
  registerTaskDefinition(...args: Parameters<SimulatedEcs['registerTaskDefinition']>) {
    return this.ecs.registerTaskDefinition(...args);
  }
  /** How tasks of an image behave; kept across restarts. */
  defineImage(...args: Parameters<SimulatedEcs['defineImage']>) {
    this.ecs.defineImage(...args);
    this.controlPlane.changed();
  }
  createService(...args: Parameters<SimulatedEcs['createService']>) {
    this.ecs.createService(...args);
  }
  service(...args: Parameters<SimulatedEcs['service']>) {
    return this.ecs.service(...args);
  }
  /** Virtual seconds a service takes to become steady after an update. */
  get steadySeconds(): number {
    return this.ecs.steadySeconds;
  }
  set steadySeconds(seconds: number) {
    this.ecs.steadySeconds = seconds;
  }
  createListener(...args: Parameters<SimulatedElb['createListener']>) {
    this.elb.createListener(...args);
  }
  setListenerWeights(...args: Parameters<SimulatedElb['setListenerWeights']>) {
    this.elb.setListenerWeights(...args);
  }
  listenerWeights(...args: Parameters<SimulatedElb['listenerWeights']>) {
    return this.elb.listenerWeights(...args);
  }
  defineAlarm(...args: Parameters<CloudWatchWithComposites['defineAlarm']>) {
    this.cloudwatch.defineAlarm(...args);
  }
  defineCompositeAlarm(...args: Parameters<CloudWatchWithComposites['defineComposite']>) {
    this.cloudwatch.defineComposite(...args);
  }
  setAlarmState(...args: Parameters<CloudWatchWithComposites['setAlarmState']>) {
    this.cloudwatch.setAlarmState(...args);
  }
  onAlarm(...args: Parameters<CloudWatchWithComposites['onAlarm']>) {
    return this.cloudwatch.onAlarm(...args);
  }
}
