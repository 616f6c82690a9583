/**
 * Notifications, as CodeDeploy's triggers: which of stepshift's own events a group's notification is
 * for, the EventBridge pattern that selects them, and the Slack-compatible message sent for each. Pure,
 * and one set of functions for both modes: the CDK stack (`infra/notifications.ts`) makes one rule per
 * notification and event from {@link notificationRules} and builds its input transformer from
 * {@link notificationMessage} with EventBridge placeholders for the fields; local mode
 * (`local/notifications.ts`) matches the same patterns and builds the same message with the values.
 *
 * | event | stepshift event | detail |
 * | --- | --- | --- |
 * | `started` | State-change Notification | `state: IN_PROGRESS` |
 * | `succeeded` | State-change Notification | `state: SUCCEEDED` |
 * | `failed` | State-change Notification | `state: FAILED` |
 * | `rolledBack` | State-change Notification | `state: ROLLED_BACK` |
 * | `stopped` | State-change Notification | `state: STOPPED` |
 * | `approvalPending` | Approval Pending | `{deploymentId, group, revision, stepIndex, percent, timeoutSeconds?, at}` |
 */
import type { Status } from './deployment.ts';
import { type EventPattern, fits, SOURCES } from './event-rules.ts';
import type { DeploymentGroup } from './group-config.ts';
import type { NotificationEvent } from './groups.ts';

export type { NotificationEvent } from './groups.ts';

/** The `detail-type`s of stepshift's own events that notifications hang off (docs/events.md). */
export const STEPSHIFT_DETAIL_TYPES = {
  stateChange: 'StepShift Deployment State-change Notification',
  approvalPending: 'StepShift Deployment Approval Pending',
} as const;

/** The status a state-change event reaches for each notification event (approvalPending is no status). */
export const EVENT_STATUS: Readonly<Record<Exclude<NotificationEvent, 'approvalPending'>, Status>> = {
  started: 'IN_PROGRESS',
  succeeded: 'SUCCEEDED',
  failed: 'FAILED',
  rolledBack: 'ROLLED_BACK',
  stopped: 'STOPPED',
};

/** An EventBridge event, as far as notifications read it. */
export interface StepShiftEvent {
  source: string;
  'detail-type': string;
  detail: unknown;
}

/**
 * Which notification event `event` is, if any: a state change to one of the statuses above, or an
 * approval pending. CREATED and ROLLING_BACK notify nobody (CodeDeploy's triggers have no such event).
 *
 * @example notificationEventOf({ source: 'stepshift', 'detail-type': '…State-change Notification',
 *   detail: { state: 'ROLLED_BACK', … } }) → 'rolledBack'
 */
export function notificationEventOf(event: StepShiftEvent): NotificationEvent | undefined {
  if (event.source !== SOURCES.stepshift) return undefined;
  if (event['detail-type'] === STEPSHIFT_DETAIL_TYPES.approvalPending) return 'approvalPending';
  if (event['detail-type'] !== STEPSHIFT_DETAIL_TYPES.stateChange) return undefined;
  const state = (event.detail as { state?: unknown } | null)?.state;
  const found = Object.entries(EVENT_STATUS).find(([, status]) => status === state);
  return found?.[0] as NotificationEvent | undefined;
}

/**
 * The pattern of `event` for `group`: stepshift's own event of that kind, for that group. A state
 * change names its group `deploymentGroup` (as CodeDeploy's does); an approval pending, `group`.
 *
 * @example notificationPattern('orders', 'rolledBack')
 * → { source: ['stepshift'], 'detail-type': ['StepShift Deployment State-change Notification'],
 *     detail: { deploymentGroup: ['orders'], state: ['ROLLED_BACK'] } }
 */
export function notificationPattern(group: string, event: NotificationEvent): EventPattern {
  if (event === 'approvalPending') {
    return {
      source: [SOURCES.stepshift],
      'detail-type': [STEPSHIFT_DETAIL_TYPES.approvalPending],
      detail: { group: [group] },
    };
  }
  return {
    source: [SOURCES.stepshift],
    'detail-type': [STEPSHIFT_DETAIL_TYPES.stateChange],
    detail: { deploymentGroup: [group], state: [EVENT_STATUS[event]] },
  };
}

/** One rule: one event of one notification of one group, to its SNS topic and/or webhook. */
export interface NotificationRule {
  /** The construct id of the rule in the stack, and its name locally: `Notify-<group>-<i>-<event>`. */
  id: string;
  description: string;
  group: string;
  /** The notification's position in its group's list. */
  index: number;
  event: NotificationEvent;
  pattern: EventPattern;
  sns?: string;
  webhook?: string;
}

/**
 * One rule per group, notification and event. One rule per event, not per notification, because an
 * input transformer cannot choose words by a field's value: each rule's message says its event plainly.
 *
 * @example notificationRules([orders with notifications [{ events: ['started', 'failed'], webhook }]])
 * → [{ id: 'Notify-orders-0-started', … }, { id: 'Notify-orders-0-failed', … }]
 */
export function notificationRules(groups: readonly DeploymentGroup[]): NotificationRule[] {
  return groups.flatMap((group) =>
    group.notifications.flatMap((notification, index) =>
      notification.events.map((event) => ({
        id: `Notify-${group.name}-${index}-${event}`,
        description: `stepshift: notification ${index} of ${group.name}, ${event}`,
        group: group.name,
        index,
        event,
        pattern: fits(notificationPattern(group.name, event), `notification ${index} of group ${group.name}`),
        ...(notification.sns ? { sns: notification.sns } : {}),
        ...(notification.webhook ? { webhook: notification.webhook } : {}),
      })),
    ),
  );
}

/**
 * What a message says. On AWS each is an EventBridge placeholder (a field of the event); locally, the
 * value. `reason` is read only for failed, rolledBack and stopped; `stepIndex` (the pause's index in the
 * schedule) and `percent` (the traffic held while it waits) only for approvalPending.
 */
export interface MessageFields {
  group: string;
  revision: string;
  deploymentId: string;
  reason?: string | undefined;
  stepIndex?: string | undefined;
  percent?: string | undefined;
  /** Where to watch the deployment (the Step Functions console on AWS), when there is such a place. */
  link?: string | undefined;
}

/** A Slack-compatible incoming-webhook body: `text` is what Slack (and most chat webhooks) show. */
export interface NotificationMessage {
  text: string;
}

const HEADLINE: Record<NotificationEvent, { emoji: string; status: string; verb: string }> = {
  started: { emoji: ':arrow_forward:', status: 'IN_PROGRESS', verb: 'started' },
  succeeded: { emoji: ':white_check_mark:', status: 'SUCCEEDED', verb: 'succeeded' },
  failed: { emoji: ':x:', status: 'FAILED', verb: 'failed' },
  rolledBack: { emoji: ':leftwards_arrow_with_hook:', status: 'ROLLED_BACK', verb: 'was rolled back' },
  stopped: { emoji: ':octagonal_sign:', status: 'STOPPED', verb: 'was stopped' },
  approvalPending: { emoji: ':raised_hand:', status: 'APPROVAL_PENDING', verb: 'waits for approval' },
};

/**
 * The message for `event`: the group, revision, status and deployment, the reason where the event has
 * one, what to do for an approval, and the link where there is one.
 *
 * @example notificationMessage('rolledBack', { group: 'orders', revision: '7', deploymentId: 'd-1',
 *   reason: 'alarm orders-5xx is in ALARM' })
 * → { text: ':leftwards_arrow_with_hook: stepshift: the deployment of revision 7 to orders was rolled
 *     back (ROLLED_BACK, deployment d-1). Reason: alarm orders-5xx is in ALARM' }
 */
export function notificationMessage(event: NotificationEvent, fields: MessageFields): NotificationMessage {
  const { emoji, status, verb } = HEADLINE[event];
  const parts = [
    `${emoji} stepshift: the deployment of revision ${fields.revision} to ${fields.group} ${verb} (${status}, deployment ${fields.deploymentId}).`,
  ];
  if (event === 'approvalPending') {
    parts.push(
      `It holds ${fields.percent ?? '?'} % of traffic at step ${fields.stepIndex ?? '?'}: approve or reject it (stepshift approve ${fields.deploymentId}, stepshift reject ${fields.deploymentId}).`,
    );
  }
  if ((event === 'failed' || event === 'rolledBack' || event === 'stopped') && fields.reason !== undefined) {
    parts.push(`Reason: ${fields.reason}`);
  }
  if (fields.link !== undefined) parts.push(fields.link);
  return { text: parts.join(' ') };
}

/**
 * The fields of a stepshift event as local mode reads them (AWS reads the same paths with its input
 * transformer: {@link FIELD_PATHS}).
 */
export function messageFields(event: NotificationEvent, detail: unknown): MessageFields {
  const d = (detail ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (v === undefined || v === null ? undefined : String(v));
  const paths = FIELD_PATHS[event === 'approvalPending' ? 'approvalPending' : 'stateChange'];
  const read = (path: string | undefined) => (path ? text(d[path.replace('$.detail.', '')]) : undefined);
  return {
    group: read(paths.group) ?? '',
    revision: read(paths.revision) ?? '',
    deploymentId: read(paths.deploymentId) ?? '',
    reason: read(paths.reason),
    stepIndex: read(paths.stepIndex),
    percent: read(paths.percent),
  };
}

/** Where each field is in each kind of event, as JSON paths (what an input transformer's InputPathsMap takes). */
export const FIELD_PATHS: Record<
  'stateChange' | 'approvalPending',
  Record<'group' | 'revision' | 'deploymentId', string> &
    Partial<Record<'reason' | 'stepIndex' | 'percent', string>>
> = {
  stateChange: {
    group: '$.detail.deploymentGroup',
    revision: '$.detail.revision',
    deploymentId: '$.detail.deploymentId',
    reason: '$.detail.reason',
  },
  approvalPending: {
    group: '$.detail.group',
    revision: '$.detail.revision',
    deploymentId: '$.detail.deploymentId',
    stepIndex: '$.detail.stepIndex',
    percent: '$.detail.percent',
  },
};
