/**
 * The event contract: AWS's documented sample events (./aws-samples.ts) against the rules the
 * synthesized stack contains, matched by the EventBridge matcher of local mode, then delivered to the
 * real handler each matching rule targets (AWS adapters over mocked clients, dynalite for the store).
 * A sample that matches no rule is what EventBridge would never deliver.
 */
import { PublishVersionCommand, UpdateFunctionCodeCommand } from '@aws-sdk/client-lambda';
import { SendTaskFailureCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { IntakeContext } from '../../functions/api/intake.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import type { RuleTarget } from '../../functions/core/event-rules.ts';
import { makeAlarmHandler } from '../../functions/handlers/alarm-intake.ts';
import { makeExecutionEndedHandler } from '../../functions/handlers/execution-ended.ts';
import { makeIntakeHandler } from '../../functions/handlers/intake.ts';
import { makeReleaseHandler } from '../../functions/handlers/releases.ts';
import { matchesEventPattern } from '../../local/event-pattern.ts';
import { awsContext, DLQ, mocks, resetMocks, restoreMocks } from '../handlers/aws-context.ts';
import { deploymentRequested } from '../handlers/samples.ts';
import {
  compositeAlarmStateChange,
  ecrFailedPush,
  ecrImagePush,
  ecrUntaggedPush,
  executionFailed,
  executionOf,
  executionSucceeded,
  metricAlarmStateChange,
  metricMathAlarmStateChange,
  s3ObjectCreated,
} from './aws-samples.ts';
import { config, RELEASE_MACHINE_ARN, STATE_MACHINE_ARN, synthEvents } from './stack.ts';

let built: ReturnType<typeof synthEvents>;
let env: Awaited<ReturnType<typeof awsContext>>;
let ctx: IntakeContext;
beforeAll(async () => {
  built = synthEvents();
  env = await awsContext(config);
  ctx = env.ctx;
}, 120_000);
afterAll(async () => env.dynamo.close());
afterAll(restoreMocks);
beforeEach(async () => {
  resetMocks();
  for (const { group, deploymentId } of await ctx.store.locks()) await ctx.store.unlock(group, deploymentId);
});

/** The rules EventBridge would deliver `event` through: each one whose pattern matches. */
const matching = (event: unknown) => built.rules.filter((rule) => matchesEventPattern(rule.pattern, event));

/** Delivers `event` as EventBridge would: to the handler of every rule that matches it. */
async function deliver(event: unknown): Promise<{ target: RuleTarget; result: unknown }[]> {
  const handlers: Record<RuleTarget, (event: unknown) => Promise<unknown>> = {
    Intake: makeIntakeHandler(() => ({ ...env, ctx })),
    AlarmIntake: makeAlarmHandler(() => ctx),
    ExecutionEnded: makeExecutionEndedHandler(() => ctx),
    Release: makeReleaseHandler(() => env.ctx),
  };
  const delivered = [];
  for (const rule of matching(event)) {
    for (const target of rule.targets) {
      delivered.push({ target, result: await handlers[target](structuredClone(event)) });
    }
  }
  return delivered;
}

/** A deployment of `orders` baking, watching `alarm`, holding the group lock. */
async function bakingDeployment(id: string, alarm: string): Promise<void> {
  const deployment: Deployment = {
    id,
    group: 'orders',
    kind: 'lambda',
    revision: '5',
    configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    schedule: { steps: [], totalSeconds: 0 },
    alarms: [alarm],
    autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
    status: 'IN_PROGRESS',
    percent: 10,
    stepIndex: 0,
    bakeToken: `token-${id}`,
    executionName: id,
    createdAt: '2026-11-24T10:00:00.000Z',
    updatedAt: '2026-11-24T10:00:00.000Z',
  };
  await ctx.store.create(deployment);
  await ctx.store.lock('orders', id);
}

describe('the synthesized rules, matched against AWS’s sample events', () => {
  const delivered: [string, unknown, string, RuleTarget][] = [
    ['the S3 Object Created sample (event-version 1.1)', s3ObjectCreated, 'Trigger-orders-0', 'Intake'],
    ['the ECR Image Action sample (a tagged push)', ecrImagePush, 'Trigger-web-0', 'Intake'],
    [
      'a Deployment Requested event for orders',
      deploymentRequested('b0e3c1f2-requested', { group: 'orders', revision: '5' }),
      'Trigger-orders-1',
      'Intake',
    ],
    [
      'the single-metric alarm sample, for a declared alarm',
      metricAlarmStateChange,
      'AlarmStateChange',
      'AlarmIntake',
    ],
    [
      'the composite alarm sample, for a declared alarm',
      compositeAlarmStateChange,
      'AlarmStateChange',
      'AlarmIntake',
    ],
    [
      'the Execution Failed sample, of our state machine',
      executionOf(STATE_MACHINE_ARN),
      'ExecutionEnded',
      'ExecutionEnded',
    ],
    // Every end starts the group's next queued deployment (onBusy: queue, supersede).
    [
      'the Execution Succeeded sample, of our state machine',
      executionOf(STATE_MACHINE_ARN, executionSucceeded),
      'ExecutionEnded',
      'ExecutionEnded',
    ],
    [
      'the Execution Failed sample, of our release state machine',
      executionOf(RELEASE_MACHINE_ARN),
      'ReleaseExecutionEnded',
      'Release',
    ],
  ];
  it.each(delivered)('delivers %s through exactly one rule', (_what, event, idPrefix, target) => {
    // Act
    const rules = matching(event);
    // Assess
    expect(rules).toHaveLength(1);
    expect(rules[0]?.logicalId).toMatch(new RegExp(`^StepShift${idPrefix.replace(/-/g, '')}`));
    expect(rules[0]?.targets).toEqual([target]);
  });

  const ignored: [string, unknown][] = [
    ['an untagged ECR push (a child manifest of a multi-arch image)', ecrUntaggedPush],
    ['a failed ECR push', ecrFailedPush],
    [
      'an ECR push to another repository',
      { ...ecrImagePush, detail: { ...ecrImagePush.detail, 'repository-name': 'other' } },
    ],
    ['the metric math alarm sample, for an alarm no group declares', metricMathAlarmStateChange],
    [
      'a declared alarm going back to OK',
      { ...metricAlarmStateChange, detail: { ...metricAlarmStateChange.detail, state: { value: 'OK' } } },
    ],
    ['the Execution Failed sample as printed (another state machine)', executionFailed],
    // A release that succeeded left nothing behind: its own path ended it.
    [
      'the Execution Succeeded sample, of our release state machine',
      executionOf(RELEASE_MACHINE_ARN, executionSucceeded),
    ],
    [
      'an S3 object outside the trigger’s key prefix',
      {
        ...s3ObjectCreated,
        detail: {
          ...s3ObjectCreated.detail,
          object: { ...s3ObjectCreated.detail.object, key: 'docs/readme' },
        },
      },
    ],
    [
      'an S3 object in another bucket',
      { ...s3ObjectCreated, detail: { ...s3ObjectCreated.detail, bucket: { name: 'amzn-s3-demo-bucket2' } } },
    ],
    [
      'a Deployment Requested event for a group without that trigger',
      deploymentRequested('c1d2', { group: 'web', revision: 'x' }),
    ],
  ];
  it.each(ignored)('delivers %s nowhere', (_what, event) => {
    // Act
    const rules = matching(event);
    // Assess
    expect(rules.map((r) => r.logicalId)).toEqual([]);
  });

  it('has one rule per trigger, one alarm rule and the watchdog’s, each with a target', () => {
    // Assess
    expect(built.rules.map((r) => r.targets)).toEqual([
      ['Intake'],
      ['Intake'],
      ['Intake'],
      ['AlarmIntake'],
      ['ExecutionEnded'],
      ['Release'],
    ]);
  });
});

describe('AWS’s sample events, delivered to the handlers their rules target', () => {
  it('turns the S3 sample into UpdateFunctionCode of its object version, PublishVersion and a deployment', async () => {
    // Act
    const results = await deliver(s3ObjectCreated);
    // Assess
    expect(results).toEqual([
      {
        target: 'Intake',
        result: { outcome: 'started', deploymentId: 'e-17793124-05d4-b198-2fde-7ededc63b103' },
      },
    ]);
    expect(mocks.lambda).toHaveReceivedCommandExactlyOnceWith(UpdateFunctionCodeCommand, {
      FunctionName: 'orders',
      S3Bucket: 'amzn-s3-demo-bucket1',
      S3Key: 'example-key',
      S3ObjectVersion: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
    });
    expect(mocks.lambda).toHaveReceivedCommandWith(PublishVersionCommand, { FunctionName: 'orders' });
    expect((await ctx.store.get('e-17793124-05d4-b198-2fde-7ededc63b103'))?.revision).toBe('5');
  });

  it('turns the ECR sample into a deployment of web, pinned by the pushed digest', async () => {
    // Act
    const results = await deliver(ecrImagePush);
    // Assess
    expect(results).toEqual([
      {
        target: 'Intake',
        result: { outcome: 'started', deploymentId: 'e-13cde686-328b-6117-af20-0e5566167482' },
      },
    ]);
    expect((await ctx.store.get('e-13cde686-328b-6117-af20-0e5566167482'))?.revision).toBe(
      '123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
    );
  });

  it.each([
    ['single-metric', metricAlarmStateChange, 'ServerCpuTooHigh'],
    ['composite', compositeAlarmStateChange, 'ServiceAggregatedAlarm'],
  ])('ends the bake watching the alarm of the %s alarm sample at once', async (kind, event, alarm) => {
    // Prepare
    await bakingDeployment(`d-${kind}`, alarm);
    // Act
    const results = await deliver(event);
    // Assess
    expect(results).toEqual([{ target: 'AlarmIntake', result: { ended: 1 } }]);
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: `token-d-${kind}`,
      error: 'AlarmFired',
      cause: `alarm ${alarm} entered ALARM`,
    });
  });

  it('rolls back the deployment an execution that failed outside RollBack left behind', async () => {
    // Prepare
    await ctx.store.create({
      id: 'execution-name',
      group: 'orders',
      kind: 'lambda',
      revision: '5',
      configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      schedule: { steps: [], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      status: 'CREATED',
      percent: 0,
      stepIndex: -1,
      executionName: 'execution-name',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    });
    // Act
    const results = await deliver(executionOf(STATE_MACHINE_ARN));
    // Assess
    expect(results).toEqual([{ target: 'ExecutionEnded', result: { status: 'FAILED' } }]);
    expect(await ctx.store.get('execution-name')).toMatchObject({
      status: 'FAILED',
      reason: 'the execution ended FAILED',
    });
  });

  it('ends what a release whose execution failed left: the running member stopped with rollback, the rest cancelled', async () => {
    // Prepare: r-1's first wave (orders) bakes; its second (web) has not started.
    const at = '2026-11-24T10:00:00.000Z';
    const member = (
      id: string,
      group: 'orders' | 'web',
      wave: number,
      extra: Partial<Deployment>,
    ): Deployment => ({
      id,
      group,
      kind: group === 'orders' ? 'lambda' : 'ecs',
      revision: '5',
      configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      schedule: { steps: [], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      status: 'CREATED',
      percent: 0,
      stepIndex: -1,
      executionName: id,
      release: { id: 'execution-name', wave },
      createdAt: at,
      updatedAt: at,
      ...extra,
    });
    await env.ctx.releases.create({
      id: 'execution-name',
      name: 'shop',
      members: [
        { group: 'orders', deploymentId: 'd-r1-orders', revision: '5', configName: 'c', wave: 0 },
        { group: 'web', deploymentId: 'd-r1-web', revision: '5', configName: 'c', wave: 1 },
      ],
      waveCount: 2,
      status: 'IN_PROGRESS',
      wave: 0,
      executionName: 'execution-name',
      createdAt: at,
      updatedAt: at,
    });
    await ctx.store.create(
      member('d-r1-orders', 'orders', 0, {
        status: 'IN_PROGRESS',
        executionArn: 'arn:x',
        bakeToken: 'token-r1-orders',
        percent: 10,
      }),
    );
    await ctx.store.create(member('d-r1-web', 'web', 1, {}));
    await ctx.store.lock('orders', 'd-r1-orders');
    await ctx.store.lock('web', 'd-r1-web');
    // Act
    const results = await deliver(executionOf(RELEASE_MACHINE_ARN));
    // Assess
    expect(results).toEqual([{ target: 'Release', result: { status: 'ROLLING_BACK' } }]);
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: 'token-r1-orders',
      error: 'StopRequested',
      cause: 'stop requested (with rollback): release shop rolled back: FAILED',
    });
    expect(await ctx.store.get('d-r1-orders')).toMatchObject({ stopRequest: { rollback: true } });
    expect(await ctx.store.get('d-r1-web')).toMatchObject({ status: 'CANCELLED' });
    expect(await ctx.store.lockHolder('web')).toBeUndefined();
    expect(await env.ctx.releases.get('execution-name')).toMatchObject({
      status: 'ROLLING_BACK',
      orphanedAt: expect.any(String),
    });
  });

  it.each([
    ['an untagged ECR push', ecrUntaggedPush, /untagged push of my-repository-name .* starts no deployment/],
    ['a failed ECR push', ecrFailedPush, /PUSH FAILURE is not a successful push/],
  ])('starts nothing for %s, even delivered to Intake directly', async (_what, event, reason) => {
    // Act
    const viaRules = await deliver(event);
    const direct = await makeIntakeHandler(() => ({ ...env, ctx }))(structuredClone(event));
    // Assess
    expect(viaRules).toEqual([]);
    expect(direct).toEqual({ outcome: 'dropped', reason: expect.stringMatching(reason) });
    expect(mocks.sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: DLQ });
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});
