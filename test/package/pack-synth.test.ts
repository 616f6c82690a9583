/**
 * The package as a user gets it: `npm pack` (which builds `dist/` through `prepack`), installed into a
 * fresh CDK app outside this repository with its own config, compiled with TypeScript against the
 * package's declarations, and synthesized offline by `cdk synth` with cdk-nag's AwsSolutions checks. The
 * commands are the README's ("Use the construct from your own CDK app").
 *
 * The app links aws-cdk-lib, constructs, cdk-nag, aws-cdk, tsx, typescript and @types/node from this
 * repository's node_modules (`file:` dependencies), as an app has its own copies of them; the tarball
 * itself goes through `npm install` and its dependencies come from npm's cache (`--prefer-offline`).
 */
import { execFile, type SpawnSyncReturns, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroupConfigText } from '../../functions/core/group-config.ts';
import { groupConfigToJson } from '../../functions/core/groups.ts';
import { HANDLER_FILES, PREBUILT_CONFIG_FILE, PREBUILT_ENV, prebuiltDir } from '../../infra/functions.ts';
import shape from '../infra/fixtures/stack-shape.json' with { type: 'json' };
import { raw } from '../infra/synth.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
const TARBALL = `stepshift-${version}.tgz`;

/**
 * The app's own config: not this repository's stepshift.config.json, but the infra tests' (two Lambda
 * groups and an ECS group), so that the stack it gets can be held to the recorded shape.
 */
const CONFIG = raw;

/**
 * The app, as the README shows it, but for its stack: named and placed as the infra tests' (test/infra/synth.ts),
 * so that its logical ids compare with the recorded shape.
 */
const APP_TS = `import { readFileSync } from 'node:fs';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { StepShift } from 'stepshift/cdk';
import { parseGroupConfigText } from 'stepshift/config';

const configText = readFileSync('stepshift.config.json', 'utf8');
const app = new App();
const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
new StepShift(stack, 'StepShift', { config: parseGroupConfigText(configText), configText });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
`;

const linked = (name: string) => `file:${join(REPO, 'node_modules', name)}`;

let app: string;
let packDir: string;
const timings: string[] = [];

/** No AWS credentials (synthesis is offline), and npm quiet. */
const ENV = {
  ...process.env,
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: '',
  CDK_DISABLE_VERSION_CHECK: '1',
  // The package's own prebuilt bundles, never the ones a test run may name.
  [PREBUILT_ENV]: '',
  npm_config_update_notifier: 'false',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/** Runs a command in the app (or `cwd`); fails with the end of its output. */
function run(
  command: string,
  args: string[],
  cwd = app,
  env: Record<string, string> = {},
): SpawnSyncReturns<string> {
  const started = Date.now();
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 150_000,
    env: { ...ENV, ...env },
  });
  timings.push(`${command} ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} exited ${result.status ?? result.signal}\n${result.stdout.slice(-2000)}\n${result.stderr.slice(-3000)}`,
    );
  }
  return result;
}

/** `run`, without waiting. */
async function runAsync(command: string, args: string[]): Promise<void> {
  const started = Date.now();
  try {
    await promisify(execFile)(command, args, { cwd: app, env: ENV, timeout: 150_000, maxBuffer: 1 << 26 });
  } catch (e) {
    const { stdout = '', stderr = '' } = e as { stdout?: string; stderr?: string };
    throw new Error(
      `${command} ${args.join(' ')} failed: ${String(e)}\n${stdout.slice(-2000)}\n${stderr.slice(-3000)}`,
    );
  }
  timings.push(`${command} ${args.join(' ')}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

beforeAll(async () => {
  app = mkdtempSync(join(tmpdir(), 'stepshift-consumer-'));
  packDir = app;
  writeFileSync(
    join(app, 'package.json'),
    `${JSON.stringify(
      {
        name: 'my-cdk-app',
        private: true,
        type: 'module',
        dependencies: {
          'aws-cdk-lib': linked('aws-cdk-lib'),
          constructs: linked('constructs'),
          'cdk-nag': linked('cdk-nag'),
        },
        devDependencies: {
          'aws-cdk': linked('aws-cdk'),
          tsx: linked('tsx'),
          typescript: linked('typescript'),
          '@types/node': linked('@types/node'),
        },
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(
    join(app, 'tsconfig.json'),
    `${JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          skipLibCheck: true,
          types: ['node'],
        },
        files: ['app.ts'],
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(app, 'cdk.json'), `${JSON.stringify({ app: 'npx tsx app.ts' })}\n`);
  writeFileSync(join(app, 'stepshift.config.json'), `${JSON.stringify(CONFIG, null, 2)}\n`);
  writeFileSync(join(app, 'app.ts'), APP_TS);

  // The README's commands, in order; the type-check and the synthesis at once, as neither needs the other.
  run('npm', ['pack', '--pack-destination', packDir], REPO);
  run('npm', ['install', `./${TARBALL}`, '--prefer-offline']);
  await Promise.all([
    runAsync('npx', ['tsc', '--noEmit']),
    runAsync('npx', ['cdk', 'synth', '--no-notices', '-q']),
  ]);
}, 300_000);

afterAll(() => {
  console.log(`pack and synth: ${timings.join('; ')}`);
  if (app) rmSync(app, { recursive: true, force: true });
}, 60_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation, read field by field in assertions
type Template = { Resources: Record<string, { Type: string; Properties: Record<string, any> }> };
const template = (): Template =>
  JSON.parse(readFileSync(join(app, 'cdk.out', 'Test.template.json'), 'utf8')) as Template;
const functions = () =>
  Object.values(template().Resources).filter(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Handler,
  );

describe('the packed package', () => {
  it('holds compiled JavaScript, declarations and the prebuilt Lambda bundles, and no TypeScript sources', () => {
    const listing = spawnSync('tar', ['-tzf', join(packDir, TARBALL)], { encoding: 'utf8' });
    const files = listing.stdout
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    for (const file of [
      'bin/stepshift.js',
      'dist/js/stepshift.js',
      'dist/js/cdk.js',
      'dist/js/config.js',
      'dist/js/api.js',
      'dist/types/exports/cdk.d.ts',
      'dist/types/exports/config.d.ts',
      'dist/types/exports/api.d.ts',
      ...HANDLER_FILES.map((file) => `${prebuiltDir('dist/lambda', file)}/index.js`),
      'dist/statemachines/deployment.asl.json',
      'dist/console/serve.js',
      'dist/console/page/app.js',
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))).toEqual([]);
    const kib = statSync(join(packDir, TARBALL)).size / 1024;
    console.log(`${TARBALL}: ${files.length} files, ${kib.toFixed(0)} KiB`);
  });

  it('gives a `stepshift` bin that runs the compiled CLI', () => {
    expect(run('npx', ['stepshift', '--version']).stdout.trim()).toBe(version);
    expect(
      run('npx', ['stepshift', 'plan', 'CodeDeployDefault.LambdaCanary10Percent5Minutes']).stdout,
    ).toContain('2 steps, 5m of bake before the last, ending at 100 %.');
  });
});

describe('a CDK app that installs the package', () => {
  it('synthesizes the StepShift construct for its own config, with zero unacknowledged cdk-nag findings', () => {
    const report = JSON.parse(readFileSync(join(app, 'cdk.out', 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? [])).toEqual([]);
    expect(
      Object.values(template().Resources).some((r) => r.Type === 'AWS::StepFunctions::StateMachine'),
    ).toBe(true);
    expect(functions()).toHaveLength(18);
  });

  it('gets every logical id, and as many resources of each type, as the stack built from the sources', () => {
    const resources = Object.entries(template().Resources).filter(([, r]) => r.Type !== 'AWS::CDK::Metadata');
    // An API Gateway deployment's id ends in a hash of the API's whole definition, which CDK changes on
    // purpose whenever the API does; the CDK CLI's synthesis context alone changes it.
    const apiDeployment = (id: string) => id.replace(/^(\w+ApiDeployment[0-9A-F]{8})[0-9a-f]{32}$/, '$1…');
    expect(resources.map(([id]) => apiDeployment(id)).sort()).toEqual(shape.logicalIds.map(apiDeployment));
    const counts: Record<string, number> = {};
    for (const [, r] of resources) counts[r.Type] = (counts[r.Type] ?? 0) + 1;
    expect(counts).toEqual(shape.resourceCounts);
  });

  it('deploys each function from a prebuilt bundle with the app’s config beside it', () => {
    const staged = new Set(
      functions().map((f) => {
        expect(f.Properties.Handler).toMatch(/^index\.\w+$/);
        return `asset.${String(f.Properties.Code.S3Key).replace(/\.zip$/, '')}`;
      }),
    );
    // One asset per function: each runs a handler file of its own (no analysis declared: no Analyze).
    expect(staged.size).toBe(functions().length);
    // The app's config as the construct validated and resolved it at synth.
    const groups = groupConfigToJson(
      parseGroupConfigText(readFileSync(join(app, 'stepshift.config.json'), 'utf8')),
    );
    for (const dir of staged) {
      expect(readdirSync(join(app, 'cdk.out', dir)).sort()).toEqual([
        'index.js',
        'index.js.map',
        PREBUILT_CONFIG_FILE,
      ]);
      expect(readFileSync(join(app, 'cdk.out', dir, PREBUILT_CONFIG_FILE), 'utf8')).toBe(groups);
    }
  });

  it('gives the functions the app’s groups: the API answers with them', () => {
    // The API's function that starts deployments (infra/api.ts).
    const [, api] =
      Object.entries(template().Resources).find(([id]) =>
        /^StepShiftApiStartFunction[0-9A-F]{8}$/.test(id),
      ) ?? [];
    expect(api).toBeDefined();
    // Outside any package.json, as in Lambda's /var/task: the bundle is CommonJS.
    const task = mkdtempSync(join(tmpdir(), 'stepshift-task-'));
    cpSync(join(app, 'cdk.out', `asset.${String(api?.Properties.Code.S3Key).replace(/\.zip$/, '')}`), task, {
      recursive: true,
    });
    const event = { httpMethod: 'POST', path: '/deployments', body: '{"group":"nope","revision":"1"}' };
    const out = run(
      process.execPath,
      [
        '-e',
        `require('./index.js').handler(${JSON.stringify(event)}).then((r) => console.log(JSON.stringify(r)))`,
      ],
      task,
      { STEPSHIFT_TABLE: 'deployments', AWS_REGION: 'eu-west-1' },
    );
    rmSync(task, { recursive: true, force: true });
    const answer = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}');
    expect(answer.statusCode).toBe(400);
    expect(answer.body).toContain(`declared: ${Object.keys(raw.groups).join(', ')}`);
  });
});
