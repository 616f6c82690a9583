import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgePublisher } from '../../functions/aws/eventbridge.ts';

const events = mockClient(EventBridgeClient);
// The stub is on the client's prototype, which the next test file in this worker shares (isolate: false).
afterAll(() => events.restore());

beforeEach(() => {
  events.reset();
  events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
});

describe('the EventBridge publisher', () => {
  it('puts Approval Pending on the same bus and source as the state changes', async () => {
    // Prepare
    const publisher = new EventBridgePublisher(new EventBridgeClient({}), 'eu-west-1');
    const pending = {
      deploymentId: 'd-1',
      group: 'orders',
      revision: '5',
      stepIndex: 1,
      percent: 10,
      timeoutSeconds: 600,
      at: '2026-11-25T09:00:00.000Z',
    };

    // Act
    await publisher.approvalPending(pending);
    const { timeoutSeconds: _, ...untimed } = pending;
    await publisher.approvalPending(untimed);

    // Assess
    const entries = events.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.[0]);
    expect(entries[0]).toMatchObject({
      Source: 'stepshift',
      DetailType: 'StepShift Deployment Approval Pending',
      EventBusName: 'default',
    });
    expect(JSON.parse(entries[0]?.Detail ?? '')).toEqual(pending);
    expect(JSON.parse(entries[1]?.Detail ?? '')).not.toHaveProperty('timeoutSeconds');
  });

  it('fails when EventBridge refuses the entry', async () => {
    // Prepare
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDenied' }] });
    const publisher = new EventBridgePublisher(new EventBridgeClient({}), 'eu-west-1');

    // Act, Assess
    await expect(
      publisher.approvalPending({
        deploymentId: 'd',
        group: 'g',
        revision: '1',
        stepIndex: 0,
        percent: 0,
        at: 'x',
      }),
    ).rejects.toThrow('PutEvents failed: AccessDenied');
  });
});

describe('release state changes', () => {
  it('puts each on the same bus and source, with the members by group, deployment and revision', async () => {
    // Prepare
    const publisher = new EventBridgePublisher(new EventBridgeClient({}), 'eu-west-1');
    const members = [
      { group: 'api', deploymentId: 'd-1', revision: '7' },
      { group: 'web', deploymentId: 'd-2', revision: 'shop/web:v2' },
    ];

    // Act
    await publisher.releaseChanged({
      releaseId: 'r-1',
      name: 'shop 42',
      status: 'ROLLED_BACK',
      previousStatus: 'ROLLING_BACK',
      members,
      reason: 'web rolled back: alarm web-5xx entered ALARM',
      at: '2026-11-25T09:00:00.000Z',
    });

    // Assess
    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      Source: 'stepshift',
      DetailType: 'StepShift Release State-change Notification',
      EventBusName: 'default',
    });
    expect(JSON.parse(entry?.Detail ?? '')).toEqual({
      region: 'eu-west-1',
      releaseId: 'r-1',
      name: 'shop 42',
      state: 'ROLLED_BACK',
      previousState: 'ROLLING_BACK',
      members,
      reason: 'web rolled back: alarm web-5xx entered ALARM',
      at: '2026-11-25T09:00:00.000Z',
    });
  });

  it('names the release on the state changes of its members', async () => {
    const publisher = new EventBridgePublisher(new EventBridgeClient({}), 'eu-west-1');
    await publisher.stateChanged({
      deploymentId: 'd-1',
      releaseId: 'r-1',
      group: 'api',
      revision: '7',
      status: 'IN_PROGRESS',
      previousStatus: 'CREATED',
      at: '2026-11-25T09:00:00.000Z',
    });
    const entry = events.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0];
    expect(JSON.parse(entry?.Detail ?? '')).toMatchObject({ deploymentId: 'd-1', releaseId: 'r-1' });
  });
});
