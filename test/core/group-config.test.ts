import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/core/errors.ts';
import {
  DEFAULT_HOOK_TIMEOUT_SECONDS,
  groupConfigJsonSchema,
  parseGroupConfig,
  parseGroupConfigText,
} from '../../functions/core/group-config.ts';

const lambdaGroup = {
  kind: 'lambda',
  target: { functionName: 'orders', alias: 'live' },
  deploymentConfig: 'LambdaCanary10Percent5Minutes',
};
const ecsGroup = {
  kind: 'ecs',
  target: {
    cluster: 'shop',
    blueService: 'web-blue',
    greenService: 'web-green',
    blueTargetGroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1',
    greenTargetGroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2',
    listener: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/3/4',
  },
  deploymentConfig: 'CodeDeployDefault.ECSAllAtOnce',
};

function problemsOf(raw: unknown) {
  try {
    parseGroupConfig(raw);
  } catch (e) {
    if (e instanceof ValidationError) return e.problems;
    throw e;
  }
  throw new Error('accepted');
}

describe('the group config', () => {
  it('accepts the example config in the repository', () => {
    const config = parseGroupConfigText(readFileSync('stepshift.config.json', 'utf8'));
    expect(Object.keys(config.groups)).toEqual(['orders-api', 'payments', 'checkout', 'web']);
    expect(config.groups.web?.kind).toBe('ecs');
  });

  it('fills CodeDeploy’s defaults: one-hour hooks, every rollback event on, no alarms', () => {
    const config = parseGroupConfig({
      groups: { orders: { ...lambdaGroup, hooks: { BeforeAllowTraffic: ['smoke'] } } },
    });
    const group = config.groups.orders;
    expect(group?.hooks.BeforeAllowTraffic).toEqual([
      { functionName: 'smoke', timeoutSeconds: DEFAULT_HOOK_TIMEOUT_SECONDS },
    ]);
    expect(group?.autoRollback).toEqual({
      enabled: true,
      events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
    expect(group?.alarms).toEqual([]);
    expect(group?.deploymentConfig.name).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
  });

  it('defaults an ECS group’s termination wait to CodeDeploy’s 5 minutes', () => {
    const group = parseGroupConfig({ groups: { web: ecsGroup } }).groups.web;
    expect(group?.kind === 'ecs' && group.target.terminationWaitMinutes).toBe(5);
  });

  it('reports three mistakes at once, each with its path', () => {
    const problems = problemsOf({
      groups: {
        orders: { ...lambdaGroup, alarms: ['errors', 'errors'], hooks: { BeforeInstall: ['x'] } },
        web: { ...ecsGroup, deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce' },
      },
    });
    expect(problems).toEqual([
      { path: 'groups.orders.alarms', message: 'must not list an alarm twice' },
      {
        path: 'groups.orders.hooks.BeforeInstall',
        message:
          '"BeforeInstall" is not a lifecycle event of lambda groups (valid: BeforeAllowTraffic, AfterAllowTraffic)',
      },
      {
        path: 'groups.web.deploymentConfig',
        message: 'CodeDeployDefault.LambdaAllAtOnce is a config for lambda groups, not ecs groups',
      },
    ]);
  });

  it.each([
    ['no groups', { groups: {} }, 'groups', /at least one group/],
    ['a bad group name', { groups: { 'has space': lambdaGroup } }, 'groups.has space', /group names/],
    [
      'an unknown kind',
      { groups: { a: { ...lambdaGroup, kind: 'ec2' } } },
      'groups.a.kind',
      /must be "lambda" or "ecs"/,
    ],
    [
      'an alias of digits',
      { groups: { a: { ...lambdaGroup, target: { functionName: 'f', alias: '12' } } } },
      'groups.a.target.alias',
      /not only digits/,
    ],
    [
      'a bad function name',
      { groups: { a: { ...lambdaGroup, target: { functionName: 'my function', alias: 'live' } } } },
      'groups.a.target.functionName',
      /Lambda function name/,
    ],
    [
      'a missing alias',
      { groups: { a: { ...lambdaGroup, target: { functionName: 'f' } } } },
      'groups.a.target.alias',
      /is required/,
    ],
    [
      'eleven alarms',
      { groups: { a: { ...lambdaGroup, alarms: Array.from({ length: 11 }, (_, i) => `a${i}`) } } },
      'groups.a.alarms',
      /at most 10/,
    ],
    [
      'a hook timeout of 0',
      {
        groups: {
          a: { ...lambdaGroup, hooks: { AfterAllowTraffic: [{ functionName: 'h', timeoutSeconds: 0 }] } },
        },
      },
      'groups.a.hooks.AfterAllowTraffic[0].timeoutSeconds',
      /at least 1 second/,
    ],
    [
      'an ECR trigger on a Lambda group',
      { groups: { a: { ...lambdaGroup, triggers: [{ type: 'ecrPush', repository: 'r' }] } } },
      'groups.a.triggers[0].type',
      /s3ObjectCreated, deploymentRequested for a lambda group/,
    ],
    [
      'an S3 trigger on an ECS group',
      { groups: { w: { ...ecsGroup, triggers: [{ type: 's3ObjectCreated', bucket: 'b' }] } } },
      'groups.w.triggers[0].type',
      /ecrPush, deploymentRequested for an? ecs group/,
    ],
    [
      'an unknown rollback event',
      { groups: { a: { ...lambdaGroup, autoRollback: { events: ['DEPLOYMENT_STOP'] } } } },
      'groups.a.autoRollback.events[0]',
      /DEPLOYMENT_FAILURE/,
    ],
    [
      'both listener and listenerRule',
      {
        groups: {
          w: {
            ...ecsGroup,
            target: {
              ...ecsGroup.target,
              listenerRule:
                'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/3/4/5',
            },
          },
        },
      },
      'groups.w.target.listener',
      /exactly one of listener or listenerRule/,
    ],
    [
      'one service as blue and green',
      { groups: { w: { ...ecsGroup, target: { ...ecsGroup.target, greenService: 'web-blue' } } } },
      'groups.w.target.greenService',
      /differ from blueService/,
    ],
    [
      'a target group that is not an ARN',
      { groups: { w: { ...ecsGroup, target: { ...ecsGroup.target, blueTargetGroup: 'web-blue' } } } },
      'groups.w.target.blueTargetGroup',
      /target group ARN/,
    ],
    ['an unknown top-level key', { groups: { a: lambdaGroup }, version: 2 }, 'version', /unknown field/],
  ])('rejects %s, naming the field', (_what, raw, path, rule) => {
    const problems = problemsOf(raw);
    const problem = problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(problems)).toBeDefined();
    expect(problem?.message).toMatch(rule);
  });

  it('reports a JSON syntax error with its line and column', () => {
    expect(() => parseGroupConfigText('{\n  "groups": {,\n}', 'bad.json')).toThrow(/line 2, column 14/);
  });

  it('ships a JSON Schema that matches the zod schema', () => {
    const committed = JSON.parse(readFileSync('stepshift.schema.json', 'utf8'));
    expect(committed).toEqual(groupConfigJsonSchema());
  });
});
