// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the expressions under test spell the placeholders ${revision} and ${baseline} literally
import { describe, expect, it } from 'vitest';
import {
  type AnalysisCheck,
  type AnalysisTally,
  decide,
  dueChecks,
  judge,
  type Measurement,
  type Reading,
  substitute,
  windowsOf,
  withAnalysis,
} from '../../functions/core/analysis.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { plan } from '../../functions/core/planner.ts';

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('missing');
  return value;
}

const check = (over: Partial<AnalysisCheck> = {}): AnalysisCheck => ({
  name: 'errors',
  metric: 'errorRate',
  minSamples: 50,
  intervalSeconds: 60,
  failureLimit: 0,
  inconclusiveLimit: 3,
  onInconclusive: 'rollback',
  errorLimit: 3,
  onError: 'rollback',
  ...over,
});

const relative = check({ relative: { tolerance: 0.5, slack: 0.005 } });
const absolute = check({ max: 0.02 });
const both = check({ max: 0.02, relative: { tolerance: 0.5, slack: 0.005 } });
const latency = check({ name: 'p99', metric: 'latencyP99', max: 300 });

describe('judge: one run of one check', () => {
  const cases: [string, AnalysisCheck, Reading, Reading | undefined, string, RegExp][] = [
    // absolute
    [
      'under the max',
      absolute,
      { value: 0.01, samples: 200 },
      undefined,
      'Successful',
      /1\.00 % over 200 samples ≤ 2\.00 % \(max\)/,
    ],
    ['at the max', absolute, { value: 0.02, samples: 200 }, undefined, 'Successful', /≤ 2\.00 %/],
    [
      'over the max',
      absolute,
      { value: 0.04, samples: 812 },
      undefined,
      'Failed',
      /errorRate 4\.00 % over 812 samples > 2\.00 % \(max\)/,
    ],
    [
      'latency in ms',
      latency,
      { value: 412.4, samples: 90 },
      undefined,
      'Failed',
      /latencyP99 412 ms over 90 samples > 300 ms/,
    ],
    // relative
    [
      'the subtle regression',
      relative,
      { value: 0.04, samples: 812 },
      { value: 0.005, samples: 7310 },
      'Failed',
      /4\.00 % over 812 samples > 1\.25 % \(baseline 0\.50 % × 1\.5 \+ 0\.50 %, over 7310 samples\)/,
    ],
    [
      'as good as the baseline',
      relative,
      { value: 0.006, samples: 812 },
      { value: 0.005, samples: 7310 },
      'Successful',
      /0\.60 % .* ≤ 1\.25 %/,
    ],
    [
      'just within the slack of a perfect baseline',
      relative,
      { value: 0.005, samples: 100 },
      { value: 0, samples: 900 },
      'Successful',
      /≤ 0\.50 %/,
    ],
    [
      'the max binds before the relative bound',
      both,
      { value: 0.03, samples: 100 },
      { value: 0.05, samples: 900 },
      'Failed',
      /> 2\.00 % \(max\)/,
    ],
    // too few samples
    [
      'few samples',
      absolute,
      { value: 0.5, samples: 12 },
      undefined,
      'Inconclusive',
      /over 12 samples: fewer than the 50 needed/,
    ],
    ['no data at all', absolute, { samples: 0 }, undefined, 'Inconclusive', /no data over 0 samples/],
    [
      'a baseline with few samples',
      relative,
      { value: 0.04, samples: 100 },
      { value: 0.01, samples: 3 },
      'Inconclusive',
      /baseline 1\.00 % over 3 samples: too few/,
    ],
    [
      'a baseline with no data',
      relative,
      { value: 0.04, samples: 100 },
      { samples: 0 },
      'Inconclusive',
      /baseline no data/,
    ],
    // unreadable
    [
      'an unreadable revision',
      absolute,
      { error: 'AccessDenied' },
      undefined,
      'Error',
      /could not be read: AccessDenied/,
    ],
    ['NaN', absolute, { value: Number.NaN, samples: 100 }, undefined, 'Error', /read as NaN/],
    [
      'Infinity',
      relative,
      { value: Number.POSITIVE_INFINITY, samples: 100 },
      { value: 0, samples: 100 },
      'Error',
      /read as Infinity/,
    ],
    [
      'an unreadable baseline',
      relative,
      { value: 0.01, samples: 100 },
      { error: 'Throttling' },
      'Error',
      /baseline could not be read: Throttling/,
    ],
    [
      'a NaN baseline',
      relative,
      { value: 0.01, samples: 100 },
      { value: Number.NaN, samples: 100 },
      'Error',
      /baseline read as NaN/,
    ],
    ['no baseline reading', relative, { value: 0.01, samples: 100 }, undefined, 'Error', /no reading/],
  ];
  it.each(cases)('%s', (_, c, revision, baseline, verdict, reason) => {
    const m = judge(c, revision, baseline);
    expect(m.verdict).toBe(verdict);
    expect(m.reason).toMatch(reason);
    expect(m.check).toBe(c.name);
  });

  it('keeps the numbers it judged by', () => {
    expect(judge(both, { value: 0.01, samples: 100 }, { value: 0.004, samples: 900 })).toEqual({
      check: 'errors',
      verdict: 'Successful',
      value: 0.01,
      samples: 100,
      baseline: { value: 0.004, samples: 900 },
      bound: 0.011,
      reason: expect.any(String),
    });
  });

  it('never judges an unreadable metric as a pass or a fail, whatever the condition', () => {
    for (const c of [absolute, relative, both, latency]) {
      expect(judge(c, { error: 'x' }, { value: 0, samples: 1000 }).verdict).toBe('Error');
    }
  });
});

describe('decide: what a run makes the deployment do', () => {
  const m = (verdict: Measurement['verdict'], name = 'errors'): Measurement => ({
    check: name,
    verdict,
    samples: 100,
    reason: `${name} ${verdict}`,
  });
  const run = (point: 'interval' | 'bake' | 'final') => ({
    point,
    at: '2026-11-25T08:00:00.000Z',
    percent: 10,
  });

  it('proceeds when every check passed at a bake end, and counts the run', () => {
    const { decision, tally } = decide([absolute], [m('Successful')], {}, run('bake'));
    expect(decision).toEqual({ action: 'proceed', notes: [] });
    expect(tally.errors).toMatchObject({ runs: 1, failed: 0, inconclusive: 0, errors: 0 });
    expect(tally.errors?.last).toMatchObject({ verdict: 'Successful', point: 'bake', percent: 10 });
  });

  it('rolls back on the first Failed with failureLimit 0, at an interval run as at a bake end', () => {
    for (const point of ['interval', 'bake', 'final'] as const) {
      const { decision } = decide([absolute], [m('Failed')], {}, run(point));
      expect(decision).toEqual({
        action: 'rollback',
        reason: 'analysis errors failed at 10 %: errors Failed',
      });
    }
  });

  it('allows failureLimit failures: mid-bake the bake goes on, at a bake end it measures again', () => {
    const lenient = check({ max: 0.02, failureLimit: 1 });
    const mid = decide([lenient], [m('Failed')], {}, run('interval'));
    expect(mid.decision).toEqual({ action: 'wait', notes: [] });
    const end = decide([lenient], [m('Failed')], mid.tally, run('bake'));
    expect(end.decision.action).toBe('rollback');
    const first = decide([lenient], [m('Failed')], {}, run('bake'));
    expect(first.decision).toEqual({
      action: 'extend',
      seconds: 60,
      notes: ['errors failed (1 of 1 allowed): measuring again'],
    });
  });

  it('does not count Inconclusive or Error during a bake: more samples are coming', () => {
    const { decision, tally } = decide([absolute], [m('Inconclusive')], {}, run('interval'));
    expect(decision).toEqual({ action: 'wait', notes: [] });
    expect(tally.errors).toMatchObject({ runs: 1, inconclusive: 0, errors: 0 });
    expect(decide([absolute], [m('Error')], {}, run('interval')).tally.errors?.errors).toBe(0);
  });

  it('extends the bake for Inconclusive at a bake end until its limit, then does onInconclusive', () => {
    const c = check({ max: 0.02, inconclusiveLimit: 2, intervalSeconds: 120 });
    let tally: AnalysisTally = {};
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = decide([c], [m('Inconclusive')], tally, run('bake'));
      tally = r.tally;
      seen.push(r.decision.action === 'extend' ? `extend ${r.decision.seconds}` : r.decision.action);
    }
    expect(seen).toEqual(['extend 120', 'extend 120', 'rollback']);
    const going = decide(
      [{ ...c, onInconclusive: 'continue' }],
      [m('Inconclusive')],
      { errors: must(tally.errors) },
      run('bake'),
    );
    expect(going.decision).toEqual({
      action: 'proceed',
      notes: ['errors inconclusive past its limit of 2: going on, as onError/onInconclusive say'],
    });
  });

  it('treats Error at a bake end by errorLimit and onError', () => {
    const strict = check({ max: 0.02, errorLimit: 0 });
    const r = decide(
      [strict],
      [{ ...m('Error'), reason: 'errorRate could not be read: AccessDenied' }],
      {},
      run('final'),
    );
    expect(r.decision).toEqual({
      action: 'rollback',
      reason:
        "analysis errors unreadable 1 time at a bake's end (limit 0): errorRate could not be read: AccessDenied",
    });
    expect(r.tally.errors?.errors).toBe(1);
    expect(decide([{ ...strict, onError: 'continue' }], [m('Error')], {}, run('final')).decision.action).toBe(
      'proceed',
    );
  });

  it('with several checks: any rollback wins, else any extension (the shortest interval), else proceed', () => {
    const a = check({ name: 'a', max: 1, intervalSeconds: 180 });
    const b = check({ name: 'b', max: 1, intervalSeconds: 120 });
    const c = check({ name: 'c', max: 1 });
    expect(
      decide([a, b], [m('Inconclusive', 'a'), m('Inconclusive', 'b')], {}, run('bake')).decision,
    ).toMatchObject({
      action: 'extend',
      seconds: 120,
    });
    expect(
      decide([a, b, c], [m('Inconclusive', 'a'), m('Successful', 'b'), m('Failed', 'c')], {}, run('bake'))
        .decision.action,
    ).toBe('rollback');
    expect(
      decide([a, b], [m('Successful', 'a'), m('Successful', 'b')], {}, run('bake')).decision.action,
    ).toBe('proceed');
  });

  it('keeps the tallies of checks that did not run', () => {
    const earlier: AnalysisTally = { other: { runs: 4, failed: 0, inconclusive: 1, errors: 0 } };
    expect(decide([absolute], [m('Successful')], earlier, run('interval')).tally.other).toEqual(
      earlier.other,
    );
  });
});

describe('windows, due checks, the schedule', () => {
  const shiftedAt = '2026-11-25T08:00:00.000Z';
  const t = Date.parse(shiftedAt);

  it('measures both sides from the shift while the baseline serves traffic', () => {
    const w = windowsOf({ percent: 10, shiftedAt, firstShiftAt: shiftedAt }, t + 90_000);
    expect(w).toEqual({ revision: { from: t, to: t + 90_000 }, baseline: { from: t, to: t + 90_000 } });
  });

  it('at 100 %, measures the baseline over as long a window ending at the first shift', () => {
    const first = t - 600_000;
    const w = windowsOf({ percent: 100, shiftedAt, firstShiftAt: new Date(first).toISOString() }, t + 60_000);
    expect(w.revision).toEqual({ from: t, to: t + 60_000 });
    expect(w.baseline).toEqual({ from: first - 60_000, to: first });
  });

  it('runs a check during a bake once its interval has passed since the shift or its last run', () => {
    const c1 = check({ name: 'one', max: 1 });
    const c2 = check({ name: 'two', max: 1, intervalSeconds: 120 });
    expect(dueChecks([c1, c2], {}, shiftedAt, t + 59_000)).toEqual([]);
    expect(dueChecks([c1, c2], {}, shiftedAt, t + 60_000)).toEqual([c1]);
    const tally: AnalysisTally = {
      one: {
        runs: 1,
        failed: 0,
        inconclusive: 0,
        errors: 0,
        last: {
          check: 'one',
          verdict: 'Successful',
          samples: 1,
          reason: '',
          at: new Date(t + 60_000).toISOString(),
          point: 'interval',
          percent: 10,
        },
      },
    };
    expect(dueChecks([c1, c2], tally, shiftedAt, t + 119_000)).toEqual([]);
    expect(dueChecks([c1, c2], tally, shiftedAt, t + 120_000)).toEqual([c1, c2]);
    expect(dueChecks([c1], {}, undefined, t)).toEqual([]);
  });

  it('gives the last step an interval to measure at 100 %, and leaves schedules without checks alone', () => {
    const canary = plan({ type: 'canary', percent: 10, intervalMinutes: 5 });
    expect(withAnalysis(canary, [])).toBe(canary);
    expect(withAnalysis(canary, [check({ max: 1, intervalSeconds: 120 }), check({ max: 1 })])).toEqual({
      steps: [
        { percent: 10, bakeSeconds: 300 },
        { percent: 100, bakeSeconds: 120 },
      ],
      totalSeconds: 420,
    });
    const baked = { steps: [{ percent: 100, bakeSeconds: 600 }], totalSeconds: 600 };
    expect(withAnalysis(baked, [check({ max: 1 })])).toBe(baked);
  });

  it('substitutes the placeholders of an expression', () => {
    expect(
      substitute('SEARCH(\'{App,Version} Version="${revision}" OR "${baseline}"\', \'Sum\', 60)', {
        revision: '8',
        baseline: '7',
      }),
    ).toBe('SEARCH(\'{App,Version} Version="8" OR "7"\', \'Sum\', 60)');
  });
});

describe('the analysis field of the group config', () => {
  const lambda = (analysis: unknown) => ({
    groups: {
      api: {
        kind: 'lambda',
        target: { functionName: 'api', alias: 'live' },
        deploymentConfig: 'LambdaCanary10Percent5Minutes',
        analysis,
      },
    },
  });
  const ecs = (analysis: unknown) => ({
    groups: {
      web: {
        kind: 'ecs',
        deploymentConfig: 'ECSAllAtOnce',
        target: {
          cluster: 'c',
          blueService: 'b',
          greenService: 'g',
          blueTargetGroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/b/1',
          greenTargetGroup: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/g/2',
          listener: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/s/3/4',
        },
        analysis,
      },
    },
  });
  const problems = (raw: unknown) => {
    try {
      parseGroupConfig(raw);
      return [];
    } catch (e) {
      return (e as { problems: { path: string; message: string }[] }).problems.map(
        (p) => `${p.path}: ${p.message}`,
      );
    }
  };

  it('fills in the defaults', () => {
    const [c] =
      parseGroupConfig(lambda([{ name: 'errors', metric: 'errorRate', relative: { tolerance: 0.5 } }])).groups
        .api?.analysis ?? [];
    expect(c).toEqual({
      name: 'errors',
      metric: 'errorRate',
      relative: { tolerance: 0.5, slack: 0 },
      minSamples: 50,
      intervalSeconds: 60,
      failureLimit: 0,
      inconclusiveLimit: 3,
      onInconclusive: 'rollback',
      errorLimit: 3,
      onError: 'rollback',
    });
    const [e] =
      parseGroupConfig(lambda([{ name: 'e', metric: { expression: 'm1 * ${revision}' }, max: 1 }])).groups.api
        ?.analysis ?? [];
    expect(e?.metric).toEqual({ expression: 'm1 * ${revision}', aggregate: 'average', local: 'errorRate' });
    expect(must(parseGroupConfig(lambda(undefined)).groups.api).analysis).toEqual([]);
  });

  const refused: [string, unknown, string][] = [
    [
      'throttles on ECS',
      ecs([{ name: 't', metric: 'throttles', max: 0.01 }]),
      'groups.web.analysis[0].metric: throttles cannot be measured for ecs groups (they have: errorRate, latencyP90, latencyP99)',
    ],
    [
      'an unknown metric',
      lambda([{ name: 't', metric: 'cpu', max: 1 }]),
      'groups.api.analysis[0].metric: must be one of errorRate, latencyP90, latencyP99, throttles, or {expression} for a CloudWatch metric-math expression',
    ],
    [
      'no condition',
      lambda([{ name: 't', metric: 'errorRate' }]),
      'groups.api.analysis[0].max: give max, relative, or both: a check needs a condition to judge by',
    ],
    [
      'ExecutedVersion on ECS',
      ecs([
        {
          name: 'x',
          metric: { expression: "SEARCH('{AWS/Lambda,ExecutedVersion} ${revision}', 'Sum', 60)" },
          max: 1,
        },
      ]),
      'groups.web.analysis[0].metric.expression: uses ExecutedVersion, which ecs groups do not have: TargetGroup (AWS/ApplicationELB) picks an ECS revision',
    ],
    [
      'TargetGroup on Lambda',
      lambda([{ name: 'x', metric: { expression: 'SUM(TargetGroup ${revision})' }, max: 1 }]),
      'groups.api.analysis[0].metric.expression: uses TargetGroup, which lambda groups do not have: ExecutedVersion (AWS/Lambda) picks a Lambda version',
    ],
    [
      'no ${revision}',
      lambda([{ name: 'x', metric: { expression: 'm1' }, max: 1 }]),
      'groups.api.analysis[0].metric.expression: must use ${revision}, which stands for the revision measured: without it, the check measures the same thing for both revisions',
    ],
    [
      'an unknown placeholder',
      lambda([{ name: 'x', metric: { expression: '${revision} + ${version}' }, max: 1 }]),
      'groups.api.analysis[0].metric.expression: uses ${version}: the placeholders are ${revision} and ${baseline}',
    ],
    [
      'a local stand-in the kind lacks',
      ecs([{ name: 'x', metric: { expression: '${revision}', local: 'throttles' }, max: 1 }]),
      'groups.web.analysis[0].metric.local: throttles cannot be measured for ecs groups (they have: errorRate, latencyP90, latencyP99)',
    ],
    [
      'an interval under a minute',
      lambda([{ name: 'x', metric: 'errorRate', max: 1, intervalSeconds: 30 }]),
      "groups.api.analysis[0].intervalSeconds: must be at least 60: CloudWatch's Lambda and ALB metrics come a minute at a time",
    ],
    [
      'an interval not in minutes',
      lambda([{ name: 'x', metric: 'errorRate', max: 1, intervalSeconds: 90 }]),
      'groups.api.analysis[0].intervalSeconds: must be a whole number of minutes (60, 120, …): metrics come a minute at a time',
    ],
    [
      'a negative tolerance',
      lambda([{ name: 'x', metric: 'errorRate', relative: { tolerance: -0.1 } }]),
      'groups.api.analysis[0].relative.tolerance: must be 0 or more',
    ],
    [
      'a fractional minSamples',
      lambda([{ name: 'x', metric: 'errorRate', max: 1, minSamples: 2.5 }]),
      'groups.api.analysis[0].minSamples: must be a whole number of samples',
    ],
    [
      'an unknown action',
      lambda([{ name: 'x', metric: 'errorRate', max: 1, onError: 'pause' }]),
      'groups.api.analysis[0].onError: must be "rollback" or "continue"',
    ],
    [
      'an unknown field',
      lambda([{ name: 'x', metric: 'errorRate', max: 1, threshold: 2 }]),
      'groups.api.analysis[0].threshold: unknown field "threshold"',
    ],
    [
      'two checks of one name',
      lambda([
        { name: 'x', metric: 'errorRate', max: 1 },
        { name: 'x', metric: 'latencyP90', max: 100 },
      ]),
      'groups.api.analysis[1].name: another check is named x: names must differ',
    ],
    [
      'eleven checks',
      lambda(Array.from({ length: 11 }, (_, i) => ({ name: `c${i}`, metric: 'errorRate', max: 1 }))),
      'groups.api.analysis: must list at most 10 checks',
    ],
  ];
  it.each(refused)('refuses %s, naming the field', (_, raw, problem) => {
    expect(problems(raw)).toContain(problem);
  });
});
