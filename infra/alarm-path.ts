/**
 * The paths that end a deployment from outside the state machine. A watched alarm entering ALARM
 * fails the bake of every deployment watching it at once, instead of at the next CheckAlarms. An
 * execution that ends without passing through RollBack (failed, timed out, aborted) is rolled back by
 * the watchdog, so that no group is left half-shifted or locked.
 */
import {
  Duration,
  aws_events as events,
  type aws_lambda_nodejs as nodejs,
  type aws_stepfunctions as sfn,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import { ENV } from '../functions/handlers/context.ts';
import type { NewFunction } from './functions.ts';

export interface AlarmPathProps {
  fn: NewFunction;
  stateMachine: sfn.StateMachine;
  groups: DeploymentGroup[];
}

/** Creates the alarm intake and the execution watchdog, each a function and its rule, in `scope`. */
export function createAlarmPath(
  scope: Construct,
  { fn, stateMachine, groups }: AlarmPathProps,
): { alarmIntake: nodejs.NodejsFunction; executionEnded: nodejs.NodejsFunction } {
  const alarmIntake = fn('AlarmIntake', 'events.ts', 'alarmHandler');
  const executionEnded = fn('ExecutionEnded', 'events.ts', 'executionEndedHandler');
  for (const each of [alarmIntake, executionEnded]) {
    each.addEnvironment(ENV.stateMachine, stateMachine.stateMachineArn);
  }

  const alarmNames = [...new Set(groups.flatMap((g) => g.alarms))];
  if (alarmNames.length > 0) {
    new events.Rule(scope, 'AlarmStateChange', {
      description: 'stepshift: a watched alarm entering ALARM ends the bake of the deployments watching it',
      eventPattern: {
        source: ['aws.cloudwatch'],
        detailType: ['CloudWatch Alarm State Change'],
        detail: { alarmName: alarmNames, state: { value: ['ALARM'] } },
      },
      targets: [
        new targets.LambdaFunction(alarmIntake, { retryAttempts: 4, maxEventAge: Duration.minutes(10) }),
      ],
    });
  }
  new events.Rule(scope, 'ExecutionEnded', {
    description: 'stepshift: an execution that ended outside RollBack is rolled back',
    eventPattern: {
      source: ['aws.states'],
      detailType: ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [stateMachine.stateMachineArn],
      },
    },
    targets: [
      new targets.LambdaFunction(executionEnded, { retryAttempts: 4, maxEventAge: Duration.hours(1) }),
    ],
  });
  return { alarmIntake, executionEnded };
}
