/**
 * The AWS wiring of the handlers: SDK clients and adapters built once per container, from the
 * environment the CDK construct sets. The one place in functions/ that picks concrete adapters.
 *
 * Each handler file asks for its own context (`taskContext`, `apiContext`, `eventsContext`), so that its
 * bundle carries the adapters, SDK clients and commands that its functions use and no others: a task
 * function never starts an execution nor reads its history, and only the intake sends to the
 * dead-letter queue or publishes code.
 */
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ApiContext } from '../api/context.ts';
import type { IntakeContext } from '../api/intake.ts';
import type { ReleaseContext } from '../api/release-workflow.ts';
import { AlbRouter } from '../aws/alb-router.ts';
import { CloudWatchAlarmWatcher } from '../aws/cloudwatch-alarms.ts';
import { CloudWatchMetricReader } from '../aws/cloudwatch-metrics.ts';
import { DynamoDeploymentStore } from '../aws/dynamo-store.ts';
import { EcsServices } from '../aws/ecs-services.ts';
import { EventBridgePublisher } from '../aws/eventbridge.ts';
import { StepFunctionsExecutionHistory } from '../aws/execution-history.ts';
import { LambdaArtifactPublisher } from '../aws/lambda-artifacts.ts';
import { LambdaHookRunner } from '../aws/lambda-hooks.ts';
import { LambdaAliasRouter } from '../aws/lambda-router.ts';
import { withMetrics } from '../aws/metrics.ts';
import { DynamoReleaseStore } from '../aws/release-store.ts';
import { StepFunctionsBakeSignals, StepFunctionsStarter } from '../aws/step-functions.ts';
import { type GroupConfig, groupConfigFromJson } from '../core/groups.ts';
import type { BakeSignals, ExecutionHistory, HookRunner, ReleaseInput, WorkflowStarter } from '../ports.ts';
import type { TaskContext } from '../tasks/context.ts';
import { releaseCoordinator } from '../tasks/release.ts';

/** Environment variables the construct sets on every function. */
export const ENV = {
  table: 'STEPSHIFT_TABLE',
  stateMachine: 'STEPSHIFT_STATE_MACHINE_ARN',
  groups: 'STEPSHIFT_GROUPS',
  deadLetterQueue: 'STEPSHIFT_DLQ_URL',
  /** The release state machine (statemachines/release.asl.json): the API starts its executions. */
  releaseStateMachine: 'STEPSHIFT_RELEASE_STATE_MACHINE_ARN',
} as const;

declare const __STEPSHIFT_GROUPS__: string | undefined;

/**
 * The group config, validated and resolved at synth (`groupConfigToJson`): bundled into the function
 * (esbuild `define`, or the file beside a prebuilt bundle), or from the environment. Read as it is: the
 * construct validated it, and a schema here would be most of each bundle (decision 0004).
 */
export function groupsFromEnvironment(): GroupConfig {
  const text = typeof __STEPSHIFT_GROUPS__ === 'string' ? __STEPSHIFT_GROUPS__ : process.env[ENV.groups];
  if (!text) throw new Error(`no group config: ${ENV.groups} is not set`);
  return groupConfigFromJson(text);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** What every function runs with: the tasks' ports (but hooks), the bake signals, and the clients they share. */
interface Shared {
  ctx: Omit<TaskContext, 'hooks' | 'releases'> & { bakes: BakeSignals; releases: DynamoReleaseStore };
  lambda: LambdaClient;
  sfn: SFNClient;
  region: string;
  /**
   * The task functions cannot know the state machine's ARN (it is built from theirs) and never start
   * executions: only the API, intake and watchdog functions get it.
   */
  stateMachineArn: string | undefined;
}

// Each is built on first use and kept for the container's life. Function declarations, not calls at
// module level, so that esbuild drops the wiring (and its SDK clients) a handler file does not use.
let shared: Shared | undefined;
let api: ApiContext | undefined;
let events: EventsWiring | undefined;

function sharedWiring(): Shared {
  if (shared) return shared;
  const lambda = new LambdaClient({});
  const sfn = new SFNClient({});
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const documents = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  const store = new DynamoDeploymentStore(documents, required(ENV.table), Date);
  // Release members: every task that can end one tells its release (functions/tasks/release.ts).
  const releases = new DynamoReleaseStore(documents, required(ENV.table), Date);
  const events = withMetrics(new EventBridgePublisher(new EventBridgeClient({}), region));
  const bakes = new StepFunctionsBakeSignals(sfn);
  shared = {
    ctx: {
      groups: groupsFromEnvironment(),
      router: new LambdaAliasRouter(lambda),
      loadBalancer: new AlbRouter(new ElasticLoadBalancingV2Client({})),
      scaler: new EcsServices(new ECSClient({})),
      alarms: new CloudWatchAlarmWatcher(new CloudWatchClient({})),
      store,
      releases,
      releaseCoordinator: releaseCoordinator({ store, releases, bakes, events, clock: Date }),
      events,
      clock: Date,
      bakes,
    },
    lambda,
    sfn,
    region,
    stateMachineArn: process.env[ENV.stateMachine],
  };
  return shared;
}

let tasks: (TaskContext & { bakes: BakeSignals }) | undefined;

/**
 * The state machine's tasks (and the analysis ticker): the ports, the hooks (RunHooks invokes them), the
 * metric reader (analysis) and the bake signals.
 */
export function taskContext(): TaskContext & { bakes: BakeSignals } {
  if (tasks) return tasks;
  const s = sharedWiring();
  tasks = {
    ...s.ctx,
    hooks: new LambdaHookRunner(s.lambda),
    metrics: new CloudWatchMetricReader(new CloudWatchClient({})),
  };
  return tasks;
}

/** Invoking hooks is the RunHooks task's alone. */
const NO_HOOKS: HookRunner = {
  invoke: () => Promise.reject(new Error('this function runs no hooks: the RunHooks task does')),
};

function starter({ sfn, stateMachineArn }: Shared): WorkflowStarter {
  return stateMachineArn
    ? new StepFunctionsStarter(sfn, stateMachineArn)
    : {
        start: () =>
          Promise.reject(new Error(`${ENV.stateMachine} is not set: this function starts no executions`)),
      };
}

/** Reading executions is the API's alone (its views); any other function that asked would be told why not. */
const NO_EXECUTIONS: ExecutionHistory = {
  page: () => Promise.reject(new Error('this function reads no executions: the API does')),
};

/** The API: the tasks' context, starting executions, reading their history, and a link to each. */
export function apiContext(): ApiContext {
  if (api) return api;
  const s = sharedWiring();
  const { region, stateMachineArn } = s;
  api = {
    ...s.ctx,
    hooks: NO_HOOKS,
    workflow: starter(s),
    // The execution's ARN: the one the deployment recorded, else the state machine's + the execution name.
    executions: stateMachineArn
      ? new StepFunctionsExecutionHistory(s.sfn, stateMachineArn)
      : {
          page: () =>
            Promise.reject(new Error(`${ENV.stateMachine} is not set: this function reads no executions`)),
        },
    ...(stateMachineArn && hasExecutionConsole(stateMachineArn)
      ? { executionUrl: (name: string) => executionConsoleUrl(region, stateMachineArn, name) }
      : {}),
    ...releaseWiring(s),
  };
  return api;
}

/** Where releases are started: the release state machine, and a link to each of its executions. */
function releaseWiring(s: Shared): Pick<ApiContext, 'releaseWorkflow' | 'releaseExecutionUrl'> {
  const arn = process.env[ENV.releaseStateMachine];
  if (!arn) return {};
  return {
    releaseWorkflow: new StepFunctionsStarter<ReleaseInput>(s.sfn, arn),
    ...(hasExecutionConsole(arn)
      ? { releaseExecutionUrl: (name: string) => executionConsoleUrl(s.region, arn, name) }
      : {}),
  };
}

let release: ReleaseContext | undefined;

/**
 * The release workflow's function: it starts and stops the members' executions (as the API does), and
 * is the release state machine's watchdog. It invokes no hooks and reads no execution history.
 */
export function releaseContext(): ReleaseContext {
  if (release) return release;
  const s = sharedWiring();
  release = { ...s.ctx, hooks: NO_HOOKS, workflow: starter(s), executions: NO_EXECUTIONS };
  return release;
}

export interface EventsWiring {
  ctx: IntakeContext;
  sqs: SQSClient;
  deadLetterQueueUrl: string | undefined;
}

/**
 * The EventBridge targets: intake starts deployments and publishes code, the alarm path fails bakes, the
 * watchdog rolls back. None reads an execution's history.
 */
export function eventsContext(): EventsWiring {
  if (events) return events;
  const s = sharedWiring();
  events = {
    ctx: {
      ...s.ctx,
      hooks: NO_HOOKS,
      workflow: starter(s),
      executions: NO_EXECUTIONS,
      artifacts: new LambdaArtifactPublisher(s.lambda),
    },
    sqs: new SQSClient({}),
    deadLetterQueueUrl: process.env[ENV.deadLetterQueue],
  };
  return events;
}

/**
 * The console's origin in each partition, by the partition an ARN names (`arn:<partition>:…`). Each
 * partition has its own console host: the China Regions' domain is amazonaws.cn
 * (https://docs.amazonaws.cn/en_us/aws/latest/userguide/general-info.html) and AWS GovCloud (US) signs in
 * at console.amazonaws-us-gov.com
 * (https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/configure-account.html). A link into the
 * wrong partition's console can never open the execution, so other partitions get no link at all.
 */
const CONSOLE_ORIGIN = new Map<string, (region: string) => string>([
  ['aws', (region) => `https://${region}.console.aws.amazon.com`],
  ['aws-cn', () => 'https://console.amazonaws.cn'],
  ['aws-us-gov', () => 'https://console.amazonaws-us-gov.com'],
]);

const partitionOf = (arn: string): string => arn.split(':')[1] ?? '';

/** Whether `executionConsoleUrl` knows the console of the state machine's partition. */
export function hasExecutionConsole(stateMachineArn: string): boolean {
  return CONSOLE_ORIGIN.has(partitionOf(stateMachineArn));
}

/**
 * Where an operator watches the execution: the Step Functions console of the state machine's own
 * partition, read from its ARN (cdk.json may target aws-cn or aws-us-gov).
 *
 * @example executionConsoleUrl('cn-north-1', 'arn:aws-cn:states:cn-north-1:1:stateMachine:m', 'd-1')
 *   → https://console.amazonaws.cn/states/home?region=cn-north-1#/v2/executions/details/arn%3Aaws-cn%3A…
 */
export function executionConsoleUrl(region: string, stateMachineArn: string, executionName: string): string {
  const partition = partitionOf(stateMachineArn);
  const origin = CONSOLE_ORIGIN.get(partition);
  if (!origin)
    throw new Error(`no known Step Functions console for partition ${partition} (${stateMachineArn})`);
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  return `${origin(region)}/states/home?region=${region}#/v2/executions/details/${encodeURIComponent(executionArn)}`;
}
