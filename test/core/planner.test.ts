import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PREDEFINED_CONFIGS, predefinedConfig, resolveConfig } from '../../functions/core/configs.ts';
import { offsets, plan } from '../../functions/core/planner.ts';

const min = 60;
const linear10 = (interval: number) => [
  ...[10, 20, 30, 40, 50, 60, 70, 80, 90].map((percent) => ({ percent, bakeSeconds: interval * min })),
  { percent: 100, bakeSeconds: 0 },
];

// CodeDeploy's published numbers for each predefined config (AWS CodeDeploy User Guide,
// "Deployment configurations on an AWS Lambda compute platform" and "… an Amazon ECS compute platform").
const published: [string, { percent: number; bakeSeconds: number }[]][] = [
  ['CodeDeployDefault.LambdaAllAtOnce', [{ percent: 100, bakeSeconds: 0 }]],
  [
    'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    [
      { percent: 10, bakeSeconds: 5 * min },
      { percent: 100, bakeSeconds: 0 },
    ],
  ],
  [
    'CodeDeployDefault.LambdaCanary10Percent10Minutes',
    [
      { percent: 10, bakeSeconds: 10 * min },
      { percent: 100, bakeSeconds: 0 },
    ],
  ],
  [
    'CodeDeployDefault.LambdaCanary10Percent15Minutes',
    [
      { percent: 10, bakeSeconds: 15 * min },
      { percent: 100, bakeSeconds: 0 },
    ],
  ],
  [
    'CodeDeployDefault.LambdaCanary10Percent30Minutes',
    [
      { percent: 10, bakeSeconds: 30 * min },
      { percent: 100, bakeSeconds: 0 },
    ],
  ],
  ['CodeDeployDefault.LambdaLinear10PercentEvery1Minute', linear10(1)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery2Minutes', linear10(2)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery3Minutes', linear10(3)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery10Minutes', linear10(10)],
  ['CodeDeployDefault.ECSAllAtOnce', [{ percent: 100, bakeSeconds: 0 }]],
  [
    'CodeDeployDefault.ECSCanary10Percent5Minutes',
    [
      { percent: 10, bakeSeconds: 5 * min },
      { percent: 100, bakeSeconds: 0 },
    ],
  ],
  [
    'CodeDeployDefault.ECSCanary10Percent15Minutes',
    [
      { percent: 10, bakeSeconds: 15 * min },
      { percent: 100, bakeSeconds: 0 },
    ],
  ],
  ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', linear10(1)],
  ['CodeDeployDefault.ECSLinear10PercentEvery3Minutes', linear10(3)],
];

describe('the predefined configs', () => {
  it('are exactly CodeDeploy’s fourteen Lambda and ECS configs', () => {
    expect(PREDEFINED_CONFIGS.map((c) => c.name).sort()).toEqual(published.map(([n]) => n).sort());
  });

  it.each(published)('%s plans CodeDeploy’s published schedule', (name, steps) => {
    const entry = predefinedConfig(name);
    expect(entry).toBeDefined();
    const schedule = plan(resolveConfig(name).config);
    expect(schedule.steps).toEqual(steps);
    expect(schedule.totalSeconds).toBe(steps.reduce((s, x) => s + x.bakeSeconds, 0));
  });

  it.each(published)('%s is accepted without the CodeDeployDefault. prefix', (name) => {
    const short = name.replace('CodeDeployDefault.', '');
    expect(resolveConfig(short).name).toBe(name);
  });

  it('keeps CodeDeploy’s own spelling of ECSLinear10PercentEvery1Minutes and does not invent another', () => {
    expect(predefinedConfig('CodeDeployDefault.ECSLinear10PercentEvery1Minutes')).toBeDefined();
    expect(predefinedConfig('CodeDeployDefault.ECSLinear10PercentEvery1Minute')).toBeUndefined();
    expect(predefinedConfig('CodeDeployDefault.LambdaLinear10PercentEvery1Minutes')).toBeUndefined();
  });

  it('plans LambdaLinear10PercentEvery3Minutes as 10 steps with 27 minutes of bake before the last', () => {
    const schedule = plan(resolveConfig('CodeDeployDefault.LambdaLinear10PercentEvery3Minutes').config);
    expect(schedule.steps).toHaveLength(10);
    expect(offsets(schedule).at(-1)).toBe(27 * min);
    expect(schedule.steps.at(-1)?.percent).toBe(100);
  });
});

describe('the custom forms', () => {
  it.each([
    [
      { type: 'canary', percent: 25, intervalMinutes: 7 },
      [
        [25, 420],
        [100, 0],
      ],
    ],
    [
      { type: 'linear', percent: 50, intervalMinutes: 2 },
      [
        [50, 120],
        [100, 0],
      ],
    ],
    [
      { type: 'linear', percent: 30, intervalMinutes: 1 },
      [
        [30, 60],
        [60, 60],
        [90, 60],
        [100, 0],
      ],
    ],
    [
      { type: 'linear', percent: 33, intervalMinutes: 1 },
      [
        [33, 60],
        [66, 60],
        [99, 60],
        [100, 0],
      ],
    ],
    [
      { type: 'linear', percent: 99, intervalMinutes: 5 },
      [
        [99, 300],
        [100, 0],
      ],
    ],
    [{ type: 'allAtOnce' }, [[100, 0]]],
    [
      {
        type: 'steps',
        steps: [
          { percent: 0.5, bakeSeconds: 30 },
          { percent: 5, bakeSeconds: 90 },
          { percent: 100, bakeSeconds: 45 },
        ],
      },
      [
        [0.5, 30],
        [5, 90],
        [100, 45],
      ],
    ],
  ])('%j plans %j', (input, expected) => {
    const schedule = plan(resolveConfig(input).config);
    expect(schedule.steps.map((s) => [s.percent, s.bakeSeconds])).toEqual(expected);
  });

  it('shifts the remainder of a linear config whose percent does not divide 100 in a last step, never past 100', () => {
    const schedule = plan(resolveConfig({ type: 'linear', percent: 40, intervalMinutes: 3 }).config);
    expect(schedule.steps.map((s) => s.percent)).toEqual([40, 80, 100]);
    expect(schedule.totalSeconds).toBe(2 * 3 * min);
  });
});

describe('the planner’s invariants', () => {
  const anyConfig = fc.oneof(
    fc.record({
      type: fc.constant('canary' as const),
      percent: fc.integer({ min: 1, max: 99 }),
      intervalMinutes: fc.integer({ min: 1, max: 2880 }),
    }),
    fc
      .record({
        type: fc.constant('linear' as const),
        percent: fc.integer({ min: 1, max: 99 }),
        intervalMinutes: fc.integer({ min: 1, max: 2880 }),
      })
      .filter((c) => (Math.ceil(100 / c.percent) - 1) * c.intervalMinutes <= 2880),
    fc.constant({ type: 'allAtOnce' as const }),
    fc.uniqueArray(fc.integer({ min: 1, max: 999 }), { minLength: 0, maxLength: 20 }).chain((tenths) =>
      fc
        .array(fc.integer({ min: 0, max: 3600 }), {
          minLength: tenths.length + 1,
          maxLength: tenths.length + 1,
        })
        .map((bakes) => ({
          type: 'steps' as const,
          steps: [...[...tenths].sort((a, b) => a - b).map((t) => t / 10), 100].map((percent, i) => ({
            percent,
            bakeSeconds: bakes[i] ?? 0,
          })),
        })),
    ),
  );

  it('every valid config plans a non-decreasing schedule that ends at 100 and whose bakes add up', () => {
    fc.assert(
      fc.property(anyConfig, (input) => {
        const schedule = plan(resolveConfig(input).config);
        const percents = schedule.steps.map((s) => s.percent);
        for (let i = 1; i < percents.length; i++) expect(percents[i]).toBeGreaterThan(percents[i - 1] ?? 0);
        expect(percents.at(-1)).toBe(100);
        expect(percents.every((p) => p > 0 && p <= 100)).toBe(true);
        expect(schedule.totalSeconds).toBe(schedule.steps.reduce((s, x) => s + x.bakeSeconds, 0));
        const at = offsets(schedule);
        expect(at[0]).toBe(0);
        expect((at.at(-1) ?? 0) + (schedule.steps.at(-1)?.bakeSeconds ?? 0)).toBe(schedule.totalSeconds);
      }),
      { numRuns: 500 },
    );
  });

  it('a linear config takes ceil(100 / percent) steps and (steps − 1) intervals', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 99 }),
        fc.integer({ min: 1, max: 29 }),
        (percent, intervalMinutes) => {
          fc.pre((Math.ceil(100 / percent) - 1) * intervalMinutes <= 2880);
          const schedule = plan(resolveConfig({ type: 'linear', percent, intervalMinutes }).config);
          expect(schedule.steps).toHaveLength(Math.ceil(100 / percent));
          expect(schedule.totalSeconds).toBe((Math.ceil(100 / percent) - 1) * intervalMinutes * min);
        },
      ),
    );
  });
});
