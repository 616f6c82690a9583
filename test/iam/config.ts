/**
 * The group config of the IAM contract: the stack is synthesized for it and the handlers run over it,
 * so every ARN the functions call and every ARN the grants name come from the same declarations. It
 * has one group of each shape the grants distinguish: a Lambda alias with hooks, metric and composite
 * alarms and an S3 artifact trigger; an ECS pair behind a listener with a test listener, deployed by
 * image (container, task and execution roles, ECR trigger); an ECS pair behind a listener rule, in a
 * cluster named by ARN, deployed by task definition.
 */
export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';

const elb = (resource: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:${resource}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;

export const ARNS = {
  webListener: elb('listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2'),
  webTestListener: elb('listener/app/shop/50dc6c495c0c9188/0467ef3c8400ae65'),
  webBlue: elb('targetgroup/web-blue/6d0ecf831eec9f09'),
  webGreen: elb('targetgroup/web-green/2453ed029918f21f'),
  checkoutRule: elb('listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee'),
  checkoutBlue: elb('targetgroup/checkout-blue/1b3f0b1d2c3e4f50'),
  checkoutGreen: elb('targetgroup/checkout-green/7a8b9c0d1e2f3a4b'),
  webTaskRole: role('web-task'),
  webExecutionRole: role('web-execution'),
  checkoutCluster: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/payments`,
  taskDefinition: (family: string, revision: number) =>
    `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`,
};

/** Metric alarms and composite alarms, as the account has them (the config names both alike). */
export const METRIC_ALARMS = ['orders-errors', 'web-5xx'];
export const COMPOSITE_ALARMS = ['orders-health'];

export const contractConfig = {
  groups: {
    orders: {
      kind: 'lambda',
      target: { functionName: 'orders', alias: 'live' },
      deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      hooks: {
        BeforeAllowTraffic: ['orders-smoke'],
        AfterAllowTraffic: [{ functionName: 'orders-contract', timeoutSeconds: 600 }],
      },
      alarms: ['orders-errors', 'orders-health'],
      analysis: [
        { name: 'errors', metric: 'errorRate', relative: { tolerance: 0.5, slack: 0.005 }, minSamples: 1 },
        { name: 'p99', metric: 'latencyP99', max: 150, minSamples: 1 },
      ],
      triggers: [
        { type: 's3ObjectCreated', bucket: 'artifacts', keyPrefix: 'orders/' },
        { type: 'deploymentRequested' },
      ],
    },
    web: {
      kind: 'ecs',
      target: {
        cluster: 'shop',
        blueService: 'web-blue',
        greenService: 'web-green',
        blueTargetGroup: ARNS.webBlue,
        greenTargetGroup: ARNS.webGreen,
        listener: ARNS.webListener,
        testListener: ARNS.webTestListener,
        container: 'web',
        taskRoles: [ARNS.webTaskRole, ARNS.webExecutionRole],
      },
      deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      hooks: { BeforeInstall: ['web-smoke'], AfterAllowTestTraffic: ['web-smoke'] },
      alarms: ['web-5xx'],
      triggers: [{ type: 'ecrPush', repository: 'shop/web' }],
    },
    checkout: {
      kind: 'ecs',
      target: {
        cluster: ARNS.checkoutCluster,
        blueService: 'checkout-blue',
        greenService: 'checkout-green',
        blueTargetGroup: ARNS.checkoutBlue,
        greenTargetGroup: ARNS.checkoutGreen,
        listenerRule: ARNS.checkoutRule,
      },
      deploymentConfig: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      triggers: [{ type: 'deploymentRequested' }],
    },
  },
};
