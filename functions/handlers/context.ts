/**
 * The AWS wiring of the handlers: SDK clients and adapters built once per container, from the
 * environment the CDK construct sets. The one place in functions/ that picks concrete adapters.
 *
 * Each handler file asks for its own context (`taskContext`, `apiContext`, `intakeContext`), and passes
 * the few adapters that only its function uses (`lambdaHooks`, `executionHistory`), so that its bundle
 * carries the adapters, SDK clients and commands that its function uses and no others: a task function
 * never starts an execution nor reads its history, only RunHooks invokes hooks, only the API's read
 * routes read executions, and only the intake sends to the dead-letter queue or publishes code.
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

/** Invoking hooks is the RunHooks task's alone: any other function that asked would be told why not. */
const NO_HOOKS: HookRunner = {
  invoke: () => Promise.reject(new Error('this function runs no hooks: the RunHooks task does')),
};
const noHooks = (): HookRunner => NO_HOOKS;

let hooks: HookRunner | undefined;

/**
 * The hook runner, for the RunHooks function alone (functions/handlers/run-hooks.ts): only its bundle
 * carries it, with the schema of a hook's answer.
 */
export function lambdaHooks(): HookRunner {
  hooks ??= new LambdaHookRunner(sharedWiring().lambda);
  return hooks;
}

const tasks = new Map<() => HookRunner, TaskContext & { bakes: BakeSignals }>();

/**
 * The state machine's tasks (and the analysis ticker): the ports, the metric reader (analysis) and the
 * bake signals; the hook runner as `hooks` builds it, which only RunHooks passes (`lambdaHooks`).
 */
export function taskContext(hooks: () => HookRunner = noHooks): TaskContext & { bakes: BakeSignals } {
  let ctx = tasks.get(hooks);
  if (!ctx) {
    ctx = {
      ...sharedWiring().ctx,
      hooks: hooks(),
      metrics: new CloudWatchMetricReader(new CloudWatchClient({})),
    };
    tasks.set(hooks, ctx);
  }
  return ctx;
}

function starter({ sfn, stateMachineArn }: Shared): WorkflowStarter {
  return stateMachineArn
    ? new StepFunctionsStarter(sfn, stateMachineArn)
    : {
        start: () =>
          Promise.reject(new Error(`${ENV.stateMachine} is not set: this function starts no executions`)),
      };
}

/** Reading executions is the API's read routes' alone; any other function that asked would be told why not. */
const NO_EXECUTIONS: ExecutionHistory = {
  page: () => Promise.reject(new Error('this function reads no executions: the API does')),
};
const noExecutions = (): ExecutionHistory => NO_EXECUTIONS;

let history: ExecutionHistory | undefined;

/**
 * The state events of the state machine's executions, for the function that serves the API's read
 * routes (functions/handlers/api.ts): only its bundle carries the reader.
 */
export function executionHistory(): ExecutionHistory {
  const { sfn, stateMachineArn } = sharedWiring();
  history ??= stateMachineArn
    ? new StepFunctionsExecutionHistory(sfn, stateMachineArn)
    : {
        page: () =>
          Promise.reject(new Error(`${ENV.stateMachine} is not set: this function reads no executions`)),
      };
  return history;
}

const apis = new Map<() => ExecutionHistory, ApiContext>();

/**
 * The API and the EventBridge targets: the tasks' ports (no hooks), starting executions and a link to
 * each; the executions' history as `executions` builds it, which only the API's read routes pass
 * (`executionHistory`).
 */
export function apiContext(executions: () => ExecutionHistory = noExecutions): ApiContext {
  let ctx = apis.get(executions);
  if (!ctx) {
    const s = sharedWiring();
    const { region, stateMachineArn } = s;
    ctx = {
      ...s.ctx,
      hooks: NO_HOOKS,
      workflow: starter(s),
      executions: executions(),
      // The execution's ARN: the one the deployment recorded, else the state machine's + the execution name.
      ...(stateMachineArn && hasExecutionConsole(stateMachineArn)
        ? { executionUrl: (name: string) => executionConsoleUrl(region, stateMachineArn, name) }
        : {}),
      ...releaseWiring(s),
    };
    apis.set(executions, ctx);
  }
  return ctx;
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

export interface IntakeWiring {
  ctx: IntakeContext;
  sqs: SQSClient;
  deadLetterQueueUrl: string | undefined;
}

let intake: IntakeWiring | undefined;

/**
 * The intake of deployment triggers (functions/handlers/intake.ts): the API's context, publishing code
 * (S3 artifacts), and the dead-letter queue it sends unusable events to.
 */
export function intakeContext(): IntakeWiring {
  if (intake) return intake;
  const s = sharedWiring();
  intake = {
    ctx: { ...apiContext(), artifacts: new LambdaArtifactPublisher(s.lambda) },
    sqs: new SQSClient({}),
    deadLetterQueueUrl: process.env[ENV.deadLetterQueue],
  };
  return intake;
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
