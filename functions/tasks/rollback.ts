import type { Deployment, Status } from '../core/deployment.ts';
import { describeRouting, sameRouting } from '../core/deployment.ts';
import type { RollbackEvent } from '../core/group-config.ts';
import { journalOf, load, note, platformFor, type TaskContext, transition } from './context.ts';

/** The error a Catch hands over: `{Error, Cause}` as Step Functions shapes it. */
export interface CaughtError {
  Error?: string;
  Cause?: string;
}

export interface RollbackOutput {
  status: Status;
  error: string;
  cause: string;
}

/**
 * RollBack, reached from every Catch. Decides from the error and the group's auto-rollback settings:
 * restore exactly the recorded routing (ROLLED_BACK), or leave the routing as it is, recorded
 * (FAILED, or STOPPED for a stop without rollback) so the next deployment's preflight can name it.
 * `force` (a deployment interrupted by a restart) always restores. Idempotent.
 */
export async function rollback(
  ctx: TaskContext,
  input: {
    deploymentId: string;
    error?: CaughtError;
    force?: boolean;
    /** The execution whose end asks for it (the watchdogs): an earlier run of a resumed deployment asks nothing. */
    execution?: string;
  },
): Promise<RollbackOutput> {
  const caughtAt = ctx.clock.now();
  const deployment = await load(ctx, input.deploymentId);
  const error = input.error?.Error ?? 'Unknown';
  const cause = causeOf(input.error?.Cause) || error;
  const done = (d: Deployment): RollbackOutput => ({ status: d.status, error, cause: d.reason ?? cause });
  // The deployment was resumed under a newer execution since: that one owns it, and the lock.
  if (input.execution !== undefined && input.execution !== deployment.executionName) return done(deployment);
  if (
    deployment.status === 'ROLLED_BACK' ||
    deployment.status === 'SUCCEEDED' ||
    ((deployment.status === 'FAILED' || deployment.status === 'STOPPED') && !input.force)
  ) {
    // Already ended: a retry, or an end written before a crash. The unlock may not have been.
    await ctx.store.unlock(deployment.group, deployment.id);
    return done(deployment);
  }

  await note(ctx, deployment.id, 'error', `${error}: ${cause}`, { error });
  if (!deployment.originalRouting) {
    // Failed before anything moved (busy group, preflight): the lock is released only if it is ours.
    const status = error === 'StopRequested' ? 'STOPPED' : 'FAILED';
    const failed = await transition(ctx, deployment, status, {}, cause);
    await ctx.store.unlock(deployment.group, deployment.id);
    return done(failed);
  }

  const event = rollbackEvent(error);
  // After drift someone else owns the routing now (another group on the same alias, an operator):
  // restoring ours would overwrite their change. The routing is left as found, and said so.
  const drifted = error === 'RoutingDrift' && !input.force;
  // A rejection, or a pause that timed out with onTimeout rollback, asked for exactly this.
  const decided = error === 'ApprovalRejected' || error === 'ApprovalTimedOut';
  // A release is all or nothing: a member that fails is restored whatever its group's auto-rollback
  // says, since its release rolls every other member back (only a stop without rollback leaves it).
  const inRelease = deployment.release !== undefined && event !== 'DEPLOYMENT_STOP_ON_REQUEST';
  const wanted =
    !drifted &&
    (input.force ||
      decided ||
      inRelease ||
      (event === 'DEPLOYMENT_STOP_ON_REQUEST'
        ? deployment.stopRequest?.rollback !== false
        : deployment.autoRollback.enabled && deployment.autoRollback.events.includes(event)));
  const { platform } = platformFor(ctx, deployment);

  if (!wanted) {
    const live = await platform.current();
    const status = event === 'DEPLOYMENT_STOP_ON_REQUEST' ? 'STOPPED' : 'FAILED';
    const ended = await transition(ctx, deployment, status, { lastRouting: live }, cause);
    await note(
      ctx,
      deployment.id,
      'info',
      drifted
        ? `routing left as found: ${describeRouting(live)} — it changed outside stepshift, and restoring the recorded routing would overwrite that change`
        : `routing left as it is: ${describeRouting(live)}`,
      { routing: live },
    );
    await ctx.store.unlock(deployment.group, deployment.id);
    return done(ended);
  }

  const rolling = await transition(ctx, deployment, 'ROLLING_BACK', {}, cause);
  const original = deployment.originalRouting;
  const live = await platform.current();
  const restored = sameRouting(live, original) ? live : await platform.apply(original);
  await note(ctx, deployment.id, 'shift', `routing restored: ${describeRouting(restored)}`, {
    routing: restored,
  });
  await platform.restoreRest(rolling, journalOf(ctx, deployment.id));
  const ended = await transition(ctx, rolling, 'ROLLED_BACK', { lastRouting: restored, percent: 0 }, cause, {
    rollbackMs: Math.round(ctx.clock.now() - caughtAt),
  });
  await ctx.store.unlock(deployment.group, deployment.id);
  return done(ended);
}

export function rollbackEvent(error: string): RollbackEvent {
  // An analysis that found the revision worse than allowed is an alarm on the revision's own metrics.
  if (error === 'AlarmFired' || error === 'AnalysisFailed') return 'DEPLOYMENT_STOP_ON_ALARM';
  if (error === 'StopRequested') return 'DEPLOYMENT_STOP_ON_REQUEST';
  return 'DEPLOYMENT_FAILURE';
}

/** Lambda reports errors as a JSON Cause (`{"errorMessage": …}`); the local engine as the plain message. */
export function causeOf(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string') return parsed.errorMessage;
  } catch {
    // not JSON: the plain message
  }
  return cause;
}
