/**
 * Canary analysis in local mode: the metric reader's figures against the synthetic traffic (seeded, so
 * exact where the model is, and within stated bounds where it draws), failing reads, and whole deployments
 * on the test clock with the analysis ticker — the demo's subtle regression rolled back mid-bake while the
 * alias's alarm stays OK, and a healthy revision passing every run.
 */
import { describe, expect, it } from 'vitest';
import { getDeployment, startDeployment } from '../../functions/api/operations.ts';
import type { MetricSpec } from '../../functions/core/analysis.ts';
import type { TimelineEntry } from '../../functions/core/deployment.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { albMetricSpec } from '../../functions/platforms/ecs.ts';
import { lambdaMetricSpec } from '../../functions/platforms/lambda.ts';
import { SimulatedAccount } from '../../local/account.ts';
import { LocalMetrics, uniformMixturePercentile } from '../../local/aws/metrics.ts';
import { type LocalClock, StepClock } from '../../local/clock.ts';
import { SUBTLE_REGRESSION } from '../../local/demo-plan.ts';
import type { EngineEvent } from '../../local/engine.ts';
import { startLocal } from '../../local/index.ts';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const MIN = 60_000;

/** A clock the test moves by hand: the reader's figures come from rounds the test sends. */
class HandClock implements LocalClock {
  constructor(public t = T0) {}
  now = () => this.t;
  real = () => 0;
  sleep = () => new Promise<void>(() => {});
  sleepUntil = () => new Promise<void>(() => {});
  every = () => () => {};
}

/** `seconds` rounds of traffic, one a virtual second, from T0. */
function run(account: SimulatedAccount, clock: HandClock, seconds: number): void {
  for (let i = 0; i < seconds; i++) {
    clock.t += 1000;
    account.tick();
  }
}

const OLD = { errorRate: 0.005, latencyMs: 80 };

/** checkout: version 1 (0.5 %, 80 ms) on the alias, version 2 (the regression) at 10 %, 100 rps. */
function canary() {
  const clock = new HandClock();
  const account = new SimulatedAccount(clock, 7);
  account.createFunction('checkout', OLD, { alias: 'live', rps: 100 });
  const v2 = account.publishVersion('checkout', SUBTLE_REGRESSION);
  account.lambda.setAliasRouting('checkout', 'live', '1', { [v2]: 0.1 });
  run(account, clock, 600);
  return { account, clock, v2 };
}

const lambda = (version?: string, extra: Record<string, string> = {}) => ({
  FunctionName: 'checkout',
  Resource: 'checkout:live',
  ...(version ? { ExecutedVersion: version } : {}),
  ...extra,
});
const whole = { from: T0, to: T0 + 10 * MIN };

describe('the local metric reader, against the synthetic traffic', () => {
  it('reads each version’s error rate over the requests it served, which add up to the alias’s', () => {
    // Prepare
    const { account, v2 } = canary();
    const metrics = account.metrics;

    // Act
    const revision = metrics.reading(lambdaMetricSpec('errorRate', lambda(v2)), whole);
    const baseline = metrics.reading(lambdaMetricSpec('errorRate', lambda('1')), whole);
    const alias = account.traffic.totals(['checkout'], whole.from, whole.to);

    // Assess: 60 000 requests, 10 % of them to version 2 (σ ≈ 73 requests, 4 σ bounds)…
    if ('error' in revision || 'error' in baseline) throw new Error('unreadable');
    expect(revision.samples + baseline.samples).toBe(alias.count);
    expect(revision.samples).toBeGreaterThan(6000 - 300);
    expect(revision.samples).toBeLessThan(6000 + 300);
    // …failing 4 % (σ ≈ 0.25 points) and 0.5 % (σ ≈ 0.03 points).
    expect(revision.value).toBeGreaterThan(0.03);
    expect(revision.value).toBeLessThan(0.05);
    expect(baseline.value).toBeGreaterThan(0.0038);
    expect(baseline.value).toBeLessThan(0.0062);
    const errors = (revision.value ?? 0) * revision.samples + (baseline.value ?? 0) * baseline.samples;
    expect(errors).toBeCloseTo(alias.errors, 6);
    // The alias, what an alarm tuned for the fleet sees: 0.9 × 0.5 % + 0.1 × 4 % ≈ 0.85 %.
    expect(alias.errors / alias.count).toBeGreaterThan(0.006);
    expect(alias.errors / alias.count).toBeLessThan(0.011);
  });

  it.each([
    ['p99', 'latencyP99', 80 * 1.49],
    ['p90', 'latencyP90', 80 * 1.4],
  ] as const)('reads a version’s %s Duration exactly: latencyMs × (0.5 + p)', (_, metric, expected) => {
    const { account, v2 } = canary();
    const reading = account.metrics.reading(lambdaMetricSpec(metric, lambda(v2)), whole);
    const served = account.metrics.reading(lambdaMetricSpec('errorRate', lambda(v2)), whole);
    expect(reading).toEqual({
      samples: 'samples' in served ? served.samples : -1,
      value: expect.any(Number),
    });
    expect('value' in reading ? reading.value : 0).toBeCloseTo(expected, 9);
  });

  it('reads no throttles: local Lambda never throttles, so 0 over the invocations', () => {
    const { account, v2 } = canary();
    const invocations = account.metrics.reading(lambdaMetricSpec('errorRate', lambda(v2)), whole);
    expect(account.metrics.reading(lambdaMetricSpec('throttles', lambda(v2)), whole)).toEqual({
      samples: 'samples' in invocations ? invocations.samples : -1,
      value: 0,
    });
  });

  it('counts a round that straddles a bound of the window in proportion, and rounds only the samples', () => {
    // Prepare: one version, so the function's totals are the version's.
    const clock = new HandClock();
    const account = new SimulatedAccount(clock, 3);
    account.createFunction('orders', OLD, { alias: 'live', rps: 37.3 });
    run(account, clock, 30);
    const window = { from: T0 + 2300, to: T0 + 12_900 };

    // Act
    const reading = account.metrics.reading(
      lambdaMetricSpec('errorRate', {
        FunctionName: 'orders',
        Resource: 'orders:live',
        ExecutedVersion: '1',
      }),
      window,
    );

    // Assess
    const totals = account.traffic.totals(['orders'], window.from, window.to);
    expect(totals.count % 1).not.toBe(0);
    expect(reading).toEqual({ samples: Math.round(totals.count), value: totals.errors / totals.count });
  });

  it.each<[string, MetricSpec]>([
    ['a window before any traffic', lambdaMetricSpec('errorRate', lambda('1'))],
    ['a version that served nothing', lambdaMetricSpec('errorRate', lambda('9'))],
    [
      'another alias of the function',
      lambdaMetricSpec('latencyP99', lambda('1', { Resource: 'checkout:beta' })),
    ],
    [
      'a function that does not exist',
      lambdaMetricSpec('errorRate', { FunctionName: 'nope', ExecutedVersion: '1' }),
    ],
  ])('reads no requests as no data: %s', (what, spec) => {
    const { account } = canary();
    const window = what === 'a window before any traffic' ? { from: T0 - MIN, to: T0 } : whole;
    expect(account.metrics.reading(spec, window)).toEqual({ samples: 0 });
  });

  it.each<[string, MetricSpec, RegExp]>([
    [
      'a namespace local mode has no traffic for',
      { type: 'ratio', namespace: 'AWS/SQS', numerator: ['a'], denominator: ['b'], dimensions: {} },
      /no AWS\/SQS metrics/,
    ],
    [
      'a metric it does not simulate',
      { ...lambdaMetricSpec('errorRate', lambda('1')), numerator: ['ConcurrentExecutions'] } as MetricSpec,
      /does not simulate AWS\/Lambda ConcurrentExecutions/,
    ],
    [
      'a dimension it cannot read by',
      lambdaMetricSpec('errorRate', lambda('1', { Region: 'x' })),
      /by Region/,
    ],
    [
      'a Resource of another function',
      lambdaMetricSpec('errorRate', lambda('1', { Resource: 'orders:live' })),
      /not a resource of function checkout/,
    ],
  ])('reads %s as an error, never as no data', (_, spec, message) => {
    const { account } = canary();
    expect(account.metrics.reading(spec, whole)).toEqual({ error: expect.stringMatching(message) });
  });

  it('reads an ALB target group by the resource part of its ARN, its latency in ms through TargetResponseTime', () => {
    // Prepare: blue (healthy, 40 ms) at 90 %, green (10 % errors, 400 ms) at 10 % of 200 rps.
    const clock = new HandClock();
    const account = new SimulatedAccount(clock, 11);
    const tg = (name: string, id: string) =>
      `arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/${name}/${id}`;
    const [blue, green] = [tg('web-blue', '0000000000000001'), tg('web-green', '0000000000000002')];
    account.defineImage('web:1', { errorRate: 0.002, latencyMs: 40 });
    account.defineImage('web:2', { errorRate: 0.1, latencyMs: 400 });
    const td1 = account.registerTaskDefinition('web', [{ name: 'web', image: 'web:1' }]);
    const td2 = account.registerTaskDefinition('web', [{ name: 'web', image: 'web:2' }]);
    account.createService('shop', 'web-blue', td1, 3, blue);
    account.createService('shop', 'web-green', td2, 3, green);
    account.createListener(
      'arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/shop/3/4',
      {
        [blue]: 900,
        [green]: 100,
      },
      200,
    );
    run(account, clock, 300);
    const dims = { LoadBalancer: 'app/shop/3', TargetGroup: 'targetgroup/web-green/0000000000000002' };
    const window = { from: T0, to: T0 + 5 * MIN };

    // Act
    const errors = account.metrics.reading(albMetricSpec('errorRate', dims), window);
    const p99 = account.metrics.reading(albMetricSpec('latencyP99', dims), window);

    // Assess: 60 000 requests, about 6 000 to green (4 σ ≈ 300), 10 % failing (4 σ ≈ 1.6 points).
    if ('error' in errors || 'error' in p99) throw new Error('unreadable');
    const green5m = account.traffic.totals([green], window.from, window.to);
    expect(errors).toEqual({ samples: green5m.count, value: green5m.errors / green5m.count });
    expect(errors.samples).toBeGreaterThan(5700);
    expect(errors.samples).toBeLessThan(6300);
    expect(errors.value).toBeGreaterThan(0.084);
    expect(errors.value).toBeLessThan(0.116);
    // The ALB spec's scale 1000 turns TargetResponseTime's seconds back into milliseconds.
    expect(p99.samples).toBe(errors.samples);
    expect(p99.value).toBeCloseTo(400 * 1.49, 9);
  });

  it('reads an expression as its local stand-in, for the same side', () => {
    const { account, v2 } = canary();
    const standIn = lambdaMetricSpec('errorRate', lambda(v2));
    expect(
      account.metrics.reading(
        { type: 'expression', expression: 'm1 / m2', aggregate: 'average', standIn },
        whole,
      ),
    ).toEqual(account.metrics.reading(standIn, whole));
  });
});

describe('the percentile of a mixture of uniform latencies', () => {
  it.each<[string, { weight: number; latencyMs: number }[], number, number | undefined]>([
    ['one profile: its bounds at p0 and p100', [{ weight: 5, latencyMs: 80 }], 0, 40],
    ['one profile, p100', [{ weight: 5, latencyMs: 80 }], 100, 120],
    ['one profile, p99', [{ weight: 5, latencyMs: 80 }], 99, 119.2],
    [
      'a slow tenth: p99 is its p90',
      [
        { weight: 9, latencyMs: 40 },
        { weight: 1, latencyMs: 400 },
      ],
      99,
      560,
    ],
    [
      'p90 in the gap between two profiles: the least latency that many requests stay under',
      [
        { weight: 9, latencyMs: 40 },
        { weight: 1, latencyMs: 400 },
      ],
      90,
      60,
    ],
    [
      'overlapping profiles: equal halves of [20, 60) and [40, 120) give p50 = 53⅓',
      [
        { weight: 1, latencyMs: 40 },
        { weight: 1, latencyMs: 80 },
      ],
      50,
      160 / 3,
    ],
    ['nothing served', [{ weight: 0, latencyMs: 80 }], 99, undefined],
  ])('%s', (_, parts, percentile, expected) => {
    const value = uniformMixturePercentile(parts, percentile);
    if (expected === undefined) expect(value).toBeUndefined();
    else expect(value).toBeCloseTo(expected, 9);
  });
});

describe('failing reads, for rehearsals and tests', () => {
  const queries = [
    { id: 'c0r', spec: lambdaMetricSpec('errorRate', lambda('2')), window: whole },
    { id: 'c0b', spec: lambdaMetricSpec('errorRate', lambda('1')), window: whole },
  ];

  it('fails the next reads as many times as asked, each query with the message, then reads again', async () => {
    // Prepare
    const { account } = canary();
    account.metrics.failReads(2, 'InternalServiceError: try again');

    // Act
    const reads = [];
    for (let i = 0; i < 3; i++) reads.push(await account.metrics.read(queries));

    // Assess
    const failed = {
      c0r: { error: 'InternalServiceError: try again' },
      c0b: { error: 'InternalServiceError: try again' },
    };
    expect(reads.slice(0, 2)).toEqual([failed, failed]);
    expect(reads[2]?.c0r).toEqual({ samples: expect.any(Number), value: expect.any(Number) });
    expect(account.calls.filter((c) => c.operation === 'GetMetricData')).toHaveLength(3);
  });

  it('fails every read while asked to, as throttled unless told otherwise, and stops at 0', async () => {
    const { account } = canary();
    account.metrics.failReads('always');
    for (let i = 0; i < 5; i++) {
      expect((await account.metrics.read(queries)).c0b).toEqual({
        error: 'ThrottlingException: Rate exceeded (GetMetricData)',
      });
    }
    account.metrics.failReads(0);
    expect(await account.metrics.read(queries)).not.toHaveProperty('c0b.error');
  });

  it('reads nothing for no queries', async () => {
    const reader = new LocalMetrics({ served: () => [], targets: () => [] });
    expect(await reader.read([])).toEqual({});
  });
});

// ── whole deployments, on the test clock ──

const CHECKOUT = {
  kind: 'lambda',
  target: { functionName: 'checkout', alias: 'live' },
  deploymentConfig: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  alarms: ['checkout-errors'],
  analysis: [
    { name: 'error-rate', metric: 'errorRate', relative: { tolerance: 0.5, slack: 0.005 }, minSamples: 200 },
    { name: 'p99-latency', metric: 'latencyP99', max: 300, minSamples: 200 },
  ],
};

/** Local mode with the demo's checkout group: 100 rps, its alias alarm above 2 % over 60 s. */
async function checkout() {
  const clock = new StepClock(T0);
  const local = await startLocal({
    groups: parseGroupConfig({ groups: { checkout: CHECKOUT } }),
    clock,
    trafficSeed: 42,
    seed: (account) => {
      account.createFunction('checkout', OLD, { alias: 'live', rps: 100 });
      account.defineAlarm({
        name: 'checkout-errors',
        target: 'checkout',
        metric: 'ErrorRate',
        threshold: 0.02,
        periodSeconds: 60,
        evaluationPeriods: 1,
      });
    },
  });
  const alarmStates: string[] = [];
  local.account.onAlarm((name, state) => alarmStates.push(`${name} ${state}`));
  // The live version has served for a while, as in production: at 100 % the baseline is measured before
  // the first shift.
  await clock.run(() => clock.now() >= T0 + 10 * MIN);
  const events: EngineEvent[] = [];
  local.workflow.onTransition((_, event) => events.push(event));
  const deploy = async (profile: { errorRate: number; latencyMs: number }) => {
    const revision = local.account.publishVersion('checkout', profile);
    const { deployment } = await startDeployment(local.ctx, { group: 'checkout', revision });
    const execution = local.workflow.execution(deployment.executionName);
    if (!execution) throw new Error('not started');
    await clock.run(execution.done);
    return getDeployment(local.ctx, deployment.id);
  };
  return { local, clock, alarmStates, events, deploy };
}

type Measured = {
  check: string;
  verdict: string;
  point: string;
  percent: number;
  value: number;
  samples: number;
  baseline?: { value: number; samples: number };
};
const measurements = (timeline: TimelineEntry[]) =>
  timeline
    .filter((e) => e.kind === 'analysis' && e.details?.check)
    .map((e) => ({ at: e.at, ...(e.details as unknown as Measured) }));
const secondsBetween = (from: string | undefined, to: string | undefined) =>
  (Date.parse(to ?? '') - Date.parse(from ?? '')) / 1000;

describe('canary analysis in local mode', () => {
  it('rolls back the subtle regression mid-bake on its own numbers, while the alias alarm stays OK', async () => {
    // Prepare
    const { local, alarmStates, events, deploy } = await checkout();
    try {
      // Act
      const { deployment, timeline } = await deploy(SUBTLE_REGRESSION);

      // Assess: rolled back at the first interval run, a minute into the 5-minute bake…
      expect(deployment.status).toBe('ROLLED_BACK');
      expect(secondsBetween(deployment.shiftedAt, deployment.endedAt)).toBe(60);
      const [errorRate, latency] = measurements(timeline);
      expect(errorRate).toMatchObject({
        check: 'error-rate',
        verdict: 'Failed',
        point: 'interval',
        percent: 10,
      });
      expect(latency).toMatchObject({ check: 'p99-latency', verdict: 'Successful', point: 'interval' });
      // …on 10 % of 6 000 requests failing 4 %, against the baseline's 5 400 failing 0.5 % (4 σ bounds).
      expect(errorRate?.samples).toBeGreaterThan(600 - 100);
      expect(errorRate?.samples).toBeLessThan(600 + 100);
      expect(errorRate?.value).toBeGreaterThan(0.02);
      expect(errorRate?.value).toBeLessThan(0.065);
      expect(errorRate?.baseline?.samples).toBeGreaterThan(5400 - 100);
      expect(errorRate?.baseline?.value).toBeGreaterThan(0.0025);
      expect(errorRate?.baseline?.value).toBeLessThan(0.0075);
      expect(latency?.value).toBeCloseTo(119.2, 9);
      // The reason carries the numbers, and the bake's AnalysisFailed reached RollBack with it.
      expect(deployment.reason).toMatch(
        /^analysis error-rate failed at 10 %: errorRate \d+\.\d\d % over \d+ samples > \d+\.\d\d % \(baseline \d+\.\d\d % × 1\.5 \+ 0\.50 %, over \d+ samples\)$/,
      );
      const failed = events.find((e) => e.type === 'StateFailed' && e.state?.name === 'Bake');
      expect(failed).toMatchObject({ Error: 'AnalysisFailed', Cause: deployment.reason });
      expect(events.map((e) => `${e.type} ${e.state?.name}`)).toContain('StateEntered RollBack');
      expect(timeline.map((e) => e.message)).toContain(`AnalysisFailed: ${deployment.reason}`);
      expect(local.account.aliasRouting('checkout', 'live')).toEqual({
        kind: 'lambda',
        version: '1',
        additionalVersionWeights: {},
      });
      // The alias alarm never left OK: 0.9 × 0.5 % + 0.1 × 4 % ≈ 0.85 % is under its 2 %.
      expect(alarmStates).toEqual(['checkout-errors OK']);
      const alias = local.account.traffic.totals(
        ['checkout'],
        Date.parse(deployment.shiftedAt ?? ''),
        Date.parse(deployment.endedAt ?? ''),
      );
      expect(alias.errors / alias.count).toBeLessThan(0.015);
    } finally {
      await local.close();
    }
  }, 30_000);

  it('passes a healthy revision at every run: each interval, the bake’s end and the final one at 100 %', async () => {
    const { local, alarmStates, deploy } = await checkout();
    try {
      const { deployment, timeline } = await deploy(OLD);

      expect(deployment.reason).toBeUndefined();
      expect(deployment.status).toBe('SUCCEEDED');
      const runs = measurements(timeline);
      expect(runs.length).toBeGreaterThan(0);
      expect(runs.filter((m) => m.verdict !== 'Successful')).toEqual([]);
      const points = (check: string) =>
        runs.filter((m) => m.check === check).map((m) => `${m.point} ${m.percent}`);
      // Each minute of the 5-minute bake, then its end. The ticks that fall as a bake ends let the bake's
      // own run go first (after it, nothing is due): the 5th minute is the bake's run, and the one at the end
      // of the minute at 100 % (the final bake analysis adds) is the final run.
      expect(points('error-rate')).toEqual([
        'interval 10',
        'interval 10',
        'interval 10',
        'interval 10',
        'bake 10',
        'final 100',
      ]);
      expect(points('p99-latency')).toEqual(points('error-rate'));
      expect(alarmStates).toEqual(['checkout-errors OK']);
    } finally {
      await local.close();
    }
  }, 30_000);

  it('measures the same figures at the same virtual times, run after run', async () => {
    const figures = async () => {
      const { local, deploy } = await checkout();
      try {
        const { deployment, timeline } = await deploy(SUBTLE_REGRESSION);
        return measurements(timeline).map((m) => ({ ...m, at: secondsBetween(deployment.createdAt, m.at) }));
      } finally {
        await local.close();
      }
    };
    expect(await figures()).toEqual(await figures());
  }, 30_000);
});
