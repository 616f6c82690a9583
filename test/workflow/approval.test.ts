import { afterEach, describe, expect, it } from 'vitest';
import {
  approveDeployment,
  getDeployment,
  promoteDeployment,
  rejectDeployment,
  stopDeployment,
} from '../../functions/api/operations.ts';
import { Conflict, ValidationError } from '../../functions/core/errors.ts';
import type { LocalEventBus } from '../../local/events.ts';
import { messages, routing, type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const step = (percent: number, bakeSeconds = 60) => ({ percent, bakeSeconds });
const paused = (pause: Record<string, unknown>) => ({
  type: 'steps',
  steps: [step(10), { pause }, step(100, 0)],
});
const waiting = (x: { approval?: { pending: boolean }; bakeToken?: string }) =>
  x.approval?.pending === true && x.bakeToken !== undefined;
const bus = (sc: Scenario) => sc.ctx.events as LocalEventBus;
const entered = (sc: Scenario, execution: string) =>
  sc.events
    .filter((e) => e.execution === execution && e.event.type === 'StateEntered')
    .map((e) => e.event.state?.name);

describe('a pause in the steps', () => {
  it('holds the percent until approved, says so on the bus, then shifts on', async () => {
    s = await scenario({ orders: { deploymentConfig: paused({}) } });
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    const held = await s.until(d, waiting, 'the pending approval');

    expect(held.percent).toBe(10);
    expect(held.approval).toMatchObject({ pending: true, stepIndex: 1, onTimeout: 'rollback' });
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1', { [v2]: 0.1 }));
    expect(bus(s).approvals).toEqual([
      {
        deploymentId: d.id,
        group: 'orders',
        revision: v2,
        stepIndex: 1,
        percent: 10,
        at: held.approval?.since,
      },
    ]);
    const detail = await getDeployment(s.ctx, d.id);
    expect(detail.deployment.approval).toMatchObject({ pending: true });
    expect(detail.progress).toMatchObject({ phase: 'awaitingApproval', step: 2, nextPercent: 100 });
    // A promote skips bakes, not the sign-off.
    await promoteDeployment(s.ctx, d.id);
    expect((await s.ctx.store.get(d.id))?.approval?.pending).toBe(true);

    await approveDeployment(s.ctx, d.id);
    const { deployment, timeline } = await s.finished(d);

    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.approval).toMatchObject({ pending: false, decision: 'approved' });
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
    expect(messages(timeline)).toEqual(
      expect.arrayContaining([
        'info: approval pending at 10 %: waits until approved or rejected',
        'info: approved at 10 %',
      ]),
    );
    const states = entered(s, d.executionName);
    const at = states.indexOf('AwaitApproval');
    // The pause costs three transitions: ShiftTraffic (no shift), ChooseNext, AwaitApproval.
    expect(states.slice(at - 2, at + 2)).toEqual([
      'ShiftTraffic',
      'ChooseNext',
      'AwaitApproval',
      'ShiftTraffic',
    ]);
    expect(states.filter((x) => x === 'ShiftTraffic')).toHaveLength(3);
    await expect(approveDeployment(s.ctx, d.id)).rejects.toBeInstanceOf(Conflict);
  });

  it('rolls back when rejected, with the reason recorded', async () => {
    s = await scenario({ orders: { deploymentConfig: paused({ timeoutSeconds: 3600 }) } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, waiting, 'the pending approval');
    await expect(rejectDeployment(s.ctx, d.id, {})).rejects.toBeInstanceOf(ValidationError);
    await expect(rejectDeployment(s.ctx, d.id, { reason: 'x'.repeat(1025) })).rejects.toBeInstanceOf(
      ValidationError,
    );

    await rejectDeployment(s.ctx, d.id, { reason: 'error budget spent this week' });
    const { deployment, timeline, execution } = await s.finished(d);

    expect(execution).toBe('FAILED');
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toBe('approval rejected: error budget spent this week');
    expect(deployment.approval).toMatchObject({
      decision: 'rejected',
      reason: 'error budget spent this week',
    });
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    expect(messages(timeline)).toContain('info: rejected at 10 %: error budget spent this week');
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
  });

  it('goes on when its timeout passes and onTimeout says continue', async () => {
    s = await scenario({
      orders: { deploymentConfig: paused({ timeoutSeconds: 600, onTimeout: 'continue' }) },
    });
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    const held = await s.until(d, waiting, 'the pending approval');
    const { deployment, timeline } = await s.finished(d);

    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.approval).toMatchObject({ decision: 'timedOut' });
    expect(Date.parse(deployment.approval?.decidedAt ?? '') - Date.parse(held.approval?.since ?? '')).toBe(
      600_000,
    );
    expect(messages(timeline)).toContain('info: approval timed out after 600 s: going on, as the pause says');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
  });

  it('rolls back when its timeout passes and onTimeout says rollback', async () => {
    s = await scenario({ orders: { deploymentConfig: paused({ timeoutSeconds: 600 }) } });
    const d = await s.deploy('orders', s.publish('orders'));
    const { deployment } = await s.finished(d);

    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toBe('nobody approved within 600 s at 10 %: rolling back');
    expect(deployment.approval).toMatchObject({ decision: 'timedOut' });
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
  });

  it('ends the wait at once when stopped', async () => {
    s = await scenario({ orders: { deploymentConfig: paused({}) } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, waiting, 'the pending approval');
    await stopDeployment(s.ctx, d.id, { rollback: true });
    const { deployment } = await s.finished(d);

    expect(deployment.status).toBe('ROLLED_BACK');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    await expect(approveDeployment(s.ctx, d.id)).rejects.toBeInstanceOf(Conflict);
  });
});

describe('an alarm while a pause waits', () => {
  it('ends the wait at once and rolls back, as during a bake', async () => {
    s = await scenario({ orders: { deploymentConfig: paused({}), alarms: ['orders-errors'] } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, waiting, 'the pending approval');
    s.local.account.setAlarmState('orders-errors', 'ALARM');
    const { deployment, timeline } = await s.finished(d);

    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toMatch(/^alarm orders-errors (entered|in) ALARM$/);
    expect(messages(timeline)).not.toContain('shift: 100 % on version 2');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
  });
});

describe('the group’s approval gate', () => {
  it('beforeFull: shifts the canary, then waits for approval before 100 %', async () => {
    s = await scenario({
      orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes', approval: 'beforeFull' },
    });
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    const held = await s.until(d, waiting, 'the pending approval');

    expect(held.percent).toBe(10);
    expect(held.approval).toMatchObject({ stepIndex: 1 });
    expect(held.approval?.timeoutSeconds).toBeUndefined();
    await approveDeployment(s.ctx, d.id);
    const { deployment, timeline } = await s.finished(d);

    expect(deployment.status).toBe('SUCCEEDED');
    expect(timeline.filter((e) => e.kind === 'shift').map((e) => e.details?.percent)).toEqual([10, 100]);
  });

  it('beforeFirstShift: moves no traffic until approved', async () => {
    s = await scenario({ orders: { approval: 'beforeFirstShift' } });
    const v2 = s.publish('orders');
    const d = await s.deploy('orders', v2);
    const held = await s.until(d, waiting, 'the pending approval');

    expect(held.percent).toBe(0);
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    await approveDeployment(s.ctx, d.id);
    expect((await s.finished(d)).deployment.status).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
  });
});
