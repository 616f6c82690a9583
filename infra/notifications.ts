/**
 * Notifications on AWS, as CodeDeploy's triggers: for each event of each group's notification, an
 * EventBridge rule on the default bus matching stepshift's own event (patterns from
 * functions/core/notifications.ts, the ones local mode matches too), with an input transformer that turns
 * the event into the same Slack-compatible message local mode sends, to:
 *
 * - **an SNS topic**, imported by ARN. stepshift does not own the topic, so it cannot grant itself
 *   anything on it: the topic's resource policy must allow the service principal `events.amazonaws.com`
 *   `sns:Publish` (and, for a topic encrypted with a customer managed KMS key, the key policy must let
 *   it use the key), as https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sns-permissions
 *   says. No role is given to the target: for targets with a resource-based policy that page warns that
 *   a `RoleArn` can make delivery fail, notably to a KMS-encrypted topic (later versions of it also allow
 *   a role with `sns:Publish`; the topic's own policy would still have to admit a role of another
 *   account's stack, so the resource policy is the one thing that always works). A topic of another
 *   account is the exception: EventBridge reaches it only with a role of this account, which may publish
 *   to that topic alone. A topic must be in the stack's Region (synthesis fails otherwise).
 * - **an API destination** for the webhook, which EventBridge calls over HTTPS only
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destination-create.html: "The URL
 *   must use HTTPS"). Every API destination needs a connection, and a connection needs an authorization
 *   of type Basic, OAuth client credentials or API key
 *   (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-target-connection-auth.html, which also
 *   says one connection may serve several endpoints that authorize alike, and that EventBridge keeps the
 *   credentials in a Secrets Manager secret of its own, billed with the API destination). A Slack-style
 *   incoming webhook carries its secret in its URL and takes no credentials, so the least surprising
 *   choice is an API key that is no secret: the header `X-StepShift-Notification: stepshift`, which such
 *   receivers ignore — where Basic or OAuth would send an `Authorization` header they might reject. So one
 *   connection serves every webhook. Each destination is limited to one request per second (Slack's
 *   limit for an incoming webhook; EventBridge's default is 300 per second and it keeps and retries
 *   what goes past the limit within its 24-hour retry window:
 *   https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-api-destinations.html, and
 *   InvocationRateLimitPerSecond in https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateApiDestination.html).
 *   EventBridge invokes it with a role of its own per destination, allowed `events:InvokeApiDestination`
 *   on exactly that destination, assumable by EventBridge for this account only.
 *
 * The input transformer fills the message's placeholders from the event
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html): string values
 * are escaped by EventBridge so that the JSON stays valid, which is why each field is referenced inside a
 * JSON string (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html).
 *
 * Nothing is created for a config without notifications, so a stack without them keeps its shape.
 */
import {
  aws_events as events,
  aws_iam as iam,
  SecretValue,
  Stack,
  type aws_stepfunctions as sfn,
  aws_sns as sns,
  Token,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import type { Construct } from 'constructs';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import {
  FIELD_PATHS,
  type MessageFields,
  type NotificationEvent,
  notificationMessage,
  notificationRules,
} from '../functions/core/notifications.ts';
import { executionConsoleUrl, hasExecutionConsole } from '../functions/handlers/context.ts';
import { cdkEventPattern } from './intake.ts';

/** The header the webhooks' connection sends: an API key that is no secret (see above). */
export const WEBHOOK_CONNECTION_HEADER = { name: 'X-StepShift-Notification', value: 'stepshift' } as const;
/** Requests per second to one webhook (Slack allows one per second per incoming webhook). */
export const WEBHOOK_RATE_PER_SECOND = 1;

export interface NotificationsProps {
  groups: DeploymentGroup[];
  stateMachine: sfn.StateMachine;
}

/** Creates the notification rules and their targets in `scope`; nothing without notifications. */
export function createNotifications(scope: Construct, { groups, stateMachine }: NotificationsProps): void {
  const rules = notificationRules(groups);
  if (rules.length === 0) return;
  const stack = Stack.of(scope);
  let connection: events.Connection | undefined;
  const webhooks = new Map<string, { destination: events.ApiDestination; role: iam.Role }>();
  const topics = new Map<string, { topic: sns.ITopic; role?: iam.Role }>();

  for (const rule of rules) {
    const key = `${rule.group}-${rule.index}`;
    const message = events.RuleTargetInput.fromObject(
      notificationMessage(rule.event, {
        ...placeholders(rule.event),
        link: consoleLink(
          stack,
          stateMachine,
          events.EventField.fromPath(FIELD_PATHS.stateChange.deploymentId),
        ),
      }),
    );
    const ruleTargets: events.IRuleTarget[] = [];
    if (rule.sns) {
      let topic = topics.get(key);
      if (!topic) {
        topic = { topic: sns.Topic.fromTopicArn(scope, `NotifyTopic-${key}`, rule.sns) };
        const [, , , region, account] = rule.sns.split(':');
        if (!Token.isUnresolved(stack.region) && region !== stack.region) {
          throw new Error(
            `notification ${rule.index} of group ${rule.group}: the SNS topic ${rule.sns} is in ${region}, and EventBridge delivers to a topic in the rule's own Region only (${stack.region})`,
          );
        }
        // A topic of another account is reached with a role of this one
        // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-cross-account.html): it may
        // publish to that topic only; the topic's policy must still admit the role.
        if (!Token.isUnresolved(stack.account) && account !== stack.account) {
          topic.role = eventsRole(
            scope,
            `NotifyTopicRole-${key}`,
            stack,
            `EventBridge publishes notification ${rule.index} of ${rule.group} to ${rule.sns}`,
          );
          topic.role.addToPrincipalPolicy(
            new iam.PolicyStatement({ actions: ['sns:Publish'], resources: [rule.sns] }),
          );
        }
        topics.set(key, topic);
      }
      const { role } = topic;
      ruleTargets.push(
        role
          ? // Bound by hand: CDK's SnsTopic target, seeing a topic of another account, would set up
            // cross-account event-bus plumbing instead of delivering to the topic with the role.
            { bind: () => ({ arn: rule.sns as string, role, input: message }) }
          : new targets.SnsTopic(topic.topic, { message }),
      );
    }
    if (rule.webhook) {
      let webhook = webhooks.get(key);
      if (!webhook) {
        connection ??= new events.Connection(scope, 'NotifyConnection', {
          description: 'stepshift: webhook notifications (the webhook URL carries its own secret)',
          authorization: events.Authorization.apiKey(
            WEBHOOK_CONNECTION_HEADER.name,
            SecretValue.unsafePlainText(WEBHOOK_CONNECTION_HEADER.value),
          ),
        });
        const destination = new events.ApiDestination(scope, `NotifyWebhook-${key}`, {
          description: `stepshift: notification ${rule.index} of ${rule.group}`,
          connection,
          endpoint: rule.webhook,
          httpMethod: events.HttpMethod.POST,
          rateLimitPerSecond: WEBHOOK_RATE_PER_SECOND,
        });
        const role = eventsRole(
          scope,
          `NotifyWebhookRole-${key}`,
          stack,
          `EventBridge invokes the webhook of notification ${rule.index} of ${rule.group}`,
        );
        webhook = { destination, role };
        webhooks.set(key, webhook);
      }
      // The target adds `events:InvokeApiDestination` on exactly this destination to the role. (CDK declares
      // `ApiDestination.apiDestinationArnForPolicy` optional and `IApiDestination`'s required, which only
      // `exactOptionalPropertyTypes` notices: the construct is what the interface describes.)
      ruleTargets.push(
        new targets.ApiDestination(webhook.destination as events.IApiDestination, {
          event: message,
          eventRole: webhook.role,
        }),
      );
    }
    new events.Rule(scope, rule.id, {
      description: rule.description,
      eventPattern: cdkEventPattern(rule.pattern),
      targets: ruleTargets,
    });
  }
}

/** A role only EventBridge, on behalf of this account, may assume; its target grants it what it needs. */
function eventsRole(scope: Construct, id: string, stack: Stack, description: string): iam.Role {
  return new iam.Role(scope, id, {
    description,
    assumedBy: new iam.ServicePrincipal('events.amazonaws.com').withConditions({
      StringEquals: { 'aws:SourceAccount': stack.account },
    }),
  });
}

/** The message's fields as the event's own values, read by the input transformer. */
function placeholders(event: NotificationEvent): MessageFields {
  const paths = FIELD_PATHS[event === 'approvalPending' ? 'approvalPending' : 'stateChange'];
  const field = (path: string | undefined) => (path ? events.EventField.fromPath(path) : undefined);
  return {
    group: events.EventField.fromPath(paths.group),
    revision: events.EventField.fromPath(paths.revision),
    deploymentId: events.EventField.fromPath(paths.deploymentId),
    reason: field(paths.reason),
    stepIndex: field(paths.stepIndex),
    percent: field(paths.percent),
  };
}

/**
 * The Step Functions console link of the deployment's execution (named by the deployment id), as the API
 * gives it (`executionConsoleUrl`), with the stack's region, account and state machine filled in at
 * deploy time. The partition is the region's (a stack with an environment: `cdk deploy` gives one);
 * an environment-agnostic stack's messages carry no link, as a link into the wrong partition's console
 * could never open.
 */
function consoleLink(stack: Stack, stateMachine: sfn.StateMachine, deploymentId: string): string | undefined {
  const partition = Token.isUnresolved(stack.partition)
    ? Token.isUnresolved(stack.region)
      ? undefined
      : RegionInfo.get(stack.region).partition
    : stack.partition;
  if (!partition) return undefined;
  // Letters only: they pass through the URL encoding unchanged, and are then replaced by the tokens.
  const marks = { region: 'xxregionxx', account: 'xxaccountxx', name: 'xxnamexx', id: 'xxidxx' };
  const arn = `arn:${partition}:states:${marks.region}:${marks.account}:stateMachine:${marks.name}`;
  if (!hasExecutionConsole(arn)) return undefined;
  return executionConsoleUrl(marks.region, arn, marks.id)
    .replaceAll(marks.region, stack.region)
    .replaceAll(marks.account, stack.account)
    .replaceAll(marks.name, stateMachine.stateMachineName)
    .replaceAll(marks.id, deploymentId);
}
