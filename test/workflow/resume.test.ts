import { afterEach, describe, expect, it } from 'vitest';
import {
  redeployGroup,
  resumeDeployment,
  retryDeployment,
  stopDeployment,
} from '../../functions/api/operations.ts';
import { Conflict, GroupBusy, RoutingDrift } from '../../functions/core/errors.ts';
import { prepare } from '../../functions/tasks/prepare.ts';
import { rollback } from '../../functions/tasks/rollback.ts';
import type { StepClock } from '../../local/clock.ts';
import { BROKEN } from '../../local/seed.ts';
import { messages, routing, type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const LINEAR = 'LambdaLinear10PercentEvery10Minutes';

/** A deployment of a new `orders` version stopped without rollback in its bake at `percent`. */
async function stoppedAt(percent: number) {
  s = await scenario({ orders: { deploymentConfig: LINEAR } });
  const v2 = s.publish('orders');
  const d = await s.deploy('orders', v2);
  await s.until(d, (x) => x.bakeToken !== undefined && x.percent === percent, `the bake at ${percent} %`);
  await stopDeployment(s.ctx, d.id, { rollback: false, reason: 'looking at a log' });
  const { deployment } = await s.finished(d);
  expect(deployment.status).toBe('STOPPED');
  return { s, v2, d };
}

const aliasWrites = (scenario: Scenario) =>
  scenario.local.account.calls
    .filter((c) => c.operation === 'UpdateAlias')
    .map((c) => (c.input as { weights: Record<string, number> }).weights);

describe('resuming a deployment stopped without rollback', () => {
  it('carries on from the step it was stopped at and succeeds, each percent set once', async () => {
    const { s, v2, d } = await stoppedAt(20);
    const stoppedWrites = aliasWrites(s).length;

    const { deployment: resumed } = await resumeDeployment(s.ctx, d.id, 'arn:aws:iam::1:user/ana');
    expect(resumed).toMatchObject({ executionName: `${d.id}-resume-1`, status: 'STOPPED' });
    const { deployment, timeline, execution } = await s.finished(resumed);

    expect(execution).toBe('SUCCEEDED');
    expect(deployment).toMatchObject({ status: 'SUCCEEDED', percent: 100, originalRouting: routing('1') });
    expect(deployment.stopRequest).toBeUndefined();
    expect(deployment.executions?.map((e) => e.name)).toEqual([d.id, `${d.id}-resume-1`]);
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
    // 20 % is live already: set again without a write, then 30 … 90 % and all of it, once each.
    const after = aliasWrites(s).slice(stoppedWrites);
    expect(after.map((w) => Math.round((w[v2] ?? 0) * 100))).toEqual([30, 40, 50, 60, 70, 80, 90, 0]);
    const shifts = timeline.filter((e) => e.kind === 'shift').map((e) => e.details?.percent);
    expect(shifts).toEqual([10, 20, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    const bakes = messages(timeline).filter((m) => m.startsWith('bake: baking'));
    expect(bakes.filter((m) => m.endsWith('at 20 %'))).toHaveLength(2);
    expect(messages(timeline).filter((m) => m.startsWith('status: '))).toEqual([
      expect.stringMatching(/^status: created/),
      'status: CREATED → IN_PROGRESS',
      'status: IN_PROGRESS → STOPPED: stop requested (without rollback)',
      'status: STOPPED → IN_PROGRESS',
      'status: IN_PROGRESS → SUCCEEDED',
    ]);
    expect(messages(timeline)).toContain('info: resumed by arn:aws:iam::1:user/ana from step 2 of 10 (20 %)');
    // Straight back to shifting: the resumed execution runs no BeforeAllowTraffic hooks again.
    const resumedStates = s.events
      .filter((e) => e.execution === `${d.id}-resume-1` && e.event.type === 'StateEntered')
      .map((e) => e.event.state?.name);
    expect(resumedStates.slice(0, 4)).toEqual(['Prepare', 'ChooseKind', 'ShiftTraffic', 'ChooseNext']);
  });

  it('bakes the step it resumes at anew, for its whole bake time', async () => {
    const { s, d } = await stoppedAt(10);
    const { deployment: resumed } = await resumeDeployment(s.ctx, d.id);
    const { timeline } = await s.finished(resumed);
    const resumedAt = Date.parse(timeline.find((e) => e.message.startsWith('resumed'))?.at ?? '');
    const next = Date.parse(timeline.find((e) => e.message.startsWith('20 %'))?.at ?? '');
    expect(next - resumedAt).toBeGreaterThanOrEqual(10 * 60_000);
  });

  it('starts one execution when asked twice before it has taken over', async () => {
    const { s, d } = await stoppedAt(10);
    const [a, b] = await Promise.all([resumeDeployment(s.ctx, d.id), resumeDeployment(s.ctx, d.id)]);
    expect(a.deployment.executionName).toBe(b.deployment.executionName);
    const { deployment } = await s.finished(a.deployment);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.executions).toHaveLength(2);
  });

  it('can be stopped and resumed again, each time under a new execution name', async () => {
    const { s, d } = await stoppedAt(10);
    const first = (await resumeDeployment(s.ctx, d.id)).deployment;
    await s.until(first, (x) => x.status === 'IN_PROGRESS' && x.percent === 30 && !!x.bakeToken, '30 %');
    await stopDeployment(s.ctx, d.id, { rollback: false });
    expect((await s.finished(first)).deployment.status).toBe('STOPPED');
    const second = (await resumeDeployment(s.ctx, d.id)).deployment;
    expect(second.executionName).toBe(`${d.id}-resume-2`);
    const { deployment } = await s.finished(second);
    expect(deployment.status).toBe('SUCCEEDED');
  });

  it('refuses when the routing changed since the stop, naming both', async () => {
    const { s, v2, d } = await stoppedAt(10);
    s.local.account.lambda.setAliasRouting('orders', 'live', '1', { [v2]: 0.5 });
    const refused = resumeDeployment(s.ctx, d.id);
    await expect(refused).rejects.toBeInstanceOf(Conflict);
    await expect(refused).rejects.toThrow(
      `the routing changed since deployment ${d.id} was stopped: it left 90 % on version 1, 10 % on version ${v2}`,
    );
    expect(await s.ctx.store.get(d.id)).toMatchObject({ status: 'STOPPED', executionName: d.id });
    expect(await s.ctx.store.lockHolder('orders')).toBeUndefined();
  });

  it('ignores the end of the execution it was stopped in, once resumed (the watchdog’s late word)', async () => {
    const { s, d } = await stoppedAt(10);
    const resumed = (await resumeDeployment(s.ctx, d.id)).deployment;
    await s.until(resumed, (x) => x.status === 'IN_PROGRESS' && !!x.bakeToken, 'the bake again');
    const late = await rollback(s.ctx, {
      deploymentId: d.id,
      execution: d.id,
      error: { Error: 'StopRequested', Cause: 'the execution ended FAILED' },
    });
    expect(late.status).toBe('IN_PROGRESS');
    expect(await s.ctx.store.lockHolder('orders')).toBe(d.id);
    expect((await s.finished(resumed)).deployment.status).toBe('SUCCEEDED');
  });

  it('is refused at Prepare when the routing changed after the API looked, and can be asked again', async () => {
    const { s, v2, d } = await stoppedAt(10);
    const execution = `${d.id}-resume-1`;
    await s.ctx.store.update(d.id, {
      executionName: execution,
      resumeRequest: { execution, at: new Date(s.local.clock.now()).toISOString() },
    });
    s.local.account.lambda.setAliasRouting('orders', 'live', '1', { [v2]: 0.3 });
    await expect(prepare(s.ctx, { deploymentId: d.id, resume: { execution } })).rejects.toBeInstanceOf(
      RoutingDrift,
    );
    const after = await s.ctx.store.get(d.id);
    expect(after).toMatchObject({ status: 'STOPPED' });
    expect(after?.resumeRequest).toBeUndefined();
    expect(messages(await s.ctx.store.timeline(d.id)).at(-1)).toMatch(
      /^error: resume refused: the routing changed since the stop/,
    );
  });

  it('refuses when the group is busy', async () => {
    const { s, d } = await stoppedAt(10);
    // A start that has just taken the lock (not yet recorded): the group is busy.
    await s.ctx.store.lock('orders', 'd-other');
    await expect(resumeDeployment(s.ctx, d.id)).rejects.toBeInstanceOf(GroupBusy);
    expect((await s.ctx.store.get(d.id))?.status).toBe('STOPPED');
  });

  it('refuses a deployment that is not STOPPED, or that never moved traffic', async () => {
    s = await scenario({ orders: { deploymentConfig: LINEAR } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, (x) => x.bakeToken !== undefined, 'the first bake');
    await expect(resumeDeployment(s.ctx, d.id)).rejects.toThrow(
      `deployment ${d.id} is IN_PROGRESS: only a deployment stopped without rollback can be resumed`,
    );
    await stopDeployment(s.ctx, d.id, { rollback: true });
    await s.finished(d);
    await expect(resumeDeployment(s.ctx, d.id)).rejects.toThrow(
      `deployment ${d.id} is ROLLED_BACK: only a deployment stopped without rollback can be resumed (retry it instead`,
    );
  });

  it('rolls back a resumed deployment whose alarm fires, as any other', async () => {
    s = await scenario({ orders: { deploymentConfig: LINEAR, alarms: ['orders-errors'] } });
    const d = await s.deploy('orders', s.publish('orders', BROKEN));
    await s.until(d, (x) => x.bakeToken !== undefined && x.percent === 10, 'the first bake');
    await stopDeployment(s.ctx, d.id, { rollback: false });
    await s.finished(d);
    const resumed = (await resumeDeployment(s.ctx, d.id)).deployment;
    await s.until(resumed, (x) => x.status === 'IN_PROGRESS' && !!x.bakeToken, 'the bake again');
    s.local.account.setAlarmState('orders-errors', 'ALARM');
    const { deployment } = await s.finished(resumed);
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
  });
});

describe('retrying a deployment', () => {
  it('deploys the same revision with the same config again, recording retryOf', async () => {
    let calls = 0;
    s = await scenario(
      { orders: { hooks: { BeforeAllowTraffic: ['flaky'] } } },
      {
        hooks: {
          flaky: () => (++calls === 1 ? { status: 'Failed', reason: 'cold' } : { status: 'Succeeded' }),
        },
      },
    );
    const v2 = s.publish('orders');
    const config = {
      type: 'steps',
      steps: [
        { percent: 30, bakeSeconds: 60 },
        { percent: 100, bakeSeconds: 0 },
      ],
    };
    const first = await s.deploy('orders', v2, { config });
    expect((await s.finished(first)).deployment.status).toBe('ROLLED_BACK');

    const out = await retryDeployment(s.ctx, first.id, {});
    expect(out.status).toBe(201);
    expect(out.deployment).toMatchObject({ retryOf: first.id, revision: v2, group: 'orders' });
    expect(out.deployment.id).not.toBe(first.id);
    const { deployment, timeline } = await s.finished(out.deployment);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.schedule).toEqual((await s.ctx.store.get(first.id))?.schedule);
    expect(timeline.filter((e) => e.kind === 'shift').map((e) => e.details?.percent)).toEqual([30, 100]);
    expect(messages(timeline)[0]).toMatch(new RegExp(`\\(retry of ${first.id}\\)$`));
  });

  it('refuses what did not fail, and a busy group, as any start', async () => {
    s = await scenario({ orders: { deploymentConfig: LINEAR } });
    const ok = await s.deploy('orders', s.publish('orders'), { config: 'LambdaAllAtOnce' });
    await s.finished(ok);
    await expect(retryDeployment(s.ctx, ok.id, {})).rejects.toThrow(
      `deployment ${ok.id} is SUCCEEDED: only a FAILED or ROLLED_BACK deployment can be retried`,
    );
    const bad = await s.deploy('orders', s.publish('orders'));
    await s.until(bad, (x) => x.bakeToken !== undefined, 'the first bake');
    await stopDeployment(s.ctx, bad.id, { rollback: true });
    await s.finished(bad);
    const running = await s.deploy('orders', s.publish('orders'));
    await expect(retryDeployment(s.ctx, bad.id, {})).rejects.toBeInstanceOf(GroupBusy);
    await stopDeployment(s.ctx, running.id, { rollback: true });
    await s.finished(running);
  });
});

/** Lets a minute of virtual time pass: deployments made one after the other are listed in that order. */
const later = async (scenario: Scenario) => {
  const clock = scenario.local.clock as StepClock;
  await clock.run(clock.sleep(60_000));
};

describe('redeploying the previous good revision', () => {
  it('deploys the revision of the succeeded deployment before the current one, recording redeployOf', async () => {
    s = await scenario({ orders: {} });
    const v2 = s.publish('orders');
    const a = await s.deploy('orders', v2);
    await s.finished(a);
    await later(s);
    await expect(redeployGroup(s.ctx, 'orders', {})).rejects.toThrow(
      'group orders has no succeeded deployment of another revision before',
    );
    const v3 = s.publish('orders');
    await s.finished(await s.deploy('orders', v3));
    await later(s);

    const out = await redeployGroup(s.ctx, 'orders', {});
    expect(out.deployment).toMatchObject({ revision: v2, redeployOf: a.id });
    const { deployment } = await s.finished(out.deployment);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(s.local.account.aliasRouting('orders', 'live')).toEqual(routing(v2));
  });

  it('refuses when the previous good revision is what is live now', async () => {
    s = await scenario({ orders: {} });
    const v2 = s.publish('orders');
    await s.finished(await s.deploy('orders', v2));
    await later(s);
    const v3 = s.publish('orders');
    await s.finished(await s.deploy('orders', v3));
    await later(s);
    s.local.account.lambda.setAliasRouting('orders', 'live', v2);
    await expect(redeployGroup(s.ctx, 'orders', {})).rejects.toThrow(`version ${v2} is already live`);
    await expect(redeployGroup(s.ctx, 'orders', {})).rejects.toBeInstanceOf(Conflict);
  });
});
