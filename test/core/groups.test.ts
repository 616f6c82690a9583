/**
 * The resolved group config as the Lambda functions receive it (functions/core/groups.ts): made at
 * synth from what `parseGroupConfig` returned, and read back with no second validation. So it must carry
 * every value exactly, for every field a config can have.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { REVISION_PLACEHOLDER } from '../../functions/core/analysis.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { groupConfigFromJson, groupConfigToJson } from '../../functions/core/groups.ts';
import { raw as infraConfig } from '../infra/synth.ts';

const ARN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';

/** Every optional field of both kinds, and every form of deployment config. */
const everyField = {
  groups: {
    orders: {
      kind: 'lambda',
      description: 'every optional field of a Lambda group',
      target: { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live' },
      deploymentConfig: {
        type: 'steps',
        steps: [
          { percent: 0.5, bakeSeconds: 60 },
          { pause: { timeoutSeconds: 600, onTimeout: 'continue' } },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
      allowedConfigs: [
        'LambdaAllAtOnce',
        { type: 'canary', percent: 5, intervalMinutes: 3 },
        { type: 'linear', percent: 30, intervalMinutes: 1 },
        { type: 'allAtOnce' },
      ],
      hooks: { BeforeAllowTraffic: ['smoke', { functionName: 'contract', timeoutSeconds: 90 }] },
      alarms: ['orders-5xx'],
      autoRollback: { enabled: false, events: ['DEPLOYMENT_FAILURE'] },
      analysis: [
        { name: 'errors', metric: 'errorRate', relative: { tolerance: 0.5 }, max: 0.05 },
        {
          name: 'custom',
          metric: { expression: `m1 + ${REVISION_PLACEHOLDER}`, aggregate: 'maximum', local: 'latencyP99' },
          max: 250,
          minSamples: 0,
          intervalSeconds: 120,
          failureLimit: 1,
          onInconclusive: 'continue',
          onError: 'continue',
        },
      ],
      approval: 'beforeFull',
      onBusy: 'queue',
      maxQueued: 2,
      notifications: [
        { events: ['started', 'rolledBack'], sns: 'arn:aws:sns:eu-west-1:123456789012:deploys' },
        { events: ['approvalPending'], webhook: 'https://hooks.example.com/x?y=1' },
      ],
      triggers: [{ type: 's3ObjectCreated', bucket: 'artifacts' }, { type: 'deploymentRequested' }],
    },
    web: {
      kind: 'ecs',
      target: {
        cluster: 'shop',
        blueService: 'web-blue',
        greenService: 'web-green',
        blueTargetGroup: `${ARN}:targetgroup/blue/1`,
        greenTargetGroup: `${ARN}:targetgroup/green/2`,
        listenerRule: `${ARN}:listener-rule/app/shop/3/4/5`,
        testListener: `${ARN}:listener/app/shop/3/9`,
        container: 'web',
        taskRoles: ['arn:aws:iam::123456789012:role/web-task'],
        terminationWaitMinutes: 0,
        steadyTimeoutMinutes: 5,
      },
      deploymentConfig: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes',
      hooks: { AfterInstall: ['install-check'], AfterAllowTestTraffic: ['test-traffic-check'] },
      approval: 'beforeFirstShift',
      onBusy: 'supersede',
      triggers: [{ type: 'ecrPush', repository: 'shop/web' }],
    },
  },
};

describe('the resolved config the functions receive', () => {
  it.each([
    ['the example config', JSON.parse(readFileSync('stepshift.config.json', 'utf8'))],
    ['the infra tests’ config', infraConfig],
    ['a config with every optional field', everyField],
  ])('reads %s back exactly as the construct resolved it', (_, raw) => {
    // Prepare
    const config = parseGroupConfig(raw);

    // Act
    const received = groupConfigFromJson(groupConfigToJson(config));

    // Assess: toStrictEqual also tells an absent key from one that is undefined.
    expect(received).toStrictEqual(config);
  });
});
