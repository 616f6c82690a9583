/**
 * stepshift's own Lambda functions: each bundles one handler of `functions/handlers/` with the group
 * config, and reads and writes the deployment table. Every concern module makes its functions with
 * the one factory here, so that all fifteen are built alike (Node 22 on arm64, tracing, source maps).
 */
import { fileURLToPath } from 'node:url';
import {
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_lambda_nodejs as nodejs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { Substitution } from '../functions/core/states.ts';
import { ENV } from '../functions/handlers/context.ts';

const HANDLERS = fileURLToPath(new URL('../functions/handlers/', import.meta.url));

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
    const fn = new nodejs.NodejsFunction(scope, `${name}Function`, {
      entry: `${HANDLERS}${file}`,
      handler,
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout,
      tracing: lambda.Tracing.ACTIVE,
      environment: {
        [ENV.table]: table.tableName,
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        minify: true,
        sourceMap: true,
        target: 'node22',
        externalModules: ['@aws-sdk/*'],
        // The config travels inside the bundle; the functions parse and validate it again at start.
        define: { __STEPSHIFT_GROUPS__: JSON.stringify(configText) },
      },
    });
    table.grantReadWriteData(fn);
    return fn;
  };
}
