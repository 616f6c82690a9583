/**
 * The CDK app: one stack with the StepShift construct for ./stepshift.config.json (or
 * STEPSHIFT_CONFIG). `npx cdk synth` needs no AWS credentials; `npx cdk deploy` deploys it.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseGroupConfigText } from '../functions/core/group-config.ts';
import { StepShift } from './stepshift.ts';

const file = resolve(process.env.STEPSHIFT_CONFIG ?? 'stepshift.config.json');
const configText = readFileSync(file, 'utf8');
const config = parseGroupConfigText(configText, file);

const app = new App();
const stack = new Stack(app, app.node.tryGetContext('stackName') ?? 'StepShift', {
  description: 'stepshift: canary, linear and all-at-once deployments for Lambda aliases and ECS services',
  ...(process.env.CDK_DEFAULT_ACCOUNT && process.env.CDK_DEFAULT_REGION
    ? { env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION } }
    : {}),
});
new StepShift(stack, 'StepShift', {
  config,
  configText,
  logLevel: app.node.tryGetContext('logLevel') === 'ALL' ? 'ALL' : 'ERROR',
  deletionProtection: app.node.tryGetContext('deletionProtection') !== 'false',
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
