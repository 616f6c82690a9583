/**
 * The cdk-nag AwsSolutions findings stepshift acknowledges, each by its exact finding id and with its
 * reason. cdk-nag 3 acknowledges findings one by one (no prefix matching), so the ids are derived from
 * the construct itself; any finding not listed here fails `cdk synth` and the infra tests. The
 * findings that a kind of group raises are acknowledged by its platform (./platforms/).
 */
import { type CfnElement, Stack, Token, Validations } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { GroupConfig } from '../functions/core/group-config.ts';
import { eachPlatform, PLATFORMS } from './platforms/index.ts';

interface NagInputs {
  scope: Construct;
  config: GroupConfig;
  tableElement: CfnElement;
  stateMachineElement: CfnElement;
  taskFunctionElements: CfnElement[];
  logLevel: 'ERROR' | 'ALL';
}

export function acknowledgeNagFindings({
  scope,
  config,
  tableElement,
  stateMachineElement,
  taskFunctionElements,
  logLevel,
}: NagInputs): void {
  const stack = Stack.of(scope);
  const ack = (id: string, reason: string) => Validations.of(scope).acknowledge({ id, reason });
  const logical = (e: CfnElement) => stack.getLogicalId(e);
  // cdk-nag renders pseudo parameters as <AWS::X> and concrete values as they are.
  const shown = (value: string, pseudo: string) => (Token.isUnresolved(value) ? `<AWS::${pseudo}>` : value);
  const partition = shown(stack.partition, 'Partition');
  const region = shown(stack.region, 'Region');
  const account = shown(stack.account, 'AccountId');

  ack('AwsSolutions-L1', 'Node.js 22 is the Lambda runtime stepshift is built and tested for (DESIGN.md).');
  ack(
    `AwsSolutions-IAM4[Policy::arn:${partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]`,
    'Log writing for the functions only: the AWS managed policy names none of our resources.',
  );
  // One finding id covers every `Resource: *`, so its reason lists them all, the platforms' included.
  const unscoped = [
    'X-Ray PutTraceSegments/PutTelemetryRecords (tracing)',
    'CloudWatch Logs delivery for the state machine',
    'states:SendTaskSuccess/SendTaskFailure (the task token is the authorization)',
    'cloudwatch:DescribeAlarms (AWS returns composite alarms only to a grant on *: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html)',
    ...(Object.values(config.groups).some((g) => g.analysis.length > 0)
      ? ['cloudwatch:GetMetricData (canary analysis; no resource-level permission exists for it)']
      : []),
    ...Object.values(PLATFORMS).flatMap((platform) => platform.unscopedActions),
  ];
  ack(
    'AwsSolutions-IAM5[Resource::*]',
    `Actions granted on * because AWS offers no resource-level permission for them or honours them only on *: ${new Intl.ListFormat('en', { type: 'conjunction' }).format(unscoped)}.`,
  );
  ack(
    `AwsSolutions-IAM5[Resource::<${logical(tableElement)}.Arn>/index/*]`,
    'Queries on the indexes of stepshift’s own table.',
  );
  // The state machine's name, as CDK derives it from its ARN (StateMachine.grantExecution).
  const stateMachineName = `{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${logical(stateMachineElement)}"}]}]}`;
  ack(
    `AwsSolutions-IAM5[Resource::arn:${partition}:states:${region}:${account}:execution:${stateMachineName}:*]`,
    'The API reads the status and history of this state machine’s executions (GET /deployments/{id}/execution): every execution is a deployment, named by its id.',
  );
  for (const element of taskFunctionElements) {
    ack(
      `AwsSolutions-IAM5[Resource::<${logical(element)}.Arn>:*]`,
      'The state machine invokes its own task function, by any version or alias of it.',
    );
  }
  eachPlatform(config, (platform, groups) =>
    platform.acknowledge(groups, { acknowledge: ack, partition, region, account }),
  );
  ack(
    'AwsSolutions-COG4',
    'The API uses IAM authorization (SigV4): operators and CI call it with their own credentials.',
  );
  ack(
    'AwsSolutions-APIG3',
    'The API is IAM-authorized and throttled; a WAF web ACL is left to the account that deploys it.',
  );
  ack(
    'AwsSolutions-SQS3',
    'These queues are themselves the dead letters of the intake, the alarm intake and the execution watchdog.',
  );
  if (logLevel === 'ERROR') {
    ack(
      'AwsSolutions-SF1',
      'ERROR is the default level, keeping execution data out of logs; context logLevel=ALL logs everything.',
    );
  }
}
