/**
 * Releases (issue 15, docs/decisions/0013): the release state machine (statemachines/release.asl.json),
 * its one function — which starts and stops the members' deployment executions, and is its watchdog —
 * and the API's right to start releases. The same file runs in local mode; only the substitutions differ.
 */
import { fileURLToPath } from 'node:url';
import {
  Duration,
  type aws_lambda as lambda,
  aws_logs as logs,
  Names,
  Stack,
  aws_stepfunctions as sfn,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { releaseEndedRule } from '../functions/core/event-rules.ts';
import { PARTITION_SUBSTITUTION, RELEASE_SUBSTITUTION } from '../functions/core/states.ts';
import { ENV } from '../functions/handlers/context.ts';
import { LOG_RETENTION, type NewFunction } from './functions.ts';
import { createRules, deadLetters, failuresTo } from './intake.ts';

export const RELEASE_ASL_PATH = fileURLToPath(new URL('../statemachines/release.asl.json', import.meta.url));

export interface ReleasesProps {
  fn: NewFunction;
  /** The deployment state machine: the release function starts its members' executions. */
  stateMachine: sfn.StateMachine;
  /** The API function: it starts release executions (POST /releases). */
  api: lambda.Function;
  logLevel: 'ERROR' | 'ALL';
}

/** Creates the release function and state machine, and its watchdog rule, in `scope`. */
export function createReleases(
  scope: Construct,
  { fn, stateMachine, api, logLevel }: ReleasesProps,
): { releaseMachine: sfn.StateMachine; handler: lambda.Function } {
  const handler = fn('Release', 'releases.ts', 'releaseHandler');
  handler.addEnvironment(ENV.stateMachine, stateMachine.stateMachineArn);
  // Members start when their wave comes; a cancelled member frees its group for the next queued one.
  stateMachine.grantStartExecution(handler);

  const logGroup = new logs.LogGroup(scope, 'ReleaseStateMachineLogs', {
    logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(scope, { maxLength: 200, separator: '-' })}-Release`,
    retention: LOG_RETENTION,
  });
  const releaseMachine = new sfn.StateMachine(scope, 'Release', {
    definitionBody: sfn.DefinitionBody.fromFile(RELEASE_ASL_PATH),
    definitionSubstitutions: {
      [PARTITION_SUBSTITUTION]: Stack.of(scope).partition,
      [RELEASE_SUBSTITUTION]: handler.functionArn,
    },
    stateMachineType: sfn.StateMachineType.STANDARD,
    tracingEnabled: true,
    logs: {
      destination: logGroup,
      level: logLevel === 'ALL' ? sfn.LogLevel.ALL : sfn.LogLevel.ERROR,
      includeExecutionData: logLevel === 'ALL',
    },
  });
  handler.grantInvoke(releaseMachine);
  api.addEnvironment(ENV.releaseStateMachine, releaseMachine.stateMachineArn);
  releaseMachine.grantStartExecution(api);

  // A release whose execution ended before it did (stopped in the console, its timeout) is ended by the
  // release function from this event: its members rolled back, its groups freed.
  const watchdogDeadLetters = deadLetters(scope, 'ReleaseExecutionEndedDeadLetters');
  failuresTo(handler, watchdogDeadLetters, Duration.hours(1));
  createRules(
    scope,
    [releaseEndedRule(releaseMachine.stateMachineArn)],
    new targets.LambdaFunction(handler, {
      deadLetterQueue: watchdogDeadLetters,
      retryAttempts: 4,
      maxEventAge: Duration.hours(1),
    }),
  );
  return { releaseMachine, handler };
}
