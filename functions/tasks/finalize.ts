import { describeRouting, lambdaRoutingFor, sameRouting } from '../core/deployment.ts';
import { RoutingDrift, StepShiftError } from '../core/errors.ts';
import { lambdaGroupOf, load, note, type TaskContext, throwIfStopRequested, transition } from './context.ts';

/** Finalize: all traffic on the revision, the lock released, SUCCEEDED. Idempotent. */
export async function finalize(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ status: string }> {
  const deployment = await load(ctx, input.deploymentId);
  if (deployment.status === 'SUCCEEDED') return { status: deployment.status };
  throwIfStopRequested(deployment);
  const original = deployment.originalRouting;
  if (!original || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(`deployment ${deployment.id} cannot be finalized (${deployment.status})`);
  }
  const group = lambdaGroupOf(ctx, deployment);
  const target = lambdaRoutingFor(original, deployment.revision, 100);
  const live = await ctx.router.current(group);
  if (!sameRouting(live, target)) {
    if (!deployment.lastRouting || !sameRouting(live, deployment.lastRouting)) {
      throw new RoutingDrift(`the alias changed outside stepshift: found ${describeRouting(live)}`);
    }
    const routing = await ctx.router.shiftTo(group, original, deployment.revision, 100);
    await ctx.store.update(deployment.id, { lastRouting: routing, percent: 100 });
    await note(ctx, deployment.id, 'shift', `100 % on version ${deployment.revision}`);
  }
  await transition(ctx, deployment, 'SUCCEEDED', { percent: 100 });
  await ctx.store.unlock(deployment.group, deployment.id);
  return { status: 'SUCCEEDED' };
}
