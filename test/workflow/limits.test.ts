/**
 * The validator's worst case against a counted run: the real workflow file, a hook that answers
 * InProgress every second until its timeout, and the history events AWS would write for each state the
 * local engine entered.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { worstCaseOf } from '../../functions/core/group-config.ts';
import { EVENTS, MAX_HOOK_POLLS } from '../../functions/core/limits.ts';
import { STATE } from '../../functions/core/states.ts';
import { type Scenario, scenario } from './harness.ts';

const definition = JSON.parse(readFileSync('statemachines/deployment.asl.json', 'utf8')) as {
  States: Record<string, { Type: string; Resource?: string }>;
};

/** History events AWS writes for what the local engine did: per state entered, per retry. */
function historyEvents(s: Scenario, execution: string): number {
  let events = EVENTS.execution;
  for (const { execution: e, event } of s.events) {
    if (e !== execution) continue;
    const state = definition.States[event.state?.name ?? ''];
    if (event.type === 'StateRetried') events += 3;
    if (event.type !== 'StateEntered' || !state) continue;
    if (state.Type === 'Task')
      events += state.Resource?.includes('waitForTaskToken') ? EVENTS.callback : EVENTS.task;
    else events += 2;
  }
  return events;
}

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('the worst case the validator computes', () => {
  it('bounds a hook that asks to be called back every second: one poll a second at most, within the estimate', async () => {
    s = await scenario(
      {
        orders: {
          deploymentConfig: 'LambdaCanary10Percent5Minutes',
          hooks: { BeforeAllowTraffic: [{ functionName: 'eager', timeoutSeconds: 100 }] },
        },
      },
      { hooks: { eager: () => ({ status: 'InProgress', callBackDelaySeconds: 1 }) } },
    );
    const d = await s.deploy('orders', s.publish('orders'));
    const { deployment, execution } = await s.finished(d);
    expect(execution).toBe('FAILED');
    expect(deployment.reason).toContain('eager failed: did not decide within its timeout of 100 s');
    const polls = s.events.filter(
      (e) => e.event.type === 'StateEntered' && e.event.state?.name === STATE.BeforeAllowTraffic,
    ).length;
    // 100 s at one poll a second (the least spacing for a 100 s timeout is 1 s; MAX_HOOK_POLLS spaces
    // longer timeouts further apart, which the unit tests check).
    expect(polls).toBeLessThanOrEqual(Math.min(MAX_HOOK_POLLS, 100) + 1);
    expect(polls).toBeGreaterThan(90);
    const group = s.ctx.groups.groups.orders;
    if (!group) throw new Error('no group');
    const worst = worstCaseOf(group, group.deploymentConfig);
    const counted = historyEvents(s, d.executionName);
    expect(counted).toBeLessThanOrEqual(worst.events);
    expect(counted).toBeGreaterThan(polls * 9 - 9);
  });

  it('bounds a successful canary with its bakes and hooks within the estimate', async () => {
    s = await scenario(
      {
        orders: {
          deploymentConfig: 'LambdaLinear10PercentEvery1Minute',
          hooks: { AfterAllowTraffic: ['check'] },
        },
      },
      { hooks: { check: () => ({ status: 'Succeeded' }) } },
    );
    const d = await s.deploy('orders', s.publish('orders'));
    expect((await s.finished(d)).deployment.status).toBe('SUCCEEDED');
    const group = s.ctx.groups.groups.orders;
    if (!group) throw new Error('no group');
    expect(historyEvents(s, d.executionName)).toBeLessThanOrEqual(
      worstCaseOf(group, group.deploymentConfig).events,
    );
  });
});
