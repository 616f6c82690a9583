/**
 * The tasks of statemachines/release.asl.json: a release's waves, its commit and its rollback. They
 * start the members' executions and stop them, so they run with the API's context (as the watchdog
 * does), on AWS in one function (functions/handlers/releases.ts), locally in the local engine.
 *
 * PrepareRelease → StartWave → AwaitWave → (more waves: StartWave) → Commit → AwaitEnd → EndRelease;
 * any failure → RollBackRelease → AwaitRollback → EndRelease. See docs/decisions/0013.
 */
import type { Deployment } from '../core/deployment.ts';
import { Conflict, MemberFailed, StepShiftError, StopRequested } from '../core/errors.ts';
import {
  failureOf,
  isReleaseEnded,
  memberEnded,
  memberFailed,
  memberReady,
  type Release,
  type ReleaseStatus,
  type ReleaseWait,
} from '../core/release.ts';
import type { ReleaseStore } from '../ports.ts';
import { isoNow, note, transition } from '../tasks/context.ts';
import { endRelease, judgeRelease, loadRelease, noteRelease, transitionRelease } from '../tasks/release.ts';
import type { CaughtError } from '../tasks/rollback.ts';
import { causeOf } from '../tasks/rollback.ts';
import type { ApiContext } from './context.ts';
import { dequeueNext } from './queue.ts';

/** What the release's tasks run with: the API's ports and the release records. */
export interface ReleaseContext extends ApiContext {
  releases: ReleaseStore;
}

const membersOf = (ctx: ReleaseContext, release: Release) =>
  Promise.all(release.members.map((m) => ctx.store.get(m.deploymentId)));

const groupsOfWave = (release: Release, wave: number) =>
  release.members.filter((m) => m.wave === wave).map((m) => m.group);

/** Throws what ends the waves early: a stop request, or a member that will not reach its commit point. */
function throwIfEnded(release: Release, members: readonly (Deployment | undefined)[]): void {
  if (release.stopRequest) {
    throw new StopRequested(
      `release stop requested (${release.stopRequest.rollback ? 'with' : 'without'} rollback)`,
    );
  }
  const failed = release.members.findIndex((_, i) => memberFailed(members[i]));
  const spec = release.members[failed];
  if (spec) throw new MemberFailed(failureOf(spec.group, members[failed]));
}

/** PrepareRelease: IN_PROGRESS. Its output opens the wave loop. Idempotent. */
export async function prepareRelease(
  ctx: ReleaseContext,
  input: { releaseId: string },
): Promise<{ releaseId: string; waveCount: number; next: number }> {
  const release = await loadRelease(ctx, input.releaseId);
  if (release.status === 'CREATED') await transitionRelease(ctx, release, 'IN_PROGRESS');
  else if (release.status !== 'IN_PROGRESS') {
    throw new Conflict(`release ${release.id} is ${release.status}: it cannot be started`);
  }
  throwIfEnded(release, await membersOf(ctx, release));
  return { releaseId: release.id, waveCount: release.waveCount, next: Math.max(0, release.wave) };
}

/**
 * StartWave: starts the executions of the wave's members (each one's name is its deployment id, so a
 * retry starts nothing twice). Returns where the loop goes next.
 */
export async function startWave(
  ctx: ReleaseContext,
  input: { releaseId: string; wave: number },
): Promise<{ index: number; next: number; last: boolean }> {
  const release = await loadRelease(ctx, input.releaseId);
  throwIfEnded(release, await membersOf(ctx, release));
  const index = input.wave;
  if (release.wave < index) {
    await ctx.releases.update(release.id, { wave: index }, { expectStatus: ['IN_PROGRESS'] });
    await noteRelease(
      ctx,
      release.id,
      'info',
      `wave ${index + 1} of ${release.waveCount} started: ${groupsOfWave(release, index).join(', ')}`,
      { wave: index },
    );
  }
  for (const member of release.members.filter((m) => m.wave === index)) {
    const d = await ctx.store.get(member.deploymentId);
    if (d?.status !== 'CREATED' || d.executionArn) continue;
    const { executionArn } = await ctx.workflow.start(d.executionName, { deploymentId: d.id });
    await ctx.store.update(d.id, { executionArn });
  }
  return { index, next: index + 1, last: index + 1 >= release.waveCount };
}

export interface AwaitMembersInput {
  releaseId: string;
  phase: ReleaseWait['phase'];
  /** With phase `wave`: which. */
  wave?: number;
  taskToken: string;
}

/**
 * AwaitWave, AwaitEnd and AwaitRollback, the callback half: records what the release waits for with
 * the task token, then judges the wait at once (its members may be there already). From then on every
 * member change judges it again (functions/tasks/release.ts), and the one that finds it over ends it.
 */
export async function awaitMembers(
  ctx: ReleaseContext,
  input: AwaitMembersInput,
): Promise<{ outcome: 'wait' }> {
  const wait: ReleaseWait =
    input.phase === 'wave' ? { phase: 'wave', wave: input.wave ?? 0 } : { phase: 'end' };
  await ctx.releases.update(input.releaseId, {
    wait: { ...wait, token: input.taskToken, since: isoNow(ctx) },
  });
  await judgeRelease(ctx, input.releaseId);
  return { outcome: 'wait' };
}

/**
 * Commit, the point of no return: every member holds at its commit point, so each is told to finalize.
 * A conditional write: of a commit and a stop of the release sent together, exactly one wins.
 */
export async function commitRelease(
  ctx: ReleaseContext,
  input: { releaseId: string },
): Promise<{ committed: true }> {
  const release = await loadRelease(ctx, input.releaseId);
  const members = await membersOf(ctx, release);
  if (!release.committedAt) {
    throwIfEnded(release, members);
    const waiting = release.members.filter((_, i) => !memberReady(members[i]));
    if (waiting.length > 0) {
      throw new StepShiftError(
        `release ${release.id} cannot commit: ${waiting.map((m) => m.group).join(', ')} not at the commit point`,
      );
    }
    try {
      await ctx.releases.update(release.id, { committedAt: isoNow(ctx) }, { unless: 'stopRequest' });
    } catch (e) {
      if (e instanceof Conflict) throw new StopRequested(`release ${release.id}: ${e.message}`);
      throw e;
    }
    await noteRelease(
      ctx,
      release.id,
      'info',
      `committed: every member at its commit point; finalizing ${release.members.map((m) => m.group).join(', ')}`,
    );
  }
  for (const d of members) {
    if (d?.status === 'IN_PROGRESS' && d.releaseReadyAt && d.bakeToken) {
      await note(ctx, d.id, 'info', `release ${release.name} committed: finalizing`, {
        releaseId: release.id,
      });
      await ctx.bakes.succeed(d.bakeToken);
    }
  }
  return { committed: true };
}

/**
 * RollBackRelease, from every Catch: every member not yet started is cancelled (it never starts), and
 * every member still running is stopped — with rollback, whatever its group's auto-rollback says, so
 * that every member that moved traffic gets back to its recorded routing; without, when the release
 * was stopped without rollback. Members that ended are left as they are. Idempotent.
 */
export async function rollBackRelease(
  ctx: ReleaseContext,
  input: { releaseId: string; error?: CaughtError },
): Promise<{ status: ReleaseStatus }> {
  let release = await loadRelease(ctx, input.releaseId);
  if (isReleaseEnded(release.status)) return { status: release.status };
  // Past the commit every member was told to finalize: nothing is stopped, the end is awaited.
  if (release.committedAt) {
    await noteRelease(
      ctx,
      release.id,
      'error',
      `after the commit: ${causeOf(input.error?.Cause) || input.error?.Error}`,
    );
    return { status: release.status };
  }
  const members = await membersOf(ctx, release);
  const rollback = !(release.stopRequest && !release.stopRequest.rollback);
  const error = input.error?.Error ?? 'Unknown';
  const why = causeOf(input.error?.Cause) || error;
  const failed = release.members.findIndex((_, i) => memberFailed(members[i]));
  const spec = release.members[failed];
  const member = members[failed];
  const cause =
    spec && member && !release.cause && error !== 'StopRequested'
      ? {
          cause: {
            deploymentId: spec.deploymentId,
            group: spec.group,
            status: member.status,
            ...(member.reason ? { reason: member.reason } : {}),
          },
        }
      : {};
  await noteRelease(ctx, release.id, 'error', `${error}: ${why}`, { error });
  if (rollback) release = await transitionRelease(ctx, release, 'ROLLING_BACK', cause, why);
  else if (cause.cause) release = await ctx.releases.update(release.id, cause);
  const what = rollback ? 'rolled back' : 'stopped';
  for (const d of members) {
    if (!d) continue;
    if (d.status === 'CREATED' && !d.executionArn) {
      try {
        await transition(ctx, d, 'CANCELLED', {}, `release ${release.name} ${what} before its wave started`);
      } catch (e) {
        if (!(e instanceof Conflict)) throw e;
        continue; // started meanwhile: stopped on the next pass (StartWave cannot run now)
      }
      await ctx.store.unlock(d.group, d.id);
      await dequeueNext(ctx, d.group);
      continue;
    }
    if ((d.status === 'CREATED' || d.status === 'IN_PROGRESS') && !d.stopRequest) {
      // The release's own stop says so once; a member's failure is named.
      const reason =
        error === 'StopRequested'
          ? `release ${release.name} ${what}${release.stopRequest?.reason ? `: ${release.stopRequest.reason}` : ''}`
          : `release ${release.name} ${what}: ${why}`;
      await requestStop(ctx, d, { rollback, reason });
    }
  }
  return { status: release.status };
}

/**
 * Records a stop on a running deployment and ends its wait at once (a bake, a pause, its commit point):
 * what `POST /deployments/{id}/stop` does. A deployment that ended meanwhile is left alone.
 */
export async function requestStop(
  ctx: ApiContext,
  d: Deployment,
  stop: { rollback: boolean; reason?: string },
): Promise<Deployment | undefined> {
  let updated: Deployment;
  try {
    updated = await ctx.store.update(
      d.id,
      {
        stopRequest: {
          rollback: stop.rollback,
          at: isoNow(ctx),
          ...(stop.reason ? { reason: stop.reason } : {}),
        },
      },
      ['CREATED', 'IN_PROGRESS'],
    );
  } catch (e) {
    if (e instanceof Conflict) return undefined;
    throw e;
  }
  const message = `stop requested (${stop.rollback ? 'with' : 'without'} rollback)${stop.reason ? `: ${stop.reason}` : ''}`;
  await note(ctx, d.id, 'info', message);
  if (updated.bakeToken) await ctx.bakes.fail(updated.bakeToken, 'StopRequested', message);
  return updated;
}

export { endRelease, loadRelease, noteRelease, transitionRelease };

/**
 * The release's execution ended before the release did (someone stopped it in the Step Functions
 * console, a runtime error, its timeout): its members must not hold at their commit point, nor its
 * groups stay locked by members that will never start. It is marked orphaned and rolled back as its own
 * RollBackRelease would (after a commit, the members finalize on their own); the last member to end ends
 * it (functions/tasks/release.ts). Idempotent.
 */
export async function releaseExecutionEnded(
  ctx: ReleaseContext,
  releaseId: string,
  why: string,
): Promise<{ status: ReleaseStatus }> {
  const release = await ctx.releases.get(releaseId);
  if (!release || isReleaseEnded(release.status)) return { status: release?.status ?? 'FAILED' };
  if (!release.orphanedAt) {
    await ctx.releases.update(releaseId, { orphanedAt: isoNow(ctx) });
    await noteRelease(ctx, releaseId, 'error', `its execution ended: ${why}`);
  }
  await ctx.releases.clear(releaseId, ['wait']);
  await rollBackRelease(ctx, { releaseId, error: { Error: 'ReleaseExecutionEnded', Cause: why } });
  const members = await membersOf(ctx, release);
  if (members.every(memberEnded)) return endRelease(ctx, { releaseId });
  return { status: (await loadRelease(ctx, releaseId)).status };
}
