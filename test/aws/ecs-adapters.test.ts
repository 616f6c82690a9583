import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AlbRouter } from '../../functions/aws/alb-router.ts';
import { EcsServices } from '../../functions/aws/ecs-services.ts';
import { albPercentOn, albWeightsFor, sameAlbRouting } from '../../functions/core/alb.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1';
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2';
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/3/4';
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/3/4/5';
const stickiness = { Enabled: true, DurationSeconds: 300 };
const authenticate = {
  Type: 'authenticate-oidc' as const,
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://idp',
    ClientId: 'c',
    AuthorizationEndpoint: 'https://idp/a',
    TokenEndpoint: 'https://idp/t',
    UserInfoEndpoint: 'https://idp/u',
  },
};
const forward = (weights: [string, number][]) => ({
  Type: 'forward' as const,
  Order: 2,
  ForwardConfig: {
    TargetGroups: weights.map(([TargetGroupArn, Weight]) => ({ TargetGroupArn, Weight })),
    TargetGroupStickinessConfig: stickiness,
  },
});

beforeEach(() => {
  elb.reset();
  ecs.reset();
  elb.on(DescribeListenersCommand).resolves({
    Listeners: [{ ListenerArn: LISTENER, DefaultActions: [authenticate, forward([[BLUE, 1]])] }],
  });
  elb.on(ModifyListenerCommand).resolves({});
  elb.on(ModifyRuleCommand).resolves({});
});

describe('ALB weights', () => {
  it.each([
    [10, { [BLUE]: 900, [GREEN]: 100 }],
    [0.1, { [BLUE]: 999, [GREEN]: 1 }],
    [99.9, { [BLUE]: 1, [GREEN]: 999 }],
    [100, { [BLUE]: 0, [GREEN]: 1 }],
  ])('%f %% on green is %j, integers within 0–999', (percent, weights) => {
    const routing = albWeightsFor(BLUE, GREEN, percent);
    expect(routing.weights).toEqual(weights);
    expect(albPercentOn(routing, GREEN)).toBe(percent);
  });

  it('compares splits, not raw weights', () => {
    expect(
      sameAlbRouting({ kind: 'ecs', weights: { [BLUE]: 9, [GREEN]: 1 } }, albWeightsFor(BLUE, GREEN, 10)),
    ).toBe(true);
  });
});

describe('the ALB router', () => {
  it('reads the forward action’s weights, a single target group as 100 %', async () => {
    expect(await new AlbRouter(new ElasticLoadBalancingV2Client({})).current({ listener: LISTENER })).toEqual(
      { kind: 'ecs', weights: { [BLUE]: 1 } },
    );
  });

  it('rewrites only the forward weights with ModifyListener, keeping other actions and stickiness', async () => {
    await new AlbRouter(new ElasticLoadBalancingV2Client({})).set(
      { listener: LISTENER },
      albWeightsFor(BLUE, GREEN, 10),
    );
    expect(elb).toHaveReceivedCommandExactlyOnceWith(ModifyListenerCommand, {
      ListenerArn: LISTENER,
      DefaultActions: [
        authenticate,
        forward([
          [BLUE, 900],
          [GREEN, 100],
        ]),
      ],
    });
  });

  it('rewrites a listener rule’s actions with ModifyRule', async () => {
    elb.on(DescribeRulesCommand).resolves({
      Rules: [
        {
          RuleArn: RULE,
          Actions: [
            forward([
              [BLUE, 900],
              [GREEN, 100],
            ]),
          ],
        },
      ],
    });
    await new AlbRouter(new ElasticLoadBalancingV2Client({})).set(
      { rule: RULE },
      albWeightsFor(BLUE, GREEN, 100),
    );
    expect(elb).toHaveReceivedCommandExactlyOnceWith(ModifyRuleCommand, {
      RuleArn: RULE,
      Actions: [
        forward([
          [BLUE, 0],
          [GREEN, 1],
        ]),
      ],
    });
  });

  it('turns a legacy single TargetGroupArn forward into a ForwardConfig', async () => {
    elb
      .on(DescribeListenersCommand)
      .resolves({ Listeners: [{ DefaultActions: [{ Type: 'forward', TargetGroupArn: BLUE }] }] });
    await new AlbRouter(new ElasticLoadBalancingV2Client({})).set(
      { listener: LISTENER },
      albWeightsFor(BLUE, GREEN, 50),
    );
    expect(elb).toHaveReceivedCommandWith(ModifyListenerCommand, {
      DefaultActions: [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              { TargetGroupArn: BLUE, Weight: 500 },
              { TargetGroupArn: GREEN, Weight: 500 },
            ],
          },
        },
      ],
    });
  });

  it.each([
    ['a weight of 1000', { [BLUE]: 1000, [GREEN]: 0 }, /not an integer from 0 to 999/],
    ['a fractional weight', { [BLUE]: 0.5, [GREEN]: 1 }, /not an integer/],
    [
      'six target groups',
      Object.fromEntries([1, 2, 3, 4, 5, 6].map((i) => [`tg${i}`, 1])),
      /at most 5 target groups/,
    ],
    ['all weights 0', { [BLUE]: 0, [GREEN]: 0 }, /above 0/],
  ])('never sends %s', async (_what, weights, message) => {
    await expect(
      new AlbRouter(new ElasticLoadBalancingV2Client({})).set(
        { listener: LISTENER },
        { kind: 'ecs', weights },
      ),
    ).rejects.toThrow(message);
    expect(elb).not.toHaveReceivedCommand(ModifyListenerCommand);
  });

  it('refuses a listener with no single forward action', async () => {
    elb
      .on(DescribeListenersCommand)
      .resolves({ Listeners: [{ DefaultActions: [{ Type: 'fixed-response' }] }] });
    await expect(
      new AlbRouter(new ElasticLoadBalancingV2Client({})).current({ listener: LISTENER }),
    ).rejects.toThrow('expected exactly one forward action, found 0');
  });
});

describe('the ECS services adapter', () => {
  it('reads a service’s primary deployment', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        {
          taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
          desiredCount: 4,
          runningCount: 2,
          deployments: [{ status: 'PRIMARY', rolloutState: 'IN_PROGRESS', failedTasks: 1 }],
          events: [{ message: '(service web-green) has started 2 tasks' }],
        },
      ],
    });
    expect(await new EcsServices(new ECSClient({})).describe('shop', 'web-green')).toEqual({
      taskDefinition: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
      desiredCount: 4,
      runningCount: 2,
      rollout: 'IN_PROGRESS',
      failedTasks: 1,
      lastEvent: '(service web-green) has started 2 tasks',
    });
    expect(ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'shop',
      services: ['web-green'],
    });
  });

  it('updates a service’s task definition and desired count', async () => {
    ecs.on(UpdateServiceCommand).resolves({});
    await new EcsServices(new ECSClient({})).update('shop', 'web-green', {
      taskDefinition: 'web:8',
      desiredCount: 4,
    });
    expect(ecs).toHaveReceivedCommandExactlyOnceWith(UpdateServiceCommand, {
      cluster: 'shop',
      service: 'web-green',
      taskDefinition: 'web:8',
      desiredCount: 4,
    });
  });

  it('registers a revision that differs from the base only by the container’s image', async () => {
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        family: 'web',
        taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7',
        revision: 7,
        status: 'ACTIVE',
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
        containerDefinitions: [
          { name: 'web', image: 'repo/web:1', portMappings: [{ containerPort: 8080 }] },
          { name: 'envoy', image: 'envoy:1.30' },
        ],
      },
      tags: [{ key: 'team', value: 'shop' }],
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({
      taskDefinition: { taskDefinitionArn: 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8' },
    });
    const arn = await new EcsServices(new ECSClient({})).registerImage('web:7', 'web', 'repo/web@sha256:abc');
    expect(arn).toBe('arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8');
    expect(ecs).toHaveReceivedCommandExactlyOnceWith(RegisterTaskDefinitionCommand, {
      family: 'web',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      containerDefinitions: [
        { name: 'web', image: 'repo/web@sha256:abc', portMappings: [{ containerPort: 8080 }] },
        { name: 'envoy', image: 'envoy:1.30' },
      ],
      tags: [{ key: 'team', value: 'shop' }],
    });
  });

  it('refuses an image for a container the task definition does not have', async () => {
    ecs
      .on(DescribeTaskDefinitionCommand)
      .resolves({ taskDefinition: { family: 'web', containerDefinitions: [{ name: 'app' }] } });
    await expect(new EcsServices(new ECSClient({})).registerImage('web:7', 'web', 'x')).rejects.toThrow(
      'has no container named web',
    );
  });
});
