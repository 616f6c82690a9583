/**
 * The deployment: one run of a revision through a group's schedule, and the rules of its status.
 */
import { type AlbRouting, albWholeOn, describeAlbRouting, sameAlbRouting } from './alb.ts';
import { aliasWholeOn, describeAliasRouting, type LambdaRouting, sameAliasRouting } from './alias.ts';

import type { AnalysisTally } from './analysis.ts';
import type { DeploymentConfig } from './configs.ts';
import type { Schedule } from './planner.ts';

export const STATUSES = [
  'QUEUED',
  'CREATED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'FAILED',
  'STOPPED',
  'CANCELLED',
] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses a deployment never leaves — except STOPPED/FAILED that left a split, by an explicit rollback. */
export const TERMINAL: readonly Status[] = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'STOPPED', 'CANCELLED'];

const TRANSITIONS: Record<Status, readonly Status[]> = {
  // A queued deployment waits for its group (onBusy: queue or supersede): it is started (CREATED) when
  // it reaches the head of the queue and the group is free, or cancelled before that.
  QUEUED: ['CREATED', 'CANCELLED'],
  // CANCELLED: a release member whose wave never started (its release rolled back or stopped first).
  CREATED: ['IN_PROGRESS', 'FAILED', 'STOPPED', 'ROLLING_BACK', 'CANCELLED'],
  IN_PROGRESS: ['SUCCEEDED', 'ROLLING_BACK', 'FAILED', 'STOPPED'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  SUCCEEDED: [],
  ROLLED_BACK: [],
  FAILED: ['ROLLING_BACK'],
  // IN_PROGRESS only by a resume (POST /deployments/{id}/resume): the routing it left is carried forward.
  STOPPED: ['ROLLING_BACK', 'IN_PROGRESS'],
  CANCELLED: [],
};

export function canTransition(from: Status, to: Status): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function isTerminal(status: Status): boolean {
  return TERMINAL.includes(status);
}

/** Where traffic goes: a Lambda alias's split, or the weights of an ALB forward action. */
export type Routing = LambdaRouting | AlbRouting;

/**
 * The pure rules of each kind of routing, in one table: the one place core looks a routing's kind up
 * (the platforms own everything else a kind changes).
 */
const RULES: { [K in Routing['kind']]: RoutingRules<Extract<Routing, { kind: K }>> } = {
  lambda: { same: sameAliasRouting, wholeOn: aliasWholeOn, describe: describeAliasRouting },
  ecs: { same: sameAlbRouting, wholeOn: albWholeOn, describe: (r) => describeAlbRouting(r) },
};

interface RoutingRules<R extends Routing> {
  same(a: R, b: R): boolean;
  /** Where all traffic goes, if to one place. */
  wholeOn(routing: R): string | undefined;
  describe(routing: R): string;
}

const rulesOf = <R extends Routing>(routing: R) => RULES[routing.kind] as unknown as RoutingRules<R>;

/** Same split; routings of different kinds are never the same. */
export function sameRouting(a: Routing, b: Routing): boolean {
  return a.kind === b.kind && rulesOf(a).same(a, b);
}

/** True when all traffic goes to one version or target group. */
export function isWhole(routing: Routing): boolean {
  return rulesOf(routing).wholeOn(routing) !== undefined;
}

export function describeRouting(routing: Routing): string {
  return rulesOf(routing).describe(routing);
}

export type TimelineKind = 'status' | 'shift' | 'hook' | 'alarm' | 'analysis' | 'bake' | 'error' | 'info';

export interface TimelineEntry {
  at: string;
  kind: TimelineKind;
  message: string;
  details?: Record<string, unknown>;
}

export interface StopRequest {
  rollback: boolean;
  at: string;
  reason?: string;
}

/** How a pause ended: a person approved or rejected it, or its timeout passed. */
export type ApprovalDecision = 'approved' | 'rejected' | 'timedOut';

/**
 * A pause of the schedule: `pending` while AwaitApproval holds the task token (in `bakeToken`, so a
 * stop or an alarm ends the wait as it ends a bake), then decided.
 */
export interface Approval {
  pending: boolean;
  /** The pause's index in the schedule. */
  stepIndex: number;
  /** When the wait began (ISO). */
  since: string;
  timeoutSeconds?: number;
  onTimeout: 'rollback' | 'continue';
  decision?: ApprovalDecision;
  decidedAt?: string;
  /** The reason a rejection gave. */
  reason?: string;
}

export interface Deployment {
  id: string;
  group: string;
  kind: 'lambda' | 'ecs';
  /** The revision to deploy: a published version number for Lambda. */
  revision: string;
  configName: string;
  schedule: Schedule;
  alarms: string[];
  /** Alarms not watched because they were in ALARM at the start and the request said to ignore them; each is watched again once OK. */
  ignoredAlarms?: string[];
  /** The first watched alarm seen entering ALARM, outside a bake: the next task rolls back. */
  alarmFired?: { alarm: string; at: string };
  autoRollback: { enabled: boolean; events: string[] };
  status: Status;
  /** Percent of traffic on the new revision, as last set. */
  percent: number;
  /** Index in the schedule of the last step applied; -1 before the first shift. */
  stepIndex: number;
  /** The routing before the first shift: what a rollback restores, exactly. */
  originalRouting?: Routing;
  /** The routing stepshift last set: the drift check compares the live routing with it. */
  lastRouting?: Routing;
  /** When the last shift happened (ISO): analysis windows start there. */
  shiftedAt?: string;
  /** When the first shift happened: at 100 %, the baseline is measured over a window ending here. */
  firstShiftAt?: string;
  /** Each analysis check's runs so far, and its last measurement. */
  analysis?: AnalysisTally;
  /** The final analysis run (at 100 %) passed: AfterAllowTraffic's hooks may run. */
  finalAnalysisPassed?: boolean;
  /** When the bake in progress ends (ISO): from then on, its own end-of-bake run judges it, not the ticker. */
  bakeUntil?: string;
  /** Task token of the bake in progress (AWS callback), so an alarm or a stop can end it at once. */
  bakeToken?: string;
  stopRequest?: StopRequest;
  /** The last pause reached (issue 14): waiting while `pending`, then how it was decided. */
  approval?: Approval;
  promoted?: boolean;
  /** Why it ended, when it did not succeed. */
  reason?: string;
  /** Name of the workflow execution: after a resume, the resume's. */
  executionName: string;
  /** Every execution run for it, oldest first, once it has been resumed (the first is the original). */
  executions?: { name: string; startedAt: string }[];
  /** A resume asked for and not yet taken up by its execution's Prepare (which clears it). */
  resumeRequest?: { execution: string; at: string; by?: string };
  /** The config it was started with, resolved: what a retry deploys again. */
  config?: DeploymentConfig;
  /** The FAILED or ROLLED_BACK deployment this one retries (same group, revision and config). */
  retryOf?: string;
  /** The SUCCEEDED deployment whose revision this one deploys again (`redeploy`). */
  redeployOf?: string;
  /** ECS groups: which service is live and which receives the revision, and how to put things back. */
  ecs?: EcsDeploymentState;
  /** Set once the execution was started, so a redelivered event does not start it again. */
  executionArn?: string;
  /**
   * Its place in the group's queue, when it was queued: a sequence number taken with one atomic counter
   * update, so simultaneous starts get distinct, consecutive numbers. The position an operator sees is
   * its rank among the group's deployments still QUEUED.
   */
  queueSeq?: number;
  /** What it asked for when its group was busy (the request's, else the group's). */
  onBusy?: 'reject' | 'queue' | 'supersede';
  /** The release it is a member of (functions/core/release.ts), and its wave there. */
  release?: { id: string; wave: number };
  /**
   * A release member held at its commit point (the AwaitRelease state, its token in `bakeToken`) since
   * then (ISO): at 100 %, hooks passed, waiting for the release to commit or roll back.
   */
  releaseReadyAt?: string;
  /** What started it: the API, or the id of the EventBridge event. */
  trigger?: string;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  description?: string;
}

/** What an ECS deployment records at Prepare, so every later task and the rollback know the roles. */
export interface EcsDeploymentState {
  activeService: string;
  idleService: string;
  activeTargetGroup: string;
  idleTargetGroup: string;
  /** The revision's task definition: the one given, or the one registered for an image. */
  taskDefinition?: string;
  /** The image to register, when the revision is an image. */
  image?: string;
  /** The live service's task definition (the base an image is registered from). */
  activeTaskDefinition: string;
  /** Running tasks of the live service: the new service starts with as many. */
  desiredCount: number;
  /** The idle service as it was, to put back on rollback. */
  idleOriginal: { taskDefinition: string; desiredCount: number };
  /** The test listener's weights before, when there is one. */
  originalTestRouting?: AlbRouting;
  installStartedAt?: string;
}
