/**
 * EventPublisher on the default EventBridge bus: every status change as a
 * "StepShift Deployment State-change Notification", shaped like CodeDeploy's
 * "CodeDeploy Deployment State-change Notification" so existing rules port easily.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { EventPublisher, StateChange } from '../ports.ts';
import { call } from './errors.ts';

export const EVENT_SOURCE = 'stepshift';
export const STATE_CHANGE_DETAIL_TYPE = 'StepShift Deployment State-change Notification';

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
    const out = await call('PutEvents', () =>
      this.client.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: STATE_CHANGE_DETAIL_TYPE,
              EventBusName: this.busName,
              Resources: [],
              Detail: JSON.stringify(stateChangeDetail(change, this.region)),
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
