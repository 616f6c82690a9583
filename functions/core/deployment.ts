/**
 * The deployment: one run of a revision through a group's schedule, and the rules of its status.
 */
import { type AlbRouting, albWholeOn, describeAlbRouting, sameAlbRouting } from './alb.ts';
import type { Schedule } from './planner.ts';

export const STATUSES = [
  'CREATED',
  'IN_PROGRESS',
  'SUCCEEDED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'FAILED',
  'STOPPED',
] as const;
export type Status = (typeof STATUSES)[number];

/** Statuses a deployment never leaves — except STOPPED/FAILED that left a split, by an explicit rollback. */
export const TERMINAL: readonly Status[] = ['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'STOPPED'];

const TRANSITIONS: Record<Status, readonly Status[]> = {
  CREATED: ['IN_PROGRESS', 'FAILED', 'STOPPED', 'ROLLING_BACK'],
  IN_PROGRESS: ['SUCCEEDED', 'ROLLING_BACK', 'FAILED', 'STOPPED'],
  ROLLING_BACK: ['ROLLED_BACK', 'FAILED'],
  SUCCEEDED: [],
  ROLLED_BACK: [],
  FAILED: ['ROLLING_BACK'],
  STOPPED: ['ROLLING_BACK'],
};

export function canTransition(from: Status, to: Status): boolean {
  return from === to || TRANSITIONS[from].includes(to);
}

export function isTerminal(status: Status): boolean {
  return TERMINAL.includes(status);
}

/**
 * Where traffic goes, as the router reports it. For a Lambda alias: the alias's version and the
 * weights of additional versions (AWS allows one). Percent of traffic on a version is the weight × 100.
 */
export interface LambdaRouting {
  kind: 'lambda';
  version: string;
  /** version → weight in [0, 1]; empty when all traffic goes to `version`. */
  additionalVersionWeights: Record<string, number>;
}
/** Where traffic goes: a Lambda alias's split, or the weights of an ALB forward action. */
export type Routing = LambdaRouting | AlbRouting;

export function sameRouting(a: Routing, b: Routing): boolean {
  if (a.kind === 'ecs' || b.kind === 'ecs')
    return a.kind === 'ecs' && b.kind === 'ecs' && sameAlbRouting(a, b);
  const aw = Object.entries(a.additionalVersionWeights).filter(([, w]) => w > 0);
  const bw = Object.entries(b.additionalVersionWeights).filter(([, w]) => w > 0);
  return (
    a.version === b.version &&
    aw.length === bw.length &&
    aw.every(([v, w]) => Math.abs((b.additionalVersionWeights[v] ?? 0) - w) < 1e-9)
  );
}

/** True when all traffic goes to one version. */
export function isWhole(routing: Routing): boolean {
  if (routing.kind === 'ecs') return albWholeOn(routing) !== undefined;
  return Object.values(routing.additionalVersionWeights).every((w) => w === 0);
}

export function describeRouting(routing: Routing): string {
  if (routing.kind === 'ecs') return describeAlbRouting(routing);
  const extra = Object.entries(routing.additionalVersionWeights).filter(([, w]) => w > 0);
  if (extra.length === 0) return `100 % on version ${routing.version}`;
  const rest = 1 - extra.reduce((s, [, w]) => s + w, 0);
  return [
    `${round(rest * 100)} % on version ${routing.version}`,
    ...extra.map(([v, w]) => `${round(w * 100)} % on version ${v}`),
  ].join(', ');
}

const round = (n: number) => Math.round(n * 1000) / 1000;

export type TimelineKind = 'status' | 'shift' | 'hook' | 'alarm' | 'bake' | 'error' | 'info';

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

export interface Deployment {
  id: string;
  group: string;
  kind: 'lambda' | 'ecs';
  /** The revision to deploy: a published version number for Lambda. */
  revision: string;
  configName: string;
  schedule: Schedule;
  alarms: string[];
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
  /** Task token of the bake in progress (AWS callback), so an alarm or a stop can end it at once. */
  bakeToken?: string;
  stopRequest?: StopRequest;
  promoted?: boolean;
  /** Why it ended, when it did not succeed. */
  reason?: string;
  /** Name of the workflow execution. */
  executionName: string;
  /** ECS groups: which service is live and which receives the revision, and how to put things back. */
  ecs?: EcsDeploymentState;
  /** Set once the execution was started, so a redelivered event does not start it again. */
  executionArn?: string;
  /** What started it: the API, or the id of the EventBridge event. */
  trigger?: string;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  description?: string;
}

/**
 * The alias routing that puts `percent` of traffic on `revision` and the rest on the original version.
 * At 100 the alias points at `revision` alone, with no routing config, as CodeDeploy leaves it.
 *
 * @example lambdaRoutingFor({version: '4'}, '5', 10) → version 4, {5: 0.1}
 */
export function lambdaRoutingFor(original: LambdaRouting, revision: string, percent: number): LambdaRouting {
  if (percent >= 100) return { kind: 'lambda', version: revision, additionalVersionWeights: {} };
  if (percent <= 0) return { kind: 'lambda', version: original.version, additionalVersionWeights: {} };
  return {
    kind: 'lambda',
    version: original.version,
    additionalVersionWeights: { [revision]: Math.round(percent * 1000) / 100_000 },
  };
}

/** Percent of traffic the alias routing sends to `revision`. */
export function percentOn(routing: LambdaRouting, revision: string): number {
  const extra = Object.values(routing.additionalVersionWeights).reduce((s, w) => s + w, 0);
  if (routing.version === revision) return Math.round((1 - extra) * 100_000) / 1000;
  return Math.round((routing.additionalVersionWeights[revision] ?? 0) * 100_000) / 1000;
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

/** AWS allows one additional version per alias. */
export const MAX_ADDITIONAL_VERSIONS = 1;

/** The rules UpdateAlias enforces. Returns the broken rule, or undefined. */
export function aliasRuleBroken(routing: LambdaRouting): string | undefined {
  const entries = Object.entries(routing.additionalVersionWeights);
  if (entries.length > MAX_ADDITIONAL_VERSIONS) {
    return `an alias routes to at most ${MAX_ADDITIONAL_VERSIONS} additional version`;
  }
  for (const [version, weight] of entries) {
    if (!(weight >= 0 && weight <= 1)) return `weight ${weight} of version ${version} is outside [0, 1]`;
    if (version === routing.version) {
      return `version ${version} cannot be both the alias's version and its additional version`;
    }
  }
  return undefined;
}
