import { afterEach, describe, expect, it } from 'vitest';
import { promoteDeployment, rollbackDeployment, stopDeployment } from '../../functions/api/operations.ts';
import { Conflict, GroupBusy, PreflightFailed } from '../../functions/core/errors.ts';
import { BROKEN } from '../../local/seed.ts';
import { messages, routing, type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('a Lambda deployment that succeeds', () => {
  it.each([
    ['a predefined canary', 'CodeDeployDefault.LambdaCanary10Percent5Minutes', [10, 100]],
    ['a predefined linear', 'LambdaLinear10PercentEvery1Minute', [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]],
    ['all at once', 'CodeDeployDefault.LambdaAllAtOnce', [100]],
    ['a custom canary', { type: 'canary', percent: 5, intervalMinutes: 2 }, [5, 100]],
    [
      'a custom linear that does not divide 100',
      { type: 'linear', percent: 40, intervalMinutes: 1 },
      [40, 80, 100],
    ],
    [
      'explicit steps',
      {
        type: 'steps',
        steps: [
          { percent: 0.5, bakeSeconds: 30 },
          { percent: 25, bakeSeconds: 60 },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
      [0.5, 25, 100],
    ],
  ])('shifts through %s and ends with all traffic on the new version', async (_what, config, percents) => {
    s = await scenario({ orders: { deploymentConfig: config } });
    const v2 = s.publish('orders');
    const { deployment, timeline, execution } = await s.finished(await s.deploy('orders', v2));

    expect(execution).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
    expect(deployment).toMatchObject({ status: 'SUCCEEDED', percent: 100, originalRouting: routing('1') });
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
    const shifts = timeline.filter((e) => e.kind === 'shift').map((e) => e.details?.percent);
    expect(shifts).toEqual(percents);
    expect(messages(timeline).filter((m) => m.startsWith('status: '))).toEqual([
      expect.stringMatching(/^status: created/),
      'status: CREATED → IN_PROGRESS',
      'status: IN_PROGRESS → SUCCEEDED',
    ]);
    const weights = s.local.account.calls
      .filter((c) => c.operation === 'UpdateAlias')
      .map((c) => (c.input as { weights: Record<string, number> }).weights);
    for (const w of weights) {
      expect(Object.keys(w).length).toBeLessThanOrEqual(1);
      for (const value of Object.values(w)) {
        expect(value).toBeGreaterThan(0);
        expect(value).toBeLessThanOrEqual(1);
      }
    }
  });

  it('waits out each bake on the virtual clock', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes' } });
    const v2 = s.publish('orders');
    const { timeline } = await s.finished(await s.deploy('orders', v2));
    const at = (m: string) => Date.parse(timeline.find((e) => e.message.startsWith(m))?.at ?? '');
    expect(at('100 %') - at('10 %')).toBeGreaterThanOrEqual(300_000);
  });

  it('asks an InProgress hook again after its delay until it decides', async () => {
    let calls = 0;
    s = await scenario(
      { orders: { hooks: { BeforeAllowTraffic: ['warm-up'] } } },
      {
        hooks: {
          'warm-up': () =>
            ++calls < 3 ? { status: 'InProgress', callBackDelaySeconds: 30 } : { status: 'Succeeded' },
        },
      },
    );
    const v2 = s.publish('orders');
    const { deployment, timeline } = await s.finished(await s.deploy('orders', v2));
    expect(deployment.status).toBe('SUCCEEDED');
    expect(calls).toBe(3);
    const hookEntries = timeline.filter((e) => e.kind === 'hook');
    expect(
      Date.parse(hookEntries[1]?.at ?? '') - Date.parse(hookEntries[0]?.at ?? ''),
    ).toBeGreaterThanOrEqual(60_000);
    expect(hookEntries[1]?.details).toMatchObject({ status: 'Succeeded', attempts: 3 });
  });
});

describe('a Lambda deployment that fails', () => {
  it('never moves traffic when a BeforeAllowTraffic hook fails', async () => {
    s = await scenario(
      {
        orders: {
          deploymentConfig: 'LambdaCanary10Percent5Minutes',
          hooks: { BeforeAllowTraffic: ['smoke', 'schema-check'] },
        },
      },
      {
        hooks: {
          smoke: () => ({ status: 'Succeeded' }),
          'schema-check': () => ({ status: 'Failed', reason: 'table orders_v2 missing' }),
        },
      },
    );
    const v2 = s.publish('orders');
    const { deployment, timeline, execution } = await s.finished(await s.deploy('orders', v2));

    expect(execution).toBe('FAILED');
    expect(s.local.account.calls.filter((c) => c.operation === 'UpdateAlias')).toEqual([]);
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    expect(deployment).toMatchObject({
      status: 'ROLLED_BACK',
      percent: 0,
      reason: expect.stringContaining('schema-check failed: table orders_v2 missing'),
    });
    expect(messages(timeline)).toContain(
      'hook: BeforeAllowTraffic: schema-check failed: table orders_v2 missing',
    );
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
  });

  it('rolls back from 100 % when an AfterAllowTraffic hook fails', async () => {
    s = await scenario(
      {
        orders: {
          deploymentConfig: 'LambdaCanary10Percent5Minutes',
          hooks: { AfterAllowTraffic: ['contract'] },
        },
      },
      {
        hooks: {
          contract: () => {
            throw new Error('HTTP 500 from /orders');
          },
        },
      },
    );
    const v2 = s.publish('orders');
    const { deployment, timeline } = await s.finished(await s.deploy('orders', v2));

    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    expect(deployment.status).toBe('ROLLED_BACK');
    const m = messages(timeline);
    expect(m.indexOf('shift: 100 % on version 2')).toBeLessThan(
      m.indexOf('shift: routing restored: 100 % on version 1'),
    );
    expect(m).toContain('hook: AfterAllowTraffic: contract failed: function error: HTTP 500 from /orders');
  });

  it('fails a hook that stays InProgress past its timeout', async () => {
    s = await scenario(
      { orders: { hooks: { BeforeAllowTraffic: [{ functionName: 'slow', timeoutSeconds: 120 }] } } },
      { hooks: { slow: () => ({ status: 'InProgress', callBackDelaySeconds: 50 }) } },
    );
    const { deployment } = await s.finished(await s.deploy('orders', s.publish('orders')));
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toContain('slow failed: did not decide within its timeout of 120 s');
  });

  it('rolls back at once when an alarm fires mid-bake, without waiting out the bake', async () => {
    s = await scenario({
      payments: { deploymentConfig: 'LambdaCanary10Percent30Minutes', alarms: ['payments-errors'] },
    });
    const v2 = s.publish('payments', BROKEN);
    const d = await s.deploy('payments', v2);
    const baking = await s.until(d, (x) => x.bakeToken !== undefined, 'the bake');
    const alarmAt = s.local.clock.now();
    s.local.account.setAlarmState('payments-errors', 'ALARM');
    const { deployment, timeline, execution } = await s.finished(d);

    expect(baking.percent).toBe(10);
    expect(execution).toBe('FAILED');
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toMatch(/^alarm payments-errors (entered|in) ALARM$/);
    expect(messages(timeline)).toContain('alarm: payments-errors entered ALARM at 10 %');
    const restoredAt = Date.parse(timeline.find((e) => e.message.startsWith('routing restored'))?.at ?? '');
    expect(restoredAt - alarmAt).toBeLessThan(5 * 60_000);
    expect(messages(timeline)).not.toContain('shift: 100 % on version 2');
  });

  it('rolls back when synthetic traffic through a bad version trips its alarm', async () => {
    s = await scenario({
      payments: { deploymentConfig: 'LambdaLinear10PercentEvery3Minutes', alarms: ['payments-errors'] },
    });
    s.local.account.startTraffic();
    const { deployment } = await s.finished(await s.deploy('payments', s.publish('payments', BROKEN)));
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toMatch(/payments-errors (entered|in) ALARM/);
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
  });

  it('moves no traffic when an alarm enters ALARM between the start request and the first shift', async () => {
    s = await scenario({
      payments: { deploymentConfig: 'LambdaCanary10Percent5Minutes', alarms: ['payments-errors'] },
    });
    // The API refuses a start while the alarm is in ALARM; here it fires just after the API said yes.
    s.local.events.subscribe((c) => {
      if (c.status === 'CREATED') s?.local.account.setAlarmState('payments-errors', 'ALARM');
    });
    const { deployment, timeline } = await s.finished(await s.deploy('payments', s.publish('payments')));
    expect(s.local.account.calls.filter((c) => c.operation === 'UpdateAlias')).toEqual([]);
    expect(deployment).toMatchObject({
      status: 'ROLLED_BACK',
      percent: 0,
      reason: 'alarm payments-errors in ALARM',
    });
    expect(messages(timeline)).toContain('alarm: payments-errors in ALARM at 0 %');
  });

  it('leaves the split recorded when auto-rollback is off for failures', async () => {
    s = await scenario(
      {
        orders: {
          deploymentConfig: 'LambdaCanary10Percent5Minutes',
          hooks: { AfterAllowTraffic: ['contract'] },
          autoRollback: { enabled: false },
        },
      },
      { hooks: { contract: () => ({ status: 'Failed', reason: 'no' }) } },
    );
    const v2 = s.publish('orders');
    const { deployment } = await s.finished(await s.deploy('orders', v2));
    expect(deployment.status).toBe('FAILED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
    expect(deployment.lastRouting).toEqual(routing(v2));
  });
});

describe('stopping a deployment', () => {
  it('restores the recorded routing when stopped with rollback', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaLinear10PercentEvery10Minutes' } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, (x) => x.bakeToken !== undefined && x.percent === 10, 'the first bake');
    await stopDeployment(s.ctx, d.id, { rollback: true, reason: 'wrong build' });
    const { deployment, timeline } = await s.finished(d);
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    expect(messages(timeline)).toContain('info: stop requested (with rollback)');
  });

  it('leaves the split, recorded, when stopped without rollback; the next deployment names it; rollback restores it', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaLinear10PercentEvery10Minutes' } });
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    await s.until(d, (x) => x.bakeToken !== undefined && x.percent === 10, 'the first bake');
    await stopDeployment(s.ctx, d.id, { rollback: false });
    const { deployment } = await s.finished(d);

    expect(deployment.status).toBe('STOPPED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1', { [v2]: 0.1 }));
    expect(deployment.lastRouting).toEqual(routing('1', { [v2]: 0.1 }));
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();

    const v3 = s.publish('orders');
    const refused = s.deploy('orders', v3);
    await expect(refused).rejects.toBeInstanceOf(PreflightFailed);
    await expect(refused).rejects.toThrow(
      `deployment ${d.id} was stopped at 10 % and left it so. Roll it back with \`stepshift rollback ${d.id}\``,
    );

    const rolled = await rollbackDeployment(s.ctx, d.id);
    expect(rolled.deployment.status).toBe('ROLLED_BACK');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    const next = await s.deploy('orders', v3);
    await promoteDeployment(s.ctx, next.id);
    expect((await s.finished(next)).deployment.status).toBe('SUCCEEDED');
  });

  it('refuses to stop a deployment that has ended', async () => {
    s = await scenario({ orders: {} });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.finished(d);
    await expect(stopDeployment(s.ctx, d.id, {})).rejects.toBeInstanceOf(Conflict);
  });
});

describe('promoting a deployment', () => {
  it('skips the remaining bakes', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaLinear10PercentEvery10Minutes' } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, (x) => x.bakeToken !== undefined, 'the first bake');
    const promotedAt = s.local.clock.now();
    await promoteDeployment(s.ctx, d.id);
    const { deployment, timeline } = await s.finished(d);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(Date.parse(deployment.endedAt ?? '') - promotedAt).toBeLessThan(10 * 60_000);
    expect(timeline.filter((e) => e.message.includes('skipped: promoted'))).toHaveLength(8);
  });
});

describe('retries and concurrency', () => {
  it('retries a throttled UpdateAlias with backoff and succeeds', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes' } });
    s.local.account.throttle('UpdateAlias', 2);
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    const { deployment, execution } = await s.finished(d);

    expect(execution).toBe('SUCCEEDED');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
    const retried = s.events.filter((e) => e.event.type === 'StateRetried').map((e) => e.event.state?.name);
    expect(retried).toEqual(['ShiftTraffic', 'ShiftTraffic']);
    expect(s.local.account.calls.filter((c) => c.operation === 'UpdateAlias')).toHaveLength(4);
  });

  it('refuses a second deployment to a busy group with 409 naming the active one', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent30Minutes' } });
    const first = await s.deploy('orders', s.publish('orders'));
    await s.until(first, (x) => x.status === 'IN_PROGRESS', 'the first deployment to start');
    const second = s.deploy('orders', s.publish('orders'));
    await expect(second).rejects.toBeInstanceOf(GroupBusy);
    await expect(second).rejects.toThrow(`deployment ${first.id} is in progress`);
    await promoteDeployment(s.ctx, first.id);
    const done = await s.finished(first);
    expect(done.deployment.status).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(first.revision));
    expect(messages(done.timeline)).toContain('info: promoted: remaining bakes skipped');
    expect(await s.ctx.store.list({ group: 'orders' })).toHaveLength(1);
  });

  it('fails a deployment that races past the API into a busy group without touching the other', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent30Minutes' } });
    const first = await s.deploy('orders', s.publish('orders'));
    await s.until(first, (x) => x.bakeToken !== undefined, 'the first bake');
    const racer = {
      ...first,
      id: 'd-racer',
      executionName: 'd-racer',
      revision: s.publish('orders'),
      status: 'CREATED' as const,
    };
    delete racer.bakeToken;
    delete racer.originalRouting;
    delete racer.lastRouting;
    await s.ctx.store.create(racer);
    await s.ctx.workflow.start('d-racer', { deploymentId: 'd-racer' });
    const raced = await s.finished(racer);

    expect(raced.deployment.status).toBe('FAILED');
    expect(raced.deployment.reason).toBe(`group orders is busy: deployment ${first.id} is in progress`);
    expect(await s.ctx.store.lockHolder('orders')).toBe(first.id);
    expect((await s.ctx.store.get(first.id))?.status).toBe('IN_PROGRESS');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1', { [first.revision]: 0.1 }));
    expect(messages(raced.timeline)).toEqual([
      `error: GroupBusy: group orders is busy: deployment ${first.id} is in progress`,
      `status: CREATED → FAILED: group orders is busy: deployment ${first.id} is in progress`,
    ]);
    await promoteDeployment(s.ctx, first.id);
    expect((await s.finished(first)).deployment.status).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(first.revision));
  });

  it('starts one deployment when the same start request is sent twice with an Idempotency-Key', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes' } });
    const v2 = s.publish('orders');
    const a = await s.deploy('orders', v2, {}, 'ci-run-1234');
    const b = await s.deploy('orders', v2, {}, 'ci-run-1234');
    expect(b.id).toBe(a.id);
    await expect(s.deploy('orders', v2, { description: 'other' }, 'ci-run-1234')).rejects.toThrow(
      /used for a different request/,
    );
    const { deployment, timeline } = await s.finished(a);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
    expect(messages(timeline).filter((m) => m.startsWith('status: created'))).toHaveLength(1);
    expect(await s.ctx.store.list({ group: 'orders' })).toHaveLength(1);
    expect(new Set(s.events.map((e) => e.execution))).toEqual(new Set([a.executionName]));
  });

  it('refuses to deploy the version that is already live with a clear 409', async () => {
    s = await scenario({ orders: {} });
    await expect(s.deploy('orders', '1')).rejects.toThrow('version 1 is already live: nothing to deploy');
  });
});

/** The states one execution entered, in order. */
const entered = (sc: Scenario, execution: string) =>
  sc.events
    .filter((e) => e.execution === execution && e.event.type === 'StateEntered')
    .map((e) => e.event.state?.name);

/**
 * Makes `alarm` read ALARM from `from` (virtual ms) on, with no state-change event: an alarm that was
 * already in ALARM, or whose event was lost, which only a check finds.
 */
function silentAlarm(sc: Scenario, alarm: string, from: () => number | undefined) {
  const states = sc.ctx.alarms.states.bind(sc.ctx.alarms);
  sc.ctx.alarms.states = async (names) => {
    const read = await states(names);
    const at = from();
    return at !== undefined && sc.local.clock.now() >= at && names.includes(alarm)
      ? { ...read, [alarm]: 'ALARM' }
      : read;
  };
}

describe('the states a deployment goes through (decision 0008)', () => {
  it('enters ShiftTraffic, ChooseNext and Bake per step, and checks the alarms in ShiftTraffic', async () => {
    s = await scenario({
      orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes', alarms: ['orders-errors'] },
    });
    const d = await s.deploy('orders', s.publish('orders'));
    const checks: number[] = [];
    const states = s.ctx.alarms.states.bind(s.ctx.alarms);
    s.ctx.alarms.states = async (names) => {
      checks.push((await s?.ctx.store.get(d.id))?.percent ?? -1);
      return states(names);
    };
    expect((await s.finished(d)).deployment.status).toBe('SUCCEEDED');
    expect(entered(s, d.executionName)).toEqual([
      'Prepare',
      'ChooseKind',
      'BeforeAllowTraffic',
      'BeforeAllowTrafficDecided',
      'ShiftTraffic',
      'ChooseNext',
      'Bake',
      'ShiftTraffic',
      'ChooseNext',
      'AfterAllowTraffic',
      'AfterAllowTrafficDecided',
      'Finalize',
      'ChooseEnd',
      'DeploymentSucceeded',
    ]);
    // Prepare (two reads at 0 %); ShiftTraffic before the shift to 10 %, after it (before the bake); the
    // bake; ShiftTraffic after the bake (before the shift to 100 %), after it; AfterAllowTraffic; Finalize.
    // (Then the API's view of the deployment reads them for `finished`.)
    expect(checks.slice(0, 9)).toEqual([0, 0, 0, 10, 10, 10, 100, 100, 100]);
  });

  it.each([
    ['CodeDeployDefault.LambdaAllAtOnce', 11, 12],
    ['CodeDeployDefault.LambdaCanary10Percent5Minutes', 14, 18],
    ['CodeDeployDefault.LambdaLinear10PercentEvery1Minute', 38, 42],
  ])('%s: %i transitions, issue 12 asks ≤ %i', async (config, transitions, target) => {
    s = await scenario({ orders: { deploymentConfig: config } });
    const d = await s.deploy('orders', s.publish('orders'));
    expect((await s.finished(d)).deployment.status).toBe('SUCCEEDED');
    const counted = s.local.workflow.execution(d.executionName)?.transitions;
    expect(counted).toBe(transitions);
    expect(counted).toBeLessThanOrEqual(target);
  });

  it('bakes the last step in FinalBake, then AfterAllowTraffic', async () => {
    s = await scenario({
      orders: {
        deploymentConfig: {
          type: 'steps',
          steps: [
            { percent: 50, bakeSeconds: 60 },
            { percent: 100, bakeSeconds: 120 },
          ],
        },
      },
    });
    const d = await s.deploy('orders', s.publish('orders'));
    const { deployment, timeline } = await s.finished(d);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(entered(s, d.executionName).slice(4, 11)).toEqual([
      'ShiftTraffic',
      'ChooseNext',
      'Bake',
      'ShiftTraffic',
      'ChooseNext',
      'FinalBake',
      'AfterAllowTraffic',
    ]);
    const at = (m: string) => Date.parse(timeline.find((e) => e.message.startsWith(m))?.at ?? '');
    expect(at('IN_PROGRESS → SUCCEEDED') - at('100 %')).toBeGreaterThanOrEqual(120_000);
    expect(deployment.bakeToken).toBeUndefined();
  });
});

describe('the alarm checks around each bake', () => {
  it('rolls back before the next shift when an alarm is in ALARM after a bake, with no event', async () => {
    s = await scenario({
      payments: { deploymentConfig: 'LambdaCanary10Percent5Minutes', alarms: ['payments-errors'] },
    });
    const d = await s.deploy('payments', s.publish('payments'));
    let bakingAt: number | undefined;
    silentAlarm(s, 'payments-errors', () => bakingAt && bakingAt + 1000);
    await s.until(d, (x) => x.bakeToken !== undefined, 'the bake');
    bakingAt = s.local.clock.now();
    const { deployment, timeline } = await s.finished(d);
    expect(deployment).toMatchObject({ status: 'ROLLED_BACK', reason: 'alarm payments-errors in ALARM' });
    expect(messages(timeline)).toContain('alarm: payments-errors in ALARM at 10 %');
    expect(messages(timeline)).not.toContain('shift: 100 % on version 2');
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
    const failed = s.events.filter((e) => e.execution === d.executionName && e.event.type === 'StateFailed');
    expect(failed.map((e) => [e.event.state?.name, e.event.Error])).toContainEqual([
      'ShiftTraffic',
      'AlarmFired',
    ]);
  });

  it('rolls back before the AfterAllowTraffic hooks when an alarm is in ALARM after the last bake', async () => {
    let hookCalls = 0;
    s = await scenario(
      {
        payments: {
          deploymentConfig: {
            type: 'steps',
            steps: [
              { percent: 50, bakeSeconds: 60 },
              { percent: 100, bakeSeconds: 120 },
            ],
          },
          alarms: ['payments-errors'],
          hooks: { AfterAllowTraffic: ['check'] },
        },
      },
      {
        hooks: {
          check: () => {
            hookCalls += 1;
            return { status: 'Succeeded' };
          },
        },
      },
    );
    const d = await s.deploy('payments', s.publish('payments'));
    let bakingAt: number | undefined;
    silentAlarm(s, 'payments-errors', () => bakingAt && bakingAt + 1000);
    await s.until(d, (x) => x.bakeToken !== undefined && x.percent === 100, 'the last bake');
    bakingAt = s.local.clock.now();
    const { deployment, timeline } = await s.finished(d);
    expect(deployment).toMatchObject({ status: 'ROLLED_BACK', reason: 'alarm payments-errors in ALARM' });
    expect(messages(timeline)).toContain('alarm: payments-errors in ALARM at 100 %');
    expect(hookCalls).toBe(0);
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
    expect(entered(s, d.executionName)).toContain('FinalBake');
  });

  it('ends the last bake at once when an alarm fires during it', async () => {
    s = await scenario({
      payments: {
        deploymentConfig: { type: 'steps', steps: [{ percent: 100, bakeSeconds: 1800 }] },
        alarms: ['payments-errors'],
      },
    });
    const d = await s.deploy('payments', s.publish('payments'));
    await s.until(d, (x) => x.bakeToken !== undefined, 'the bake');
    const alarmAt = s.local.clock.now();
    s.local.account.setAlarmState('payments-errors', 'ALARM');
    const { deployment, timeline } = await s.finished(d);
    expect(deployment.status).toBe('ROLLED_BACK');
    const restoredAt = Date.parse(timeline.find((e) => e.message.startsWith('routing restored'))?.at ?? '');
    expect(restoredAt - alarmAt).toBeLessThan(5 * 60_000);
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
  });
});
