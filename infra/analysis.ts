/**
 * Canary analysis between a bake's start and its end (docs/analysis.md): a scheduled rule calls the
 * Analyze function every minute, which runs the checks whose interval has passed for every deployment
 * that is baking, and ends a bake at once (SendTaskFailure, AnalysisFailed) when a check fails past its
 * limit — as the alarm path does for an alarm. The runs at a bake's end and at 100 % are ShiftTraffic's
 * and AfterAllowTraffic's; no state of the workflow is added, so no transition either.
 *
 * Created only where a group declares checks: a config without analysis costs nothing, not even an idle
 * invocation a minute. A missed minute needs no retry and no dead letters: the next one comes, and the
 * run at the bake's end reads the whole bake anyway.
 */
import {
  Duration,
  aws_events as events,
  type aws_lambda as lambda,
  type aws_stepfunctions as sfn,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import type { NewFunction } from './functions.ts';

/** How often the rule runs the interval checks: CloudWatch's Lambda and ALB metrics come a minute at a time. */
export const ANALYSIS_TICK = Duration.minutes(1);

export function hasAnalysis(groups: readonly DeploymentGroup[]): boolean {
  return groups.some((g) => g.analysis.length > 0);
}

/** The Analyze function and its schedule, in `scope`; nothing when no group declares checks. */
export function createAnalysisTicker(
  scope: Construct,
  { fn, groups }: { fn: NewFunction; stateMachine: sfn.StateMachine; groups: DeploymentGroup[] },
): lambda.Function | undefined {
  if (!hasAnalysis(groups)) return undefined;
  const analyze = fn('Analyze', 'analyze.ts', 'analyzeBakesHandler');
  new events.Rule(scope, 'AnalysisSchedule', {
    description:
      'stepshift: runs the canary analysis checks that are due, every minute, while a deployment bakes',
    schedule: events.Schedule.rate(ANALYSIS_TICK),
    targets: [new targets.LambdaFunction(analyze, { retryAttempts: 0, maxEventAge: ANALYSIS_TICK })],
  });
  return analyze;
}
