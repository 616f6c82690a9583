import { describe, expect, it } from 'vitest';
import { APPROVAL_PENDING_DETAIL_TYPE, STATE_CHANGE_DETAIL_TYPE } from '../../functions/aws/eventbridge.ts';
import type { Status } from '../../functions/core/deployment.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import {
  messageFields,
  type NotificationEvent,
  notificationEventOf,
  notificationMessage,
  notificationPattern,
  notificationRules,
  STEPSHIFT_DETAIL_TYPES,
} from '../../functions/core/notifications.ts';
import { compileEventPattern } from '../../local/event-pattern.ts';

const stateChange = (state: Status, group = 'orders', reason: string | null = null) => ({
  version: '0',
  id: 'e1',
  source: 'stepshift',
  'detail-type': STEPSHIFT_DETAIL_TYPES.stateChange,
  account: '123456789012',
  time: '2026-11-25T09:00:00Z',
  region: 'eu-west-1',
  resources: [],
  detail: {
    region: 'eu-west-1',
    deploymentId: 'd-1',
    deploymentGroup: group,
    revision: '7',
    state,
    previousState: 'IN_PROGRESS',
    reason,
    at: '2026-11-25T09:00:00.000Z',
  },
});

/** A synthetic Approval Pending, as the approval gate publishes it. */
const approvalPending = (group = 'orders') => ({
  ...stateChange('IN_PROGRESS', group),
  'detail-type': STEPSHIFT_DETAIL_TYPES.approvalPending,
  detail: {
    deploymentId: 'd-1',
    group,
    revision: '7',
    stepIndex: 2,
    percent: 50,
    timeoutSeconds: 3600,
    at: '2026-11-25T09:00:00.000Z',
  },
});

describe('which notification event a stepshift event is', () => {
  it('matches the detail-types the EventBridge publisher puts on the bus', () => {
    expect(STEPSHIFT_DETAIL_TYPES.approvalPending).toBe(APPROVAL_PENDING_DETAIL_TYPE);
  });

  it('spells the state-change detail-type as the EventBridge publisher does', () => {
    expect(STEPSHIFT_DETAIL_TYPES.stateChange).toBe(STATE_CHANGE_DETAIL_TYPE);
  });

  it.each([
    ['IN_PROGRESS', 'started'],
    ['SUCCEEDED', 'succeeded'],
    ['FAILED', 'failed'],
    ['ROLLED_BACK', 'rolledBack'],
    ['STOPPED', 'stopped'],
    ['CREATED', undefined],
    ['ROLLING_BACK', undefined],
  ] as [Status, NotificationEvent | undefined][])('a change to %s is %s', (state, expected) => {
    expect(notificationEventOf(stateChange(state))).toBe(expected);
  });

  it('reads an Approval Pending as approvalPending', () => {
    expect(notificationEventOf(approvalPending())).toBe('approvalPending');
  });

  it('ignores events of other sources and detail-types', () => {
    expect(notificationEventOf({ ...stateChange('SUCCEEDED'), source: 'aws.codedeploy' })).toBeUndefined();
    expect(notificationEventOf({ ...stateChange('SUCCEEDED'), 'detail-type': 'Deployment Requested' })).toBe(
      undefined,
    );
  });
});

describe('the pattern of a notification event', () => {
  const events: NotificationEvent[] = ['started', 'succeeded', 'failed', 'rolledBack', 'stopped'];

  it.each(events)('%s matches exactly its own state change of its own group', (event) => {
    const matches = compileEventPattern(notificationPattern('orders', event));
    for (const state of [
      'CREATED',
      'IN_PROGRESS',
      'SUCCEEDED',
      'ROLLING_BACK',
      'ROLLED_BACK',
      'FAILED',
      'STOPPED',
    ] as const) {
      const change = stateChange(state);
      expect(matches(change)).toBe(notificationEventOf(change) === event);
      expect(matches(stateChange(state, 'billing'))).toBe(false);
    }
    expect(matches(approvalPending())).toBe(false);
  });

  it('approvalPending matches the group’s Approval Pending and nothing else', () => {
    const matches = compileEventPattern(notificationPattern('orders', 'approvalPending'));
    expect(matches(approvalPending())).toBe(true);
    expect(matches(approvalPending('billing'))).toBe(false);
    expect(matches(stateChange('IN_PROGRESS'))).toBe(false);
  });
});

describe('the rules of a config', () => {
  it('makes one rule per group, notification and event, with its targets', () => {
    const config = parseGroupConfig({
      groups: {
        orders: {
          kind: 'lambda',
          target: { functionName: 'orders', alias: 'live' },
          deploymentConfig: 'LambdaAllAtOnce',
          notifications: [
            { events: ['started', 'rolledBack'], webhook: 'https://hooks.slack.com/services/T/B/X' },
            { events: ['approvalPending'], sns: 'arn:aws:sns:eu-west-1:123456789012:releases' },
          ],
        },
        billing: {
          kind: 'lambda',
          target: { functionName: 'billing', alias: 'live' },
          deploymentConfig: 'LambdaAllAtOnce',
        },
      },
    });
    const rules = notificationRules(Object.values(config.groups));
    expect(rules.map((r) => [r.id, r.sns ?? null, r.webhook ?? null])).toEqual([
      ['Notify-orders-0-started', null, 'https://hooks.slack.com/services/T/B/X'],
      ['Notify-orders-0-rolledBack', null, 'https://hooks.slack.com/services/T/B/X'],
      ['Notify-orders-1-approvalPending', 'arn:aws:sns:eu-west-1:123456789012:releases', null],
    ]);
    expect(rules[1]?.pattern).toEqual({
      source: ['stepshift'],
      'detail-type': ['StepShift Deployment State-change Notification'],
      detail: { deploymentGroup: ['orders'], state: ['ROLLED_BACK'] },
    });
  });
});

describe('the message', () => {
  it.each([
    [
      'started',
      stateChange('IN_PROGRESS'),
      ':arrow_forward: stepshift: the deployment of revision 7 to orders started (IN_PROGRESS, deployment d-1).',
    ],
    [
      'succeeded',
      stateChange('SUCCEEDED'),
      ':white_check_mark: stepshift: the deployment of revision 7 to orders succeeded (SUCCEEDED, deployment d-1).',
    ],
    [
      'rolledBack',
      stateChange('ROLLED_BACK', 'orders', 'alarm orders-5xx is in ALARM'),
      ':leftwards_arrow_with_hook: stepshift: the deployment of revision 7 to orders was rolled back (ROLLED_BACK, deployment d-1). Reason: alarm orders-5xx is in ALARM',
    ],
    [
      'failed',
      stateChange('FAILED', 'orders', 'hook orders-smoke failed'),
      ':x: stepshift: the deployment of revision 7 to orders failed (FAILED, deployment d-1). Reason: hook orders-smoke failed',
    ],
    [
      'stopped',
      stateChange('STOPPED', 'orders', 'stopped by alice'),
      ':octagonal_sign: stepshift: the deployment of revision 7 to orders was stopped (STOPPED, deployment d-1). Reason: stopped by alice',
    ],
    [
      'approvalPending',
      approvalPending(),
      ':raised_hand: stepshift: the deployment of revision 7 to orders waits for approval (APPROVAL_PENDING, deployment d-1). It holds 50 % of traffic at step 2: approve or reject it (stepshift approve d-1, stepshift reject d-1).',
    ],
  ] as [NotificationEvent, { detail: unknown }, string][])(
    'for %s names the group, revision, status and reason',
    (event, e, text) => {
      expect(notificationMessage(event, messageFields(event, e.detail))).toEqual({ text });
    },
  );

  it('ends with the link where there is one', () => {
    const fields = {
      ...messageFields('succeeded', stateChange('SUCCEEDED').detail),
      link: 'https://console/x',
    };
    expect(notificationMessage('succeeded', fields).text).toMatch(
      /\(SUCCEEDED, deployment d-1\)\. https:\/\/console\/x$/,
    );
  });

  it('is a JSON body Slack accepts: an object whose text is a string', () => {
    const body = JSON.parse(
      JSON.stringify(
        notificationMessage('started', messageFields('started', stateChange('IN_PROGRESS').detail)),
      ),
    );
    expect(Object.keys(body)).toEqual(['text']);
    expect(typeof body.text).toBe('string');
  });
});
