import { assertNoAlarm } from './check-alarms.ts';
import { load, note, type TaskContext, throwIfInterrupted } from './context.ts';

export interface BakeInput {
  deploymentId: string;
  stepIndex: number;
  bakeSeconds: number;
  taskToken: string;
  /**
   * The ECS termination wait is a bake at 100 %, so an alarm ends it at once too. A release member's
   * commit point (AwaitRelease) runs in the same function: functions/tasks/release.ts.
   */
  purpose?: 'TerminationWait' | 'AwaitRelease';
}

/**
 * Bake, the callback half: stores the task token on the deployment so that an alarm's state-change
 * event, a stop or a promote can end the bake at once, then checks once more for what happened
 * between ShiftTraffic's check and now. Returns `skip` when the deployment was promoted (the caller ends the
 * wait with success); otherwise the wait goes on until the bake time elapses (States.Timeout).
 */
export async function bake(ctx: TaskContext, input: BakeInput): Promise<{ outcome: 'wait' | 'skip' }> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfInterrupted(deployment);
  const what = input.purpose === 'TerminationWait' ? 'termination wait' : `bake at ${deployment.percent} %`;
  const skipped = async () => {
    await note(ctx, deployment.id, 'bake', `${what} skipped: promoted`);
    return { outcome: 'skip' as const };
  };
  if (deployment.promoted) return skipped();
  await ctx.store.update(deployment.id, {
    bakeToken: input.taskToken,
    bakeUntil: new Date(ctx.clock.now() + input.bakeSeconds * 1000).toISOString(),
  });
  await note(
    ctx,
    deployment.id,
    'bake',
    input.purpose === 'TerminationWait'
      ? `termination wait: the old service keeps its tasks ${input.bakeSeconds} s`
      : `baking ${input.bakeSeconds} s at ${deployment.percent} %`,
    { seconds: input.bakeSeconds },
  );
  // A promote, stop or alarm that came while the token was being stored found no token to use.
  const latest = await load(ctx, input.deploymentId);
  throwIfInterrupted(latest);
  await assertNoAlarm(ctx, latest);
  if (latest.promoted) return skipped();
  return { outcome: 'wait' };
}
