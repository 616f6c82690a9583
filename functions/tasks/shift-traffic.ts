import { describeRouting, sameRouting } from '../core/deployment.ts';
import { RoutingDrift, StepShiftError } from '../core/errors.ts';
import { rollbackError, runAnalysis } from './analyze.ts';
import { approvalTimedOut, approvalTimeoutSeconds } from './await-approval.ts';
import { assertNoAlarm } from './check-alarms.ts';
import { isoNow, load, note, platformFor, type TaskContext, throwIfInterrupted } from './context.ts';

export interface ShiftOutput {
  stepIndex: number;
  /** The step the next ShiftTraffic sets (the workflow reads it after the bake). */
  nextStepIndex: number;
  percent: number;
  bakeSeconds: number;
  /** The last step: AfterAllowTraffic comes next (after its bake, if it has one). */
  last: boolean;
  /** A pause: no shift; AwaitApproval comes next, with `approvalTimeoutSeconds` as its timeout. */
  pause: boolean;
  approvalTimeoutSeconds?: number;
}

/**
 * ShiftTraffic, one task per step (decision 0008):
 * 1. checks the alarms — the check after the previous bake, which catches alarms already in ALARM
 *    (they send no state-change event) — and a stop request;
 * 2. checks that the live routing is what stepshift last set — anything else is drift, and ends the
 *    deployment in a rollback rather than overwrite someone's change blindly;
 * 3. sets the new revision's share to the step's percent (absolute, so idempotent);
 * 4. checks the alarms again, at the new percent — the check before the bake.
 * With analysis checks, the run at the end of the previous step's bake comes between 1 and 2: it rolls
 * back, lets the shift go on, or extends the bake (the output repeats the step with an interval's bake,
 * and the workflow comes back here after it).
 * A pause step shifts nothing: after the same checks it records the step and hands over to
 * AwaitApproval; the ShiftTraffic after it applies a timed-out pause's `onTimeout`.
 */
export async function shiftTraffic(
  ctx: TaskContext,
  input: { deploymentId: string; stepIndex: number },
): Promise<ShiftOutput> {
  const deployment = await load(ctx, input.deploymentId);
  // The previous bake is over: its token no longer ends anything.
  if (deployment.bakeToken) await ctx.store.clear(deployment.id, ['bakeToken', 'bakeUntil']);
  throwIfInterrupted(deployment);
  const steps = deployment.schedule.steps;
  const step = steps[input.stepIndex];
  const original = deployment.originalRouting;
  if (!step || !original || deployment.status !== 'IN_PROGRESS') {
    throw new StepShiftError(
      `deployment ${deployment.id} cannot shift to step ${input.stepIndex} (${deployment.status})`,
    );
  }
  await assertNoAlarm(ctx, deployment);
  await approvalTimedOut(ctx, deployment);
  const { group, platform } = platformFor(ctx, deployment);
  // The previous step's bake is over: its analysis run decides before traffic moves again. (A resume
  // sets the step it was stopped at again: that bake was cut short and is baked anew, judged at its end.)
  const baked = input.stepIndex > deployment.stepIndex ? steps[deployment.stepIndex] : undefined;
  if (group.analysis.length > 0 && baked && baked.bakeSeconds > 0 && !deployment.promoted) {
    const decision = await runAnalysis(ctx, deployment, 'bake');
    if (decision.action === 'rollback') throw rollbackError(decision);
    if (decision.action === 'extend') {
      await note(
        ctx,
        deployment.id,
        'bake',
        `bake at ${deployment.percent} % extended by ${decision.seconds} s: analysis measures again`,
        { seconds: decision.seconds },
      );
      return {
        stepIndex: deployment.stepIndex,
        nextStepIndex: input.stepIndex,
        percent: deployment.percent,
        bakeSeconds: decision.seconds,
        last: false,
        pause: false,
      };
    }
  }
  if (step.pause) {
    await ctx.store.update(deployment.id, { stepIndex: input.stepIndex });
    return {
      stepIndex: input.stepIndex,
      nextStepIndex: input.stepIndex + 1,
      percent: deployment.percent,
      bakeSeconds: 0,
      last: false,
      pause: true,
      approvalTimeoutSeconds: approvalTimeoutSeconds(step.pause.timeoutSeconds),
    };
  }
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
  const at = isoNow(ctx);
  const shifted = await ctx.store.update(deployment.id, {
    percent: step.percent,
    stepIndex: input.stepIndex,
    lastRouting: routing,
    shiftedAt: at,
    ...(deployment.firstShiftAt ? {} : { firstShiftAt: at }),
  });
  await note(ctx, deployment.id, 'shift', `${step.percent} % on ${platform.receiver(deployment)}`, {
    step: input.stepIndex + 1,
    of: steps.length,
    percent: step.percent,
  });
  throwIfInterrupted(shifted);
  await assertNoAlarm(ctx, shifted);
  return {
    stepIndex: input.stepIndex,
    nextStepIndex: input.stepIndex + 1,
    percent: step.percent,
    bakeSeconds: step.bakeSeconds,
    last: input.stepIndex === steps.length - 1,
    pause: false,
  };
}
