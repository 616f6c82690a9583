import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../functions/core/errors.ts';
import { parseGroupConfig, parseGroupConfigText } from '../../functions/core/group-config.ts';
import {
  EXECUTION_TIMEOUT_SECONDS,
  MAX_HOOK_POLLS,
  minHookPollSeconds,
  worstCase,
  worstCaseProblem,
} from '../../functions/core/limits.ts';
import { plan } from '../../functions/core/planner.ts';

const TG = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup';
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/3';
const ecs = (extra: Record<string, unknown> = {}, target: Record<string, unknown> = {}) => ({
  kind: 'ecs',
  target: {
    cluster: 'shop',
    blueService: 'web-blue',
    greenService: 'web-green',
    blueTargetGroup: `${TG}/blue/1`,
    greenTargetGroup: `${TG}/green/2`,
    listener: `${LISTENER}/4`,
    ...target,
  },
  deploymentConfig: 'ECSAllAtOnce',
  ...extra,
});
const twelveHours = (name: string) => [{ functionName: name, timeoutSeconds: 43_200 }];
const longHooks = {
  BeforeInstall: twelveHours('a'),
  AfterInstall: twelveHours('b'),
  AfterAllowTestTraffic: twelveHours('c'),
  BeforeAllowTraffic: twelveHours('d'),
  AfterAllowTraffic: twelveHours('e'),
};

function problemsOf(raw: unknown) {
  try {
    parseGroupConfig(raw);
  } catch (e) {
    if (e instanceof ValidationError) return e.problems;
    throw e;
  }
  return [];
}

describe('the worst case of a deployment', () => {
  it.each([
    [3600, 12],
    [43_200, 144],
    [120, 1],
  ])('spaces the polls of hooks with a %i s timeout at least %i s apart', (timeout, spacing) => {
    expect(minHookPollSeconds(timeout)).toBe(spacing);
    expect(Math.floor(timeout / spacing)).toBeLessThanOrEqual(MAX_HOOK_POLLS);
  });

  it('counts a Lambda canary with a one-hour hook in hours and a few thousand events: it fits', () => {
    const worst = worstCase({
      schedule: plan({ type: 'canary', percent: 10, intervalMinutes: 30 }),
      hookTimeouts: { BeforeAllowTraffic: 3600 },
      hookEvents: ['BeforeAllowTraffic', 'AfterAllowTraffic'],
    });
    expect(worst.seconds).toBe(1800 + 3600 + 12 + 3600);
    expect(worst.events).toBeGreaterThan(2700);
    expect(worst.events).toBeLessThan(3000);
    expect(worstCaseProblem(worst)).toBeUndefined();
  });

  it('refuses an ECS group whose hooks and waits cannot finish within the execution’s 7 days, naming it', () => {
    const problems = problemsOf({
      groups: {
        web: ecs(
          {
            hooks: longHooks,
            deploymentConfig: {
              type: 'steps',
              steps: [
                { percent: 10, bakeSeconds: 172_800 },
                { percent: 100, bakeSeconds: 172_800 },
              ],
            },
          },
          { terminationWaitMinutes: 2880 },
        ),
      },
    });
    expect(problems).toEqual([
      {
        path: 'groups.web.deploymentConfig',
        message: expect.stringMatching(
          /^steps\(10 %, 100 %\)|can run for up to 2\d\d\.\d h \(bakes 96 h, hooks 60\.\d h, termination wait 48 h, .*: a deployment's execution stops after 168 h; shorten the bakes$/,
        ),
      },
    ]);
  });

  it('accepts what CodeDeploy accepts for ECS: 48 h of bake, a 48 h termination wait and 1-hour hooks', () => {
    const oneHour = Object.fromEntries(Object.keys(longHooks).map((e) => [e, [`${e.toLowerCase()}-hook`]]));
    expect(
      problemsOf({
        groups: {
          web: ecs(
            { hooks: oneHour, deploymentConfig: { type: 'linear', percent: 1, intervalMinutes: 29 } },
            { terminationWaitMinutes: 2880 },
          ),
        },
      }),
    ).toEqual([]);
  });

  it('checks every allowed config, each under its own path', () => {
    const problems = problemsOf({
      groups: {
        web: ecs({
          hooks: longHooks,
          target: { ...ecs().target, terminationWaitMinutes: 2880 },
          allowedConfigs: [
            'ECSAllAtOnce',
            {
              type: 'steps',
              steps: [
                { percent: 50, bakeSeconds: 172_800 },
                { percent: 100, bakeSeconds: 172_800 },
              ],
            },
          ],
        }),
      },
    });
    expect(problems.map((p) => p.path)).toEqual(['groups.web.allowedConfigs[1]']);
  });

  it('keeps the limit equal to the workflow file’s own TimeoutSeconds', () => {
    const asl = JSON.parse(readFileSync('statemachines/deployment.asl.json', 'utf8')) as {
      TimeoutSeconds: number;
    };
    expect(asl.TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
  });
});

describe('what two groups may not share', () => {
  const lambda = (functionName: string, alias = 'live') => ({
    kind: 'lambda',
    target: { functionName, alias },
    deploymentConfig: 'LambdaAllAtOnce',
  });

  it('refuses two groups on one alias, however the function is named', () => {
    expect(
      problemsOf({
        groups: {
          a: lambda('orders'),
          b: lambda('arn:aws:lambda:eu-west-1:123456789012:function:orders'),
          c: lambda('orders', 'canary'),
        },
      }),
    ).toEqual([
      {
        path: 'groups.b.target.alias',
        message:
          "group a already routes through alias orders:live: two groups on one alias would overwrite each other's routing and rollbacks",
      },
    ]);
  });

  it('refuses two groups on one listener', () => {
    const problems = problemsOf({
      groups: {
        web: ecs({}, { testListener: `${LISTENER}/9` }),
        shop: ecs({}, { listener: `${LISTENER}/9`, blueService: 'shop-blue', greenService: 'shop-green' }),
      },
    });
    expect(problems).toEqual([
      {
        path: 'groups.shop.target.listener',
        message: `group web already routes through listener ${LISTENER}/9: two groups on one listener would overwrite each other's routing and rollbacks`,
      },
    ]);
  });

  it('refuses a test listener that is the production listener', () => {
    expect(problemsOf({ groups: { api: ecs({}, { testListener: `${LISTENER}/4` }) } })).toEqual([
      {
        path: 'groups.api.target.testListener',
        message: expect.stringMatching(/^must differ from listener/),
      },
    ]);
  });

  it('requires taskRoles when an image can be deployed (container), so the PassRole grant is exact', () => {
    expect(problemsOf({ groups: { web: ecs({}, { container: 'web' }) } })).toEqual([
      { path: 'groups.web.target.taskRoles', message: expect.stringMatching(/^is required with container/) },
    ]);
    expect(problemsOf({ groups: { web: ecs({}, { container: 'web', taskRoles: [] }) } })).toEqual([]);
  });
});

describe('a config file with a key given twice', () => {
  it('names each duplicate with both lines instead of keeping the last silently', () => {
    const text = `{
  "groups": {
    "orders": { "kind": "lambda", "target": { "functionName": "orders", "alias": "live" }, "deploymentConfig": "LambdaAllAtOnce" },
    "orders": { "kind": "lambda", "target": { "functionName": "orders", "alias": "beta" }, "deploymentConfig": "LambdaAllAtOnce", "alarms": [], "alarms": ["x"] }
  }
}`;
    let problems: unknown;
    try {
      parseGroupConfigText(text);
    } catch (e) {
      problems = e instanceof ValidationError ? e.problems : e;
    }
    expect(problems).toEqual([
      { path: 'groups.orders', message: 'is given twice (lines 3 and 4): JSON would keep only the last' },
      {
        path: 'groups.orders.alarms',
        message: 'is given twice (lines 4 and 4): JSON would keep only the last',
      },
    ]);
  });
});
