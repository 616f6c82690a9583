import type { Deployment } from '../core/deployment.ts';
import { AlarmFired, StepShiftError } from '../core/errors.ts';
import { load, note, type TaskContext, throwIfStopRequested } from './context.ts';

/** An alarm could not be read: not "OK", and not "ALARM" either. Rolls back as a failure. */
export class AlarmUnreadable extends StepShiftError {
  override name = 'AlarmUnreadable';
}

/**
 * CheckAlarms: after every shift and every bake, catches alarms already in ALARM (they send no
 * state-change event) and stop requests made outside a bake.
 */
export async function checkAlarms(ctx: TaskContext, input: { deploymentId: string }): Promise<{ ok: true }> {
  const deployment = await load(ctx, input.deploymentId);
  if (deployment.bakeToken) await ctx.store.clear(deployment.id, ['bakeToken']);
  throwIfStopRequested(deployment);
  await assertNoAlarm(ctx, deployment);
  return { ok: true };
}

export async function assertNoAlarm(ctx: TaskContext, deployment: Deployment): Promise<void> {
  if (deployment.alarms.length === 0) return;
  const states = await ctx.alarms.states(deployment.alarms);
  const firing = deployment.alarms.filter((a) => states[a] === 'ALARM');
  if (firing.length > 0) {
    await note(ctx, deployment.id, 'alarm', `${firing.join(', ')} in ALARM at ${deployment.percent} %`, {
      alarms: firing,
    });
    throw new AlarmFired(`alarm ${firing.join(', ')} in ALARM`, { alarms: firing });
  }
  const missing = deployment.alarms.filter((a) => states[a] === 'MISSING' || states[a] === undefined);
  if (missing.length > 0) throw new AlarmUnreadable(`alarm ${missing.join(', ')} could not be read`);
}
