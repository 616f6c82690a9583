/**
 * The paths that end a deployment from outside the state machine. A watched alarm entering ALARM
 * fails the bake of every deployment watching it at once, instead of at the next alarm check (ShiftTraffic's). An
 * execution that ends without passing through RollBack (failed, timed out, aborted) is rolled back by
 * the watchdog, so that no group is left half-shifted or locked; and on every end (succeeded too) the
 * watchdog starts the group's next queued deployment — the task functions cannot start executions, the
 * watchdog can (StartExecution on this state machine only). Rule patterns come from
 * functions/core/event-rules.ts.
 *
 * Each function has its own dead-letter queue — `AlarmIntakeDeadLetters`, `ExecutionEndedDeadLetters` —
 * as its on-failure destination (after Lambda's two retries) and as its rules' target DLQ (what
 * EventBridge could not deliver). Separate queues, because what is in them asks for different things:
 * a lost alarm event is late news (ShiftTraffic after each bake reads the alarm anyway), a lost watchdog
 * event is a group left locked or split, to replay at once; and each function may write only its own.
 */
import {
  Duration,
  type aws_lambda as lambda,
  type aws_stepfunctions as sfn,
  type aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { alarmRules, executionEndedRule } from '../functions/core/event-rules.ts';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import { ENV } from '../functions/handlers/context.ts';
import type { NewFunction } from './functions.ts';
import { createRules, deadLetters, failuresTo } from './intake.ts';

export interface AlarmPathProps {
  fn: NewFunction;
  stateMachine: sfn.StateMachine;
  groups: DeploymentGroup[];
}

/** Creates the alarm intake and the execution watchdog, each a function, its rules and its dead letters, in `scope`. */
export function createAlarmPath(
  scope: Construct,
  { fn, stateMachine, groups }: AlarmPathProps,
): {
  alarmIntake: lambda.Function;
  executionEnded: lambda.Function;
  deadLetterQueues: { alarmIntake: sqs.Queue; executionEnded: sqs.Queue };
} {
  const alarmIntake = fn('AlarmIntake', 'alarm-intake.ts', 'alarmHandler');
  const executionEnded = fn('ExecutionEnded', 'execution-ended.ts', 'executionEndedHandler');
  for (const each of [alarmIntake, executionEnded]) {
    each.addEnvironment(ENV.stateMachine, stateMachine.stateMachineArn);
  }
  // The next queued deployment starts when the running one's execution ends (onBusy: queue, supersede).
  stateMachine.grantStartExecution(executionEnded);

  // An alarm event is worth acting on while the bake it should end may still run; past 10 minutes the
  // bake has ended and the next ShiftTraffic (or AfterAllowTraffic) has read the alarm itself.
  const alarmDeadLetters = deadLetters(scope, 'AlarmIntakeDeadLetters');
  failuresTo(alarmIntake, alarmDeadLetters, Duration.minutes(10));
  createRules(
    scope,
    alarmRules(groups),
    new targets.LambdaFunction(alarmIntake, {
      deadLetterQueue: alarmDeadLetters,
      retryAttempts: 4,
      maxEventAge: Duration.minutes(10),
    }),
  );

  const watchdogDeadLetters = deadLetters(scope, 'ExecutionEndedDeadLetters');
  failuresTo(executionEnded, watchdogDeadLetters, Duration.hours(1));
  createRules(
    scope,
    [executionEndedRule(stateMachine.stateMachineArn)],
    new targets.LambdaFunction(executionEnded, {
      deadLetterQueue: watchdogDeadLetters,
      retryAttempts: 4,
      maxEventAge: Duration.hours(1),
    }),
  );
  return {
    alarmIntake,
    executionEnded,
    deadLetterQueues: { alarmIntake: alarmDeadLetters, executionEnded: watchdogDeadLetters },
  };
}
