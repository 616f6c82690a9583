/**
 * What an operator watches: one deployment with its progress, hooks and live alarm states; its
 * execution's state events; the groups with their live routing, active deployment and last outcome.
 * Read-only. A live read that fails (an alarm, a group's routing) is shown as such in the answer, never
 * a failed request: one unreadable group must not hide the others.
 */
import * as z from 'zod/mini';
import { type Deployment, describeRouting, isTerminal, type TimelineEntry } from '../core/deployment.ts';
import { NotFound } from '../core/errors.ts';
import { type DeploymentGroup, hookEventsOf } from '../core/group-config.ts';
import { type Progress, progressOf } from '../core/progress.ts';
import { platformOf } from '../platforms/index.ts';
import type { AlarmState, ExecutionEvent, ExecutionStatus, HookProgress } from '../ports.ts';
import { type ApiContext, type DeploymentView, parse, view } from './context.ts';

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
  return {
    deployment: view(ctx, deployment),
    timeline,
    progress: progressOf(deployment, timeline, now),
    now: new Date(now).toISOString(),
    hooks,
    alarmStates,
  };
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

/** The page token is the history's own (AWS's wraps AWS's, local mode's is an offset): only its size is checked here. */
export const executionQuerySchema = z.strictObject({
  nextToken: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
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
