import { describeRouting, sameRouting } from '../core/deployment.ts';
import { RoutingDrift, StepShiftError } from '../core/errors.ts';
import {
  ecsGroupOf,
  ecsPorts,
  load,
  note,
  type TaskContext,
  throwIfStopRequested,
  transition,
} from './context.ts';
import { routingOps } from './routing.ts';

/**
 * Finalize: all traffic on the revision. A Lambda deployment ends here: SUCCEEDED, lock released.
 * An ECS deployment keeps the old service running for the termination wait (a rollback in that window
 * is instant), then ScaleDownOld ends it. Idempotent.
 */
export async function finalize(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ status: string }> {
  const deployment = await load(ctx, input.deploymentId);
  if (deployment.status === 'SUCCEEDED') return { status: deployment.status };
  throwIfStopRequested(deployment);
  if (!deployment.originalRouting || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(`deployment ${deployment.id} cannot be finalized (${deployment.status})`);
  }
  const ops = routingOps(ctx, deployment);
  const target = ops.target(100);
  const live = await ops.current();
  if (!sameRouting(live, target)) {
    if (!deployment.lastRouting || !sameRouting(live, deployment.lastRouting)) {
      throw new RoutingDrift(`the routing changed outside stepshift: found ${describeRouting(live)}`);
    }
    const routing = await ops.apply(target);
    await ctx.store.update(deployment.id, { lastRouting: routing, percent: 100 });
    await note(
      ctx,
      deployment.id,
      'shift',
      `100 % on ${deployment.ecs?.idleService ?? `version ${deployment.revision}`}`,
    );
  }
  if (deployment.kind === 'ecs') {
    await ctx.store.update(deployment.id, { percent: 100 });
    await note(
      ctx,
      deployment.id,
      'info',
      `all traffic on ${deployment.ecs?.idleService}; the old service is kept for the termination wait`,
    );
    return { status: deployment.status };
  }
  await transition(ctx, deployment, 'SUCCEEDED', { percent: 100 });
  await ctx.store.unlock(deployment.group, deployment.id);
  return { status: 'SUCCEEDED' };
}

/** ScaleDownOld (ECS): after the termination wait, the old service goes to zero tasks; SUCCEEDED. */
export async function scaleDownOld(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ status: string }> {
  const deployment = await load(ctx, input.deploymentId);
  if (deployment.status === 'SUCCEEDED') return { status: deployment.status };
  throwIfStopRequested(deployment);
  const ecs = deployment.ecs;
  if (!ecs || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(
      `deployment ${deployment.id} has no old service to scale down (${deployment.status})`,
    );
  }
  const group = ecsGroupOf(ctx, deployment);
  await ecsPorts(ctx).scaler.update(group.target.cluster, ecs.activeService, { desiredCount: 0 });
  await note(ctx, deployment.id, 'info', `${ecs.activeService} scaled to 0 after the termination wait`);
  await transition(ctx, deployment, 'SUCCEEDED', { percent: 100 });
  await ctx.store.unlock(deployment.group, deployment.id);
  return { status: 'SUCCEEDED' };
}
