/**
 * The ports: what the tasks need from the world, one small interface per side effect. The AWS
 * adapters (functions/aws) and the simulated account (local/) implement them; tasks never know which.
 */

import type { AlbRouting } from './core/alb.ts';
import type { LambdaRouting } from './core/alias.ts';
import type { MetricSpec, Reading, Window } from './core/analysis.ts';
import type { Deployment, Routing, Status, TimelineEntry } from './core/deployment.ts';
import type { LambdaGroup } from './core/group-config.ts';
import type { Release, ReleaseStatus } from './core/release.ts';

/** Moves traffic of a group between its live revision and a new one. */
export interface TrafficRouter {
  /** The live routing of the group's alias. Read-only. */
  current(group: LambdaGroup): Promise<Routing>;
  /** Whether the revision exists and can receive traffic (a published version). */
  revisionExists(group: LambdaGroup, revision: string): Promise<boolean>;
  /**
   * Sets exactly this alias routing — a step's split (`lambdaRoutingFor`) or the recorded original.
   * Idempotent: it writes an absolute split, so a retry does no harm. Where AWS can make the write
   * conditional on what was last read (Lambda's RevisionId), the adapter does; the drift check itself is
   * the task's.
   */
  apply(group: LambdaGroup, routing: LambdaRouting): Promise<LambdaRouting>;
}

/** Where an ECS group's weights live: a listener's default actions, or a listener rule. */
export type ForwardLocation = { listener: string } | { rule: string };

/** The weighted forward action of an ALB listener or rule (ECS groups). */
export interface LoadBalancer {
  /** The forward action's weights. Read-only. */
  current(where: ForwardLocation): Promise<AlbRouting>;
  /** Sets exactly these weights, leaving every other action and setting as it was. Idempotent. */
  set(where: ForwardLocation, routing: AlbRouting): Promise<AlbRouting>;
}

export interface ServiceState {
  taskDefinition: string;
  desiredCount: number;
  runningCount: number;
  rollout: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  failedTasks: number;
  lastEvent?: string;
}

/** The two ECS services of an ECS group. */
export interface ServiceScaler {
  describe(cluster: string, service: string): Promise<ServiceState>;
  /** Points the service at a task definition with a desired count. Idempotent. */
  update(
    cluster: string,
    service: string,
    change: { taskDefinition?: string; desiredCount: number },
  ): Promise<void>;
  /**
   * Registers `base` again with one container's image replaced; returns the new revision. With
   * `allowedRoles`, a base whose task or execution role is not among them is refused before anything is
   * registered (registering passes those roles: iam:PassRole is granted on the declared ones only).
   */
  registerImage(
    base: string,
    container: string,
    image: string,
    allowedRoles?: readonly string[],
  ): Promise<string>;
}

/** What an alarm reads, as a union: "could not read the alarm" is not "alarm OK". */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'MISSING';

export interface AlarmWatcher {
  /** The state of each named alarm (metric or composite). Missing alarms are reported as MISSING. */
  states(names: readonly string[]): Promise<Record<string, AlarmState>>;
}

/** One side of one analysis check, over a window. */
export interface MetricQuery {
  /** Unique in one read; `[a-z][A-Za-z0-9_]*` (CloudWatch's rule for a query id). */
  id: string;
  spec: MetricSpec;
  window: Window;
}

/** Reads the metrics analysis judges a revision by (CloudWatch on AWS, synthetic traffic locally). Read-only. */
export interface MetricReader {
  /**
   * Every query's reading, by id, read in as few calls as the service allows. Never throws for what it
   * could not read: that query (or, when a whole call failed, each of its queries) answers `{error}`,
   * which analysis judges as Error — never as a pass or a fail.
   */
  read(queries: readonly MetricQuery[]): Promise<Record<string, Reading>>;
}

export interface HookPayload {
  deploymentId: string;
  lifecycleEventHookExecutionId: string;
  lifecycleEvent: string;
  group: string;
  revision: string;
}

export type HookResult =
  | { status: 'Succeeded'; reason?: string }
  | { status: 'Failed'; reason: string }
  | { status: 'InProgress'; reason?: string; callBackDelaySeconds: number };

export interface HookRunner {
  /** Invokes the hook once. A throw, a function error or a timeout of the invocation is `Failed`. */
  invoke(functionName: string, payload: HookPayload): Promise<HookResult>;
}

export interface HookProgress {
  functionName: string;
  status: 'Pending' | 'InProgress' | 'Succeeded' | 'Failed';
  startedAt: string;
  nextPollAt?: string;
  reason?: string;
  attempts: number;
}

export interface DeploymentStore {
  /** Creates the record; with an idempotency key, returns the deployment already made for it instead. */
  create(
    deployment: Deployment,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ deployment: Deployment; created: boolean }>;
  get(id: string): Promise<Deployment | undefined>;
  /** The deployment made for an idempotency key, unless the record expired. */
  idempotent(key: string): Promise<{ deploymentId: string; requestHash: string } | undefined>;
  /**
   * Claims `key` for `ttlSeconds` (a conditional write): of any number of concurrent callers exactly one
   * gets true, the others false until the claim expires. An expired claim counts as absent although TTL
   * has not deleted it (TTL deletes eventually on AWS, never on dynalite). A claim is never released: its
   * expiry frees it, so a claimant that dies midway blocks the others for at most `ttlSeconds`. Intake
   * claims an S3 event before UpdateFunctionCode, so that two deliveries of it make one code update.
   */
  claim(key: string, ttlSeconds: number): Promise<boolean>;
  /**
   * Applies `patch`. With `expectStatus`, only while the status is one of them (conditional write):
   * otherwise throws Conflict.
   */
  update(id: string, patch: Partial<Deployment>, expectStatus?: readonly Status[]): Promise<Deployment>;
  /** Removes fields (bakeToken, …). */
  clear(id: string, fields: readonly (keyof Deployment)[]): Promise<void>;
  appendTimeline(id: string, entry: TimelineEntry): Promise<void>;
  timeline(id: string): Promise<TimelineEntry[]>;
  list(options?: { group?: string; limit?: number }): Promise<Deployment[]>;
  /**
   * Takes the group lock for `deploymentId` (a conditional write, stamped with the time); idempotent for
   * the same holder. With `replacing`, takes it over from that holder only — the caller decided that
   * holder's lock is stale. Returns the holder.
   */
  lock(group: string, deploymentId: string, options?: { replacing?: string }): Promise<string>;
  /** Who holds the group lock, and since when. */
  lockRecord(group: string): Promise<{ deploymentId: string; since: string } | undefined>;
  /** Releases the lock only if `deploymentId` holds it. */
  unlock(group: string, deploymentId: string): Promise<void>;
  lockHolder(group: string): Promise<string | undefined>;
  /** Every held lock: the active deployment of each busy group. */
  locks(): Promise<{ group: string; deploymentId: string }[]>;
  /**
   * Reserves a place in the group's queue (onBusy: queue, supersede) with one atomic counter update:
   * returns its sequence number — distinct and consecutive across simultaneous callers — or undefined
   * when `maxQueued` places are taken. A reserved place is held until `dequeue` removes its entry, or
   * `releaseQueueSlot` gives it back (a start that failed before writing its entry).
   */
  reserveQueueSlot(group: string, maxQueued: number): Promise<number | undefined>;
  /** Gives back one reserved place. Never below zero. */
  releaseQueueSlot(group: string): Promise<void>;
  /** Writes the queue entry `seq` → `deploymentId` (after its record). Idempotent. */
  enqueue(group: string, seq: number, deploymentId: string): Promise<void>;
  /** The group's queue entries, oldest (lowest seq) first, read consistently. */
  queue(group: string): Promise<{ seq: number; deploymentId: string }[]>;
  /** Removes entry `seq` and frees its place; idempotent (a second call frees nothing). */
  dequeue(group: string, seq: number): Promise<void>;
  hookProgress(id: string, event: string): Promise<HookProgress[] | undefined>;
  saveHookProgress(id: string, event: string, progress: HookProgress[]): Promise<void>;
}

export interface StateChange {
  deploymentId: string;
  /** The release it is a member of, if any. */
  releaseId?: string;
  group: string;
  revision: string;
  status: Status;
  previousStatus: Status | undefined;
  reason?: string;
  at: string;
  /** On ROLLED_BACK: milliseconds from the cause being caught to the routing restored. */
  rollbackMs?: number;
}

/** A deployment waiting at a pause for someone to approve or reject it. */
export interface ApprovalPending {
  deploymentId: string;
  group: string;
  revision: string;
  /** The pause's index in the schedule. */
  stepIndex: number;
  /** The percent held while it waits. */
  percent: number;
  /** Absent: it waits until acted on (at most the execution's limit). */
  timeoutSeconds?: number;
  at: string;
}

/** A release's status changed. */
export interface ReleaseChange {
  releaseId: string;
  name: string;
  status: ReleaseStatus;
  previousStatus: ReleaseStatus | undefined;
  /** Each member: its group, deployment and revision. */
  members: { group: string; deploymentId: string; revision: string }[];
  reason?: string;
  at: string;
}

export interface EventPublisher {
  /** Publishes a "StepShift Deployment State-change Notification". */
  stateChanged(change: StateChange): Promise<void>;
  /** Publishes a "StepShift Deployment Approval Pending" event, on the same bus and source. */
  approvalPending(pending: ApprovalPending): Promise<void>;
  /** Publishes a "StepShift Release State-change Notification", on the same bus and source. */
  releaseChanged(change: ReleaseChange): Promise<void>;
}

/** The release records (on AWS, the deployment table), beside the deployments of their members. */
export interface ReleaseStore {
  /** Creates the record; with an idempotency key, returns the release already made for it instead. */
  create(
    release: Release,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ release: Release; created: boolean }>;
  /** Read consistently: the release workflow judges its waits on it. */
  get(id: string): Promise<Release | undefined>;
  /**
   * Applies `patch`. Conditional writes: with `expectStatus`, only while the status is one of them;
   * `unless` names a field that must be absent (a stop is recorded only while `committedAt` is not, and
   * the commit only while `stopRequest` is not, so exactly one of the two wins). Otherwise throws Conflict.
   */
  update(
    id: string,
    patch: Partial<Release>,
    options?: { expectStatus?: readonly ReleaseStatus[]; unless?: 'committedAt' | 'stopRequest' },
  ): Promise<Release>;
  /** Removes fields (`wait`). */
  clear(id: string, fields: readonly (keyof Release)[]): Promise<void>;
  appendTimeline(id: string, entry: TimelineEntry): Promise<void>;
  timeline(id: string): Promise<TimelineEntry[]>;
  /** Newest first. */
  list(options?: { limit?: number }): Promise<Release[]>;
  /** The release made for an idempotency key, unless the record expired. */
  idempotent(key: string): Promise<{ releaseId: string; requestHash: string } | undefined>;
}

/**
 * Hears of a release member's changes, for the release that may be waiting on them
 * (functions/tasks/release.ts). Idempotent: the release's wait is judged again from what is stored.
 */
export interface ReleaseCoordinator {
  /** A member reached its commit point, or its status changed: its release's wait is judged again. */
  memberChanged(releaseId: string): Promise<void>;
}

/** Ends a waiting bake at once: the callback half of the bake task. */
export interface BakeSignals {
  /** The bake fails with `error` (AlarmFired, StopRequested): the workflow rolls back. */
  fail(token: string, error: string, cause: string): Promise<void>;
  /** The bake ends early with success (promote). */
  succeed(token: string): Promise<void>;
}

/** An execution's input: the deployment, and on a resume the execution's own name (Prepare checks it). */
export type ExecutionInput = {
  deploymentId: string;
  resume?: { execution: string };
};

/** A release execution's input (statemachines/release.asl.json). */
export type ReleaseInput = { releaseId: string };

/** Starts workflow executions. Starting a used name again is a no-op (as StartExecution). */
export interface WorkflowStarter<I = ExecutionInput> {
  start(name: string, input: I): Promise<{ executionArn: string }>;
}

/** An execution's status; NOT_STARTED when no execution of that name exists (yet). */
export type ExecutionStatus = 'NOT_STARTED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';

export const EXECUTION_EVENT_TYPES = [
  'ExecutionStarted',
  'StateEntered',
  'StateExited',
  'StateFailed',
  'StateRetried',
  'StateCaught',
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
] as const;
export type ExecutionEventType = (typeof EXECUTION_EVENT_TYPES)[number];

/**
 * One event of an execution, the same in both modes: what the Step Functions console draws a state's
 * colour from. A state's visit is `StateEntered`, then `StateExited` — or, when it failed, `StateFailed`
 * followed by `StateRetried` (it runs again), `StateCaught` (a Catch moved on: it ends the visit, no
 * `StateExited` follows), or the execution's end.
 */
export interface ExecutionEvent {
  /** AWS's event id; locally numbered from 1 in arrival order. */
  id: number;
  /** ISO (locally: the virtual clock's time). */
  timestamp: string;
  type: ExecutionEventType;
  /** The state's name, for State* events. */
  state?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionPage {
  status: ExecutionStatus;
  /** The execution's ARN, when known. */
  executionArn?: string;
  /** One page, oldest first. */
  events: ExecutionEvent[];
  /** Present when more pages follow; opaque. */
  nextToken?: string;
}

/** Which execution: its name, and its ARN where the deployment recorded one. */
export interface ExecutionRef {
  name: string;
  arn?: string;
}

/** The state events of a workflow execution, page by page. Read-only. */
export interface ExecutionHistory {
  /**
   * One page of the execution's events, oldest first (at most 1000). An execution that does not exist
   * answers NOT_STARTED with no events.
   *
   * @throws ValidationError (path `nextToken`) for a token this history did not give, or that expired.
   */
  page(execution: ExecutionRef, nextToken?: string): Promise<ExecutionPage>;
}

/** Turns an uploaded artifact into a revision: for Lambda, new code published as a version. */
export interface ArtifactPublisher {
  /** UpdateFunctionCode from the S3 object, then PublishVersion; returns the version. Idempotent for the same object. */
  publishLambda(group: LambdaGroup, bucket: string, key: string, objectVersion?: string): Promise<string>;
}

export interface Clock {
  /** Milliseconds since the epoch, on whatever clock the mode runs (virtual in local mode). */
  now(): number;
}

export interface Ports {
  router: TrafficRouter;
  alarms: AlarmWatcher;
  hooks: HookRunner;
  store: DeploymentStore;
  events: EventPublisher;
  clock: Clock;
}
