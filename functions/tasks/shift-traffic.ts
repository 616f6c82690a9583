import { describeRouting, sameRouting } from '../core/deployment.ts';
import { RoutingDrift, StepShiftError } from '../core/errors.ts';
import { load, note, platformFor, type TaskContext, throwIfInterrupted } from './context.ts';

export interface ShiftOutput {
  stepIndex: number;
  percent: number;
  bakeSeconds: number;
}

/**
 * ShiftTraffic: sets the new revision's share to the step's percent (absolute, so idempotent), after
 * checking that the live routing is what stepshift last set — anything else is drift, and ends the
 * deployment in a rollback rather than overwrite someone's change blindly.
 */
export async function shiftTraffic(
  ctx: TaskContext,
  input: { deploymentId: string; stepIndex: number },
): Promise<ShiftOutput> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfInterrupted(deployment);
  const step = deployment.schedule.steps[input.stepIndex];
  const original = deployment.originalRouting;
  if (!step || !original || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(
      `deployment ${deployment.id} cannot shift to step ${input.stepIndex} (${deployment.status})`,
    );
  }
  const { platform } = platformFor(ctx, deployment);
  const target = platform.target(deployment, step.percent);
  const live = await platform.current();
  const expected = deployment.lastRouting ?? original;
  if (!sameRouting(live, expected) && !sameRouting(live, target)) {
    throw new RoutingDrift(
      `the routing changed outside stepshift: expected ${describeRouting(expected)}, found ${describeRouting(live)}`,
      { expected, live },
    );
  }
  const routing = sameRouting(live, target) ? live : await platform.apply(target);
  await ctx.store.update(deployment.id, {
    percent: step.percent,
    stepIndex: input.stepIndex,
    lastRouting: routing,
  });
  await note(ctx, deployment.id, 'shift', `${step.percent} % on ${platform.receiver(deployment)}`, {
    step: input.stepIndex + 1,
    of: deployment.schedule.steps.length,
    percent: step.percent,
  });
  return { stepIndex: input.stepIndex, percent: step.percent, bakeSeconds: step.bakeSeconds };
}
