import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  RegisterTaskDefinitionRequest$,
  type TaskDefinition,
  TaskDefinition$,
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
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { AlbRouter } from '../../functions/aws/alb-router.ts';
import { EcsServices, READ_ONLY_FIELDS, REGISTERED_FIELDS } from '../../functions/aws/ecs-services.ts';
import { albPercentOn, albWeightsFor, sameAlbRouting } from '../../functions/core/alb.ts';
import { StepShiftError } from '../../functions/core/errors.ts';

const elb = mockClient(ElasticLoadBalancingV2Client);
const ecs = mockClient(ECSClient);
// The stubs are on the clients' prototypes, which the next test file in this worker shares (isolate: false).
afterAll(() => {
  elb.restore();
  ecs.restore();
});
const BLUE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/blue/1';
const GREEN = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/green/2';
const LISTENER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/3/4';
const RULE = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shop/3/4/5';
const stickiness = { Enabled: true, DurationSeconds: 300 };
const TD = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web';
const TASK_ROLE = 'arn:aws:iam::123456789012:role/web-task';
const EXECUTION_ROLE = 'arn:aws:iam::123456789012:role/web-exec';
/** A task definition as DescribeTaskDefinition returns it, with every field set: `Required` makes a new SDK field fail tsc here. */
const EVERY_FIELD = {
  taskDefinitionArn: `${TD}:7`,
  family: 'web',
  revision: 7,
  status: 'ACTIVE',
  taskRoleArn: TASK_ROLE,
  executionRoleArn: EXECUTION_ROLE,
  networkMode: 'awsvpc',
  containerDefinitions: [
    { name: 'web', image: 'repo/web:1', essential: true },
    { name: 'envoy', image: 'envoy:1.30' },
  ],
  volumes: [{ name: 'scratch' }],
  requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.task-iam-role' }],
  placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
  compatibilities: ['EC2', 'FARGATE'],
  requiresCompatibilities: ['FARGATE'],
  cpu: '256',
  memory: '512',
  pidMode: 'task',
  ipcMode: 'none',
  proxyConfiguration: { containerName: 'envoy', type: 'APPMESH' },
  inferenceAccelerators: [{ deviceName: 'eia', deviceType: 'eia2.medium' }],
  ephemeralStorage: { sizeInGiB: 30 },
  runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
  enableFaultInjection: true,
  registeredAt: new Date('2026-11-01T10:00:00Z'),
  registeredBy: 'arn:aws:sts::123456789012:assumed-role/deployer/ci',
  deregisteredAt: new Date('2026-11-02T10:00:00Z'),
  deleteRequestedAt: new Date('2026-11-03T10:00:00Z'),
} satisfies Required<TaskDefinition>;

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
/** The same action as ModifyListener/ModifyRule must receive it: the secret AWS keeps, by reference. */
const authenticateAsSent = {
  ...authenticate,
  AuthenticateOidcConfig: { ...authenticate.AuthenticateOidcConfig, UseExistingClientSecret: true },
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
        authenticateAsSent,
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

  it('keeps an authenticate-oidc action’s client secret with UseExistingClientSecret when it rewrites a listener', async () => {
    // Prepare: DescribeListeners returns the OIDC action without its ClientSecret (the beforeEach listener).
    const router = new AlbRouter(new ElasticLoadBalancingV2Client({}));

    // Act
    await router.set({ listener: LISTENER }, albWeightsFor(BLUE, GREEN, 10));

    // Assess: the exact input, so that an action sent back without its secret and without the flag fails.
    expect(elb.commandCalls(ModifyListenerCommand)[0]?.args[0].input).toStrictEqual({
      ListenerArn: LISTENER,
      DefaultActions: [
        authenticateAsSent,
        forward([
          [BLUE, 900],
          [GREEN, 100],
        ]),
      ],
    });
  });

  it('keeps an authenticate-oidc action’s client secret the same way when it rewrites a rule', async () => {
    // Prepare
    elb.on(DescribeRulesCommand).resolves({
      Rules: [{ RuleArn: RULE, Actions: [authenticate, forward([[BLUE, 1]])] }],
    });
    const router = new AlbRouter(new ElasticLoadBalancingV2Client({}));

    // Act
    await router.set({ rule: RULE }, albWeightsFor(BLUE, GREEN, 50));

    // Assess
    expect(elb.commandCalls(ModifyRuleCommand)[0]?.args[0].input).toStrictEqual({
      RuleArn: RULE,
      Actions: [
        authenticateAsSent,
        forward([
          [BLUE, 500],
          [GREEN, 500],
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

  it('copies every field RegisterTaskDefinition accepts and none that ECS sets itself', async () => {
    // Prepare: a base that sets every field DescribeTaskDefinition can return.
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: EVERY_FIELD, tags: [] });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: `${TD}:8` } });

    // Act
    await new EcsServices(new ECSClient({})).registerImage(`${TD}:7`, 'web', 'repo/web@sha256:abc', [
      TASK_ROLE,
      EXECUTION_ROLE,
    ]);

    // Assess: the exact input, so that a dropped field or a copied read-only one fails.
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input).toStrictEqual({
      family: 'web',
      taskRoleArn: TASK_ROLE,
      executionRoleArn: EXECUTION_ROLE,
      networkMode: 'awsvpc',
      containerDefinitions: [
        { name: 'web', image: 'repo/web@sha256:abc', essential: true },
        { name: 'envoy', image: 'envoy:1.30' },
      ],
      volumes: [{ name: 'scratch' }],
      placementConstraints: [{ type: 'memberOf', expression: 'attribute:ecs.os-type == linux' }],
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      pidMode: 'task',
      ipcMode: 'none',
      proxyConfiguration: { containerName: 'envoy', type: 'APPMESH' },
      inferenceAccelerators: [{ deviceName: 'eia', deviceType: 'eia2.medium' }],
      ephemeralStorage: { sizeInGiB: 30 },
      runtimePlatform: { cpuArchitecture: 'ARM64', operatingSystemFamily: 'LINUX' },
      enableFaultInjection: true,
    });
  });

  it('lists exactly the fields of the SDK’s RegisterTaskDefinition request, the rest of a task definition being read-only', () => {
    // Prepare: the member names of the SDK's own request and response shapes.
    const request = RegisterTaskDefinitionRequest$[4];
    const described = TaskDefinition$[4];

    // Act
    const copied = [...REGISTERED_FIELDS, 'tags'];

    // Assess: a field a newer SDK adds to either shape fails here until it is classified.
    expect([...copied].sort()).toEqual([...request].sort());
    expect([...REGISTERED_FIELDS, ...READ_ONLY_FIELDS].sort()).toEqual([...described].sort());
  });

  it('drops the tags whose key or value starts with the reserved aws: prefix, in any case', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: { family: 'web', containerDefinitions: [{ name: 'web', image: 'repo/web:1' }] },
      tags: [
        { key: 'aws:cloudformation:stack-name', value: 'shop' },
        { key: 'AWS:Owner', value: 'x' },
        { key: 'team', value: 'shop' },
        { key: 'origin', value: 'Aws:copied' },
      ],
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: `${TD}:8` } });

    // Act
    await new EcsServices(new ECSClient({})).registerImage('web:7', 'web', 'repo/web:2', []);

    // Assess
    expect(ecs.commandCalls(RegisterTaskDefinitionCommand)[0]?.args[0].input.tags).toStrictEqual([
      { key: 'team', value: 'shop' },
    ]);
  });

  it('refuses a base whose roles are not among the group’s taskRoles, before registering anything', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({ taskDefinition: EVERY_FIELD });

    // Act
    const registering = new EcsServices(new ECSClient({})).registerImage(`${TD}:7`, 'web', 'repo/web:2', [
      TASK_ROLE,
    ]);

    // Assess: the role and the field to declare it in are named; nothing was registered.
    await expect(registering).rejects.toThrow(StepShiftError);
    await expect(registering).rejects.toThrow(
      `executionRoleArn ${EXECUTION_ROLE} is not among the group's target.taskRoles`,
    );
    expect(ecs).not.toHaveReceivedCommand(RegisterTaskDefinitionCommand);
  });

  it('accepts a role the base names by its short name when the declared ARN in its account has that name', async () => {
    // Prepare
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: `${TD}:7`,
        family: 'web',
        executionRoleArn: 'exec',
        containerDefinitions: [{ name: 'web', image: 'repo/web:1' }],
      },
    });
    ecs.on(RegisterTaskDefinitionCommand).resolves({ taskDefinition: { taskDefinitionArn: `${TD}:8` } });

    // Act
    await new EcsServices(new ECSClient({})).registerImage(`${TD}:7`, 'web', 'repo/web:2', [
      'arn:aws:iam::123456789012:role/service/exec',
    ]);

    // Assess
    expect(ecs).toHaveReceivedCommandWith(RegisterTaskDefinitionCommand, { executionRoleArn: 'exec' });
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
