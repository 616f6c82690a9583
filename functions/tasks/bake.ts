import { assertNoAlarm } from './check-alarms.ts';
import { load, note, type TaskContext, throwIfStopRequested } from './context.ts';

export interface BakeInput {
  deploymentId: string;
  stepIndex: number;
  bakeSeconds: number;
  taskToken: string;
}

/**
 * Bake, the callback half: stores the task token on the deployment so that an alarm's state-change
 * event, a stop or a promote can end the bake at once, then checks once more for what happened
 * between CheckAlarms and now. Returns `skip` when the deployment was promoted (the caller ends the
 * wait with success); otherwise the wait goes on until the bake time elapses (States.Timeout).
 */
export async function bake(ctx: TaskContext, input: BakeInput): Promise<{ outcome: 'wait' | 'skip' }> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfStopRequested(deployment);
  if (deployment.promoted) {
    await note(ctx, deployment.id, 'bake', `bake at ${deployment.percent} % skipped: promoted`);
    return { outcome: 'skip' };
  }
  await ctx.store.update(deployment.id, { bakeToken: input.taskToken });
  await note(ctx, deployment.id, 'bake', `baking ${input.bakeSeconds} s at ${deployment.percent} %`, {
    seconds: input.bakeSeconds,
  });
  const latest = await load(ctx, input.deploymentId);
  throwIfStopRequested(latest);
  await assertNoAlarm(ctx, latest);
  return { outcome: 'wait' };
}
