/**
 * stepshift's own Lambda functions: each bundles one handler of `functions/handlers/` with the group
 * config, and reads and writes the deployment table. Every concern module makes its functions with
 * the one factory here, so that all are built alike (Node 22 on arm64, tracing, source maps,
 * the locked AWS SDK inside the bundle, a log group of its own with a retention).
 *
 * Every function's asset is a prebuilt bundle of its handler file plus the group config as a file beside
 * it (build/lambda.ts). From the installed package (`stepshift/cdk`), `npm run build` has already built
 * them into `dist/lambda/<file>/index.js`: no esbuild, no lockfile and no `functions/` sources are needed
 * in the app that uses the construct. From the sources (this repository: `cdk.json`, `cdk deploy`), the
 * first function of a synthesis builds them all the same way, in one esbuild run, into a temporary
 * directory removed when the process exits: the sources every bundle shares, the AWS SDK first, are
 * parsed once, instead of once a function as `NodejsFunction` would (about 40 s of CPU for a synthesis
 * of 19 functions, against 7 s).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  DockerImage,
  Duration,
  type aws_dynamodb as dynamodb,
  aws_lambda as lambda,
  aws_logs as logs,
  type aws_lambda_nodejs as nodejs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { parseGroupConfigText } from '../functions/core/group-config.ts';
import { groupConfigToJson } from '../functions/core/groups.ts';
import type { Substitution } from '../functions/core/states.ts';
import { ENV } from '../functions/handlers/context.ts';

/**
 * The Lambda bundles: the handler files of `functions/handlers/` that functions run, each the entry of a
 * bundle of its own, so that a function carries what its handler file reaches and nothing of the other
 * functions' code (issue 12). `npm run build` (build/lambda.ts), the construct from the sources (below),
 * `npm run bench` (bench/bundles.ts) and the bundle tests (test/handlers/bundles.test.ts) all read this
 * list: a new handler file is one more line here, and a function runs it by naming it to `NewFunction`.
 */
export const HANDLER_FILES = [
  'prepare.ts',
  'run-hooks.ts',
  'shift-traffic.ts',
  'bake.ts',
  'await-approval.ts',
  'finalize.ts',
  'rollback.ts',
  'install.ts',
  'check-steady.ts',
  'test-traffic.ts',
  'scale-down-old.ts',
  'analyze.ts',
  'api.ts',
  'api-start.ts',
  'api-releases.ts',
  'intake.ts',
  'alarm-intake.ts',
  'execution-ended.ts',
  'releases.ts',
] as const;
export type HandlerFile = (typeof HANDLER_FILES)[number];

/**
 * The prebuilt bundles, `dist/lambda/` beside `dist/js/`, where the package's compiled construct runs.
 * From the sources this is `<repo>/lambda/`, which does not exist: `sourceBundles` builds them.
 */
const PREBUILT = fileURLToPath(new URL('../lambda/', import.meta.url));

/** The script that builds the bundles (build/lambda.ts), from the sources only: the package has no esbuild. */
const BUILD_SCRIPT = fileURLToPath(new URL('../build/lambda.ts', import.meta.url));

let sourceBuilt: string | undefined;

/**
 * The bundles built from the sources, once per process: `build/lambda.ts` in a child process (through
 * tsx, as the sources run), so that this module, which the package ships compiled, never imports esbuild.
 * CDK stages each function's asset, a copy, as the function is made, so the directory can go when the
 * process exits.
 */
function sourceBundles(): string {
  if (sourceBuilt) return sourceBuilt;
  const dir = mkdtempSync(join(tmpdir(), 'stepshift-lambda-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const built = spawnSync(process.execPath, ['--import', 'tsx', BUILD_SCRIPT, dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (built.status !== 0)
    throw new Error(
      `bundling the Lambda handlers failed (node --import tsx build/lambda.ts):\n${built.stderr || built.error}`,
    );
  sourceBuilt = dir;
  return dir;
}

/**
 * Names a directory of prebuilt bundles, laid out as `dist/lambda/`, for the construct to use instead of
 * its own. The tests set it: they bundle the handlers once per run (test/global-setup.ts) instead of
 * once for every stack they synthesize, about 4 s of esbuild each.
 */
export const PREBUILT_ENV = 'STEPSHIFT_LAMBDA_BUNDLES';

/** The directory of a handler file's prebuilt bundle, under `root`: `dist/lambda/tasks/` for `tasks.ts`. */
export const prebuiltDir = (root: string, file: HandlerFile) => join(root, file.replace(/\.ts$/, ''));

/**
 * The name of the group config file next to a prebuilt bundle: the config validated and resolved at
 * synth (`groupConfigToJson`), which the bundle reads when it loads, as the value of
 * `__STEPSHIFT_GROUPS__` (build/lambda-config.ts). A file rather than an environment variable: Lambda
 * allows 4 KB for all of a function's environment variables together
 * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html), and the example
 * stepshift.config.json alone is 3.3 KB.
 */
export const PREBUILT_CONFIG_FILE = 'stepshift.groups.json';

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
  // The maps are for stack traces (`--enable-source-maps`: file, line and column), which need no copy of
  // the sources: without one, a function's asset is 1.7 MB instead of 3.9 (two thirds of a map is the
  // SDK's sources), for the package, `cdk deploy`'s uploads and each function's code.
  sourcesContent: false,
  target: 'node22',
  bundleAwsSDK: true,
  mainFields: ['module', 'main'],
};

/** The state-machine tasks: one function each, named as the ASL's `${<Name>FunctionArn}` substitutions. */
export type TaskName = Substitution extends `${infer Name}FunctionArn` ? Name : never;

/**
 * Every function stepshift deploys: the tasks, the API's, the EventBridge targets, the release function,
 * and the analysis ticker.
 */
export type FnName =
  | TaskName
  | ApiFnName
  | 'Intake'
  | 'AlarmIntake'
  | 'ExecutionEnded'
  | 'Release'
  | 'Analyze';

/**
 * The API's functions, each serving some of its routes behind API Gateway (infra/api.ts): `Api` reads and
 * acts on deployments, `ApiStart` starts them, `ApiReleases` serves the releases.
 */
export type ApiFnName = 'Api' | 'ApiStart' | 'ApiReleases';

/** The functions; `Analyze` (the analysis ticker) only where some group declares analysis checks. */
export type StepShiftFunctions = Record<Exclude<FnName, 'Analyze'>, lambda.Function> & {
  Analyze?: lambda.Function;
};

/** Makes the function `<name>Function` running `handler` of `functions/handlers/<file>`. */
export type NewFunction = (
  name: FnName,
  file: HandlerFile,
  handler: string,
  timeout?: Duration,
) => lambda.Function;

/**
 * The factory of stepshift's functions in `scope`. The construct id is `<name>Function` directly in
 * `scope`, whichever module asks, so the logical ids do not depend on how `infra/` is organized.
 */
export function functionFactory(
  scope: Construct,
  { table, configText }: { table: dynamodb.TableV2; configText: string },
): NewFunction {
  // Validated and resolved here, at synth, once: the functions read the result as it is and carry no
  // schema of their own (docs/decisions/0004-aws-sdk-in-bundles.md). A config that is not valid fails the
  // synthesis, naming every problem, rather than every function's first invocation.
  const groupsJson = groupConfigToJson(parseGroupConfigText(configText, "the construct's configText"));
  // Named, the bundles must be there: `prebuiltCode` says so rather than bundling silently.
  const named = process.env[PREBUILT_ENV];
  const root = named || (existsSync(PREBUILT) ? PREBUILT : undefined);
  return (name, file, handler, timeout = Duration.seconds(60)) => {
    // Lambda's default log group, /aws/lambda/<name>, is created on first use and kept forever; this one
    // is the stack's, with a retention
    // (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html).
    const logGroup = new logs.LogGroup(scope, `${name}FunctionLogs`, { retention: LOG_RETENTION });
    const props: lambda.FunctionOptions & { runtime: lambda.Runtime } = {
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
    };
    const fn = new lambda.Function(scope, `${name}Function`, {
      ...props,
      handler: `index.${handler}`,
      code: prebuiltCode(prebuiltDir(root ?? sourceBundles(), file), groupsJson),
    });
    table.grantReadWriteData(fn);
    return fn;
  };
}

/** The files of a prebuilt bundle that go into its asset, with the config file beside them. */
const BUNDLE_FILES = ['index.js', 'index.js.map'];

const bundleHashes = new Map<string, string>();

/**
 * The asset of a prebuilt bundle for one config: the bundle's files and the resolved config's file, staged
 * by CDK's local bundling (a copy; no Docker, no esbuild). Its hash is the bundle's and the config's, so
 * that the asset changes exactly when one of them does, and two configs in one app never share a staged
 * asset.
 */
function prebuiltCode(dir: string, groupsJson: string): lambda.Code {
  if (!existsSync(join(dir, 'index.js')))
    throw new Error(`no prebuilt bundle at ${dir}: run \`npm run build\` in the stepshift package`);
  let bundleHash = bundleHashes.get(dir);
  if (bundleHash === undefined) {
    const hash = createHash('sha256');
    for (const each of BUNDLE_FILES) hash.update(readFileSync(join(dir, each)));
    bundleHash = hash.digest('hex');
    bundleHashes.set(dir, bundleHash);
  }
  return lambda.Code.fromAsset(dir, {
    assetHash: createHash('sha256').update(bundleHash).update('\0').update(groupsJson).digest('hex'),
    bundling: {
      // Never pulled: the local bundling below always succeeds, and CDK asks Docker only when it does not.
      image: DockerImage.fromRegistry('public.ecr.aws/docker/library/busybox'),
      local: {
        tryBundle(outputDir: string) {
          for (const each of BUNDLE_FILES) copyFileSync(join(dir, each), join(outputDir, each));
          writeFileSync(join(outputDir, PREBUILT_CONFIG_FILE), groupsJson);
          return true;
        },
      },
    },
  });
}
