import type { Deployment } from '../core/deployment.ts';
import { AlarmFired, StepShiftError } from '../core/errors.ts';
import { note, type TaskContext } from './context.ts';

/** An alarm could not be read: not "OK", and not "ALARM" either. Rolls back as a failure. */
export class AlarmUnreadable extends StepShiftError {
  override name = 'AlarmUnreadable';
}

/**
 * Watched alarms in ALARM → AlarmFired; an alarm that cannot be read → AlarmUnreadable. An alarm ignored
 * at the start (it was in ALARM and this deployment is the fix) is watched again from the first check
 * that finds it OK.
 */
export async function assertNoAlarm(ctx: TaskContext, deployment: Deployment): Promise<void> {
  const ignored = deployment.ignoredAlarms ?? [];
  if (deployment.alarms.length === 0 && ignored.length === 0) return;
  const states = await ctx.alarms.states([...deployment.alarms, ...ignored]);
  const rearmed = ignored.filter((a) => states[a] === 'OK');
  const alarms = [...deployment.alarms, ...rearmed];
  if (rearmed.length > 0) {
    await ctx.store.update(deployment.id, {
      alarms,
      ignoredAlarms: ignored.filter((a) => !rearmed.includes(a)),
    });
    for (const alarm of rearmed)
      await note(ctx, deployment.id, 'alarm', `${alarm} is OK again: watched from now on`, { alarm });
  }
  const firing = alarms.filter((a) => states[a] === 'ALARM');
  if (firing.length > 0) {
    await note(ctx, deployment.id, 'alarm', `${firing.join(', ')} in ALARM at ${deployment.percent} %`, {
      alarms: firing,
    });
    throw new AlarmFired(`alarm ${firing.join(', ')} in ALARM`, { alarms: firing });
  }
  const missing = alarms.filter((a) => states[a] === 'MISSING' || states[a] === undefined);
  if (missing.length > 0) throw new AlarmUnreadable(`alarm ${missing.join(', ')} could not be read`);
}
