import { describe, expect, it } from 'vitest';
import type { AlbRouting } from '../../functions/core/alb.ts';
import { type LambdaGroup, parseGroupConfig } from '../../functions/core/group-config.ts';
import type { AlarmState } from '../../functions/ports.ts';
import { type AccountSnapshot, SimulatedAccount } from '../../local/account.ts';
import type { LocalClock } from '../../local/clock.ts';
import { BROKEN, HEALTHY } from '../../local/seed.ts';

/** A clock the test moves by hand, so each traffic round covers exactly the time the test chose. */
class HandClock implements LocalClock {
  time = Date.parse('2026-01-01T00:00:00Z');
  readonly rounds: { everyMs: number; stopped: boolean }[] = [];
  now = () => this.time;
  real = (virtualMs: number) => virtualMs;
  sleep = () => Promise.resolve();
  sleepUntil = () => Promise.resolve();
  every(everyMs: number): () => void {
    const round = { everyMs, stopped: false };
    this.rounds.push(round);
    return () => {
      round.stopped = true;
    };
  }
}

const TG = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}/1`;
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/shop/1/2';

function lambdaGroup(functionName: string): LambdaGroup {
  const group = parseGroupConfig({
    groups: {
      [functionName]: {
        kind: 'lambda',
        target: { functionName, alias: 'live' },
        deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
      },
    },
  }).groups[functionName];
  if (group?.kind !== 'lambda') throw new Error('expected a Lambda group');
  return group;
}

function accountWithOrders(clock: LocalClock = new HandClock()) {
  const account = new SimulatedAccount(clock);
  account.createFunction('orders', HEALTHY, { alias: 'live', rps: 40 });
  const v2 = account.publishVersion('orders', HEALTHY);
  const v3 = account.publishVersion('orders', HEALTHY);
  return { account, v2, v3, group: lambdaGroup('orders') };
}

describe('the simulated Lambda alias', () => {
  it('rejects two additional versions, as UpdateAlias does, and leaves the alias as it was', async () => {
    const { account, v2, v3, group } = accountWithOrders();

    const update = account.lambda.apply(group, {
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: { [v2]: 0.1, [v3]: 0.1 },
    });

    await expect(update).rejects.toThrow(
      'InvalidParameterValueException: an alias routes to at most 1 additional version',
    );
    expect(account.aliasRouting('orders', 'live')).toEqual({
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: {},
    });
  });

  it.each([-0.1, 1.5, Number.NaN])('rejects the weight %s, outside [0, 1]', async (weight) => {
    const { account, v2, group } = accountWithOrders();

    const update = account.lambda.apply(group, {
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: { [v2]: weight },
    });

    await expect(update).rejects.toThrow(`InvalidParameterValueException: weight ${weight} of version 2`);
    expect(account.aliasRouting('orders', 'live').additionalVersionWeights).toEqual({});
  });

  it('changes the RevisionId on every update, and drops weights of 0', async () => {
    const { account, v2, group } = accountWithOrders();
    const revisionId = () => account.snapshot().functions[0]?.aliases[0]?.revisionId;
    const before = revisionId();

    await account.lambda.apply(group, {
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: { [v2]: 0.1 },
    });
    await account.lambda.apply(group, { kind: 'lambda', version: v2, additionalVersionWeights: { '1': 0 } });

    expect(revisionId()).toBe((before ?? Number.NaN) + 2);
    expect(account.aliasRouting('orders', 'live')).toEqual({
      kind: 'lambda',
      version: v2,
      additionalVersionWeights: {},
    });
  });
});

describe('the simulated ALB listener', () => {
  const weights = (...w: number[]) => Object.fromEntries(w.map((x, i) => [TG(`tg-${i}`), x]));

  it.each([
    ['a weight above 999', weights(1000, 0), /weight 1000 of .* is not an integer from 0 to 999/],
    ['a fractional weight', weights(2.5, 1), /weight 2.5 of .* is not an integer from 0 to 999/],
    ['a negative weight', weights(-1, 1), /weight -1 of .* is not an integer from 0 to 999/],
    ['six target groups', weights(1, 1, 1, 1, 1, 1), /a forward action has at most 5 target groups/],
    ['every weight 0', weights(0, 0), /at least one target group needs a weight above 0/],
  ])('rejects %s with a ValidationError and keeps its weights', async (_what, w, message) => {
    const account = new SimulatedAccount(new HandClock());
    account.createListener(LISTENER, { [TG('blue')]: 1 });
    const routing: AlbRouting = { kind: 'ecs', weights: w };

    await expect(account.elb.set({ listener: LISTENER }, routing)).rejects.toThrow(message);

    expect(account.listenerWeights(LISTENER)).toEqual({ [TG('blue')]: 1 });
  });

  it('sets weights within the rules and reads them back', async () => {
    const account = new SimulatedAccount(new HandClock());
    account.createListener(LISTENER, { [TG('blue')]: 1 });

    await account.elb.set(
      { listener: LISTENER },
      { kind: 'ecs', weights: { [TG('blue')]: 900, [TG('green')]: 100 } },
    );

    expect(await account.elb.current({ listener: LISTENER })).toEqual({
      kind: 'ecs',
      weights: { [TG('blue')]: 900, [TG('green')]: 100 },
    });
  });
});

describe('synthetic traffic', () => {
  it('puts an alarm in ALARM once traffic through a bad version breaches it', async () => {
    const clock = new HandClock();
    const { account, group } = accountWithOrders(clock);
    account.defineAlarm({
      name: 'orders-errors',
      target: 'orders',
      metric: 'ErrorRate',
      threshold: 0.02,
      periodSeconds: 30,
      evaluationPeriods: 1,
    });
    const changes: [AlarmState, AlarmState][] = [];
    account.onAlarm((_name, state, previous) => changes.push([previous, state]));
    const rounds = (n: number) => {
      for (let i = 0; i < n; i++) {
        clock.time += 10_000;
        account.tick();
      }
    };
    rounds(6);
    expect(account.cloudwatch.alarmState('orders-errors')).toBe('OK');

    const bad = account.publishVersion('orders', BROKEN);
    await account.lambda.apply(group, {
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: { [bad]: 0.5 },
    });
    rounds(3);

    expect(await account.cloudwatch.states(['orders-errors'])).toEqual({ 'orders-errors': 'ALARM' });
    expect(changes).toEqual([
      ['INSUFFICIENT_DATA', 'OK'],
      ['OK', 'ALARM'],
    ]);
    expect(account.traffic.recent(clock.time - 30_000).some((i) => i.version === bad && i.error)).toBe(true);
  });

  it('runs its rounds every virtual second on the local clock until stopped', () => {
    const clock = new HandClock();
    const account = new SimulatedAccount(clock);

    account.startTraffic();
    account.startTraffic();
    account.stopTraffic();

    expect(clock.rounds).toEqual([{ everyMs: 1000, stopped: true }]);
  });
});

describe('persistence', () => {
  it('loads its own snapshot back to the same state in every service', async () => {
    const clock = new HandClock();
    const { account, v2, group } = accountWithOrders(clock);
    await account.lambda.apply(group, {
      kind: 'lambda',
      version: '1',
      additionalVersionWeights: { [v2]: 0.25 },
    });
    const td = account.registerTaskDefinition('web', [{ name: 'web', image: 'shop/web:1.0' }]);
    account.createService('shop', 'web-blue', td, 3, TG('web-blue'));
    account.createService('shop', 'web-green', td, 0, TG('web-green'));
    await account.ecs.update('shop', 'web-green', { taskDefinition: td, desiredCount: 3 });
    account.createListener(LISTENER, { [TG('web-blue')]: 900, [TG('web-green')]: 100 }, 7);
    const saved = JSON.stringify(account.snapshot());

    const restored = new SimulatedAccount(clock);
    restored.load(JSON.parse(saved) as AccountSnapshot);

    expect(restored.snapshot()).toEqual(JSON.parse(saved));
    expect(restored.aliasRouting('orders', 'live')).toEqual(account.aliasRouting('orders', 'live'));
    expect(restored.listenerWeights(LISTENER)).toEqual(account.listenerWeights(LISTENER));
    clock.time += 60_000;
    expect(restored.service('shop', 'web-green')).toEqual(account.service('shop', 'web-green'));
    expect(restored.service('shop', 'web-green')).toMatchObject({ rollout: 'COMPLETED', runningCount: 3 });
  });

  it('loads a snapshot written before ECS, which has no ecs section', () => {
    const restored = new SimulatedAccount(new HandClock());

    restored.load({
      functions: [
        {
          name: 'orders',
          rps: 40,
          versions: [{ version: '1', ...HEALTHY }],
          aliases: [{ alias: 'live', version: '1', weights: {}, revisionId: 3 }],
        },
      ],
    });

    expect(restored.aliasRouting('orders', 'live').version).toBe('1');
    expect(restored.snapshot().ecs).toEqual({
      taskDefinitions: [],
      services: [],
      listeners: [],
      targetGroups: [],
    });
  });
});
