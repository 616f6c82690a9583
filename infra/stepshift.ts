/**
 * The StepShift construct: everything stepshift needs in an AWS account, for the groups of one config
 * file. Usable from any CDK app: `new StepShift(stack, 'StepShift', { config: loadGroupConfigFile(…) })`.
 *
 * IAM names exactly what the config declares. Two grants use `Resource: *` because AWS offers no
 * resource-level permission for them: `states:SendTaskSuccess` / `states:SendTaskFailure` (a task token
 * is the authorization) — both acknowledged to cdk-nag with that reason.
 */
import { fileURLToPath } from 'node:url';
import {
  ArnFormat,
  aws_apigateway as apigw,
  type CfnElement,
  aws_cloudwatch as cloudwatch,
  Duration,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_logs as logs,
  aws_lambda_nodejs as nodejs,
  RemovalPolicy,
  Stack,
  aws_stepfunctions as sfn,
  aws_sqs as sqs,
  aws_events_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { INDEX_ALL, INDEX_BY_GROUP, TTL_ATTRIBUTE } from '../functions/aws/dynamo-store.ts';
import { EVENT_SOURCE } from '../functions/aws/eventbridge.ts';
import type { EcsGroup, GroupConfig, LambdaGroup } from '../functions/core/group-config.ts';
import type { Substitution } from '../functions/core/states.ts';
import { ENV } from '../functions/handlers/context.ts';
import { acknowledgeNagFindings } from './nag.ts';

export const ASL_PATH = fileURLToPath(new URL('../statemachines/deployment.asl.json', import.meta.url));
const HANDLERS = fileURLToPath(new URL('../functions/handlers/', import.meta.url));
export const METRICS_NAMESPACE = 'StepShift';

export interface StepShiftProps {
  /** The validated group config. */
  config: GroupConfig;
  /** The config file's text, bundled into the functions (they validate it again at start). */
  configText: string;
  /** Step Functions log level: ERROR (default) or ALL. */
  logLevel?: 'ERROR' | 'ALL';
  /** Protect the table from deletion (default true). */
  deletionProtection?: boolean;
  /** API Gateway throttling: steady requests per second and burst. */
  apiThrottle?: { rateLimit: number; burstLimit: number };
}

type FnName =
  | 'Prepare'
  | 'RunHooks'
  | 'ShiftTraffic'
  | 'CheckAlarms'
  | 'Bake'
  | 'Finalize'
  | 'RollBack'
  | 'Install'
  | 'CheckSteady'
  | 'TestTraffic'
  | 'ScaleDownOld'
  | 'Api'
  | 'Intake'
  | 'AlarmIntake'
  | 'ExecutionEnded';

export class StepShift extends Construct {
  readonly table: dynamodb.TableV2;
  readonly stateMachine: sfn.StateMachine;
  readonly api: apigw.RestApi;
  readonly functions: Record<FnName, nodejs.NodejsFunction>;
  readonly deadLetterQueue: sqs.Queue;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: StepShiftProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const groups = Object.values(props.config.groups);
    const lambdaGroups = groups.filter((g): g is LambdaGroup => g.kind === 'lambda');

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      deletionProtection: props.deletionProtection ?? true,
      removalPolicy: props.deletionProtection === false ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      globalSecondaryIndexes: [
        {
          indexName: INDEX_BY_GROUP,
          partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
        },
        {
          indexName: INDEX_ALL,
          partitionKey: { name: 'gsi2pk', type: dynamodb.AttributeType.STRING },
          sortKey: { name: 'gsi2sk', type: dynamodb.AttributeType.STRING },
        },
      ],
    });

    this.deadLetterQueue = new sqs.Queue(this, 'IntakeDeadLetters', {
      retentionPeriod: Duration.days(14),
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
    });

    const fn = (name: FnName, file: string, handler: string, timeout = Duration.seconds(60)) =>
      new nodejs.NodejsFunction(this, `${name}Function`, {
        entry: `${HANDLERS}${file}`,
        handler,
        runtime: lambda.Runtime.NODEJS_22_X,
        architecture: lambda.Architecture.ARM_64,
        memorySize: 512,
        timeout,
        tracing: lambda.Tracing.ACTIVE,
        environment: {
          [ENV.table]: this.table.tableName,
          NODE_OPTIONS: '--enable-source-maps',
        },
        bundling: {
          minify: true,
          sourceMap: true,
          target: 'node22',
          externalModules: ['@aws-sdk/*'],
          define: { __STEPSHIFT_GROUPS__: JSON.stringify(props.configText) },
        },
      });
    this.functions = {
      Prepare: fn('Prepare', 'tasks.ts', 'prepareHandler'),
      RunHooks: fn('RunHooks', 'tasks.ts', 'runHooksHandler', Duration.minutes(15)),
      ShiftTraffic: fn('ShiftTraffic', 'tasks.ts', 'shiftTrafficHandler'),
      CheckAlarms: fn('CheckAlarms', 'tasks.ts', 'checkAlarmsHandler'),
      Bake: fn('Bake', 'tasks.ts', 'bakeHandler'),
      Finalize: fn('Finalize', 'tasks.ts', 'finalizeHandler'),
      RollBack: fn('RollBack', 'tasks.ts', 'rollbackHandler'),
      Install: fn('Install', 'tasks.ts', 'installHandler'),
      CheckSteady: fn('CheckSteady', 'tasks.ts', 'checkSteadyHandler'),
      TestTraffic: fn('TestTraffic', 'tasks.ts', 'testTrafficHandler'),
      ScaleDownOld: fn('ScaleDownOld', 'tasks.ts', 'scaleDownOldHandler'),
      Api: fn('Api', 'api.ts', 'handler', Duration.seconds(29)),
      Intake: fn('Intake', 'events.ts', 'intakeHandler', Duration.minutes(2)),
      AlarmIntake: fn('AlarmIntake', 'events.ts', 'alarmHandler'),
      ExecutionEnded: fn('ExecutionEnded', 'events.ts', 'executionEndedHandler'),
    };
    const f = this.functions;
    for (const each of Object.values(f)) this.table.grantReadWriteData(each);

    // ── the state machine: the ASL file, with the task functions substituted ──
    const logGroup = new logs.LogGroup(this, 'StateMachineLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    const substitutions: Record<Substitution, string> = {
      PrepareFunctionArn: f.Prepare.functionArn,
      RunHooksFunctionArn: f.RunHooks.functionArn,
      ShiftTrafficFunctionArn: f.ShiftTraffic.functionArn,
      CheckAlarmsFunctionArn: f.CheckAlarms.functionArn,
      BakeFunctionArn: f.Bake.functionArn,
      FinalizeFunctionArn: f.Finalize.functionArn,
      RollBackFunctionArn: f.RollBack.functionArn,
      InstallFunctionArn: f.Install.functionArn,
      CheckSteadyFunctionArn: f.CheckSteady.functionArn,
      TestTrafficFunctionArn: f.TestTraffic.functionArn,
      ScaleDownOldFunctionArn: f.ScaleDownOld.functionArn,
    };
    this.stateMachine = new sfn.StateMachine(this, 'Deployment', {
      definitionBody: sfn.DefinitionBody.fromFile(ASL_PATH),
      definitionSubstitutions: substitutions,
      stateMachineType: sfn.StateMachineType.STANDARD,
      tracingEnabled: true,
      logs: {
        destination: logGroup,
        level: props.logLevel === 'ALL' ? sfn.LogLevel.ALL : sfn.LogLevel.ERROR,
        includeExecutionData: props.logLevel === 'ALL',
      },
    });
    // Every function the definition names, and no other, may be invoked by the state machine.
    const taskFunctions = [
      f.Prepare,
      f.RunHooks,
      f.ShiftTraffic,
      f.CheckAlarms,
      f.Bake,
      f.Finalize,
      f.RollBack,
      f.Install,
      f.CheckSteady,
      f.TestTraffic,
      f.ScaleDownOld,
    ];
    for (const task of taskFunctions) task.grantInvoke(this.stateMachine);
    for (const each of [f.Api, f.Intake, f.AlarmIntake, f.ExecutionEnded]) {
      each.addEnvironment(ENV.stateMachine, this.stateMachine.stateMachineArn);
    }
    this.stateMachine.grantStartExecution(f.Api);
    this.stateMachine.grantStartExecution(f.Intake);
    f.Intake.addEnvironment(ENV.deadLetterQueue, this.deadLetterQueue.queueUrl);
    this.deadLetterQueue.grantSendMessages(f.Intake);

    // ── least privilege on what the config declares ──
    const functionArn = (name: string) =>
      name.startsWith('arn:')
        ? name
        : stack.formatArn({
            service: 'lambda',
            resource: 'function',
            resourceName: name,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          });
    const aliasArns = lambdaGroups.flatMap((g) => {
      const arn = functionArn(g.target.functionName);
      return [arn, `${arn}:${g.target.alias}`];
    });
    const versionArns = lambdaGroups.map((g) => `${functionArn(g.target.functionName)}:*`);
    const hookArns = [
      ...new Set(
        groups.flatMap((g) =>
          Object.values(g.hooks).flatMap((hs) => hs.map((h) => functionArn(h.functionName))),
        ),
      ),
    ];
    const alarmArns = [...new Set(groups.flatMap((g) => g.alarms))].map((a) =>
      stack.formatArn({
        service: 'cloudwatch',
        resource: 'alarm',
        resourceName: a,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    );
    const allow = (fns: lambda.IFunction[], actions: string[], resources: string[]) => {
      if (resources.length === 0) return;
      for (const each of fns) each.addToRolePolicy(new iam.PolicyStatement({ actions, resources }));
    };
    const readers = [f.Prepare, f.ShiftTraffic, f.Finalize, f.RollBack, f.Api, f.Intake, f.ExecutionEnded];
    const writers = [f.ShiftTraffic, f.Finalize, f.RollBack, f.Api, f.ExecutionEnded];
    const watchers = [f.Prepare, f.CheckAlarms, f.Bake];
    const publishers = [
      f.Prepare,
      f.RunHooks,
      f.ShiftTraffic,
      f.Finalize,
      f.RollBack,
      f.Api,
      f.Intake,
      f.ExecutionEnded,
      f.ScaleDownOld,
    ];
    allow(readers, ['lambda:GetAlias'], aliasArns);
    allow(writers, ['lambda:UpdateAlias'], aliasArns);
    allow([f.Prepare, f.Api, f.Intake], ['lambda:GetFunctionConfiguration'], versionArns);
    allow(watchers, ['cloudwatch:DescribeAlarms'], alarmArns);
    allow([f.RunHooks], ['lambda:InvokeFunction'], hookArns);
    allow(
      publishers,
      ['events:PutEvents'],
      [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
    );
    // AWS offers no resource-level permission for task-token calls: the token is the authorization.
    allow([f.Bake, f.Api, f.AlarmIntake], ['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']);

    // ECS groups: the declared services, listeners and listener rules.
    const ecsGroups = groups.filter((g): g is EcsGroup => g.kind === 'ecs');
    const serviceArns = ecsGroups.flatMap((g) => {
      const cluster = g.target.cluster.split('/').pop() ?? g.target.cluster;
      return [g.target.blueService, g.target.greenService].map((svc) =>
        stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/${svc}` }),
      );
    });
    const listenerArns = ecsGroups.flatMap((g) =>
      [g.target.listener, g.target.testListener].filter((a): a is string => !!a),
    );
    const ruleArns = ecsGroups.flatMap((g) => (g.target.listenerRule ? [g.target.listenerRule] : []));
    const albUsers = [
      f.Prepare,
      f.ShiftTraffic,
      f.Finalize,
      f.RollBack,
      f.TestTraffic,
      f.Api,
      f.Intake,
      f.ExecutionEnded,
    ];
    if (ecsGroups.length > 0) {
      // ELB Describe* actions have no resource-level permission.
      allow(
        albUsers,
        ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'],
        ['*'],
      );
      allow([f.Prepare, f.Install, f.CheckSteady, f.Api, f.Intake], ['ecs:DescribeServices'], serviceArns);
      allow([f.Install, f.ScaleDownOld, f.RollBack, f.ExecutionEnded], ['ecs:UpdateService'], serviceArns);
      // DescribeTaskDefinition and RegisterTaskDefinition have no resource-level permission.
      allow(
        [f.Install],
        ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:TagResource'],
        ['*'],
      );
      const roles = [...new Set(ecsGroups.flatMap((g) => g.target.taskRoles ?? []))];
      if (roles.length > 0) {
        for (const each of [f.Install]) {
          each.addToRolePolicy(
            new iam.PolicyStatement({
              actions: ['iam:PassRole'],
              resources: roles,
              conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
            }),
          );
        }
      }
    }
    allow(
      [f.ShiftTraffic, f.Finalize, f.RollBack, f.TestTraffic, f.ExecutionEnded],
      ['elasticloadbalancing:ModifyListener'],
      listenerArns,
    );
    allow(
      [f.ShiftTraffic, f.Finalize, f.RollBack, f.ExecutionEnded],
      ['elasticloadbalancing:ModifyRule'],
      ruleArns,
    );

    const s3Groups = lambdaGroups.filter((g) => g.triggers.some((t) => t.type === 's3ObjectCreated'));
    allow(
      [f.Intake],
      ['lambda:UpdateFunctionCode', 'lambda:PublishVersion', 'lambda:GetFunctionConfiguration'],
      s3Groups.map((g) => functionArn(g.target.functionName)),
    );
    allow(
      [f.Intake],
      ['s3:GetObject', 's3:GetObjectVersion'],
      s3Groups.flatMap((g) =>
        g.triggers.flatMap((t) =>
          t.type === 's3ObjectCreated'
            ? [`arn:${stack.partition}:s3:::${t.bucket}/${t.keyPrefix ?? ''}*`]
            : [],
        ),
      ),
    );

    // ── API Gateway: IAM auth, validation, throttling, access logs ──
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.THREE_MONTHS,
    });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'stepshift deployments API',
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.DESTROY,
      deployOptions: {
        stageName: 'v1',
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        throttlingRateLimit: props.apiThrottle?.rateLimit ?? 20,
        throttlingBurstLimit: props.apiThrottle?.burstLimit ?? 40,
        tracingEnabled: true,
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
      },
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
    });
    const integration = new apigw.LambdaIntegration(f.Api);
    const bodyValidator = this.api.addRequestValidator('BodyValidator', {
      validateRequestBody: true,
      validateRequestParameters: true,
    });
    const startModel = this.api.addModel('StartDeployment', {
      contentType: 'application/json',
      schema: {
        type: apigw.JsonSchemaType.OBJECT,
        required: ['group', 'revision'],
        properties: {
          group: { type: apigw.JsonSchemaType.STRING, enum: groups.map((g) => g.name) },
          revision: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 256 },
          config: {},
          alarms: {
            type: apigw.JsonSchemaType.ARRAY,
            items: { type: apigw.JsonSchemaType.STRING },
            maxItems: 10,
          },
          description: { type: apigw.JsonSchemaType.STRING, maxLength: 512 },
        },
      },
    });
    const deployments = this.api.root.addResource('deployments');
    deployments.addMethod('POST', integration, {
      requestValidator: bodyValidator,
      requestModels: { 'application/json': startModel },
    });
    deployments.addMethod('GET', integration);
    const one = deployments.addResource('{id}');
    one.addMethod('GET', integration);
    for (const action of ['stop', 'promote', 'rollback'])
      one.addResource(action).addMethod('POST', integration);
    this.api.root.addResource('groups').addMethod('GET', integration);

    // ── EventBridge: triggers, alarms, and the execution watchdog ──
    const intakeTarget = new targets.LambdaFunction(f.Intake, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
    });
    for (const group of groups) {
      group.triggers.forEach((trigger, i) => {
        const pattern: events.EventPattern =
          trigger.type === 's3ObjectCreated'
            ? {
                source: ['aws.s3'],
                detailType: ['Object Created'],
                detail: {
                  bucket: { name: [trigger.bucket] },
                  ...(trigger.keyPrefix ? { object: { key: [{ prefix: trigger.keyPrefix }] } } : {}),
                },
              }
            : trigger.type === 'ecrPush'
              ? {
                  source: ['aws.ecr'],
                  detailType: ['ECR Image Action'],
                  detail: {
                    'action-type': ['PUSH'],
                    result: ['SUCCESS'],
                    'repository-name': [trigger.repository],
                    ...(trigger.tags
                      ? {
                          'image-tag': trigger.tags.map((t) =>
                            t.endsWith('*') ? { prefix: t.slice(0, -1) } : t,
                          ),
                        }
                      : {}),
                  },
                }
              : {
                  source: [EVENT_SOURCE],
                  detailType: ['Deployment Requested'],
                  detail: { group: [group.name] },
                };
        new events.Rule(this, `Trigger-${group.name}-${i}`, {
          description: `stepshift: ${trigger.type} starts a deployment of ${group.name}`,
          eventPattern: pattern,
          targets: [intakeTarget],
        });
      });
    }
    const alarmNames = [...new Set(groups.flatMap((g) => g.alarms))];
    if (alarmNames.length > 0) {
      new events.Rule(this, 'AlarmStateChange', {
        description: 'stepshift: a watched alarm entering ALARM ends the bake of the deployments watching it',
        eventPattern: {
          source: ['aws.cloudwatch'],
          detailType: ['CloudWatch Alarm State Change'],
          detail: { alarmName: alarmNames, state: { value: ['ALARM'] } },
        },
        targets: [
          new targets.LambdaFunction(f.AlarmIntake, { retryAttempts: 4, maxEventAge: Duration.minutes(10) }),
        ],
      });
    }
    new events.Rule(this, 'ExecutionEnded', {
      description: 'stepshift: an execution that ended outside RollBack is rolled back',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
          stateMachineArn: [this.stateMachine.stateMachineArn],
        },
      },
      targets: [
        new targets.LambdaFunction(f.ExecutionEnded, { retryAttempts: 4, maxEventAge: Duration.hours(1) }),
      ],
    });

    acknowledgeNagFindings({
      scope: this,
      config: props.config,
      tableElement: this.table.node.defaultChild as CfnElement,
      taskFunctionElements: taskFunctions.map((each) => each.node.defaultChild as CfnElement),
      logLevel: props.logLevel ?? 'ERROR',
    });

    // ── the dashboard ──
    const deploymentsMetric = (status: string, label: string) =>
      new cloudwatch.Metric({
        namespace: METRICS_NAMESPACE,
        metricName: 'Deployments',
        dimensionsMap: { Status: status },
        statistic: 'Sum',
        period: Duration.hours(1),
        label,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Deployments',
            width: 12,
            left: [
              deploymentsMetric('CREATED', 'started'),
              deploymentsMetric('SUCCEEDED', 'succeeded'),
              deploymentsMetric('ROLLED_BACK', 'rolled back'),
              deploymentsMetric('FAILED', 'failed'),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'Rollback latency (cause caught → routing restored)',
            width: 12,
            left: ['p50', 'p99', 'Maximum'].map(
              (statistic) =>
                new cloudwatch.Metric({
                  namespace: METRICS_NAMESPACE,
                  metricName: 'RollbackLatency',
                  dimensionsMap: { Status: 'ROLLED_BACK' },
                  statistic,
                  unit: cloudwatch.Unit.MILLISECONDS,
                  period: Duration.hours(1),
                }),
            ),
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Executions',
            width: 24,
            left: [
              this.stateMachine.metricStarted(),
              this.stateMachine.metricSucceeded(),
              this.stateMachine.metricFailed(),
              this.stateMachine.metricTimedOut(),
            ],
          }),
        ],
      ],
    });
  }
}
