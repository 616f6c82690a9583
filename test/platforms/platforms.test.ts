import { describe, expect, it } from 'vitest';
import type { AlbRouting } from '../../functions/core/alb.ts';
import type { LambdaRouting } from '../../functions/core/alias.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { Conflict, PreflightFailed, ValidationError } from '../../functions/core/errors.ts';
import { type DeploymentGroup, parseGroupConfig } from '../../functions/core/group-config.ts';
import { albDimension, forwardOf } from '../../functions/platforms/ecs.ts';
import { type Journal, platformOf, wordsOf } from '../../functions/platforms/index.ts';
import type { PlatformPorts } from '../../functions/platforms/platform.ts';
import type { ForwardLocation, ServiceState } from '../../functions/ports.ts';

const ELB = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012';
const BLUE = `${ELB}:targetgroup/web-blue/0001`;
const GREEN = `${ELB}:targetgroup/web-green/0002`;
const LISTENER = `${ELB}:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2`;
const RULE = `${ELB}:listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`;
const TEST_LISTENER = `${ELB}:listener/app/shop/50dc6c495c0c9188/0000000000000009`;

const { groups } = parseGroupConfig({
  groups: {
    orders: {
      kind: 'lambda',
      target: { functionName: 'arn:aws:lambda:eu-west-1:123456789012:function:orders', alias: 'live' },
      deploymentConfig: 'LambdaCanary10Percent5Minutes',
    },
    web: {
      kind: 'ecs',
      target: {
        cluster: 'shop',
        blueService: 'web-blue',
        greenService: 'web-green',
        blueTargetGroup: BLUE,
        greenTargetGroup: GREEN,
        listener: LISTENER,
        testListener: TEST_LISTENER,
        container: 'web',
        taskRoles: [],
        terminationWaitMinutes: 7,
      },
      deploymentConfig: 'ECSAllAtOnce',
    },
  },
});
const group = (name: string): DeploymentGroup => {
  const g = groups[name];
  if (!g) throw new Error(name);
  return g;
};

/** In-memory ports: an alias with versions 1–3, and a listener with two services behind it. */
function fakePorts(live: { alias?: LambdaRouting; listener?: AlbRouting } = {}) {
  const calls: string[] = [];
  let alias: LambdaRouting = live.alias ?? { kind: 'lambda', version: '1', additionalVersionWeights: {} };
  const listeners = new Map<string, AlbRouting>([
    [LISTENER, live.listener ?? { kind: 'ecs', weights: { [BLUE]: 1, [GREEN]: 0 } }],
    [TEST_LISTENER, { kind: 'ecs', weights: { [BLUE]: 1, [GREEN]: 0 } }],
  ]);
  const services: Record<string, ServiceState> = {
    'web-blue': {
      taskDefinition: 'web:4',
      desiredCount: 3,
      runningCount: 3,
      rollout: 'COMPLETED',
      failedTasks: 0,
    },
    'web-green': {
      taskDefinition: 'web:3',
      desiredCount: 0,
      runningCount: 0,
      rollout: 'COMPLETED',
      failedTasks: 0,
    },
  };
  const key = (where: ForwardLocation) => ('listener' in where ? where.listener : where.rule);
  const ports: PlatformPorts = {
    clock: { now: () => Date.parse('2026-11-25T00:00:00Z') },
    router: {
      current: async () => alias,
      revisionExists: async (_g, revision) => ['1', '2', '3'].includes(revision),
      apply: async (_g, routing) => {
        calls.push(`UpdateAlias ${JSON.stringify(routing.additionalVersionWeights)} ${routing.version}`);
        alias = routing;
        return routing;
      },
    },
    loadBalancer: {
      current: async (where) => {
        const r = listeners.get(key(where));
        if (!r) throw new Error(`no listener ${key(where)}`);
        return r;
      },
      set: async (where, routing) => {
        calls.push(`ModifyListener ${key(where)}`);
        listeners.set(key(where), routing);
        return routing;
      },
    },
    scaler: {
      describe: async (_c, service) => {
        const s = services[service];
        if (!s) throw new Error(service);
        return s;
      },
      update: async (_c, service, change) => {
        calls.push(`UpdateService ${service} ${change.taskDefinition ?? '-'} ${change.desiredCount}`);
      },
      registerImage: async () => 'web:5',
    },
  };
  return { ports, calls, listeners };
}

const journal = (): Journal & { notes: string[] } => {
  const notes: string[] = [];
  return { notes, save: async (patch) => patch as Deployment, note: async (m) => void notes.push(m) };
};

const deployment = (patch: Partial<Deployment>): Deployment =>
  ({ id: 'd-1', group: 'orders', kind: 'lambda', revision: '2', ...patch }) as Deployment;

describe('the platform of a group', () => {
  it.each([
    ['orders', 'lambda', 'the alias', 'version'],
    ['web', 'ecs', 'the listener', 'target group'],
  ])('is chosen by the group: %s is %s, routed by %s', (name, kind, router, unit) => {
    const platform = platformOf(fakePorts().ports, group(name));
    expect(platform.kind).toBe(kind);
    expect(platform.words).toMatchObject({ router, unit });
    expect(wordsOf(platform.kind)).toEqual(platform.words);
  });
});

describe('the Lambda platform', () => {
  const platform = (live?: LambdaRouting) =>
    platformOf(fakePorts({ ...(live ? { alias: live } : {}) }).ports, group('orders'));

  it.each([
    ['7', undefined],
    ['$LATEST', 'must be a published version number of the function, like "7"'],
    ['7a', 'must be a published version number of the function, like "7"'],
  ])('judges the form of revision %s', (revision, problem) => {
    expect(platform().revisionProblem(revision)).toBe(problem);
  });

  it('refuses the version that is already live, and a version that does not exist', async () => {
    const p = platform();
    const live = await p.current();
    await expect(p.inspect({ id: 'd', revision: '1' }, live)).rejects.toBeInstanceOf(Conflict);
    await expect(p.inspect({ id: 'd', revision: '9' }, live)).rejects.toThrow(ValidationError);
    await expect(p.inspect({ id: 'd', revision: '2' }, live)).resolves.toEqual({
      live,
      record: {},
      notes: [],
    });
  });

  it('puts the step’s percent on the revision and the rest on the recorded version', () => {
    const original: LambdaRouting = { kind: 'lambda', version: '1', additionalVersionWeights: {} };
    const d = deployment({ originalRouting: original });
    expect(platform().target(d, 10)).toEqual({
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: { 2: 0.1 },
    });
    expect(platform().target(d, 100)).toEqual({ kind: 'lambda', version: '2', additionalVersionWeights: {} });
    expect(platform().receiver(d)).toBe('version 2');
    expect(platform().afterFullTraffic(d)).toEqual({ done: true, notes: [] });
    expect(platform().terminationWaitSeconds()).toBe(0);
    expect(platform().blueGreen).toBeUndefined();
  });

  it('names the revision’s and the baseline’s metrics by ExecutedVersion under the alias', () => {
    const d = deployment({ originalRouting: { kind: 'lambda', version: '1', additionalVersionWeights: {} } });
    expect(platform().metricDimensions(d)).toEqual({
      revision: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '2' },
      baseline: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '1' },
    });
  });
});

describe('the ECS platform', () => {
  it('gives the revision to the idle service: green when blue is live, blue when green is', async () => {
    for (const [live, active, idle] of [
      [{ [BLUE]: 1, [GREEN]: 0 }, 'web-blue', 'web-green'],
      [{ [BLUE]: 0, [GREEN]: 1 }, 'web-green', 'web-blue'],
    ] as const) {
      const p = platformOf(fakePorts({ listener: { kind: 'ecs', weights: live } }).ports, group('web'));
      const found = await p.inspect({ id: 'd', revision: 'shop/web:2.0' }, await p.current());
      expect(found.record.ecs).toMatchObject({
        activeService: active,
        idleService: idle,
        image: 'shop/web:2.0',
      });
      expect(found.notes).toEqual([`${active} is live; ${idle} receives the revision`]);
    }
  });

  it('refuses the task definition already live and a listener on a foreign target group', async () => {
    const p = platformOf(fakePorts().ports, group('web'));
    await expect(p.inspect({ id: 'd', revision: 'web:4' }, await p.current())).rejects.toBeInstanceOf(
      Conflict,
    );
    const foreign: AlbRouting = { kind: 'ecs', weights: { [`${ELB}:targetgroup/other/3`]: 1 } };
    await expect(p.inspect({ id: 'd', revision: 'web:5' }, foreign)).rejects.toBeInstanceOf(PreflightFailed);
  });

  it('installs, tests, retires and rolls back through the ports, each step said on the timeline', async () => {
    const { ports, calls, listeners } = fakePorts();
    const p = platformOf(ports, group('web'));
    const { record } = await p.inspect({ id: 'd', revision: 'shop/web:2.0' }, await p.current());
    const d = deployment({ group: 'web', kind: 'ecs', revision: 'shop/web:2.0', ...record });
    const j = journal();
    await p.blueGreen?.install(d, j);
    expect(await p.blueGreen?.testTraffic(d, j)).toBe(true);
    expect(listeners.get(TEST_LISTENER)).toEqual({ kind: 'ecs', weights: { [BLUE]: 0, [GREEN]: 1 } });
    expect(p.target(d, 10)).toEqual({ kind: 'ecs', weights: { [BLUE]: 900, [GREEN]: 100 } });
    expect(p.afterFullTraffic(d).done).toBe(false);
    expect(p.terminationWaitSeconds()).toBe(420);
    await p.blueGreen?.retire(d, j);
    await p.restoreRest(d, j);
    expect(calls).toEqual([
      'UpdateService web-green web:5 3',
      `ModifyListener ${TEST_LISTENER}`,
      'UpdateService web-blue - 0',
      `ModifyListener ${TEST_LISTENER}`,
      'UpdateService web-green web:3 0',
    ]);
    expect(j.notes).toEqual([
      'registered web:5 with image shop/web:2.0',
      'web-green → web:5 with 3 tasks',
      'test listener → web-green',
      'web-blue scaled to 0 after the termination wait',
      'test listener restored: 100 % on web-blue, 0 % on web-green',
      'web-green scaled back to 0 tasks',
    ]);
  });

  it('names the revision’s and the baseline’s metrics by target group under the load balancer', async () => {
    const p = platformOf(fakePorts().ports, group('web'));
    const { record } = await p.inspect({ id: 'd', revision: 'web:5' }, await p.current());
    expect(p.metricDimensions(deployment({ ...record }))).toEqual({
      revision: { LoadBalancer: 'app/shop/50dc6c495c0c9188', TargetGroup: 'targetgroup/web-green/0002' },
      baseline: { LoadBalancer: 'app/shop/50dc6c495c0c9188', TargetGroup: 'targetgroup/web-blue/0001' },
    });
  });

  it.each([
    [LISTENER, 'app/shop/50dc6c495c0c9188'],
    [RULE, 'app/shop/50dc6c495c0c9188'],
    [GREEN, 'targetgroup/web-green/0002'],
  ])('reads the CloudWatch dimension of %s', (arn, dimension) => {
    expect(albDimension(arn)).toBe(dimension);
  });

  it('prefers the listener rule over the listener for the weights', () => {
    const web = group('web');
    if (web.kind !== 'ecs') throw new Error('web is an ECS group');
    expect(forwardOf(web)).toEqual({ listener: LISTENER });
    expect(forwardOf({ ...web, target: { ...web.target, listenerRule: RULE } })).toEqual({ rule: RULE });
  });
});
