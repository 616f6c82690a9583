/**
 * The Intake function, an EventBridge target: starts a deployment per trigger event (the rules are built
 * in functions/core/event-rules.ts). EventBridge invokes it asynchronously: an invocation that throws is
 * retried by Lambda twice, then its event goes to the function's on-failure destination, a dead-letter
 * queue (infra/intake.ts) — so a throw means "try again later", never "lose it". A bundle of its own
 * (`HANDLER_FILES` in infra/functions.ts).
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import middy from '@middy/core';
import { handleEvent, type IntakeOutcome } from '../api/intake.ts';
import { type IntakeWiring, intakeContext } from './context.ts';

/**
 * Intake: starts a deployment per trigger event. An event that cannot be used is logged and sent to
 * the dead-letter queue with its reason, and the invocation succeeds — so it is never retried. A
 * transient failure throws: Lambda retries it, then sends it to the same queue.
 */
export function makeIntakeHandler(get: () => IntakeWiring) {
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

export const intakeHandler = middy(makeIntakeHandler(intakeContext));
