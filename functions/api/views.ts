/**
 * What an operator watches: the deployments; one deployment with its progress, hooks, live alarm states
 * and analysis checks; its execution's state events; the groups with their live routing, active
 * deployment and last outcome.
 * Read-only. A live read that fails (an alarm, a group's routing) is shown as such in the answer, never
 * a failed request: one unreadable group must not hide the others.
 */
import * as z from 'zod/mini';
import { _coercedNumber } from 'zod/v4/core';
import {
  type AnalysisCheck,
  type AnalysisMetric,
  type CheckTally,
  formatValue,
  type RunPoint,
  type Verdict,
} from '../core/analysis.ts';
import {
  type Deployment,
  describeRouting,
  isTerminal,
  type Status,
  type TimelineEntry,
} from '../core/deployment.ts';
import { NotFound } from '../core/errors.ts';
import { type DeploymentGroup, hookEventsOf } from '../core/groups.ts';
import { type Progress, progressOf } from '../core/progress.ts';
import type { Release, ReleaseMember } from '../core/release.ts';
import { platformOf } from '../platforms/index.ts';
import type { AlarmState, ExecutionEvent, ExecutionStatus, HookProgress } from '../ports.ts';
import { type ApiContext, type DeploymentView, groupFor, parse, view } from './context.ts';
import { type QueuedView, withQueuePositions } from './queue.ts';

export type { QueuedView } from './queue.ts';

/** An alarm's live state; UNREADABLE when it could not be read just now (never "OK" by default). */
export type AlarmView = { name: string; state: AlarmState | 'UNREADABLE' };

export interface DeploymentDetail {
  deployment: DeploymentView;
  timeline: TimelineEntry[];
  progress: Progress;
  /**
   * The API's own time when it answered, which `progress` was computed at: a countdown to `bakeEndsAt`
   * runs from it, not from the reader's clock (local mode's clock is virtual; a laptop's may be off).
   */
  now: string;
  /** The lifecycle events that have hook progress, in workflow order. */
  hooks: { event: string; hooks: HookProgress[] }[];
  /** The deployment's alarms (watched, then ignored), each with its live state. */
  alarmStates: AlarmView[];
  /** One entry per analysis check of the deployment's group, in its order; empty without checks. */
  analysis: AnalysisView[];
}

/** One analysis check of a deployment: what it holds the revision to, its runs so far, and the last. */
export interface AnalysisView {
  check: string;
  metric: AnalysisMetric;
  /** In words, in the metric's unit: `≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %`. */
  condition: string;
  minSamples: number;
  intervalSeconds: number;
  /** Runs of each verdict allowed: one more fails the check (Failed) or does `onInconclusive`/`onError`. */
  limits: { failure: number; inconclusive: number; error: number };
  counts: { runs: number; failed: number; inconclusive: number; errors: number };
  last?: {
    verdict: Verdict;
    value?: number;
    samples: number;
    baseline?: { value?: number; samples: number };
    bound?: number;
    reason: string;
    at: string;
    point: RunPoint;
    percent: number;
  };
}

/** A multiplier as people write it: `1.5`, not `1.5000000000000002`. */
const factor = (tolerance: number) => Number((1 + tolerance).toPrecision(6));

/**
 * A check's condition in words, in its metric's unit: the absolute bound, the relative one, or both.
 *
 * @example {metric: errorRate, max: 0.02, relative: {tolerance: 0.5, slack: 0.005}}
 *   → "≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %"
 */
export function conditionOf(check: Pick<AnalysisCheck, 'metric' | 'max' | 'relative'>): string {
  const parts: string[] = [];
  if (check.max !== undefined) parts.push(`≤ ${formatValue(check.metric, check.max)}`);
  if (check.relative) {
    const { tolerance, slack } = check.relative;
    parts.push(
      `≤ baseline × ${factor(tolerance)}${slack > 0 ? ` + ${formatValue(check.metric, slack)}` : ''}`,
    );
  }
  return parts.length > 0 ? parts.join(' and ') : 'no condition';
}

/**
 * The group's checks as they stand on `deployment`: a check that has not run yet has zero counts and no
 * `last`. The group's checks, not the tally's keys, so a check is listed before its first run.
 */
export function analysisOf(checks: readonly AnalysisCheck[], deployment: Deployment): AnalysisView[] {
  return checks.map((c) => {
    const tally: CheckTally | undefined = deployment.analysis?.[c.name];
    const last = tally?.last;
    return {
      check: c.name,
      metric: c.metric,
      condition: conditionOf(c),
      minSamples: c.minSamples,
      intervalSeconds: c.intervalSeconds,
      limits: { failure: c.failureLimit, inconclusive: c.inconclusiveLimit, error: c.errorLimit },
      counts: {
        runs: tally?.runs ?? 0,
        failed: tally?.failed ?? 0,
        inconclusive: tally?.inconclusive ?? 0,
        errors: tally?.errors ?? 0,
      },
      ...(last
        ? {
            last: {
              verdict: last.verdict,
              ...(last.value !== undefined ? { value: last.value } : {}),
              samples: last.samples,
              ...(last.baseline ? { baseline: last.baseline } : {}),
              ...(last.bound !== undefined ? { bound: last.bound } : {}),
              reason: last.reason,
              at: last.at,
              point: last.point,
              percent: last.percent,
            },
          }
        : {}),
    };
  });
}

export async function getDeployment(ctx: ApiContext, id: string): Promise<DeploymentDetail> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  const now = ctx.clock.now();
  const [timeline, hooks, alarmStates] = await Promise.all([
    ctx.store.timeline(id),
    hooksOf(ctx, deployment),
    alarmStatesOf(ctx, deployment),
  ]);
  const [withPosition = view(ctx, deployment)] = await withQueuePositions(ctx, [deployment]);
  return {
    deployment: withPosition,
    timeline,
    progress: progressOf(deployment, timeline, now),
    now: new Date(now).toISOString(),
    hooks,
    alarmStates,
    analysis: analysisOf(groupOf(ctx, deployment)?.analysis ?? [], deployment),
  };
}

/** The deployment's group as declared now; undefined when the config no longer declares it. */
function groupOf(ctx: ApiContext, deployment: Deployment): DeploymentGroup | undefined {
  return Object.hasOwn(ctx.groups.groups, deployment.group) ? ctx.groups.groups[deployment.group] : undefined;
}

async function hooksOf(ctx: ApiContext, deployment: Deployment): Promise<DeploymentDetail['hooks']> {
  const events = hookEventsOf(deployment.kind);
  const found = await Promise.all(events.map((event) => ctx.store.hookProgress(deployment.id, event)));
  return events.flatMap((event, i) => {
    const hooks = found[i];
    return hooks ? [{ event, hooks }] : [];
  });
}

async function alarmStatesOf(ctx: ApiContext, deployment: Deployment): Promise<AlarmView[]> {
  const names = [...new Set([...deployment.alarms, ...(deployment.ignoredAlarms ?? [])])];
  if (names.length === 0) return [];
  let states: Record<string, AlarmState> | undefined;
  try {
    states = await ctx.alarms.states(names);
  } catch (e) {
    console.error(
      `alarm states of ${deployment.id} unreadable: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return names.map((name) => ({ name, state: states?.[name] ?? 'UNREADABLE' }));
}

export const listQuerySchema = z.strictObject({
  group: z.optional(z.string().check(z.minLength(1))),
  // z.coerce.number() itself: through the `coerce` namespace, esbuild would keep every coercing schema.
  limit: z.optional(_coercedNumber(z.ZodMiniNumber).check(z.int(), z.gte(1), z.lte(100))),
});

/** The newest deployments, of one group or of all, each with its place in the queue while it waits. */
export async function listDeployments(
  ctx: ApiContext,
  query: unknown,
): Promise<{ deployments: QueuedView[] }> {
  const q = parse(listQuerySchema, query, 'invalid query');
  if (q.group !== undefined) groupFor(ctx, q.group);
  const deployments = await ctx.store.list({
    ...(q.group !== undefined ? { group: q.group } : {}),
    limit: q.limit ?? 50,
  });
  return { deployments: await withQueuePositions(ctx, deployments) };
}

/** The page token is the history's own (AWS's wraps AWS's, local mode's is an offset): only its size is checked here. */
export const executionQuerySchema = z.strictObject({
  nextToken: z.optional(/* @__PURE__ */ z.string().check(z.minLength(1), z.maxLength(4096))),
});

export interface ExecutionView {
  executionName: string;
  executionArn?: string;
  status: ExecutionStatus;
  events: ExecutionEvent[];
  nextToken?: string;
}

/** One page of the deployment's execution events, oldest first. */
export async function getExecution(ctx: ApiContext, id: string, query: unknown): Promise<ExecutionView> {
  const q = parse(executionQuerySchema, query, 'invalid query');
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  const page = await ctx.executions.page(
    {
      name: deployment.executionName,
      ...(deployment.executionArn ? { arn: deployment.executionArn } : {}),
    },
    q.nextToken,
  );
  const executionArn = page.executionArn ?? deployment.executionArn;
  return {
    executionName: deployment.executionName,
    ...(executionArn ? { executionArn } : {}),
    status: page.status,
    events: page.events,
    ...(page.nextToken ? { nextToken: page.nextToken } : {}),
  };
}

export interface GroupView {
  name: string;
  kind: DeploymentGroup['kind'];
  deploymentConfig: string;
  alarms: string[];
  description?: string;
  /** Live, read through the group's platform; absent when it could not be read (then `routingError`). */
  routing?: { description: string; revision?: string; percentNew?: number };
  routingError?: string;
  /** The deployment holding the group's lock. */
  active?: { id: string; status: string; percent: number; revision: string };
  /** The newest deployment of the group that ended. */
  last?: { id: string; status: string; revision: string; endedAt?: string };
}

/** How many of a group's newest deployments are looked through for the last one that ended. */
const LAST_LOOKUP = 20;

/** Every declared group, with what is live there now. */
export async function listGroups(ctx: ApiContext): Promise<{ groups: GroupView[] }> {
  const locks = await ctx.store.locks();
  const groups = await Promise.all(
    Object.values(ctx.groups.groups).map(async (g): Promise<GroupView> => {
      const holder = locks.find((l) => l.group === g.name)?.deploymentId;
      const [active, recent] = await Promise.all([
        holder ? ctx.store.get(holder) : undefined,
        ctx.store.list({ group: g.name, limit: LAST_LOOKUP }),
      ]);
      const last = recent.find((d) => isTerminal(d.status));
      return {
        name: g.name,
        kind: g.kind,
        deploymentConfig: g.deploymentConfig.name,
        alarms: g.alarms,
        ...(g.description ? { description: g.description } : {}),
        ...(await routingOf(ctx, g, active)),
        ...(active
          ? {
              active: {
                id: active.id,
                status: active.status,
                percent: active.percent,
                revision: active.revision,
              },
            }
          : {}),
        ...(last
          ? {
              last: {
                id: last.id,
                status: last.status,
                revision: last.revision,
                ...(last.endedAt ? { endedAt: last.endedAt } : {}),
              },
            }
          : {}),
      };
    }),
  );
  return { groups };
}

async function routingOf(
  ctx: ApiContext,
  group: DeploymentGroup,
  active: Deployment | undefined,
): Promise<Pick<GroupView, 'routing' | 'routingError'>> {
  try {
    const platform = platformOf(ctx, group);
    const live = await platform.current();
    const revision = await platform.liveRevision(live);
    const percentNew = active ? platform.percentOn(live, active) : undefined;
    return {
      routing: {
        description: describeRouting(live),
        ...(revision !== undefined ? { revision } : {}),
        ...(percentNew !== undefined ? { percentNew } : {}),
      },
    };
  } catch (e) {
    return { routingError: e instanceof Error ? e.message : String(e) };
  }
}

/*
 * A release as `GET /releases` and `GET /releases/{id}` answer (functions/api/releases.ts builds it): here,
 * with the other views, so that the console reads the same type.
 */

/** A member as an operator reads it: where it is in its own deployment, beside the others. */
export interface ReleaseMemberView extends ReleaseMember {
  status: Status | 'MISSING';
  percent: number;
  stepIndex: number;
  stepCount: number;
  reason?: string;
  /** When it reached its commit point. */
  readyAt?: string;
  endedAt?: string;
}

export interface ReleaseView extends Omit<Release, 'members' | 'wait'> {
  members: ReleaseMemberView[];
  /** What the release waits for now, without its task token. */
  waiting?: { phase: 'wave' | 'end'; wave?: number; since: string };
  executionUrl?: string;
}
