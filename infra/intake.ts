/**
 * Event intake: one EventBridge rule per declared trigger, all targeting the intake function, which
 * starts a deployment. Events that still fail after EventBridge's retries land in the dead-letter
 * queue rather than vanish, and so do the events the function drops.
 */
import {
  Duration,
  aws_events as events,
  type aws_lambda_nodejs as nodejs,
  type aws_stepfunctions as sfn,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { EVENT_SOURCE } from '../functions/aws/eventbridge.ts';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import { ENV } from '../functions/handlers/context.ts';
import type { NewFunction } from './functions.ts';

type Trigger = DeploymentGroup['triggers'][number];

/** The event pattern of one trigger of `group`. */
function patternOf(group: DeploymentGroup, trigger: Trigger): events.EventPattern {
  switch (trigger.type) {
    case 's3ObjectCreated':
      return {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: {
          bucket: { name: [trigger.bucket] },
          ...(trigger.keyPrefix ? { object: { key: [{ prefix: trigger.keyPrefix }] } } : {}),
        },
      };
    case 'ecrPush':
      return {
        source: ['aws.ecr'],
        detailType: ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': [trigger.repository],
          ...(trigger.tags
            ? { 'image-tag': trigger.tags.map((t) => (t.endsWith('*') ? { prefix: t.slice(0, -1) } : t)) }
            : {}),
        },
      };
    case 'deploymentRequested':
      return {
        source: [EVENT_SOURCE],
        detailType: ['Deployment Requested'],
        detail: { group: [group.name] },
      };
  }
}

export interface IntakeProps {
  fn: NewFunction;
  stateMachine: sfn.StateMachine;
  groups: DeploymentGroup[];
}

/** Creates the dead-letter queue, the intake function and the trigger rules, in `scope`. */
export function createIntake(
  scope: Construct,
  { fn, stateMachine, groups }: IntakeProps,
): { handler: nodejs.NodejsFunction; deadLetterQueue: sqs.Queue } {
  const deadLetterQueue = new sqs.Queue(scope, 'IntakeDeadLetters', {
    retentionPeriod: Duration.days(14),
    enforceSSL: true,
    encryption: sqs.QueueEncryption.SQS_MANAGED,
  });
  const handler = fn('Intake', 'events.ts', 'intakeHandler', Duration.minutes(2));
  handler.addEnvironment(ENV.stateMachine, stateMachine.stateMachineArn);
  stateMachine.grantStartExecution(handler);
  handler.addEnvironment(ENV.deadLetterQueue, deadLetterQueue.queueUrl);
  deadLetterQueue.grantSendMessages(handler);

  const target = new targets.LambdaFunction(handler, {
    deadLetterQueue,
    retryAttempts: 2,
    maxEventAge: Duration.hours(1),
  });
  for (const group of groups) {
    group.triggers.forEach((trigger, i) => {
      // The id is the trigger's position: reordering a group's triggers replaces its rules (they hold no state).
      new events.Rule(scope, `Trigger-${group.name}-${i}`, {
        description: `stepshift: ${trigger.type} starts a deployment of ${group.name}`,
        eventPattern: patternOf(group, trigger),
        targets: [target],
      });
    });
  }
  return { handler, deadLetterQueue };
}
