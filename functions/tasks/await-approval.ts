import type { Approval, Deployment } from '../core/deployment.ts';
import { ApprovalTimedOut, StepShiftError } from '../core/errors.ts';
import { EXECUTION_TIMEOUT_SECONDS } from '../core/limits.ts';
import { assertNoAlarm } from './check-alarms.ts';
import { isoNow, load, note, type TaskContext, throwIfInterrupted } from './context.ts';

export interface AwaitApprovalInput {
  deploymentId: string;
  stepIndex: number;
  /** The callback's timeout, as the workflow passed it (see {@link approvalTimeoutSeconds}). */
  timeoutSeconds?: number;
  taskToken: string;
}

/**
 * The callback's timeout for a pause: its own, or — untimed — the execution's limit, which ends the
 * execution first (TimeoutSecondsPath must name a number).
 */
export const approvalTimeoutSeconds = (timeoutSeconds: number | undefined): number =>
  timeoutSeconds ?? EXECUTION_TIMEOUT_SECONDS;

/**
 * AwaitApproval, the callback half of a pause: stores the task token on the deployment (in `bakeToken`,
 * so that a stop or an alarm ends the wait as it ends a bake) with the pending approval, notes it on the
 * timeline and publishes "Approval Pending". Then the wait goes on until the API approves
 * (SendTaskSuccess), rejects (SendTaskFailure `ApprovalRejected`), or the timeout passes
 * (States.Timeout: the next ShiftTraffic applies `onTimeout`, see {@link approvalTimedOut}).
 */
export async function awaitApproval(
  ctx: TaskContext,
  input: AwaitApprovalInput,
): Promise<{ outcome: 'wait' }> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfInterrupted(deployment);
  const pause = deployment.schedule.steps[input.stepIndex]?.pause;
  if (!pause) {
    throw new StepShiftError(`step ${input.stepIndex} of deployment ${deployment.id} is not a pause`);
  }
  const at = isoNow(ctx);
  // A retry of this task (the token stored, the answer lost) keeps the wait that began first.
  const since =
    deployment.approval?.pending && deployment.approval.stepIndex === input.stepIndex
      ? deployment.approval.since
      : at;
  const approval: Approval = {
    pending: true,
    stepIndex: input.stepIndex,
    since,
    ...(pause.timeoutSeconds === undefined ? {} : { timeoutSeconds: pause.timeoutSeconds }),
    onTimeout: pause.onTimeout,
  };
  await ctx.store.update(deployment.id, { bakeToken: input.taskToken, approval }, ['IN_PROGRESS']);
  await note(
    ctx,
    deployment.id,
    'info',
    `approval pending at ${deployment.percent} %${
      pause.timeoutSeconds === undefined
        ? ': waits until approved or rejected'
        : `: ${pause.onTimeout === 'continue' ? 'goes on' : 'rolls back'} after ${pause.timeoutSeconds} s`
    }`,
    {
      stepIndex: input.stepIndex,
      ...(pause.timeoutSeconds === undefined ? {} : { timeoutSeconds: pause.timeoutSeconds }),
    },
  );
  await ctx.events.approvalPending({
    deploymentId: deployment.id,
    group: deployment.group,
    revision: deployment.revision,
    stepIndex: input.stepIndex,
    percent: deployment.percent,
    ...(pause.timeoutSeconds === undefined ? {} : { timeoutSeconds: pause.timeoutSeconds }),
    at,
  });
  // A stop or an alarm that came while the token was being stored found no token to use.
  const latest = await load(ctx, input.deploymentId);
  throwIfInterrupted(latest);
  await assertNoAlarm(ctx, latest);
  return { outcome: 'wait' };
}

/**
 * Called by ShiftTraffic before the step after a pause: a pause still pending there has timed out
 * (an approval ends it `approved`, a rejection never reaches ShiftTraffic). Records `timedOut`, and
 * with `onTimeout: rollback` throws ApprovalTimedOut; with `continue` the shift goes on.
 */
export async function approvalTimedOut(ctx: TaskContext, deployment: Deployment): Promise<void> {
  const approval = deployment.approval;
  if (!approval?.pending) return;
  await ctx.store.update(deployment.id, {
    approval: { ...approval, pending: false, decision: 'timedOut', decidedAt: isoNow(ctx) },
  });
  const waited = approval.timeoutSeconds ?? EXECUTION_TIMEOUT_SECONDS;
  if (approval.onTimeout === 'rollback') {
    throw new ApprovalTimedOut(`nobody approved within ${waited} s at ${deployment.percent} %: rolling back`);
  }
  await note(ctx, deployment.id, 'info', `approval timed out after ${waited} s: going on, as the pause says`);
}
