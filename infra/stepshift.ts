/**
 * The StepShift construct: everything stepshift needs in an AWS account, for the groups of one config
 * file. Usable from any CDK app: `new StepShift(stack, 'StepShift', { config: loadGroupConfigFile(…) })`.
 *
 * It composes one module per concern: the workflow (./workflow.ts), the HTTP API (./api.ts), event
 * intake and dead letters (./intake.ts), the alarm path and execution watchdog (./alarm-path.ts), the
 * analysis ticker (./analysis.ts), releases (./releases.ts), the
 * grants on what the config declares (./grants.ts, ./platforms/), cdk-nag (./nag.ts) and the dashboard
 * (./observability.ts). Those modules are plain functions that create their resources directly in this
 * construct, not child constructs: a logical id is derived from the construct path, so a resource
 * moved under a child construct would get a new one, and CloudFormation would replace it on a deployed
 * stack — a new, empty table; a new API URL. Plain functions keep every path, hence every logical id,
 * as it was when this was one file, with no `overrideLogicalId` to maintain;
 * `test/infra/shape.test.ts` holds them to the recorded shape.
 *
 * IAM names exactly what the config declares; `Resource: *` only for actions AWS offers no
 * resource-level permission for, each acknowledged to cdk-nag with that reason.
 */
import {
  type aws_apigateway as apigw,
  type CfnElement,
  type aws_cloudwatch as cloudwatch,
  aws_dynamodb as dynamodb,
  RemovalPolicy,
  Stack,
  type aws_stepfunctions as sfn,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { INDEX_ALL, INDEX_BY_GROUP, TTL_ATTRIBUTE } from '../functions/aws/dynamo-store.ts';
import type { GroupConfig } from '../functions/core/group-config.ts';
import { createAlarmPath } from './alarm-path.ts';
import { createAnalysisTicker } from './analysis.ts';
import { createApi } from './api.ts';
import { functionFactory, type StepShiftFunctions } from './functions.ts';
import { grantDeclared } from './grants.ts';
import { createIntake } from './intake.ts';
import { acknowledgeNagFindings } from './nag.ts';
import { createNotifications } from './notifications.ts';
import { createDashboard } from './observability.ts';
import { createReleases } from './releases.ts';
import { createWorkflow } from './workflow.ts';

export { METRICS_NAMESPACE } from './observability.ts';
export { ASL_PATH } from './workflow.ts';

export interface StepShiftProps {
  /** The validated group config. */
  config: GroupConfig;
  /**
   * The config file's text, for the functions: validated and resolved at synth, and bundled into each
   * function as the resolved config (they validate nothing again).
   */
  configText: string;
  /** Step Functions log level: ERROR (default) or ALL. */
  logLevel?: 'ERROR' | 'ALL';
  /** Protect the table from deletion (default true). */
  deletionProtection?: boolean;
  /** API Gateway throttling: steady requests per second and burst. */
  apiThrottle?: { rateLimit: number; burstLimit: number };
}

export class StepShift extends Construct {
  readonly table: dynamodb.TableV2;
  readonly stateMachine: sfn.StateMachine;
  /** Releases: several groups deployed as one (statemachines/release.asl.json). */
  readonly releaseMachine: sfn.StateMachine;
  readonly api: apigw.RestApi;
  readonly functions: StepShiftFunctions;
  readonly deadLetterQueue: sqs.Queue;
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: StepShiftProps) {
    super(scope, id);
    const groups = Object.values(props.config.groups);
    const logLevel = props.logLevel ?? 'ERROR';

    // All deployment state: records, locks, timelines, idempotency keys (functions/aws/dynamo-store.ts).
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
    const fn = functionFactory(this, { table: this.table, configText: props.configText });

    const workflow = createWorkflow(this, { fn, logLevel });
    this.stateMachine = workflow.stateMachine;
    const api = createApi(this, { fn, stateMachine: this.stateMachine, groups, throttle: props.apiThrottle });
    this.api = api.api;
    const intake = createIntake(this, { fn, stateMachine: this.stateMachine, groups });
    this.deadLetterQueue = intake.deadLetterQueue;
    const alarmPath = createAlarmPath(this, { fn, stateMachine: this.stateMachine, groups });
    const releases = createReleases(this, {
      fn,
      stateMachine: this.stateMachine,
      // The API's function that serves the releases' routes starts the release executions.
      api: api.handlers.ApiReleases,
      logLevel,
    });
    this.releaseMachine = releases.releaseMachine;
    const analyze = createAnalysisTicker(this, { fn, stateMachine: this.stateMachine, groups });
    createNotifications(this, { groups, stateMachine: this.stateMachine });
    this.functions = {
      ...workflow.tasks,
      ...api.handlers,
      Intake: intake.handler,
      AlarmIntake: alarmPath.alarmIntake,
      ExecutionEnded: alarmPath.executionEnded,
      Release: releases.handler,
      ...(analyze ? { Analyze: analyze } : {}),
    };

    grantDeclared(Stack.of(this), props.config, this.functions);
    acknowledgeNagFindings({
      scope: this,
      config: props.config,
      tableElement: this.table.node.defaultChild as CfnElement,
      stateMachineElement: this.stateMachine.node.defaultChild as CfnElement,
      taskFunctionElements: [...Object.values(workflow.tasks), releases.handler].map(
        (each) => each.node.defaultChild as CfnElement,
      ),
      logLevel,
    });
    this.dashboard = createDashboard(this, this.stateMachine);
  }
}
