/**
 * A release member's side of its release (functions/core/release.ts): the commit point, where the
 * member holds at 100 % until its release commits or rolls back, and the coordinator that tells the
 * release of every change of a member it may be waiting on.
 */
import type { TimelineEntry } from '../core/deployment.ts';
import { NotFound, StepShiftError } from '../core/errors.ts';
import {
  canReleaseTransition,
  isReleaseEnded,
  judge,
  memberEnded,
  outcomeOf,
  RELEASE_STATUSES,
  type Release,
  type ReleaseStatus,
} from '../core/release.ts';
import type {
  BakeSignals,
  Clock,
  DeploymentStore,
  EventPublisher,
  ReleaseCoordinator,
  ReleaseStore,
} from '../ports.ts';
import { assertNoAlarm } from './check-alarms.ts';
import { isoNow, load, note, type TaskContext, throwIfInterrupted } from './context.ts';

export interface AwaitReleaseInput {
  deploymentId: string;
  taskToken: string;
}

/**
 * AwaitRelease, the callback half of a member's commit point: at 100 %, its AfterAllowTraffic hooks and
 * checks passed, the member stores its task token (in `bakeToken`, so that a stop or an alarm ends the
 * wait as it ends a bake: the member rolls back) and says it is ready; its release's wait is judged
 * again. The release's commit ends the wait with success (on to Finalize); the release's rollback with
 * a stop. Returns `skip` when the release has committed already (a retry of this task): the caller ends
 * the wait itself. Idempotent.
 */
export async function awaitRelease(
  ctx: TaskContext,
  input: AwaitReleaseInput,
): Promise<{ outcome: 'wait' | 'skip' }> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfInterrupted(deployment);
  if (!deployment.release || !ctx.releases) {
    throw new StepShiftError(`deployment ${deployment.id} is not a member of a release`);
  }
  const release = await ctx.releases.get(deployment.release.id);
  if (!release) throw new NotFound(`no release ${deployment.release.id}`);
  if (release.committedAt) return { outcome: 'skip' };
  await ctx.store.update(
    deployment.id,
    { bakeToken: input.taskToken, releaseReadyAt: deployment.releaseReadyAt ?? isoNow(ctx) },
    ['IN_PROGRESS'],
  );
  if (!deployment.releaseReadyAt) {
    await note(
      ctx,
      deployment.id,
      'info',
      `at its commit point (${deployment.percent} %): holds until every member of release ${release.name} (${release.id}) is at its own, then finalizes — or rolls back with them`,
      { releaseId: release.id },
    );
  }
  // A stop or an alarm that came while the token was being stored found no token to use.
  const latest = await load(ctx, input.deploymentId);
  throwIfInterrupted(latest);
  await assertNoAlarm(ctx, latest);
  await ctx.releaseCoordinator?.memberChanged(release.id);
  return { outcome: 'wait' };
}

/** What judging a release's wait reads, writes and signals through. */
export interface ReleaseRecordContext {
  store: Pick<DeploymentStore, 'get'>;
  releases: ReleaseStore;
  bakes: BakeSignals;
  events: EventPublisher;
  clock: Clock;
}

export async function loadRelease(ctx: ReleaseRecordContext, id: string): Promise<Release> {
  const release = await ctx.releases.get(id);
  if (!release) throw new NotFound(`no release ${id}`);
  return release;
}

export async function noteRelease(
  ctx: ReleaseRecordContext,
  id: string,
  kind: TimelineEntry['kind'],
  message: string,
  details?: Record<string, unknown>,
): Promise<void> {
  await ctx.releases.appendTimeline(id, {
    at: new Date(ctx.clock.now()).toISOString(),
    kind,
    message,
    ...(details ? { details } : {}),
  });
}

/**
 * Moves the release to `to` (conditionally, from the statuses that may lead there), records it on its
 * timeline and publishes "StepShift Release State-change Notification". A no-op when already there.
 */
export async function transitionRelease(
  ctx: ReleaseRecordContext,
  release: Release,
  to: ReleaseStatus,
  patch: Partial<Release> = {},
  reason?: string,
): Promise<Release> {
  if (release.status === to) return ctx.releases.update(release.id, patch);
  const at = new Date(ctx.clock.now()).toISOString();
  const ended = isReleaseEnded(to);
  const updated = await ctx.releases.update(
    release.id,
    { ...patch, status: to, ...(reason ? { reason } : {}), ...(ended ? { endedAt: at } : {}) },
    { expectStatus: RELEASE_STATUSES.filter((s) => canReleaseTransition(s, to)) },
  );
  await noteRelease(ctx, release.id, 'status', `${release.status} → ${to}${reason ? `: ${reason}` : ''}`, {
    from: release.status,
    to,
  });
  await ctx.events.releaseChanged({
    releaseId: release.id,
    name: release.name,
    status: to,
    previousStatus: release.status,
    members: release.members.map((m) => ({
      group: m.group,
      deploymentId: m.deploymentId,
      revision: m.revision,
    })),
    ...(reason ? { reason } : {}),
    at,
  });
  return updated;
}

/** EndRelease: once every member has ended, how the release ended (core's `outcomeOf`). Idempotent. */
export async function endRelease(
  ctx: ReleaseRecordContext,
  input: { releaseId: string },
): Promise<{ status: ReleaseStatus; reason?: string }> {
  const release = await loadRelease(ctx, input.releaseId);
  if (isReleaseEnded(release.status)) {
    return { status: release.status, ...(release.reason ? { reason: release.reason } : {}) };
  }
  const members = await Promise.all(release.members.map((m) => ctx.store.get(m.deploymentId)));
  const running = release.members.filter((_, i) => !memberEnded(members[i]));
  if (running.length > 0) {
    throw new StepShiftError(
      `release ${release.id} cannot end: ${running.map((m) => m.group).join(', ')} still running`,
    );
  }
  const outcome = outcomeOf(release, members);
  await ctx.releases.clear(release.id, ['wait']);
  await transitionRelease(ctx, release, outcome.status, {}, outcome.reason);
  return outcome;
}

/**
 * Judges the release's wait again from what is stored, and ends it through its task token when it is
 * over. Any number of callers may do this at once for one wait: each signals what the stored state
 * says, and a token whose task already ended ignores a second signal (AWS answers TaskTimedOut, and
 * every wait has a token of its own). Returns the verdict.
 */
export async function judgeRelease(
  ctx: ReleaseRecordContext,
  releaseId: string,
): Promise<'none' | 'wait' | 'on' | 'fail'> {
  const release = await ctx.releases.get(releaseId);
  if (!release) return 'none';
  const members = await Promise.all(release.members.map((m) => ctx.store.get(m.deploymentId)));
  if (!release.wait) {
    // Its execution ended before it did (aborted in the console, timed out): the last member to end ends it.
    if (release.orphanedAt && !isReleaseEnded(release.status) && members.every(memberEnded)) {
      await endRelease(ctx, { releaseId: release.id });
    }
    return 'none';
  }
  const judgement = judge(release, release.wait, members);
  if (judgement.verdict === 'on') await ctx.bakes.succeed(release.wait.token);
  if (judgement.verdict === 'fail')
    await ctx.bakes.fail(release.wait.token, judgement.error, judgement.cause);
  return judgement.verdict;
}

/** The coordinator the tasks are given: every member change judges its release's wait again. */
export function releaseCoordinator(ctx: ReleaseRecordContext): ReleaseCoordinator {
  return {
    memberChanged: async (releaseId) => {
      await judgeRelease(ctx, releaseId);
    },
  };
}
