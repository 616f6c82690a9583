/**
 * The stack the infra tests synthesize: one StepShift construct for a config with two Lambda groups
 * (one by name with hooks, alarms and an S3 trigger, one by ARN in another account) and one ECS group
 * (test listener, task role, ECR trigger), checked by cdk-nag. Shared by the tests and by
 * `fixtures/capture.ts`, so the recorded stack shape is the one the tests compare against.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { StepShift } from '../../infra/stepshift.ts';
import { useRunBundles } from '../bundles.ts';

export const raw = {
  groups: {
    orders: {
      kind: 'lambda',
      target: { functionName: 'orders', alias: 'live' },
      deploymentConfig: 'LambdaCanary10Percent5Minutes',
      hooks: {
        BeforeAllowTraffic: ['orders-smoke'],
        AfterAllowTraffic: [{ functionName: 'orders-contract', timeoutSeconds: 600 }],
      },
      alarms: ['orders-5xx', 'orders-latency'],
      triggers: [
        { type: 's3ObjectCreated', bucket: 'artifacts', keyPrefix: 'orders/' },
        { type: 'deploymentRequested' },
      ],
    },
    billing: {
      kind: 'lambda',
      target: { functionName: 'arn:aws:lambda:eu-west-1:210987654321:function:billing', alias: 'prod' },
      deploymentConfig: 'LambdaAllAtOnce',
      alarms: ['billing-errors'],
    },
    web: {
      kind: 'ecs',
      target: {
        cluster: 'shop',
        blueService: 'web-blue',
        greenService: 'web-green',
        blueTargetGroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1',
        greenTargetGroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2',
        listener: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/3/4',
        testListener: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/3/9',
        container: 'web',
        taskRoles: ['arn:aws:iam::123456789012:role/web-task'],
      },
      deploymentConfig: 'ECSAllAtOnce',
      triggers: [{ type: 'ecrPush', repository: 'shop/web', tags: ['release-*', 'stable'] }],
    },
  },
};

/**
 * Synthesizes the stack, with cdk-nag's AwsSolutions checks, for `config` (the raw config file; by
 * default the one above — test/iam passes its own). The functions' code is the bundles built once for
 * the run (test/global-setup.ts).
 *
 * `cfnValidation: false` leaves out CDK's built-in CloudFormation validation, for a test that does not
 * read its report (`validation-report.json`): its rules engine takes about 6 s to start in each test file.
 */
export function synth(
  logLevel?: 'ERROR' | 'ALL',
  config: unknown = raw,
  { cfnValidation = true }: { cfnValidation?: boolean } = {},
) {
  useRunBundles();
  const outdir = mkdtempSync(join(tmpdir(), 'stepshift-cdk-'));
  const app = new App({ outdir, builtinCloudFormationValidation: cfnValidation });
  const stack = new Stack(app, 'Test', { env: { account: '123456789012', region: 'eu-west-1' } });
  const stepshift = new StepShift(stack, 'StepShift', {
    config: parseGroupConfig(config),
    configText: JSON.stringify(config),
    ...(logLevel ? { logLevel } : {}),
  });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  return { app, stack, stepshift, template: Template.fromStack(stack), outdir, assembly };
}
