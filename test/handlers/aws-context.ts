/**
 * A handler context with the real AWS adapters over mocked SDK clients (aws-sdk-client-mock) and the
 * DynamoDB store over dynalite, so idempotency and locks behave as they do on AWS.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PublishVersionCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import {
  ExecutionAlreadyExists,
  SendTaskFailureCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { IntakeContext } from '../../functions/api/intake.ts';
import { AlbRouter } from '../../functions/aws/alb-router.ts';
import { CloudWatchAlarmWatcher } from '../../functions/aws/cloudwatch-alarms.ts';
import { CloudWatchMetricReader } from '../../functions/aws/cloudwatch-metrics.ts';
import { DynamoDeploymentStore } from '../../functions/aws/dynamo-store.ts';
import { EcsServices } from '../../functions/aws/ecs-services.ts';
import { EventBridgePublisher } from '../../functions/aws/eventbridge.ts';
import { StepFunctionsExecutionHistory } from '../../functions/aws/execution-history.ts';
import { LambdaArtifactPublisher } from '../../functions/aws/lambda-artifacts.ts';
import { LambdaHookRunner } from '../../functions/aws/lambda-hooks.ts';
import { LambdaAliasRouter } from '../../functions/aws/lambda-router.ts';
import { DynamoReleaseStore } from '../../functions/aws/release-store.ts';
import { StepFunctionsBakeSignals, StepFunctionsStarter } from '../../functions/aws/step-functions.ts';
import { type GroupConfig, parseGroupConfig } from '../../functions/core/group-config.ts';
import { executionConsoleUrl } from '../../functions/handlers/context.ts';
import { releaseCoordinator } from '../../functions/tasks/release.ts';
import { type LocalDynamo, startLocalDynamo } from '../../local/dynamo.ts';

export const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepshift-deployment';
export const RELEASE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepshift-release';
export const DLQ = 'https://sqs.eu-west-1.amazonaws.com/123456789012/stepshift-intake-dlq';

/** Stubs on each client's prototype: every client of that class the code under test makes answers from it. */
const install = () => ({
  lambda: mockClient(LambdaClient),
  sfn: mockClient(SFNClient),
  cloudwatch: mockClient(CloudWatchClient),
  events: mockClient(EventBridgeClient),
  sqs: mockClient(SQSClient),
  elb: mockClient(ElasticLoadBalancingV2Client),
  ecs: mockClient(ECSClient),
});

export const mocks = install();

/**
 * Whether every stub is still the one on its client's prototype. Test files share this module when vitest
 * runs them in one worker (isolate: false): a file before this one may have restored these stubs
 * (`restoreMocks`) or put its own in their place (test/aws).
 */
const installed = () =>
  mocks.lambda.send === LambdaClient.prototype.send &&
  mocks.sfn.send === SFNClient.prototype.send &&
  mocks.cloudwatch.send === CloudWatchClient.prototype.send &&
  mocks.events.send === EventBridgeClient.prototype.send &&
  mocks.sqs.send === SQSClient.prototype.send &&
  mocks.elb.send === ElasticLoadBalancingV2Client.prototype.send &&
  mocks.ecs.send === ECSClient.prototype.send;

/** Puts the clients' own `send` back, for the test files after this one in the worker: `afterAll(restoreMocks)`. */
export function restoreMocks(): void {
  for (const m of Object.values(mocks)) m.restore();
}

export const groups = parseGroupConfig({
  groups: {
    orders: {
      kind: 'lambda',
      target: { functionName: 'orders', alias: 'live' },
      deploymentConfig: 'LambdaCanary10Percent5Minutes',
      alarms: ['orders-errors'],
      triggers: [
        { type: 's3ObjectCreated', bucket: 'amzn-s3-demo-bucket1', keyPrefix: 'example' },
        { type: 'deploymentRequested' },
      ],
    },
    web: {
      kind: 'ecs',
      target: {
        cluster: 'shop',
        blueService: 'web-blue',
        greenService: 'web-green',
        blueTargetGroup: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/blue/1',
        greenTargetGroup: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/green/2',
        listener: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/shop/3/4',
        container: 'web',
        taskRoles: ['arn:aws:iam::123456789012:role/web-task'],
      },
      deploymentConfig: 'ECSAllAtOnce',
      triggers: [{ type: 'ecrPush', repository: 'my-repository-name' }],
    },
  },
});

/**
 * Resets the mocks to an account where `orders:live` is on version 4 and version 5 exists, putting the
 * stubs back on the clients first if they are no longer there (`installed`).
 */
export function resetMocks(): void {
  if (!installed()) Object.assign(mocks, install());
  for (const m of Object.values(mocks)) m.reset();
  const started = new Set<string>();
  mocks.sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
    if (started.has(input.name)) throw new ExecutionAlreadyExists({ message: 'exists', $metadata: {} });
    started.add(input.name);
    return {
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    };
  });
  mocks.sfn.on(SendTaskFailureCommand).resolves({});
  mocks.lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4', RevisionId: 'r1' });
  mocks.lambda.on(GetFunctionConfigurationCommand).resolves({ Version: '5', LastUpdateStatus: 'Successful' });
  mocks.lambda
    .on(UpdateFunctionCodeCommand)
    .resolves({ CodeSha256: 'sha-abc', LastUpdateStatus: 'Successful' });
  mocks.lambda.on(PublishVersionCommand).resolves({ Version: '5' });
  mocks.cloudwatch
    .on(DescribeAlarmsCommand)
    .resolves({ MetricAlarms: [{ AlarmName: 'orders-errors', StateValue: 'OK' }] });
  mocks.events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'x' }] });
  mocks.sqs.on(SendMessageCommand).resolves({ MessageId: 'm' });
  mocks.elb.on(DescribeListenersCommand).resolves({
    Listeners: [
      {
        DefaultActions: [
          {
            Type: 'forward',
            TargetGroupArn: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/blue/1',
          },
        ],
      },
    ],
  });
  mocks.ecs.on(DescribeServicesCommand).resolves({
    services: [
      {
        taskDefinition: 'arn:aws:ecs:us-west-2:123456789012:task-definition/web:7',
        desiredCount: 2,
        runningCount: 2,
        deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED' }],
      },
    ],
  });
}

/** The handler context over the mocked clients, for `config` (by default the handler tests' `groups`). */
export async function awsContext(config: GroupConfig = groups): Promise<{
  ctx: IntakeContext & { releases: DynamoReleaseStore };
  sqs: SQSClient;
  deadLetterQueueUrl: string;
  dynamo: LocalDynamo;
}> {
  const dynamo = await startLocalDynamo();
  const lambda = new LambdaClient({ region: 'eu-west-1' });
  const sfn = new SFNClient({ region: 'eu-west-1' });
  const store = new DynamoDeploymentStore(dynamo.client, dynamo.table, Date);
  const releases = new DynamoReleaseStore(dynamo.client, dynamo.table, Date);
  const events = new EventBridgePublisher(new EventBridgeClient({ region: 'eu-west-1' }), 'eu-west-1');
  const bakes = new StepFunctionsBakeSignals(sfn);
  const ctx: IntakeContext & { releases: DynamoReleaseStore } = {
    groups: config,
    router: new LambdaAliasRouter(lambda),
    loadBalancer: new AlbRouter(new ElasticLoadBalancingV2Client({ region: 'eu-west-1' })),
    scaler: new EcsServices(new ECSClient({ region: 'eu-west-1' })),
    alarms: new CloudWatchAlarmWatcher(new CloudWatchClient({ region: 'eu-west-1' })),
    metrics: new CloudWatchMetricReader(new CloudWatchClient({ region: 'eu-west-1' })),
    hooks: new LambdaHookRunner(lambda),
    store,
    releases,
    releaseCoordinator: releaseCoordinator({ store, releases, bakes, events, clock: Date }),
    events,
    clock: Date,
    workflow: new StepFunctionsStarter(sfn, STATE_MACHINE),
    releaseWorkflow: new StepFunctionsStarter(sfn, RELEASE_MACHINE),
    bakes,
    executions: new StepFunctionsExecutionHistory(sfn, STATE_MACHINE),
    artifacts: new LambdaArtifactPublisher(lambda, { pollMs: 1 }),
    executionUrl: (name) => executionConsoleUrl('eu-west-1', STATE_MACHINE, name),
  };
  return { ctx, sqs: new SQSClient({ region: 'eu-west-1' }), deadLetterQueueUrl: DLQ, dynamo };
}
