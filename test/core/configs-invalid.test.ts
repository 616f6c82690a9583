import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../functions/core/configs.ts';
import { ValidationError } from '../../functions/core/errors.ts';

function problemsOf(input: unknown, platform?: 'lambda' | 'ecs') {
  try {
    resolveConfig(input, platform);
  } catch (e) {
    if (e instanceof ValidationError) return e.problems;
    throw e;
  }
  throw new Error(`accepted ${JSON.stringify(input)}`);
}

// Each case: the input, the field the message must name, and a part of the rule it must state.
const cases: [string, unknown, string, RegExp][] = [
  [
    'an unknown name',
    'CodeDeployDefault.LambdaCanary50Percent1Minute',
    'deploymentConfig',
    /unknown deployment config/,
  ],
  [
    'a name in the wrong case',
    'codedeploydefault.lambdaallatonce',
    'deploymentConfig',
    /unknown deployment config/,
  ],
  ['a number', 10, 'deploymentConfig', /predefined config name or an object/],
  [
    'an unknown type',
    { type: 'blueGreen' },
    'deploymentConfig',
    /type must be one of canary \| linear \| allAtOnce \| steps/,
  ],
  ['a missing type', { percent: 10 }, 'deploymentConfig', /got nothing/],
  [
    'a canary of 0 %',
    { type: 'canary', percent: 0, intervalMinutes: 5 },
    'deploymentConfig.percent',
    /at least 1 %/,
  ],
  [
    'a canary of 100 %',
    { type: 'canary', percent: 100, intervalMinutes: 5 },
    'deploymentConfig.percent',
    /at most 99 %/,
  ],
  [
    'a canary of 12.5 %',
    { type: 'canary', percent: 12.5, intervalMinutes: 5 },
    'deploymentConfig.percent',
    /whole number of percent/,
  ],
  [
    'a canary interval of 1.5 minutes',
    { type: 'canary', percent: 10, intervalMinutes: 1.5 },
    'deploymentConfig.intervalMinutes',
    /whole number of minutes/,
  ],
  [
    'a canary interval of 0',
    { type: 'canary', percent: 10, intervalMinutes: 0 },
    'deploymentConfig.intervalMinutes',
    /at least 1 minute/,
  ],
  [
    'a canary interval over 2880',
    { type: 'canary', percent: 10, intervalMinutes: 2881 },
    'deploymentConfig.intervalMinutes',
    /at most 2880/,
  ],
  [
    'a canary without interval',
    { type: 'canary', percent: 10 },
    'deploymentConfig.intervalMinutes',
    /is required/,
  ],
  [
    'a canary percent as a string',
    { type: 'canary', percent: '10', intervalMinutes: 5 },
    'deploymentConfig.percent',
    /whole number/,
  ],
  [
    'a linear config longer than 48 hours',
    { type: 'linear', percent: 1, intervalMinutes: 30 },
    'deploymentConfig.intervalMinutes',
    /2970 minutes.*at most 2880/,
  ],
  [
    'a linear of 100 %',
    { type: 'linear', percent: 100, intervalMinutes: 1 },
    'deploymentConfig.percent',
    /allAtOnce/,
  ],
  [
    'an unknown field (typo)',
    { type: 'linear', percent: 10, intervalMinute: 1, intervalMinutes: 1 },
    'deploymentConfig.intervalMinute',
    /unknown field/,
  ],
  [
    'allAtOnce with a percent',
    { type: 'allAtOnce', percent: 100 },
    'deploymentConfig.percent',
    /unknown field/,
  ],
  [
    'steps that decrease',
    {
      type: 'steps',
      steps: [
        { percent: 20, bakeSeconds: 60 },
        { percent: 10, bakeSeconds: 60 },
        { percent: 100, bakeSeconds: 0 },
      ],
    },
    'deploymentConfig.steps[1].percent',
    /strictly increase/,
  ],
  [
    'steps that repeat a percent',
    {
      type: 'steps',
      steps: [
        { percent: 10, bakeSeconds: 60 },
        { percent: 10, bakeSeconds: 60 },
        { percent: 100, bakeSeconds: 0 },
      ],
    },
    'deploymentConfig.steps[1].percent',
    /strictly increase/,
  ],
  [
    'steps that stop short of 100',
    {
      type: 'steps',
      steps: [
        { percent: 10, bakeSeconds: 60 },
        { percent: 90, bakeSeconds: 0 },
      ],
    },
    'deploymentConfig.steps[1].percent',
    /last step must be 100 %/,
  ],
  [
    'a step finer than 0.1 %',
    {
      type: 'steps',
      steps: [
        { percent: 0.05, bakeSeconds: 60 },
        { percent: 100, bakeSeconds: 0 },
      ],
    },
    'deploymentConfig.steps[0].percent',
    /multiple of 0.1 %/,
  ],
  [
    'a step over 100 %',
    { type: 'steps', steps: [{ percent: 150, bakeSeconds: 0 }] },
    'deploymentConfig.steps[0].percent',
    /at most 100 %/,
  ],
  [
    'a negative bake',
    { type: 'steps', steps: [{ percent: 100, bakeSeconds: -1 }] },
    'deploymentConfig.steps[0].bakeSeconds',
    /not be negative/,
  ],
  [
    'a fractional bake',
    { type: 'steps', steps: [{ percent: 100, bakeSeconds: 1.5 }] },
    'deploymentConfig.steps[0].bakeSeconds',
    /whole number of seconds/,
  ],
  ['no steps', { type: 'steps', steps: [] }, 'deploymentConfig.steps', /at least one step/],
  [
    'bakes over 48 hours',
    {
      type: 'steps',
      steps: [
        { percent: 50, bakeSeconds: 172_800 },
        { percent: 60, bakeSeconds: 1 },
        { percent: 100, bakeSeconds: 0 },
      ],
    },
    'deploymentConfig.steps',
    /add up to 172801 s/,
  ],
];

describe('invalid deployment configs', () => {
  it.each(cases)('rejects %s, naming the field', (_what, input, path, rule) => {
    const problems = problemsOf(input);
    expect(problems.map((p) => p.path)).toContain(path);
    expect(problems.find((p) => p.path === path)?.message).toMatch(rule);
  });

  it('rejects an ECS config for a Lambda group, saying which platform it belongs to', () => {
    const [problem] = problemsOf('CodeDeployDefault.ECSCanary10Percent5Minutes', 'lambda');
    expect(problem).toEqual({
      path: 'deploymentConfig',
      message: 'CodeDeployDefault.ECSCanary10Percent5Minutes is a config for ecs groups, not lambda groups',
    });
  });

  it('reports every problem of one config at once', () => {
    const problems = problemsOf({ type: 'canary', percent: 0, intervalMinutes: 0, extra: true });
    expect(problems.map((p) => p.path).sort()).toEqual([
      'deploymentConfig.extra',
      'deploymentConfig.intervalMinutes',
      'deploymentConfig.percent',
    ]);
  });
});
