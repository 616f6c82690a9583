/**
 * The ExecutionEnded function, an EventBridge target: the watchdog for executions that ended outside the
 * RollBack path, and the start of the group's next queued deployment (infra/alarm-path.ts); a throw is
 * retried by Lambda, then dead-lettered. A bundle of its own (`HANDLER_FILES` in infra/functions.ts).
 */
import middy from '@middy/core';
import * as z from 'zod/mini';
import type { ApiContext } from '../api/context.ts';
import { startNextQueued } from '../api/queue.ts';
import { ALL_ENDED_STATUSES, DETAIL_TYPES, ENDED_STATUSES } from '../core/event-rules.ts';
import { rollback } from '../tasks/rollback.ts';
import { apiContext } from './context.ts';

const executionEvent = z.object({
  'detail-type': z.literal(DETAIL_TYPES.executionStatusChange),
  detail: z.object({
    status: z.string(),
    name: z.string(),
    input: z.nullish(z.string()),
    cause: z.nullish(z.string()),
    error: z.nullish(z.string()),
  }),
});

/**
 * An execution that ended FAILED, TIMED_OUT or ABORTED without passing through RollBack (a runtime error,
 * the execution's own timeout, someone stopping it in the console) must not leave a split and a lock:
 * roll it back. rollback() returns at once for a deployment that already ended. Then, however it ended,
 * the group's next queued deployment starts (the task functions cannot start executions: this can). A
 * redelivered event starts nothing twice: the next one holds the lock by then, and its execution name is
 * its id.
 */
export function makeExecutionEndedHandler(get: () => ApiContext) {
  return async (event: unknown): Promise<{ status: string; started?: string } | { ignored: string }> => {
    const parsed = executionEvent.safeParse(event);
    if (!parsed.success) return { ignored: 'not an execution status change' };
    const { status, input, error, cause, name } = parsed.data.detail;
    if (!(ALL_ENDED_STATUSES as readonly string[]).includes(status)) return { ignored: status };
    let deploymentId = name;
    try {
      const parsedInput = JSON.parse(input ?? '{}') as { deploymentId?: unknown };
      if (typeof parsedInput.deploymentId === 'string') deploymentId = parsedInput.deploymentId;
    } catch {
      // the name is the deployment id too
    }
    const ctx = get();
    let ended: string = status;
    if ((ENDED_STATUSES as readonly string[]).includes(status)) {
      ended = (
        await rollback(ctx, {
          deploymentId,
          ...(name ? { execution: name } : {}),
          error: { Error: error ?? `Execution${status}`, Cause: cause ?? `the execution ended ${status}` },
        })
      ).status;
    }
    const next = await startNextQueued(ctx, deploymentId);
    return { status: ended, ...(next ? { started: next.id } : {}) };
  };
}

export const executionEndedHandler = middy(makeExecutionEndedHandler(apiContext));
