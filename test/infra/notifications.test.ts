/**
 * Notifications in the stack (infra/notifications.ts): one rule per group, notification and event on the
 * default bus, matching stepshift's own events; an imported SNS topic and/or an API destination as
 * targets, each given the message of functions/core/notifications.ts by an input transformer; a role per
 * webhook that may invoke exactly its destination; cdk-nag clean.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { notificationMessage, notificationPattern } from '../../functions/core/notifications.ts';
import { raw, synth } from './synth.ts';

const SLACK = 'https://hooks.slack.com/services/T0/B0/XYZ';
const HOOK = 'https://ops.example.com/stepshift';
const RELEASES = 'arn:aws:sns:eu-west-1:123456789012:releases';
const APPROVALS = 'arn:aws:sns:eu-west-1:123456789012:approvals';
/** A topic of another account (a central notifications account), in the stack's Region. */
const SHARED = 'arn:aws:sns:eu-west-1:210987654321:shared-releases';

const withNotifications = {
  groups: {
    ...raw.groups,
    orders: {
      ...raw.groups.orders,
      notifications: [
        { events: ['started', 'rolledBack'], webhook: SLACK, sns: RELEASES },
        { events: ['approvalPending'], sns: APPROVALS },
      ],
    },
    web: { ...raw.groups.web, notifications: [{ events: ['failed'], webhook: HOOK, sns: SHARED }] },
  },
};

let built: ReturnType<typeof synth>;
beforeAll(() => {
  built = synth('ERROR', withNotifications);
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties, read field by field in assertions
type Props = Record<string, any>;
const resources = (type: string) =>
  Object.entries(built.template.findResources(type)) as [string, { Properties: Props }][];
const only = <T>(items: T[]): T => {
  expect(items).toHaveLength(1);
  return items[0] as T;
};
const notifyRules = () =>
  resources('AWS::Events::Rule').filter(([id]) => id.startsWith('StepShiftNotify') && !id.includes('Role'));
const rule = (id: string) =>
  only(notifyRules().filter(([logical]) => logical.startsWith(`StepShift${id.replaceAll('-', '')}`)))[1];
const destinations = () => resources('AWS::Events::ApiDestination');
const destinationFor = (endpoint: string) =>
  only(destinations().filter(([, d]) => d.Properties.InvocationEndpoint === endpoint));

/**
 * What EventBridge sends for `detail`: the input template with each placeholder replaced by its field as
 * an escaped JSON string (the template quotes every field), and the state machine name filled in.
 */
function transformed(target: Props, detail: Record<string, unknown>): unknown {
  const { InputPathsMap, InputTemplate } = target.InputTransformer;
  const template =
    typeof InputTemplate === 'string'
      ? InputTemplate
      : (InputTemplate['Fn::Join'][1] as unknown[])
          .map((p) => (typeof p === 'string' ? p : 'stepshift-sm'))
          .join('');
  return JSON.parse(
    template.replace(/<([\w-]+)>/g, (_: string, name: string) => {
      const path = String(InputPathsMap[name]).replace('$.detail.', '');
      return JSON.stringify(String(detail[path])).slice(1, -1);
    }),
  );
}

describe('notifications in the stack', () => {
  it('makes one rule per group, notification and event, matching stepshift’s own events of that group', () => {
    expect(notifyRules()).toHaveLength(4);
    for (const [id, group, event] of [
      ['Notify-orders-0-started', 'orders', 'started'],
      ['Notify-orders-0-rolledBack', 'orders', 'rolledBack'],
      ['Notify-orders-1-approvalPending', 'orders', 'approvalPending'],
      ['Notify-web-0-failed', 'web', 'failed'],
    ] as const) {
      const { 'detail-type': detailType, ...rest } = notificationPattern(group, event);
      expect(rule(id).Properties).toMatchObject({
        EventPattern: { ...rest, 'detail-type': detailType },
        State: 'ENABLED',
      });
      expect(rule(id).Properties.EventBusName).toBeUndefined();
    }
  });

  it('publishes to the imported topic with the message, and grants itself nothing on a topic it does not own', () => {
    const targets = rule('Notify-orders-0-rolledBack').Properties.Targets as Props[];
    const topic = only(targets.filter((t) => t.Arn === RELEASES));
    expect(topic.RoleArn).toBeUndefined();
    const detail = {
      deploymentId: 'd-1',
      deploymentGroup: 'orders',
      revision: '7',
      state: 'ROLLED_BACK',
      reason: 'alarm "orders-5xx" is in ALARM',
    };
    expect(transformed(topic, detail)).toEqual(
      notificationMessage('rolledBack', {
        group: 'orders',
        revision: '7',
        deploymentId: 'd-1',
        reason: 'alarm "orders-5xx" is in ALARM',
        link: 'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/arn%3Aaws%3Astates%3Aeu-west-1%3A123456789012%3Aexecution%3Astepshift-sm%3Ad-1',
      }),
    );
    expect(resources('AWS::SNS::TopicPolicy')).toEqual([]);
    expect(resources('AWS::SNS::Topic')).toEqual([]);
  });

  it('publishes to a topic of another account with a role that may publish to that topic only', () => {
    const target = only(
      (rule('Notify-web-0-failed').Properties.Targets as Props[]).filter((t) => t.Arn === SHARED),
    );
    const roleId = target.RoleArn['Fn::GetAtt'][0] as string;
    expect(roleId).toMatch(/^StepShiftNotifyTopicRoleweb0/);
    const statements = resources('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([{ Action: 'sns:Publish', Effect: 'Allow', Resource: SHARED }]);
    expect(built.template.toJSON().Resources[roleId].Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
      },
    ]);
  });

  it('refuses a topic in another Region than the stack’s, naming the group and notification', () => {
    const elsewhere = {
      groups: {
        ...raw.groups,
        billing: {
          ...raw.groups.billing,
          notifications: [{ events: ['failed'], sns: 'arn:aws:sns:us-east-1:123456789012:releases' }],
        },
      },
    };
    expect(() => synth('ERROR', elsewhere, { cfnValidation: false })).toThrow(
      /notification 0 of group billing: the SNS topic arn:aws:sns:us-east-1:123456789012:releases is in us-east-1, and EventBridge delivers to a topic in the rule's own Region only \(eu-west-1\)/,
    );
  });

  it('sends an Approval Pending with its step and percent', () => {
    const target = only(rule('Notify-orders-1-approvalPending').Properties.Targets as Props[]);
    expect(target.Arn).toBe(APPROVALS);
    const detail = { deploymentId: 'd-2', group: 'orders', revision: '8', stepIndex: 1, percent: 10 };
    expect((transformed(target, detail) as { text: string }).text).toContain(
      'the deployment of revision 8 to orders waits for approval (APPROVAL_PENDING, deployment d-2). It holds 10 % of traffic at step 1',
    );
  });

  it('calls each webhook through an HTTPS API destination, rate-limited, on one connection with a header that is no secret', () => {
    expect(destinations()).toHaveLength(2);
    const connection = only(resources('AWS::Events::Connection'));
    expect(connection[1].Properties).toMatchObject({
      AuthorizationType: 'API_KEY',
      AuthParameters: {
        ApiKeyAuthParameters: { ApiKeyName: 'X-StepShift-Notification', ApiKeyValue: 'stepshift' },
      },
    });
    for (const endpoint of [SLACK, HOOK]) {
      expect(destinationFor(endpoint)[1].Properties).toMatchObject({
        ConnectionArn: { 'Fn::GetAtt': [connection[0], 'Arn'] },
        HttpMethod: 'POST',
        InvocationRateLimitPerSecond: 1,
      });
    }
    const [slack] = destinationFor(SLACK);
    const started = only(
      (rule('Notify-orders-0-started').Properties.Targets as Props[]).filter((t) => t.Arn?.['Fn::GetAtt']),
    );
    expect(started.Arn).toEqual({ 'Fn::GetAtt': [slack, 'Arn'] });
    expect(
      (
        transformed(started, { deploymentId: 'd-3', deploymentGroup: 'orders', revision: '9' }) as {
          text: string;
        }
      ).text,
    ).toMatch(
      /^:arrow_forward: stepshift: the deployment of revision 9 to orders started \(IN_PROGRESS, deployment d-3\)\. https:/,
    );
  });

  it('lets each webhook’s role invoke exactly its own destination, and only EventBridge of this account assume it', () => {
    for (const endpoint of [SLACK, HOOK]) {
      const [destination] = destinationFor(endpoint);
      const roleIds = new Set(
        notifyRules()
          .flatMap(([, r]) => r.Properties.Targets as Props[])
          .filter((t) => t.Arn?.['Fn::GetAtt']?.[0] === destination)
          .map((t) => t.RoleArn['Fn::GetAtt'][0]),
      );
      const roleId = only([...roleIds]);
      const role = built.template.toJSON().Resources[roleId];
      expect(role.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        {
          Action: 'sts:AssumeRole',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ]);
      const policies = resources('AWS::IAM::Policy').filter(([, p]) =>
        p.Properties.Roles.some((r: { Ref: string }) => r.Ref === roleId),
      );
      expect(policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement)).toEqual([
        {
          Action: 'events:InvokeApiDestination',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [destination, 'Arn'] },
        },
      ]);
    }
  });

  it('synthesizes with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = JSON.parse(readFileSync(join(built.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? [])).toEqual([]);
  });
});
