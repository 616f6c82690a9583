/**
 * stepshift's own Lambda functions: each bundles one handler of `functions/handlers/` with the group
 * config, and reads and writes the deployment table. Every concern module makes its functions with
 * the one factory here, so that all fifteen are built alike (Node 22 on arm64, tracing, source maps,
 * the locked AWS SDK inside the bundle, a log group of its own with a retention).
 */
import { fileURLToPath } from 'node:url';
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Substitution } from '../functions/core/states.ts';
import { ENV } from '../functions/handlers/context.ts';

const HANDLERS = fileURLToPath(new URL('../functions/handlers/', import.meta.url));

/** How long the functions' and the state machine's logs are kept: a quarter, then CloudWatch deletes them. */
export const LOG_RETENTION = logs.RetentionDays.THREE_MONTHS;

/**
 * How every function is bundled. The AWS SDK v3 clients go into the bundle, at the version in
 * package-lock.json that the tests ran against, instead of being left to the runtime's copy, which
 * Lambda updates on its own schedule (docs/decisions/0004-aws-sdk-in-bundles.md). `mainFields` makes
 * esbuild read the SDK's ES modules, which it can tree-shake: half the size of its CommonJS build, and
 * faster to load than the runtime's copy.
 */
export const BUNDLING: nodejs.BundlingOptions = {
  minify: true,
  sourceMap: true,
  target: 'node22',
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
};

/** The state-machine tasks: one function each, named as the ASL's `${<Name>FunctionArn}` substitutions. */
export type TaskName = Substitution extends `${infer Name}FunctionArn` ? Name : never;

/** Every function stepshift deploys: the tasks, the API, and the three EventBridge targets. */
export type FnName = TaskName | 'Api' | 'Intake' | 'AlarmIntake' | 'ExecutionEnded';

export type StepShiftFunctions = Record<FnName, nodejs.NodejsFunction>;

/** Makes the function `<name>Function` running `handler` of `functions/handlers/<file>`. */
export type NewFunction = (
  name: FnName,
  file: string,
  handler: string,
  timeout?: Duration,
) => nodejs.NodejsFunction;

/**
 * The factory of stepshift's functions in `scope`. The construct id is `<name>Function` directly in
 * `scope`, whichever module asks, so the logical ids do not depend on how `infra/` is organized.
 */
export function functionFactory(
  scope: Construct,
  { table, configText }: { table: dynamodb.TableV2; configText: string },
): NewFunction {
  return (name, file, handler, timeout = Duration.seconds(60)) => {
    // Lambda's default log group, /aws/lambda/<name>, is created on first use and kept forever; this one
    // is the stack's, with a retention
    // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html).
    const logGroup = new logs.LogGroup(scope, `${name}FunctionLogs`, { retention: LOG_RETENTION });
    const fn = new nodejs.NodejsFunction(scope, `${name}Function`, {
      entry: `${HANDLERS}${file}`,
      handler,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      environment: {
        [ENV.table]: table.tableName,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        ...BUNDLING,
        // The config travels inside the bundle; the functions parse and validate it again at start.
        define: { __STEPSHIFT_GROUPS__: JSON.stringify(configText) },
      },
    });
    table.grantReadWriteData(fn);
    return fn;
  };
}
