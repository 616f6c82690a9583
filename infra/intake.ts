/**
 * Event intake: one EventBridge rule per declared trigger (patterns from functions/core/event-rules.ts,
 * the same ones local mode routes by), all targeting the intake function, which starts a deployment.
 *
 * Nothing it is given is lost. The `IntakeDeadLetters` queue receives, each with its reason:
 * - the events the function drops (malformed, for no group, a busy group, an artifact Lambda rejects):
 *   the function sends `{reason, event}` itself;
 * - the events the function failed on (it threw: throttling, an outage), after Lambda's two retries:
 *   the function's on-failure destination sends Lambda's invocation record;
 * - the events EventBridge could not hand to Lambda at all, after its own retries: the rule target's
 *   dead-letter queue — which alone would miss the two cases above, Lambda being invoked asynchronously.
 */
import {
  Duration,
  aws_lambda_destinations as destinations,
  aws_events as events,
  type aws_lambda as lambda,
  type aws_stepfunctions as sfn,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { INTAKE_TIMEOUT_SECONDS } from '../functions/api/intake.ts';
import { type EventPattern, type EventRule, triggerRules } from '../functions/core/event-rules.ts';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import { ENV } from '../functions/handlers/context.ts';
import type { NewFunction } from './functions.ts';

export interface IntakeProps {
  fn: NewFunction;
  stateMachine: sfn.StateMachine;
  groups: DeploymentGroup[];
}

/** Creates the dead-letter queue, the intake function and the trigger rules, in `scope`. */
export function createIntake(
  scope: Construct,
  { fn, stateMachine, groups }: IntakeProps,
): { handler: lambda.Function; deadLetterQueue: sqs.Queue } {
  const deadLetterQueue = deadLetters(scope, 'IntakeDeadLetters');
  const handler = fn('Intake', 'intake.ts', 'intakeHandler', Duration.seconds(INTAKE_TIMEOUT_SECONDS));
  handler.addEnvironment(ENV.stateMachine, stateMachine.stateMachineArn);
  stateMachine.grantStartExecution(handler);
  handler.addEnvironment(ENV.deadLetterQueue, deadLetterQueue.queueUrl);
  deadLetterQueue.grantSendMessages(handler);
  // An hour covers Lambda's two retries (1 and 2 minutes apart) and throttling; an S3 artifact's claim
  // (ARTIFACT_CLAIM_SECONDS) has long expired by the last one.
  failuresTo(handler, deadLetterQueue, Duration.hours(1));

  const target = new targets.LambdaFunction(handler, {
    deadLetterQueue,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
  });
  // The id is the trigger's position: reordering a group's triggers replaces its rules (they hold no state).
  createRules(scope, triggerRules(groups), target);
  return { handler, deadLetterQueue };
}

/** Creates `rules` in `scope`, each under its id, all invoking `target`. */
export function createRules(scope: Construct, rules: readonly EventRule[], target: events.IRuleTarget): void {
  for (const rule of rules) {
    new events.Rule(scope, rule.id, {
      description: rule.description,
      eventPattern: cdkEventPattern(rule.pattern),
      targets: [target],
    });
  }
}

/**
 * A dead-letter queue: kept 14 days (the SQS maximum), encrypted at rest (SSE-SQS, which EventBridge and
 * Lambda destinations can write without a key policy), and refusing requests without TLS.
 */
export function deadLetters(scope: Construct, id: string): sqs.Queue {
  return new sqs.Queue(scope, id, {
    retentionPeriod: Duration.days(14),
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
  });
}

/**
 * Sends the events `handler` keeps failing on to `queue`: Lambda retries an asynchronous invocation that
 * throws twice, then passes its invocation record (the event under `requestPayload`) to the on-failure
 * destination — also for an event older than `maxEventAge`. Grants the function SendMessage on the queue.
 */
export function failuresTo(handler: lambda.Function, queue: sqs.IQueue, maxEventAge: Duration): void {
  handler.configureAsyncInvoke({
    onFailure: new destinations.SqsDestination(queue),
    retryAttempts: 2,
    maxEventAge,
  });
}

/** A pattern of functions/core/event-rules.ts in CDK's shape, which spells `detail-type` `detailType`. */
export function cdkEventPattern({ 'detail-type': detailType, ...rest }: EventPattern): events.EventPattern {
  return { ...rest, ...(detailType === undefined ? {} : { detailType: detailType as string[] }) };
}
