/**
 * The stack the event tests read: one StepShift construct for a config whose triggers and alarms are
 * named after AWS's sample events (the S3 sample's bucket, the ECR sample's repository, the CloudWatch
 * samples' alarms).
 * Its rules are read back from the CloudFormation template, so the tests check what CDK emits.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { RuleTarget } from '../../functions/core/event-rules.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { StepShift } from '../../infra/stepshift.ts';
import { useRunBundles } from '../bundles.ts';

export const raw = {
  groups: {
    orders: {
      kind: 'lambda',
      target: { functionName: 'orders', alias: 'live' },
      deploymentConfig: 'LambdaCanary10Percent5Minutes',
      alarms: ['ServerCpuTooHigh', 'ServiceAggregatedAlarm'],
      triggers: [
        { type: 's3ObjectCreated', bucket: 'amzn-s3-demo-bucket1', keyPrefix: 'example' },
        { type: 'deploymentRequested' },
      ],
    },
    web: {
      kind: 'ecs',
      target: {
        cluster: 'shop',
        blueService: 'web-blue',
        greenService: 'web-green',
        blueTargetGroup: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/blue/1',
        greenTargetGroup: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:targetgroup/green/2',
        listener: 'arn:aws:elasticloadbalancing:us-west-2:123456789012:listener/app/shop/3/4',
        container: 'web',
        taskRoles: ['arn:aws:iam::123456789012:role/web-task'],
      },
      deploymentConfig: 'ECSAllAtOnce',
      triggers: [{ type: 'ecrPush', repository: 'my-repository-name' }],
    },
  },
};

export const config = parseGroupConfig(raw);

/** Stands for the state machine's ARN where the template has `{"Ref": <state machine>}`. */
export const STATE_MACHINE_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:StepShiftStateMachine';
/** Stands for the release state machine's ARN likewise. */
export const RELEASE_MACHINE_ARN = 'arn:aws:states:us-west-2:123456789012:stateMachine:StepShiftRelease';

export interface SynthesizedRule {
  logicalId: string;
  /** The rule's EventPattern, with the state machine's Ref resolved to {@link STATE_MACHINE_ARN}. */
  pattern: unknown;
  /** The function each target invokes, by the handler it runs. */
  targets: RuleTarget[];
  /** The rest of each target: retry policy and dead-letter queue. */
  targetProperties: Record<string, unknown>[];
}

const HANDLER_TARGETS: Record<string, RuleTarget> = {
  'index.intakeHandler': 'Intake',
  'index.alarmHandler': 'AlarmIntake',
  'index.executionEndedHandler': 'ExecutionEnded',
  'index.releaseHandler': 'Release',
};

export function synthEvents() {
  useRunBundles();
  // No CloudFormation validation: these tests read the rules, not its report, and its engine takes
  // about 6 s to start.
  const app = new App({
    outdir: mkdtempSync(join(tmpdir(), 'stepshift-events-')),
    builtinCloudFormationValidation: false,
  });
  const stack = new Stack(app, 'Events', { env: { account: '123456789012', region: 'us-west-2' } });
  const stepshift = new StepShift(stack, 'StepShift', { config, configText: JSON.stringify(raw) });
  const template = Template.fromStack(stack);
  const stateMachineId = stack.getLogicalId(stepshift.stateMachine.node.defaultChild as never);
  const releaseMachineId = stack.getLogicalId(stepshift.releaseMachine.node.defaultChild as never);
  const machines = { [stateMachineId]: STATE_MACHINE_ARN, [releaseMachineId]: RELEASE_MACHINE_ARN };
  const functions = template.findResources('AWS::Lambda::Function');
  const targetOf = (arn: unknown): RuleTarget => {
    const [logicalId] = (arn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
    const handler = String(functions[logicalId]?.Properties?.Handler);
    const target = HANDLER_TARGETS[handler];
    if (!target) throw new Error(`a rule targets ${logicalId} (${handler}), which is no event handler`);
    return target;
  };
  const rules: SynthesizedRule[] = Object.entries(template.findResources('AWS::Events::Rule')).map(
    ([logicalId, rule]) => {
      const targets = (rule.Properties.Targets ?? []) as Record<string, unknown>[];
      return {
        logicalId,
        pattern: resolve(rule.Properties.EventPattern, machines),
        targets: targets.map((t) => targetOf(t.Arn)),
        targetProperties: targets,
      };
    },
  );
  return { app, stack, stepshift, template, rules };
}

/** Replaces a state machine's `Ref` by its ARN; any other intrinsic in a pattern is a surprise. */
function resolve(value: unknown, machines: Record<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => resolve(v, machines));
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    if (first[0] === 'Ref' && typeof first[1] === 'string' && machines[first[1]]) return machines[first[1]];
    throw new Error(
      `an event pattern holds ${JSON.stringify(value)}: patterns are expected to be plain JSON`,
    );
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v, machines)]));
}
