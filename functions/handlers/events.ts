/**
 * EventBridge targets: the intake of deployment triggers, the alarm state-change path, and the
 * watchdog for executions that ended outside the RollBack path. The rules that invoke them are built in
 * functions/core/event-rules.ts. EventBridge invokes each asynchronously: an invocation that throws is
 * retried by Lambda twice, then its event goes to the function's on-failure destination, a dead-letter
 * queue (infra/intake.ts, infra/alarm-path.ts) — so a throw means "try again later", never "lose it".
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import * as z from 'zod/mini';
import type { ApiContext } from '../api/context.ts';
import { alarmStateChanged } from '../api/control.ts';
import { handleEvent, type IntakeContext, type IntakeOutcome } from '../api/intake.ts';
import { startNextQueued } from '../api/queue.ts';
import { ALL_ENDED_STATUSES, DETAIL_TYPES, ENDED_STATUSES } from '../core/event-rules.ts';
import { rollback } from '../tasks/rollback.ts';
import { eventsContext } from './context.ts';

/**
 * Intake: starts a deployment per trigger event. An event that cannot be used is logged and sent to
 * the dead-letter queue with its reason, and the invocation succeeds — so it is never retried. A
 * transient failure throws: Lambda retries it, then sends it to the same queue.
 */
export function makeIntakeHandler(
  get: () => { ctx: IntakeContext; sqs: SQSClient; deadLetterQueueUrl: string | undefined },
) {
  return async (event: unknown): Promise<IntakeOutcome> => {
    const { ctx, sqs, deadLetterQueueUrl } = get();
    const outcome = await handleEvent(ctx, event);
    console.log(JSON.stringify({ message: 'intake', ...outcome, eventId: (event as { id?: unknown })?.id }));
    if (outcome.outcome === 'dropped' && deadLetterQueueUrl) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: deadLetterQueueUrl,
          MessageBody: JSON.stringify({ reason: outcome.reason, event }).slice(0, 250_000),
          MessageAttributes: { reason: { DataType: 'String', StringValue: outcome.reason.slice(0, 1000) } },
        }),
      );
    }
    return outcome;
  };
}

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

export const intakeHandler = middy(makeIntakeHandler(eventsContext));
export const alarmHandler = middy(makeAlarmHandler(() => eventsContext().ctx));
export const executionEndedHandler = middy(makeExecutionEndedHandler(() => eventsContext().ctx));
