/**
 * EventPublisher on the default EventBridge bus: every status change as a
 * "StepShift Deployment State-change Notification", shaped like CodeDeploy's
 * "CodeDeploy Deployment State-change Notification" so existing rules port easily.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { ApprovalPending, EventPublisher, ReleaseChange, StateChange } from '../ports.ts';
import { call } from './errors.ts';

export const EVENT_SOURCE = 'stepshift';
export const STATE_CHANGE_DETAIL_TYPE = 'StepShift Deployment State-change Notification';
export const APPROVAL_PENDING_DETAIL_TYPE = 'StepShift Deployment Approval Pending';
export const RELEASE_CHANGE_DETAIL_TYPE = 'StepShift Release State-change Notification';

/** The detail of a release state-change event (documented in docs/events.md). */
export function releaseChangeDetail(change: ReleaseChange, region: string) {
  return {
    region,
    releaseId: change.releaseId,
    name: change.name,
    state: change.status,
    previousState: change.previousStatus ?? null,
    members: change.members,
    reason: change.reason ?? null,
    at: change.at,
  };
}

/** The detail of an approval-pending event (documented in docs/events.md). */
export function approvalPendingDetail(pending: ApprovalPending) {
  return {
    deploymentId: pending.deploymentId,
    group: pending.group,
    revision: pending.revision,
    stepIndex: pending.stepIndex,
    percent: pending.percent,
    ...(pending.timeoutSeconds === undefined ? {} : { timeoutSeconds: pending.timeoutSeconds }),
    at: pending.at,
  };
}

/** The detail of a state-change event (documented in docs/events.md). */
export function stateChangeDetail(change: StateChange, region: string) {
  return {
    region,
    deploymentId: change.deploymentId,
    deploymentGroup: change.group,
    revision: change.revision,
    state: change.status,
    previousState: change.previousStatus ?? null,
    reason: change.reason ?? null,
    ...(change.releaseId ? { releaseId: change.releaseId } : {}),
    at: change.at,
  };
}

export class EventBridgePublisher implements EventPublisher {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly region: string,
    private readonly busName = 'default',
  ) {}

  async stateChanged(change: StateChange): Promise<void> {
    await this.put(STATE_CHANGE_DETAIL_TYPE, stateChangeDetail(change, this.region));
  }

  async approvalPending(pending: ApprovalPending): Promise<void> {
    await this.put(APPROVAL_PENDING_DETAIL_TYPE, approvalPendingDetail(pending));
  }

  async releaseChanged(change: ReleaseChange): Promise<void> {
    await this.put(RELEASE_CHANGE_DETAIL_TYPE, releaseChangeDetail(change, this.region));
  }

  private async put(detailType: string, detail: unknown): Promise<void> {
    const out = await call('PutEvents', () =>
      this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: detailType,
              EventBusName: this.busName,
              Resources: [],
              Detail: JSON.stringify(detail),
            },
          ],
        }),
      ),
    );
    if (out.FailedEntryCount) {
      const entry = out.Entries?.find((e) => e.ErrorCode);
      throw new Error(`PutEvents failed: ${entry?.ErrorCode ?? 'unknown'}: ${entry?.ErrorMessage ?? ''}`);
    }
  }
}
