import { type Deployment, describeRouting, isWhole, type Routing, sameRouting } from '../core/deployment.ts';
import { Conflict, GroupBusy, PreflightFailed, RoutingDrift } from '../core/errors.ts';
import type { Platform, Preflight } from '../platforms/index.ts';
import { assertNoAlarm } from './check-alarms.ts';
import { load, note, platformFor, type TaskContext, throwIfInterrupted, transition } from './context.ts';
import { acquireLock } from './lock.ts';

export interface PrepareOutput {
  /** Echoed: the workflow's state after Prepare is built from this output alone (ResultPath `$`). */
  deploymentId: string;
  kind: Deployment['kind'];
  stepCount: number;
  /** ECS: how long the old service keeps its tasks after all traffic has moved. */
  terminationWaitSeconds: number;
  /** The step ShiftTraffic sets first: 0, or on a resume the step the deployment was stopped at. */
  nextStepIndex: number;
  /** A resume: the workflow goes straight to ShiftTraffic (hooks and install ran before the stop). */
  resume: boolean;
  /** A release member: after AfterAllowTraffic it holds at its commit point (AwaitRelease). */
  inRelease: boolean;
}

/** What a resumed execution's input carries: its own name, which the API recorded on the deployment. */
export interface ResumeInput {
  execution: string;
}

/**
 * Prepare: takes the group lock, runs the preflight, records the original routing (and, for ECS, which
 * service is live and which receives the revision), IN_PROGRESS. Idempotent: a retry after success finds
 * the lock its own and everything already recorded.
 */
export async function prepare(
  ctx: TaskContext,
  input: { deploymentId: string; resume?: ResumeInput },
): Promise<PrepareOutput> {
  const deployment = await load(ctx, input.deploymentId);
  const { group, platform } = platformFor(ctx, deployment);
  const result: PrepareOutput = {
    deploymentId: deployment.id,
    kind: platform.kind,
    stepCount: deployment.schedule.steps.length,
    terminationWaitSeconds: platform.terminationWaitSeconds(),
    nextStepIndex: 0,
    resume: false,
    inRelease: deployment.release !== undefined,
  };
  if (input.resume) return resume(ctx, deployment, platform, input.resume, result);
  if (deployment.status === 'IN_PROGRESS' && deployment.originalRouting) return result;
  if (deployment.status !== 'CREATED') {
    throw new Conflict(`deployment ${deployment.id} is ${deployment.status}, it cannot be prepared`);
  }
  throwIfInterrupted(deployment);

  const holder = await acquireLock(ctx, group.name, deployment.id);
  if (holder) {
    throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`, { holder });
  }

  const { live, record, notes } = await preflight(ctx, platform, group.name, deployment);
  if (deployment.alarms.length > 0) {
    const states = await ctx.alarms.states(deployment.alarms);
    const missing = Object.entries(states).filter(([, s]) => s === 'MISSING');
    if (missing.length > 0) {
      throw new PreflightFailed(
        `alarm${missing.length > 1 ? 's' : ''} not found: ${missing.map(([n]) => n).join(', ')}`,
      );
    }
  }

  const started = await transition(ctx, deployment, 'IN_PROGRESS', {
    originalRouting: live,
    lastRouting: live,
    percent: 0,
    ...record,
  });
  await note(ctx, deployment.id, 'info', `original routing recorded: ${describeRouting(live)}`, {
    routing: live,
  });
  for (const message of notes) await note(ctx, deployment.id, 'info', message);
  // An alarm already in ALARM sends no state-change event: refuse to move any traffic under it.
  await assertNoAlarm(ctx, started);
  return result;
}

/**
 * Prepare of a resumed execution: carries a deployment stopped without rollback forward from the step it
 * was stopped at. The group must be free and the live routing still what the deployment left (else
 * RoutingDrift: someone changed it since); then STOPPED → IN_PROGRESS, the stop request forgotten, and
 * ShiftTraffic sets that step's percent again (idempotent) and bakes it anew. A refusal clears the
 * request, so that the deployment stays STOPPED and can be resumed again. Idempotent.
 */
async function resume(
  ctx: TaskContext,
  deployment: Deployment,
  platform: Platform,
  request: ResumeInput,
  result: PrepareOutput,
): Promise<PrepareOutput> {
  const carried = { ...result, nextStepIndex: Math.max(deployment.stepIndex, 0), resume: true };
  const ours = deployment.executionName === request.execution;
  if (deployment.status === 'IN_PROGRESS' && ours) {
    // A retry after the resume went through: only the request may still be there to clear.
    if (deployment.resumeRequest) await ctx.store.clear(deployment.id, ['resumeRequest']);
    return carried;
  }
  try {
    if (
      deployment.status !== 'STOPPED' ||
      !ours ||
      deployment.resumeRequest?.execution !== request.execution
    ) {
      throw new Conflict(
        `deployment ${deployment.id} is ${deployment.status}: execution ${request.execution} cannot resume it`,
      );
    }
    const { lastRouting, originalRouting } = deployment;
    if (!lastRouting || !originalRouting || deployment.stepIndex < 0) {
      throw new Conflict(`deployment ${deployment.id} never moved traffic: there is nothing to resume`);
    }
    const holder = await acquireLock(ctx, deployment.group, deployment.id);
    if (holder) {
      throw new GroupBusy(`group ${deployment.group} is busy: deployment ${holder} is in progress`, {
        holder,
      });
    }
    const live = await platform.current();
    if (!sameRouting(live, lastRouting)) {
      throw new RoutingDrift(
        `the routing changed since the stop: it was left ${describeRouting(lastRouting)}, it is now ${describeRouting(live)}`,
        { expected: lastRouting, live },
      );
    }
  } catch (e) {
    if (deployment.resumeRequest?.execution === request.execution) {
      await ctx.store.clear(deployment.id, ['resumeRequest']);
      await note(
        ctx,
        deployment.id,
        'error',
        `resume refused: ${e instanceof Error ? e.message : String(e)}`,
      );
    }
    throw e;
  }
  const by = deployment.resumeRequest?.by;
  await ctx.store.clear(deployment.id, [
    'stopRequest',
    'reason',
    'endedAt',
    'bakeToken',
    'bakeUntil',
    'alarmFired',
  ]);
  const resumed = await transition(ctx, deployment, 'IN_PROGRESS');
  await ctx.store.clear(deployment.id, ['resumeRequest']);
  const step = deployment.schedule.steps[carried.nextStepIndex];
  await note(
    ctx,
    deployment.id,
    'info',
    `resumed${by ? ` by ${by}` : ''} from step ${carried.nextStepIndex + 1} of ${deployment.schedule.steps.length} (${step?.percent ?? deployment.percent} %)`,
    { execution: request.execution, ...(by ? { by } : {}) },
  );
  await assertNoAlarm(ctx, resumed);
  return carried;
}

/**
 * The checks before a deployment (at the API, and again at Prepare): the live routing sends all traffic
 * to one place — a split left by a stopped or failed deployment is named, with the way out — and the
 * platform's own checks pass. Read-only.
 */
export async function preflight(
  ctx: TaskContext,
  platform: Platform,
  groupName: string,
  deployment: Pick<Deployment, 'id' | 'revision'>,
): Promise<Preflight> {
  const live = await platform.current();
  await assertWhole(ctx, platform, groupName, live);
  return platform.inspect(deployment, live);
}

async function assertWhole(ctx: TaskContext, platform: Platform, groupName: string, live: Routing) {
  if (isWhole(live)) return;
  const leftBy = (await ctx.store.list({ group: groupName, limit: 20 })).find(
    (d) => (d.status === 'STOPPED' || d.status === 'FAILED') && d.lastRouting && !isWhole(d.lastRouting),
  );
  const where = describeRouting(live);
  const { router, unit } = platform.words;
  throw new PreflightFailed(
    leftBy
      ? `${router} is split (${where}): deployment ${leftBy.id} was ${leftBy.status.toLowerCase()} at ${leftBy.percent} % and left it so. Roll it back with \`stepshift rollback ${leftBy.id}\` (POST /deployments/${leftBy.id}/rollback), or finish the split by hand, then deploy again.`
      : `${router} is split (${where}): a deployment starts only from all traffic on one ${unit}`,
    { routing: live, ...(leftBy ? { leftBy: leftBy.id } : {}) },
  );
}
