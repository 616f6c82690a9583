/**
 * The HTTP API: API Gateway with IAM auth (SigV4) on every route, request validation of the start
 * bodies, throttling and access logs, each route proxied to the function that serves it: `Api` (the
 * routes that read, and those that act on a deployment), `ApiStart` (those that start one), `ApiReleases`
 * (releases).
 *
 * `POST /groups/{group}/deployments` names the group in the path, so that an `execute-api:Invoke`
 * policy can allow deploying one group and not another (README, "Per-group IAM"); `POST /deployments`
 * (group in the body) stays for callers allowed every group.
 *
 * The stage logs (access log and ERROR execution log) through the API Gateway CloudWatch Logs role of
 * the account, a per-Region account setting (`AWS::ApiGateway::Account`: "you should only have one
 * AWS::ApiGateway::Account resource per region per account",
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-account.html).
 * This stack does not manage it (`cloudWatchRole: false`): a stack that did would overwrite the role
 * another stack or the account's owner set, and with DESTROY would unset it for every API of the Region
 * when deleted. The README's "Deploy to AWS" says how to set it once (the role API Gateway assumes to
 * write logs: https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
 */
import {
  aws_apigateway as apigw,
  Duration,
  type aws_lambda as lambda,
  aws_logs as logs,
  type aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeploymentGroup } from '../functions/core/group-config.ts';
import { ENV } from '../functions/handlers/context.ts';
import type { ApiFnName, NewFunction } from './functions.ts';

export interface ApiProps {
  fn: NewFunction;
  stateMachine: sfn.StateMachine;
  /** The declared groups: the start body may name only these. */
  groups: DeploymentGroup[];
  /** Steady requests per second and burst (default 20 and 40). */
  throttle?: { rateLimit: number; burstLimit: number } | undefined;
}

/**
 * Creates the API's functions and the REST API in front of them, in `scope`. Each function serves some of
 * the routes (functions/handlers/api.ts, api-start.ts, api-releases.ts), so that its bundle carries their
 * code alone and its role their permissions alone; each method below goes to the one that serves it.
 */
export function createApi(
  scope: Construct,
  { fn, stateMachine, groups, throttle }: ApiProps,
): { api: apigw.RestApi; handlers: Record<ApiFnName, lambda.Function> } {
  const handlers: Record<ApiFnName, lambda.Function> = {
    Api: fn('Api', 'api.ts', 'handler', Duration.seconds(29)),
    ApiStart: fn('ApiStart', 'api-start.ts', 'handler', Duration.seconds(29)),
    ApiReleases: fn('ApiReleases', 'api-releases.ts', 'handler', Duration.seconds(29)),
  };
  // Each links a deployment to its execution in the console (the state machine's ARN and the name).
  for (const handler of Object.values(handlers)) {
    handler.addEnvironment(ENV.stateMachine, stateMachine.stateMachineArn);
  }
  // The routes that start a deployment, a retry, a redeploy, a resume.
  stateMachine.grantStartExecution(handlers.ApiStart);
  // GET /deployments/{id}/execution: the status and the history of this state machine's executions
  // only (`arn:…:execution:<state machine name>:*`).
  stateMachine.grantExecution(handlers.Api, 'states:DescribeExecution', 'states:GetExecutionHistory');

  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
    retention: logs.RetentionDays.THREE_MONTHS,
  });
  const api = new apigw.RestApi(scope, 'Api', {
    description: 'stepshift deployments API',
    // The account's API Gateway logging role is set once per Region, outside this stack (see above).
    cloudWatchRole: false,
    deployOptions: {
      stageName: 'v1',
      accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
      accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
      throttlingRateLimit: throttle?.rateLimit ?? 20,
      throttlingBurstLimit: throttle?.burstLimit ?? 40,
      tracingEnabled: true,
      loggingLevel: apigw.MethodLoggingLevel.ERROR,
    },
    defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
  });
  // Each method below goes to the function whose route tables serve it (test/infra/stack.test.ts).
  const to = {
    Api: new apigw.LambdaIntegration(handlers.Api),
    ApiStart: new apigw.LambdaIntegration(handlers.ApiStart),
    ApiReleases: new apigw.LambdaIntegration(handlers.ApiReleases),
  };
  const bodyValidator = api.addRequestValidator('BodyValidator', {
    validateRequestBody: true,
    validateRequestParameters: true,
  });
  const startProperties: Record<string, apigw.JsonSchema> = {
    group: { type: apigw.JsonSchemaType.STRING, enum: groups.map((g) => g.name) },
    revision: { type: apigw.JsonSchemaType.STRING, minLength: 1, maxLength: 256 },
    config: {},
    alarms: {
      type: apigw.JsonSchemaType.ARRAY,
      items: { type: apigw.JsonSchemaType.STRING },
      maxItems: 10,
    },
    ignoreAlarms: {
      type: apigw.JsonSchemaType.ARRAY,
      items: { type: apigw.JsonSchemaType.STRING },
      maxItems: 10,
    },
    description: { type: apigw.JsonSchemaType.STRING, maxLength: 512 },
  };
  const startModel = api.addModel('StartDeployment', {
    contentType: 'application/json',
    schema: {
      type: apigw.JsonSchemaType.OBJECT,
      required: ['group', 'revision'],
      properties: startProperties,
    },
  });
  // The group comes from the path; a body may repeat it (the function refuses a different one, naming it).
  const startInGroupModel = api.addModel('StartGroupDeployment', {
    contentType: 'application/json',
    schema: { type: apigw.JsonSchemaType.OBJECT, required: ['revision'], properties: startProperties },
  });
  const deployments = api.root.addResource('deployments');
  deployments.addMethod('POST', to.ApiStart, {
    requestValidator: bodyValidator,
    requestModels: { 'application/json': startModel },
  });
  deployments.addMethod('GET', to.Api);
  const one = deployments.addResource('{id}');
  one.addMethod('GET', to.Api);
  one.addResource('execution').addMethod('GET', to.Api);
  // The controls (functions/api/control-routes.ts): an approver's IAM policy can allow `approve` and
  // `reject` and nothing else.
  for (const action of ['stop', 'cancel', 'promote', 'approve', 'reject', 'rollback'])
    one.addResource(action).addMethod('POST', to.Api);
  for (const action of ['resume', 'retry']) one.addResource(action).addMethod('POST', to.ApiStart);
  // Releases: several groups deployed as one (functions/api/releases.ts); the body is checked there,
  // naming every problem, since a model could only say "invalid".
  const releases = api.root.addResource('releases');
  releases.addMethod('POST', to.ApiReleases);
  releases.addMethod('GET', to.ApiReleases);
  const oneRelease = releases.addResource('{id}');
  oneRelease.addMethod('GET', to.ApiReleases);
  oneRelease.addResource('stop').addMethod('POST', to.ApiReleases);
  const groupsResource = api.root.addResource('groups');
  groupsResource.addMethod('GET', to.Api);
  const oneGroup = groupsResource.addResource('{group}');
  // The group in the path, as for a start: an IAM policy can allow redeploying one group and not another.
  oneGroup
    .addResource('redeploy')
    .addMethod('POST', to.ApiStart, { requestParameters: { 'method.request.path.group': true } });
  oneGroup.addResource('deployments').addMethod('POST', to.ApiStart, {
    requestValidator: bodyValidator,
    requestParameters: { 'method.request.path.group': true },
    requestModels: { 'application/json': startInGroupModel },
  });
  return { api, handlers };
}
