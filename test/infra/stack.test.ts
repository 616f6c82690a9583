import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnElement, Stack, aws_sqs as sqs, Validations } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { serves } from '../../functions/api/http.ts';
import { ValidationError } from '../../functions/core/errors.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { PARTITION_SUBSTITUTION, SUBSTITUTIONS } from '../../functions/core/states.ts';
import { ROUTES as API_ROUTES_READ_CONTROL } from '../../functions/handlers/api.ts';
import { ROUTES as API_RELEASES_ROUTES } from '../../functions/handlers/api-releases.ts';
import { ROUTES as API_START_ROUTES } from '../../functions/handlers/api-start.ts';
import { ASL_PATH, StepShift } from '../../infra/stepshift.ts';
import { raw, synth } from './synth.ts';

/** The route tables each API function serves (its handler file's `ROUTES`). */
const API_ROUTES = {
  Api: API_ROUTES_READ_CONTROL,
  ApiStart: API_START_ROUTES,
  ApiReleases: API_RELEASES_ROUTES,
};

let built: ReturnType<typeof synth>;
beforeAll(() => {
  built = synth();
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties, read field by field in assertions
type Props = Record<string, any>;
const resources = (type: string) =>
  Object.values(built.template.findResources(type)) as { Properties: Props }[];

describe('the StepShift construct', () => {
  it('synthesizes with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const report = JSON.parse(readFileSync(join(built.outdir, 'validation-report.json'), 'utf8'));
    expect(report.pluginReports.flatMap((r: { violations?: unknown[] }) => r.violations ?? [])).toEqual([]);
  });

  it('really runs cdk-nag: an unacknowledged finding fails synthesis', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'stepshift-nag-')) });
    new sqs.Queue(new Stack(app, 'Bad'), 'PlainQueue');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS[34]/);
  });

  it('creates an on-demand table with PITR, TTL, the store’s indexes and deletion protection', () => {
    built.template.hasResourceProperties('AWS::DynamoDB::GlobalTable', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      GlobalSecondaryIndexes: [
        Match.objectLike({ IndexName: 'byGroup' }),
        Match.objectLike({ IndexName: 'all' }),
      ],
      Replicas: [
        Match.objectLike({
          DeletionProtectionEnabled: true,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      ],
    });
  });

  it('runs the ASL file itself, with every task function substituted', () => {
    const [machine] = resources('AWS::StepFunctions::StateMachine');
    expect(machine?.Properties.StateMachineType).toBe('STANDARD');
    expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine?.Properties.LoggingConfiguration.Level).toBe('ERROR');
    const subs = machine?.Properties.DefinitionSubstitutions as Record<
      string,
      { 'Fn::GetAtt': [string, string] }
    >;
    expect(Object.keys(subs).sort()).toEqual([...SUBSTITUTIONS, PARTITION_SUBSTITUTION].sort());
    const functions = built.template.findResources('AWS::Lambda::Function');
    for (const name of SUBSTITUTIONS) {
      const [logicalId = '', attribute] = subs[name]?.['Fn::GetAtt'] ?? [];
      expect(attribute, name).toBe('Arn');
      expect(String(functions[logicalId]?.Properties.Handler).toLowerCase(), name).toBe(
        `index.${name.replace(/FunctionArn$/, '')}handler`.toLowerCase(),
      );
    }
    const key: string = machine?.Properties.DefinitionS3Location.Key;
    const staged = readdirSync(built.outdir).find((f) => key.startsWith(f.replace(/^asset\./, '')));
    expect(staged).toBeDefined();
    expect(readFileSync(join(built.outdir, staged ?? ''), 'utf8')).toBe(readFileSync(ASL_PATH, 'utf8'));
  });

  it('lets the state machine invoke every function its definition names', () => {
    const [machine] = resources('AWS::StepFunctions::StateMachine');
    const roleId = machine?.Properties.RoleArn['Fn::GetAtt'][0];
    const policy = resources('AWS::IAM::Policy').find((p) =>
      JSON.stringify(p.Properties.Roles).includes(roleId),
    );
    const invocable = JSON.stringify(
      policy?.Properties.PolicyDocument.Statement.filter((st: Props) =>
        [st.Action].flat().includes('lambda:InvokeFunction'),
      ),
    );
    const subs = machine?.Properties.DefinitionSubstitutions as Record<
      string,
      { 'Fn::GetAtt': [string, string] }
    >;
    for (const name of SUBSTITUTIONS) expect(invocable, name).toContain(`"${subs[name]?.['Fn::GetAtt'][0]}"`);
  });

  it('substitutes the stack’s own partition into the workflow’s service-integration ARNs', () => {
    // Prepare
    const [machine] = resources('AWS::StepFunctions::StateMachine');
    const asl = readFileSync(ASL_PATH, 'utf8');

    // Act
    const placeholders = new Set([...asl.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] ?? ''));

    // Assess: the deploy-time partition (aws, aws-cn, aws-us-gov), and no placeholder left unfilled.
    expect(machine?.Properties.DefinitionSubstitutions[PARTITION_SUBSTITUTION]).toEqual({
      Ref: 'AWS::Partition',
    });
    for (const name of placeholders)
      expect(machine?.Properties.DefinitionSubstitutions, name).toHaveProperty([name]);
    expect(asl).not.toContain('arn:aws:');
  });

  it('names the state machine’s log group under /aws/vendedlogs/states/', () => {
    // Prepare
    const [machine] = resources('AWS::StepFunctions::StateMachine');
    const groups = built.template.findResources('AWS::Logs::LogGroup');

    // Act
    const destination = machine?.Properties.LoggingConfiguration.Destinations[0];
    const [logicalId] = destination.CloudWatchLogsLogGroup.LogGroupArn['Fn::GetAtt'];

    // Assess: a vended-logs name keeps CloudWatch Logs' resource policy within its size limit.
    expect(logicalId).toMatch(/^StepShiftStateMachineLogs/);
    expect(groups[logicalId]?.Properties.LogGroupName).toMatch(/^\/aws\/vendedlogs\/states\/Test-StepShift-/);
    expect(groups[logicalId]?.Properties.RetentionInDays).toBe(90);
  });

  it('gives every function a log group of its own with a retention, instead of one kept forever', () => {
    // Prepare
    const functions = resources('AWS::Lambda::Function').filter((f) =>
      f.Properties.Handler?.startsWith('index.'),
    );
    const groups = built.template.findResources('AWS::Logs::LogGroup');

    // Act
    const logGroupIds = functions.map((f) => f.Properties.LoggingConfig?.LogGroup?.Ref);

    // Assess
    expect(functions).toHaveLength(18);
    expect(new Set(logGroupIds).size).toBe(18);
    for (const id of logGroupIds) {
      expect(id).toMatch(/^StepShift\w+FunctionLogs/);
      expect(groups[id]?.Properties.RetentionInDays, id).toBe(90);
    }
  });

  it('validates the config text at synth, where the functions would not: an invalid one fails the synthesis', () => {
    // Prepare: a valid config for the grants, and a text for the functions that names a config no group has.
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'stepshift-config-')) });
    const stack = new Stack(app, 'Bad', { env: { account: '123456789012', region: 'eu-west-1' } });
    const bad = { groups: { orders: { ...raw.groups.orders, deploymentConfig: 'LambdaCanary99Percent' } } };

    // Act
    const make = () =>
      new StepShift(stack, 'StepShift', { config: parseGroupConfig(raw), configText: JSON.stringify(bad) });

    // Assess
    expect(make).toThrow(
      expect.objectContaining({
        constructor: ValidationError,
        message: expect.stringMatching(/configText is invalid/),
      }),
    );
  });

  it('bundles the locked AWS SDK into every function instead of using the runtime’s', () => {
    // Prepare: the SDK packages stepshift depends on, at the versions package-lock.json holds.
    const sdk = Object.keys(
      JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).dependencies,
    ).filter((name) => name.startsWith('@aws-sdk/'));
    const functions = resources('AWS::Lambda::Function').filter((f) =>
      f.Properties.Handler?.startsWith('index.'),
    );

    // Act: each function's staged bundle, found by its asset hash, and what it leaves to the runtime.
    const leftToRuntime = functions.flatMap((f) => {
      const hash = String(f.Properties.Code.S3Key).replace(/\.zip$/, '');
      const bundle = readFileSync(join(built.outdir, `asset.${hash}`, 'index.js'), 'utf8');
      return sdk.filter((name) => bundle.includes(`require("${name}")`));
    });

    // Assess: none. (The SDK's optional SigV4a signers stay optional requires; stepshift signs no SigV4a.)
    expect(sdk.length).toBeGreaterThan(5);
    expect(functions).toHaveLength(18);
    expect(leftToRuntime).toEqual([]);
  });

  it('stages bundles that load in a fresh Node process with nothing left to resolve', async () => {
    // Prepare: each function's bundle, staged outside the project, so no node_modules can stand in.
    const functions = resources('AWS::Lambda::Function').filter((f) =>
      f.Properties.Handler?.startsWith('index.'),
    );
    const hashes = new Set(functions.map((f) => String(f.Properties.Code.S3Key).replace(/\.zip$/, '')));

    // Act: all at once, as each waits mostly on its own process starting.
    const loaded = await Promise.all(
      [...hashes].map(async (hash) => {
        const file = join(built.outdir, `asset.${hash}`, 'index.js');
        const run = await new Promise<{ status: number | null; stderr: string }>((resolve) => {
          const child = spawn(process.execPath, ['-e', `require(${JSON.stringify(file)})`], {
            cwd: built.outdir,
            env: { PATH: process.env.PATH, STEPSHIFT_TABLE: 'table', AWS_REGION: 'eu-west-1' },
          });
          let stderr = '';
          child.stderr.on('data', (chunk) => {
            stderr += chunk;
          });
          child.on('close', (status) => resolve({ status, stderr }));
        });
        return { hash, status: run.status, error: run.stderr.split('\n').find((l) => /Error/.test(l)) };
      }),
    );

    // Assess: one bundle per function (each runs a handler file of its own), each loads.
    expect(loaded).toHaveLength(functions.length);
    for (const { hash, status, error } of loaded) expect({ status, error }, hash).toEqual({ status: 0 });
  }, 120_000);

  it('logs ALL with execution data when asked', () => {
    const all = synth('ALL', undefined, { cfnValidation: false });
    const [machine] = Object.values(all.template.findResources('AWS::StepFunctions::StateMachine'));
    expect(machine?.Properties.LoggingConfiguration).toMatchObject({
      Level: 'ALL',
      IncludeExecutionData: true,
    });
  }, 120_000);

  it('bundles each function for Node 22 on arm64, minified with source maps', () => {
    const functions = resources('AWS::Lambda::Function').filter((f) =>
      f.Properties.Handler?.startsWith('index.'),
    );
    expect(functions).toHaveLength(18);
    for (const f of functions) {
      expect(f.Properties.Runtime).toBe('nodejs22.x');
      expect(f.Properties.Architectures).toEqual(['arm64']);
      expect(f.Properties.TracingConfig).toEqual({ Mode: 'Active' });
      expect(f.Properties.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
    }
  });

  it('puts the API behind IAM auth on every route, with request validation, throttling and access logs', () => {
    const methods = resources('AWS::ApiGateway::Method');
    expect(methods.length).toBe(19);
    for (const m of methods) expect(m.Properties.AuthorizationType).toBe('AWS_IAM');
    const paths = resources('AWS::ApiGateway::Resource')
      .map((r) => r.Properties.PathPart)
      .sort();
    expect(paths).toEqual([
      'approve',
      'cancel',
      'deployments',
      'deployments',
      'execution',
      'groups',
      'promote',
      'redeploy',
      'reject',
      'releases',
      'resume',
      'retry',
      'rollback',
      'stop',
      'stop',
      '{group}',
      '{id}',
      '{id}',
    ]);
    const posts = methods.filter((m) => m.Properties.HttpMethod === 'POST' && m.Properties.RequestModels);
    expect(posts).toHaveLength(2);
    for (const post of posts) expect(post.Properties.RequestValidatorId).toBeDefined();
    expect(posts.map((p) => p.Properties.RequestParameters)).toContainEqual({
      'method.request.path.group': true,
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['group', 'revision'] }),
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({ required: ['revision'] }),
    });
    built.template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'v1',
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40 })],
    });
    // The account's API Gateway logging role is an account-wide setting, left to the account (README).
    expect(resources('AWS::ApiGateway::Account')).toEqual([]);
  });

  it('sends each API method to the function whose route tables serve it', () => {
    // Prepare: each resource's path, and the API function of each logical id.
    const apiResources = built.template.findResources('AWS::ApiGateway::Resource') as Record<
      string,
      { Properties: Props }
    >;
    const pathOf = (ref: Props | undefined): string => {
      const id = ref?.Ref as string | undefined;
      const resource = id ? apiResources[id] : undefined;
      return resource ? `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}` : '';
    };
    const fnOfId = new Map(
      (['Api', 'ApiStart', 'ApiReleases'] as const).map((fn) => [
        built.stack.getLogicalId(built.stepshift.functions[fn].node.defaultChild as CfnElement),
        fn,
      ]),
    );

    // Act: each method, by the function its integration invokes, served or not by that function's tables.
    const sent = resources('AWS::ApiGateway::Method').map((m) => {
      const uri = JSON.stringify(m.Properties.Integration?.Uri);
      const fn = [...fnOfId].find(([id]) => uri.includes(`"${id}"`))?.[1];
      const route = `${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId)}`;
      return {
        route,
        fn,
        served: fn ? serves(API_ROUTES[fn], m.Properties.HttpMethod, pathOf(m.Properties.ResourceId)) : false,
      };
    });

    // Assess
    expect(sent.filter((s) => !s.served)).toEqual([]);
    expect(new Set(sent.map((s) => s.fn))).toEqual(new Set(['Api', 'ApiStart', 'ApiReleases']));
    // …and every route the functions serve has its method: a route without one is unreachable on AWS.
    const served = Object.values(API_ROUTES).flatMap((tables) =>
      tables
        .flat()
        .flatMap(({ shape, methods }) =>
          Object.keys(methods).map(
            (method) =>
              `${method} /${shape.map((s) => (s.startsWith(':') ? `{${s.slice(1)}}` : s)).join('/')}`,
          ),
        ),
    );
    expect(sent.map((s) => s.route).sort()).toEqual(served.sort());
  });

  it('creates one rule per trigger with the exact event pattern, and the alarm and watchdog rules', () => {
    const patterns = resources('AWS::Events::Rule').map((r) => r.Properties.EventPattern);
    expect(patterns).toContainEqual({
      source: ['aws.s3'],
      'detail-type': ['Object Created'],
      detail: { bucket: { name: ['artifacts'] }, object: { key: [{ prefix: 'orders/' }] } },
    });
    expect(patterns).toContainEqual({
      source: ['stepshift'],
      'detail-type': ['Deployment Requested'],
      detail: { group: ['orders'] },
    });
    expect(patterns).toContainEqual({
      source: ['aws.ecr'],
      'detail-type': ['ECR Image Action'],
      detail: {
        'action-type': ['PUSH'],
        result: ['SUCCESS'],
        'repository-name': ['shop/web'],
        'image-tag': [{ prefix: 'release-' }, 'stable'],
      },
    });
    expect(patterns).toContainEqual({
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { alarmName: ['orders-5xx', 'orders-latency', 'billing-errors'], state: { value: ['ALARM'] } },
    });
    const watchdog = patterns.find((p) => p.source[0] === 'aws.states');
    expect(watchdog).toMatchObject({
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        // Every end: the watchdog starts the next queued deployment after a success too.
        status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [{ Ref: expect.stringMatching(/^StepShiftDeployment/) }],
      },
    });
    const intake = resources('AWS::Events::Rule').filter((r) =>
      r.Properties.Description?.includes('starts a deployment'),
    );
    for (const rule of intake) {
      expect(rule.Properties.Targets[0]).toMatchObject({
        DeadLetterConfig: { Arn: expect.anything() },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
      });
    }
    expect(intake).toHaveLength(3);
  });

  it('lets only the API’s starts, intake, the execution watchdog and the release function start deployments, and the API’s releases start releases', () => {
    const fnOfRole = new Map(
      Object.entries(built.template.findResources('AWS::Lambda::Function')).map(([id, r]) => [
        (r as { Properties: Props }).Properties.Role?.['Fn::GetAtt']?.[0],
        id,
      ]),
    );
    const starters = Object.values(built.template.findResources('AWS::IAM::Policy')).flatMap((p) => {
      const { PolicyDocument, Roles } = (p as { Properties: Props }).Properties;
      const starts = PolicyDocument.Statement.filter((s: Props) =>
        [s.Action].flat().includes('states:StartExecution'),
      );
      return starts.flatMap((s: Props) =>
        Roles.map((r: Props) => ({
          fn: String(fnOfRole.get(r.Ref) ?? r.Ref)
            .replace(/^StepShift/, '')
            .replace(/Function.*$|[0-9A-F]{8}$/, ''),
          machine: String(s.Resource?.Ref)
            .replace(/^StepShift/, '')
            .replace(/[0-9A-F]{8}$/, ''),
        })),
      );
    });
    expect(
      starters.sort((a: Props, b: Props) => `${a.fn}${a.machine}`.localeCompare(`${b.fn}${b.machine}`)),
    ).toEqual([
      { fn: 'ApiReleases', machine: 'Release' },
      { fn: 'ApiStart', machine: 'Deployment' },
      { fn: 'ExecutionEnded', machine: 'Deployment' },
      { fn: 'Intake', machine: 'Deployment' },
      { fn: 'Release', machine: 'Deployment' },
    ]);
  });

  it('grants no lambda:* or ecs:*, and Resource * only for actions AWS offers no resource for or honours only on *', () => {
    const statements = resources('AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    const actions = (s: { Action: string | string[] }) => [s.Action].flat();
    for (const s of statements) {
      expect(actions(s)).not.toContain('lambda:*');
      expect(actions(s)).not.toContain('ecs:*');
      if (s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*'))) {
        for (const action of actions(s)) {
          expect(action).toMatch(
            /^(xray:PutTraceSegments|xray:PutTelemetryRecords|xray:GetSamplingRules|xray:GetSamplingTargets|elasticloadbalancing:DescribeListeners|elasticloadbalancing:DescribeRules|ecs:DescribeTaskDefinition|ecs:RegisterTaskDefinition|ecs:TagResource|states:SendTaskSuccess|states:SendTaskFailure|cloudwatch:DescribeAlarms|logs:(CreateLogDelivery|GetLogDelivery|UpdateLogDelivery|DeleteLogDelivery|ListLogDeliveries|PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups))$/,
          );
        }
      }
    }
  });

  it('names exactly the declared aliases, versions and hooks, and reads alarms on * for composite alarms', () => {
    const statements = resources('AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    const resourcesFor = (action: string) =>
      JSON.stringify(
        statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat()),
      );
    const updateAlias = resourcesFor('lambda:UpdateAlias');
    expect(updateAlias).toContain(':function:orders"');
    expect(updateAlias).toContain(':function:orders:live"');
    expect(updateAlias).toContain('arn:aws:lambda:eu-west-1:210987654321:function:billing:prod');
    expect(updateAlias).not.toContain('smoke');
    const invoke = resourcesFor('lambda:InvokeFunction');
    expect(invoke).toContain(':function:orders-smoke');
    expect(invoke).toContain(':function:orders-contract');
    expect(invoke).not.toMatch(/:function:orders"/);
    // AWS returns composite alarms only to a DescribeAlarms grant on * (infra/grants.ts).
    expect(new Set(JSON.parse(resourcesFor('cloudwatch:DescribeAlarms')))).toEqual(new Set(['*']));
    const publish = resourcesFor('lambda:PublishVersion');
    expect(publish).toContain(':function:orders"');
    expect(publish).not.toContain('billing');
    expect(resourcesFor('s3:GetObject')).toContain(':s3:::artifacts/orders/*');
  });

  it('grants ECS and ALB changes on exactly the declared services, listeners and task roles', () => {
    const statements = resources('AWS::IAM::Policy').flatMap((p) => p.Properties.PolicyDocument.Statement);
    const resourcesFor = (action: string) =>
      JSON.stringify(
        statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat()),
      );
    const update = resourcesFor('ecs:UpdateService');
    expect(update).toContain('service/shop/web-blue');
    expect(update).toContain('service/shop/web-green');
    expect(update).not.toContain('"*"');
    const modify = resourcesFor('elasticloadbalancing:ModifyListener');
    expect(modify).toContain('listener/app/shop/3/4');
    expect(modify).toContain('listener/app/shop/3/9');
    expect(modify).not.toContain('"*"');
    const pass = statements.find((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(pass).toMatchObject({
      Resource: 'arn:aws:iam::123456789012:role/web-task',
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    });
  });

  it.each([
    [
      'Install',
      [
        'ecs:DescribeServices',
        'ecs:UpdateService',
        'ecs:RegisterTaskDefinition',
        'ecs:DescribeTaskDefinition',
        'iam:PassRole',
      ],
    ],
    ['CheckSteady', ['ecs:DescribeServices']],
    ['TestTraffic', ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:ModifyListener']],
    ['ScaleDownOld', ['ecs:UpdateService', 'events:PutEvents']],
    [
      'RollBack',
      ['lambda:UpdateAlias', 'elasticloadbalancing:ModifyListener', 'ecs:UpdateService', 'events:PutEvents'],
    ],
    ['ShiftTraffic', ['lambda:UpdateAlias', 'elasticloadbalancing:ModifyListener']],
    [
      'Prepare',
      [
        'lambda:GetAlias',
        'elasticloadbalancing:DescribeListeners',
        'ecs:DescribeServices',
        'cloudwatch:DescribeAlarms',
        'events:PutEvents',
      ],
    ],
  ])('gives the %s function what its code calls', (name, actions) => {
    const functions = built.template.findResources('AWS::Lambda::Function');
    const [, fn] = Object.entries(functions).find(([id]) => id.startsWith(`StepShift${name}Function`)) ?? [];
    const roleId = (fn as Props).Properties.Role['Fn::GetAtt'][0];
    const granted = resources('AWS::IAM::Policy')
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((st: Props) => [st.Action].flat()));
    for (const action of actions) expect(granted, `${name} ${action}`).toContain(action);
  });

  it('has a dashboard of deployments started, succeeded and rolled back, and rollback latency', () => {
    const [dashboard] = resources('AWS::CloudWatch::Dashboard');
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const text of [
      'StepShift',
      'Deployments',
      'started',
      'succeeded',
      'rolled back',
      'RollbackLatency',
    ]) {
      expect(body).toContain(text);
    }
  });
});
