import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../functions/core/configs.ts';
import { ValidationError } from '../../functions/core/errors.ts';
import { EVENTS, worstCase } from '../../functions/core/limits.ts';
import { plan } from '../../functions/core/planner.ts';

const steps = (...entries: unknown[]) => ({ type: 'steps', steps: entries });
const step = (percent: number, bakeSeconds = 60) => ({ percent, bakeSeconds });

function problemsOf(input: unknown) {
  try {
    resolveConfig(input);
  } catch (e) {
    if (e instanceof ValidationError) return e.problems;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

describe('pause steps in a steps config', () => {
  it('plans a pause as a step that holds the percent before it, onTimeout rollback by default', () => {
    const config = resolveConfig(steps(step(10), { pause: { timeoutSeconds: 600 } }, step(100, 0))).config;
    expect(plan(config).steps).toEqual([
      { percent: 10, bakeSeconds: 60 },
      { percent: 10, bakeSeconds: 0, pause: { timeoutSeconds: 600, onTimeout: 'rollback' } },
      { percent: 100, bakeSeconds: 0 },
    ]);
  });

  it('holds 0 % for a pause before the first shift, and may wait with no timeout of its own', () => {
    const config = resolveConfig(steps({ pause: { onTimeout: 'continue' } }, step(100, 0))).config;
    expect(plan(config).steps[0]).toEqual({ percent: 0, bakeSeconds: 0, pause: { onTimeout: 'continue' } });
  });

  it.each([
    ['a pause last', steps(step(100), { pause: {} }), 'deploymentConfig.steps[1]', /may not be the last/],
    ['only a pause', steps({ pause: {} }), 'deploymentConfig.steps', /at least one traffic step/],
    [
      'a timeout past the execution’s 7 days',
      steps({ pause: { timeoutSeconds: 604_801 } }, step(100)),
      'deploymentConfig.steps[0].pause.timeoutSeconds',
      /at most 604800 seconds/,
    ],
    [
      'a timeout of 0',
      steps({ pause: { timeoutSeconds: 0 } }, step(100)),
      'deploymentConfig.steps[0].pause.timeoutSeconds',
      /at least 1 second/,
    ],
    [
      'an unknown outcome',
      steps({ pause: { onTimeout: 'wait' } }, step(100)),
      'deploymentConfig.steps[0].pause.onTimeout',
      /rollback, continue/,
    ],
    [
      'an unknown key in a pause',
      steps({ pause: { timeout: 5 } }, step(100)),
      'deploymentConfig.steps[0].pause.timeout',
      /unknown field/,
    ],
    [
      'percents that fall across a pause',
      steps(step(50), { pause: {} }, step(40), step(100)),
      'deploymentConfig.steps[2].percent',
      /strictly increase/,
    ],
  ])('refuses %s, naming the field', (_what, input, path, rule) => {
    const problems = problemsOf(input);
    expect(problems).toContainEqual({ path, message: expect.stringMatching(rule) });
  });

  it('still reports a bad traffic step as a step, not as a pause', () => {
    const problems = problemsOf(steps(step(700), step(100)));
    expect(problems).toContainEqual({
      path: 'deploymentConfig.steps[0].percent',
      message: 'must be at most 100 %',
    });
    expect(problems.map((p) => p.path)).not.toContain('deploymentConfig.steps[0].pause');
  });
});

describe('the group’s approval gate', () => {
  const canary = resolveConfig('LambdaCanary10Percent5Minutes').config;
  it.each([
    ['beforeFirstShift', [0, 10, 100], 0],
    ['beforeFull', [10, 10, 100], 1],
  ] as const)('%s inserts an untimed pause', (approval, percents, at) => {
    const schedule = plan(canary, { approval });
    expect(schedule.steps.map((s) => s.percent)).toEqual(percents);
    expect(schedule.steps[at]?.pause).toEqual({ onTimeout: 'rollback' });
    expect(schedule.steps.filter((s) => s.pause)).toHaveLength(1);
  });

  it('pauses all at once before its only shift either way', () => {
    const once = resolveConfig('LambdaAllAtOnce').config;
    expect(plan(once, { approval: 'beforeFull' }).steps).toEqual(
      plan(once, { approval: 'beforeFirstShift' }).steps,
    );
  });

  it('adds no second pause where the config already pauses', () => {
    const config = resolveConfig(steps(step(10), { pause: { timeoutSeconds: 60 } }, step(100, 0))).config;
    expect(plan(config, { approval: 'beforeFull' })).toEqual(plan(config));
  });
});

describe('the worst case of a pause', () => {
  it('counts a timed pause’s timeout and three states: ShiftTraffic, ChooseNext and AwaitApproval', () => {
    const base = plan(resolveConfig(steps(step(10), step(100, 0))).config);
    const paused = plan(
      resolveConfig(steps(step(10), { pause: { timeoutSeconds: 3600 } }, step(100, 0))).config,
    );
    const args = { hookTimeouts: {}, hookEvents: [] };
    const a = worstCase({ schedule: base, ...args });
    const b = worstCase({ schedule: paused, ...args });
    expect(b.seconds - a.seconds).toBe(3600);
    expect(b.events - a.events).toBe(EVENTS.task + EVENTS.choice + EVENTS.callback);
    expect(b.parts.find((p) => p.what === 'approvals')?.seconds).toBe(3600);
  });
});
