/**
 * Deployment metrics as CloudWatch Embedded Metric Format: one log line per state change, which
 * CloudWatch turns into `StepShift/Deployments` (by Status) and `StepShift/RollbackLatency` — the
 * dashboard's figures — with no PutMetricData call on the hot path.
 */
import type { EventPublisher, StateChange } from '../ports.ts';

export const NAMESPACE = 'StepShift';

export function emfLine(change: StateChange): string {
  const metrics: { Name: string; Unit: string }[] = [{ Name: 'Deployments', Unit: 'Count' }];
  if (change.rollbackMs !== undefined) metrics.push({ Name: 'RollbackLatency', Unit: 'Milliseconds' });
  return JSON.stringify({
    _aws: {
      Timestamp: Date.parse(change.at) || Date.now(),
      CloudWatchMetrics: [{ Namespace: NAMESPACE, Dimensions: [['Status']], Metrics: metrics }],
    },
    Status: change.status,
    Deployments: 1,
    ...(change.rollbackMs !== undefined ? { RollbackLatency: change.rollbackMs } : {}),
    deploymentId: change.deploymentId,
    group: change.group,
  });
}

export function withMetrics(
  inner: EventPublisher,
  write: (line: string) => void = (l) => console.log(l),
): EventPublisher {
  return {
    async stateChanged(change) {
      write(emfLine(change));
      await inner.stateChanged(change);
    },
    approvalPending: (pending) => inner.approvalPending(pending),
    releaseChanged: (change) => inner.releaseChanged(change),
  };
}
