/**
 * What keeps a group safe when many things happen at once or something dies halfway: one active
 * deployment per group, locks that never outlive their deployment, alarms watched to the very end,
 * an alarm that would bounce the fix, and a routing someone else changed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { rollbackDeployment, startDeployment, stopDeployment } from '../../functions/api/operations.ts';
import { GroupBusy } from '../../functions/core/errors.ts';
import type { DeploymentStore } from '../../functions/ports.ts';
import { bake } from '../../functions/tasks/bake.ts';
import type { StepClock } from '../../local/clock.ts';
import { BROKEN } from '../../local/seed.ts';
import { messages, routing, type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('one active deployment per group', () => {
  it('lets exactly one of 20 simultaneous starts on one group through; the others get 409', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes' } });
    const ctx = s.ctx;
    const revisions = Array.from({ length: 20 }, () => s?.publish('orders') ?? '');
    const results = await Promise.allSettled(
      revisions.map((revision) => startDeployment(ctx, { group: 'orders', revision })),
    );
    const started = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r) => r.status === 'rejected');
    expect(started.map((r) => r.value.status)).toEqual([201]);
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r.reason).toBeInstanceOf(GroupBusy);
    expect(await ctx.store.list({ group: 'orders' })).toHaveLength(1);
    const winner = started[0]?.value.deployment;
    if (!winner) throw new Error('no winner');
    expect((await s.finished(winner)).deployment.status).toBe('SUCCEEDED');
    expect(await ctx.store.lockHolder('orders')).toBeUndefined();
  });

  it('never lets a lock whose deployment has ended block the next one', async () => {
    s = await scenario({ orders: {} });
    const first = await s.deploy('orders', s.publish('orders'));
    await s.finished(first);
    // As if the process died between writing SUCCEEDED and releasing the lock.
    await s.ctx.store.lock('orders', first.id);
    const next = await s.deploy('orders', s.publish('orders'));
    expect((await s.finished(next)).deployment.status).toBe('SUCCEEDED');
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
  });

  it('waits a minute for a lock taken by a start that never recorded its deployment, then takes it over', async () => {
    s = await scenario({ orders: {} });
    await s.ctx.store.lock('orders', 'd-lost');
    await expect(s.deploy('orders', s.publish('orders'))).rejects.toThrow('deployment d-lost is in progress');
    const clock = s.local.clock as StepClock;
    await clock.run(clock.sleep(61_000));
    const next = await s.deploy('orders', s.publish('orders'));
    expect((await s.finished(next)).deployment.status).toBe('SUCCEEDED');
  });
});

describe('a rollback asked for through the API that fails', () => {
  it('ends FAILED with the routing recorded and the group free, so it can be asked for again', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaLinear10PercentEvery10Minutes' } });
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    await s.until(d, (x) => x.bakeToken !== undefined && x.percent === 10, 'the first bake');
    await stopDeployment(s.ctx, d.id, { rollback: false });
    await s.finished(d);
    s.local.account.throttle('UpdateAlias', 1);
    await expect(rollbackDeployment(s.ctx, d.id)).rejects.toThrow('TooManyRequestsException');
    expect(await s.ctx.store.get(d.id)).toMatchObject({
      status: 'FAILED',
      reason: 'rollback failed: TooManyRequestsException: Rate exceeded (UpdateAlias)',
      lastRouting: routing('1', { [v2]: 0.1 }),
    });
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
    expect((await rollbackDeployment(s.ctx, d.id)).deployment.status).toBe('ROLLED_BACK');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
  });
});

describe('alarms are watched until the deployment ends', () => {
  it('rolls back from 100 % when an alarm fires while the AfterAllowTraffic hooks run', async () => {
    s = await scenario(
      {
        payments: {
          deploymentConfig: 'LambdaAllAtOnce',
          alarms: ['payments-errors'],
          hooks: { AfterAllowTraffic: ['soak'] },
        },
      },
      { hooks: { soak: () => ({ status: 'InProgress', callBackDelaySeconds: 60 }) } },
    );
    const v2 = s.publish('payments', BROKEN);
    const d = await s.deploy('payments', v2);
    await s.until(d, (x) => x.percent === 100, 'all traffic on the new version');
    s.local.account.setAlarmState('payments-errors', 'ALARM');
    const { deployment, timeline } = await s.finished(d);
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toBe('alarm payments-errors entered ALARM');
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
    expect(messages(timeline)).toContain('alarm: payments-errors entered ALARM at 100 %');
  });
});

describe('an alarm already in ALARM at the start', () => {
  const alarmed = async () => {
    s = await scenario({
      payments: { deploymentConfig: 'LambdaCanary10Percent5Minutes', alarms: ['payments-errors'] },
    });
    s.local.account.setAlarmState('payments-errors', 'ALARM');
    return s;
  };

  it('refuses the start with 409 naming the alarm and the way out, and records nothing', async () => {
    const sc = await alarmed();
    const start = sc.deploy('payments', sc.publish('payments'));
    await expect(start).rejects.toMatchObject({ status: 409, details: { alarms: ['payments-errors'] } });
    await expect(start).rejects.toThrow('"ignoreAlarms": ["payments-errors"]');
    expect(await sc.ctx.store.list({ group: 'payments' })).toEqual([]);
    expect(await sc.ctx.store.lockHolder('payments')).toBeUndefined();
  });

  it('deploys the fix with ignoreAlarms, says so, and watches the alarm again once it is OK', async () => {
    const sc = await alarmed();
    const d = await sc.deploy('payments', sc.publish('payments'), { ignoreAlarms: ['payments-errors'] });
    expect(d).toMatchObject({ alarms: [], ignoredAlarms: ['payments-errors'] });
    await sc.until(d, (x) => x.bakeToken !== undefined, 'the bake');
    sc.local.account.setAlarmState('payments-errors', 'OK');
    const { deployment, timeline } = await sc.finished(d);
    expect(deployment).toMatchObject({ status: 'SUCCEEDED', alarms: ['payments-errors'], ignoredAlarms: [] });
    expect(messages(timeline)).toEqual(
      expect.arrayContaining([
        'alarm: payments-errors is not watched while in ALARM: ignoreAlarms asked so',
        'alarm: payments-errors is OK again: watched from now on',
      ]),
    );
  });

  it('names the field when ignoreAlarms or alarms name an alarm it cannot use', async () => {
    const sc = await alarmed();
    const v = sc.publish('payments');
    await expect(sc.deploy('payments', v, { ignoreAlarms: ['other'] })).rejects.toMatchObject({
      status: 400,
      problems: [{ path: 'ignoreAlarms[0]', message: expect.stringContaining('not watched') }],
    });
    await expect(sc.deploy('payments', v, { alarms: ['not-declared'] })).rejects.toMatchObject({
      status: 400,
      problems: [{ path: 'alarms[0]', message: expect.stringContaining('not declared in the config') }],
    });
  });
});

describe('a routing changed outside stepshift', () => {
  it('ends FAILED and leaves the alias as found instead of overwriting the change', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaLinear10PercentEvery1Minute' } });
    const v2 = s.publish('orders');
    const v3 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    await s.until(d, (x) => x.bakeToken !== undefined && x.percent === 10, 'the first bake');
    s.local.account.lambda.setAliasRouting('orders', 'live', v3);
    const { deployment, timeline } = await s.finished(d);
    expect(deployment.status).toBe('FAILED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v3));
    expect(messages(timeline)).toContain(
      `info: routing left as found: 100 % on version ${v3} — it changed outside stepshift, and restoring the recorded routing would overwrite that change`,
    );
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
  });
});

describe('a promote that comes while the bake stores its token', () => {
  it('still ends that bake: the bake looks again after storing its token', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent30Minutes' } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, (x) => x.bakeToken !== undefined, 'the first bake');
    const store = s.ctx.store;
    // The promote lands between the bake's first look and its token being stored: it found no token.
    const racing: DeploymentStore = Object.create(store);
    racing.update = async (id, patch, expect) => {
      const updated = await store.update(id, patch, expect);
      return patch.bakeToken ? store.update(id, { promoted: true }) : updated;
    };
    await store.update(d.id, { promoted: false });
    const outcome = await bake(
      { ...s.ctx, store: racing },
      {
        deploymentId: d.id,
        stepIndex: 0,
        bakeSeconds: 1800,
        taskToken: 'token-2',
      },
    );
    expect(outcome).toEqual({ outcome: 'skip' });
    expect(messages(await store.timeline(d.id))).toContain('bake: bake at 10 % skipped: promoted');
  });
});
