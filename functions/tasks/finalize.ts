import { type Deployment, describeRouting, sameRouting } from '../core/deployment.ts';
import { RoutingDrift, StepShiftError } from '../core/errors.ts';
import { assertNoAlarm } from './check-alarms.ts';
import {
  journalOf,
  load,
  note,
  platformFor,
  type TaskContext,
  throwIfInterrupted,
  transition,
} from './context.ts';
import { blueGreenOf } from './install.ts';

/**
 * Finalize: all traffic on the revision. Where the platform retires nothing (Lambda), the deployment
 * ends here: SUCCEEDED, lock released. Where it does (ECS), the old side keeps running for the
 * termination wait (a rollback in that window is instant), then ScaleDownOld ends it. Idempotent.
 */
export async function finalize(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ status: string }> {
  const deployment = await load(ctx, input.deploymentId);
  if (deployment.status === 'SUCCEEDED') return ended(ctx, deployment);
  throwIfInterrupted(deployment);
  await assertNoAlarm(ctx, deployment);
  if (!deployment.originalRouting || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(`deployment ${deployment.id} cannot be finalized (${deployment.status})`);
  }
  // A release member's commit point ended with its token used: nothing may signal it again.
  if (deployment.bakeToken) await ctx.store.clear(deployment.id, ['bakeToken']);
  const { platform } = platformFor(ctx, deployment);
  const target = platform.target(deployment, 100);
  const live = await platform.current();
  if (!sameRouting(live, target)) {
    if (!deployment.lastRouting || !sameRouting(live, deployment.lastRouting)) {
      throw new RoutingDrift(`the routing changed outside stepshift: found ${describeRouting(live)}`);
    }
    const routing = await platform.apply(target);
    await ctx.store.update(deployment.id, { lastRouting: routing, percent: 100 });
    await note(ctx, deployment.id, 'shift', `100 % on ${platform.receiver(deployment)}`);
  }
  const { done, notes } = platform.afterFullTraffic(deployment);
  if (!done) {
    await ctx.store.update(deployment.id, { percent: 100 });
    for (const message of notes) await note(ctx, deployment.id, 'info', message);
    return { status: deployment.status };
  }
  await transition(ctx, deployment, 'SUCCEEDED', { percent: 100 });
  await ctx.store.unlock(deployment.group, deployment.id);
  return { status: 'SUCCEEDED' };
}

/** ScaleDownOld (blue/green): after the termination wait, the side that was live is retired; SUCCEEDED. */
export async function scaleDownOld(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ status: string }> {
  const deployment = await load(ctx, input.deploymentId);
  if (deployment.status === 'SUCCEEDED') return ended(ctx, deployment);
  throwIfInterrupted(deployment);
  // The last look before the old side goes: an alarm during the termination wait still rolls back.
  await assertNoAlarm(ctx, deployment);
  if (!deployment.ecs || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(
      `deployment ${deployment.id} has no old service to scale down (${deployment.status})`,
    );
  }
  await blueGreenOf(ctx, deployment).retire(deployment, journalOf(ctx, deployment.id));
  await transition(ctx, deployment, 'SUCCEEDED', { percent: 100 });
  await ctx.store.unlock(deployment.group, deployment.id);
  return { status: 'SUCCEEDED' };
}

/** A retry after SUCCEEDED was written: the unlock may not have been, so it is made (idempotent) again. */
async function ended(ctx: TaskContext, deployment: Deployment): Promise<{ status: string }> {
  await ctx.store.unlock(deployment.group, deployment.id);
  return { status: deployment.status };
}
