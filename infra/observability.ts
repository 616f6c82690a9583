/**
 * The CloudWatch dashboard: deployments by outcome and rollback latency, beside the state machine's
 * own execution counts. The deployment metrics come from the Embedded Metric Format lines the functions
 * log on every status change (`functions/aws/metrics.ts`), so the namespace here must match theirs.
 */
import { aws_cloudwatch as cloudwatch, Duration, type aws_stepfunctions as sfn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

export const METRICS_NAMESPACE = 'StepShift';

/** Creates the dashboard of `stateMachine`'s deployments, in `scope`. */
export function createDashboard(scope: Construct, stateMachine: sfn.StateMachine): cloudwatch.Dashboard {
  const deployments = (status: string, label: string) =>
    new cloudwatch.Metric({
      namespace: METRICS_NAMESPACE,
      metricName: 'Deployments',
      dimensionsMap: { Status: status },
      statistic: 'Sum',
      period: Duration.hours(1),
      label,
    });
  return new cloudwatch.Dashboard(scope, 'Dashboard', {
    widgets: [
      [
        new cloudwatch.GraphWidget({
          title: 'Deployments',
          width: 12,
          left: [
            deployments('CREATED', 'started'),
            deployments('SUCCEEDED', 'succeeded'),
            deployments('ROLLED_BACK', 'rolled back'),
            deployments('FAILED', 'failed'),
          ],
        }),
        new cloudwatch.GraphWidget({
          title: 'Rollback latency (cause caught → routing restored)',
          width: 12,
          left: ['p50', 'p99', 'Maximum'].map(
            (statistic) =>
              new cloudwatch.Metric({
                namespace: METRICS_NAMESPACE,
                metricName: 'RollbackLatency',
                dimensionsMap: { Status: 'ROLLED_BACK' },
                statistic,
                unit: cloudwatch.Unit.MILLISECONDS,
                period: Duration.hours(1),
              }),
          ),
        }),
      ],
      [
        new cloudwatch.GraphWidget({
          title: 'Executions',
          width: 24,
          left: [
            stateMachine.metricStarted(),
            stateMachine.metricSucceeded(),
            stateMachine.metricFailed(),
            stateMachine.metricTimedOut(),
          ],
        }),
      ],
    ],
  });
}
