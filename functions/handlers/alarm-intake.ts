/**
 * The AlarmIntake function, an EventBridge target: a CloudWatch alarm's state change fails at once the
 * bakes that watch it (infra/alarm-path.ts); a throw is retried by Lambda, then dead-lettered. A bundle of
 * its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import * as z from 'zod/mini';
import type { ApiContext } from '../api/context.ts';
import { alarmStateChanged } from '../api/control.ts';
import { DETAIL_TYPES } from '../core/event-rules.ts';
import { apiContext } from './context.ts';

const alarmEvent = z.object({
  'detail-type': z.literal(DETAIL_TYPES.alarmStateChange),
  detail: z.object({ alarmName: z.string().check(z.minLength(1)), state: z.object({ value: z.string() }) }),
});

/** CloudWatch "Alarm State Change" → every baking deployment that watches the alarm fails at once. */
export function makeAlarmHandler(get: () => ApiContext) {
  return async (event: unknown): Promise<{ ended: number }> => {
    const parsed = alarmEvent.safeParse(event);
    if (!parsed.success) {
      console.log(
        JSON.stringify({ message: 'not an alarm state change; ignored', issues: parsed.error.issues.length }),
      );
      return { ended: 0 };
    }
    return {
      ended: await alarmStateChanged(get(), parsed.data.detail.alarmName, parsed.data.detail.state.value),
    };
  };
}

export const alarmHandler = middy(makeAlarmHandler(apiContext));
