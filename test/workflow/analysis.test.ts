/**
 * Canary analysis through the whole workflow: the real ASL in the local engine, on the test clock, with a
 * metric reader scripted per scenario (the local reader's own figures are tested in
 * test/local/analysis.test.ts). Each scenario says what the revision's and the baseline's metrics are,
 * and the runs — every interval during a bake, at each bake's end, and at 100 % — do the rest.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Reading } from '../../functions/core/analysis.ts';
import type { Deployment, TimelineEntry } from '../../functions/core/deployment.ts';
import type { MetricQuery, MetricReader } from '../../functions/ports.ts';
import { messages, routing, type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

/** A side's traffic: its error rate, and how many requests a minute it serves. */
interface Side {
  rate: number;
  perMinute: number | (() => number);
}

/**
 * A reader whose figures follow the window: samples grow with its length, as real traffic's do.
 * `fail` makes every read answer `{error}` while it returns a message.
 */
function scripted(
  sides: { revision: Side; baseline: Side },
  fail: () => string | undefined = () => undefined,
): MetricReader & { reads: MetricQuery[][] } {
  const reads: MetricQuery[][] = [];
  return {
    reads,
    async read(queries) {
      reads.push([...queries]);
      const out: Record<string, Reading> = {};
      for (const q of queries) {
        const error = fail();
        if (error) {
          out[q.id] = { error };
          continue;
        }
        const side = q.id.endsWith('r') ? sides.revision : sides.baseline;
        const perMinute = typeof side.perMinute === 'number' ? side.perMinute : side.perMinute();
        const samples = Math.floor((perMinute * (q.window.to - q.window.from)) / 60_000);
        out[q.id] = samples > 0 ? { samples, value: side.rate } : { samples: 0 };
      }
      return out;
    },
  };
}

const ERRORS = { name: 'errors', metric: 'errorRate', relative: { tolerance: 0.5, slack: 0.005 } };
const CANARY = 'CodeDeployDefault.LambdaCanary10Percent5Minutes';

async function run(
  analysis: unknown[],
  reader: MetricReader,
  deploymentConfig: unknown = CANARY,
): Promise<{ deployment: Deployment; timeline: TimelineEntry[]; execution: string; states: string[] }> {
  s = await scenario({ orders: { deploymentConfig, alarms: ['orders-errors'], analysis } });
  s.ctx.metrics = reader;
  const d = await s.deploy('orders', s.publish('orders'));
  const result = await s.finished(d);
  const states = s.events
    .filter((e) => e.event.type === 'StateEntered')
    .map((e) => (e.event as { state: { name: string } }).state.name);
  return { ...result, states };
}

const analysisEntries = (timeline: TimelineEntry[]) => timeline.filter((e) => e.kind === 'analysis');
function found<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('not found');
  return value;
}
const secondsAfter = (from: string, at: string) => (Date.parse(at) - Date.parse(from)) / 1000;

describe('canary analysis in the workflow', () => {
  it('catches the subtle regression mid-bake and rolls back, with the numbers in the reason', async () => {
    // 4 % errors on the new version vs 0.5 % on the old: at 10 % the alias moves by 0.35 points only.
    const reader = scripted({
      revision: { rate: 0.04, perMinute: 120 },
      baseline: { rate: 0.005, perMinute: 1080 },
    });
    const { deployment, timeline, execution, states } = await run([ERRORS], reader);

    expect(execution).toBe('FAILED');
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toBe(
      'analysis errors failed at 10 %: errorRate 4.00 % over 120 samples > 1.25 % (baseline 0.50 % × 1.5 + 0.50 %, over 1080 samples)',
    );
    expect(s?.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
    // The first interval run, a minute into the five-minute bake, caught it.
    const shifted = found(timeline.find((e) => e.kind === 'shift'));
    const caught = found(analysisEntries(timeline).find((e) => e.details?.verdict === 'Failed'));
    expect(secondsAfter(shifted.at, caught.at)).toBe(60);
    expect(caught.details).toMatchObject({
      check: 'errors',
      verdict: 'Failed',
      point: 'interval',
      percent: 10,
      value: 0.04,
      samples: 120,
      baseline: { value: 0.005, samples: 1080 },
      bound: 0.0125,
      window: { from: shifted.at, to: caught.at },
    });
    expect(messages(timeline)).toContain(`error: AnalysisFailed: ${deployment.reason}`);
    expect(states).not.toContain('FinalBake');
    expect(deployment.analysis?.errors).toMatchObject({ runs: 1, failed: 1 });
  });

  it('lets a healthy revision through: a run every minute of each bake, at its end, and at 100 % before AfterAllowTraffic', async () => {
    const reader = scripted({
      revision: { rate: 0.004, perMinute: 120 },
      baseline: { rate: 0.005, perMinute: 1080 },
    });
    const { deployment, timeline, execution, states } = await run(
      [ERRORS, { name: 'p99', metric: 'latencyP99', max: 1000 }],
      reader,
    );

    expect(execution).toBe('SUCCEEDED');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(deployment.schedule.steps).toEqual([
      { percent: 10, bakeSeconds: 300 },
      { percent: 100, bakeSeconds: 60 },
    ]);
    expect(states.filter((n) => /^(ShiftTraffic|Bake|FinalBake|AfterAllowTraffic)$/.test(n))).toEqual([
      'ShiftTraffic',
      'Bake',
      'ShiftTraffic',
      'FinalBake',
      'AfterAllowTraffic',
    ]);
    const runs = analysisEntries(timeline)
      .filter((e) => e.details?.check === 'errors')
      .map((e) => `${e.details?.point} ${e.details?.percent} % ${e.details?.verdict}`);
    expect(runs).toEqual([
      'interval 10 % Successful',
      'interval 10 % Successful',
      'interval 10 % Successful',
      'interval 10 % Successful',
      'bake 10 % Successful',
      'final 100 % Successful',
    ]);
    // At 100 %, the baseline is read over the minute before the first shift.
    const final = found(reader.reads.at(-1));
    const firstShift = Date.parse(found(timeline.find((e) => e.kind === 'shift')).at);
    expect(final.find((q) => q.id === 'c0b')?.window).toEqual({ from: firstShift - 60_000, to: firstShift });
    expect(final.find((q) => q.id === 'c0r')?.spec).toEqual({
      type: 'ratio',
      namespace: 'AWS/Lambda',
      numerator: ['Errors'],
      denominator: ['Invocations'],
      dimensions: { FunctionName: 'orders', Resource: 'orders:live', ExecutedVersion: '2' },
    });
    expect(deployment.finalAnalysisPassed).toBe(true);
  });

  it('waits out low traffic: Inconclusive at the bake end extends the bake, then passes on more samples', async () => {
    // 15 requests a minute at 10 %: 1 minute of bake gives 15, fewer than the 40 needed; 3 minutes give
    // 45. At 100 %, the revision serves all 150 a minute.
    const onAll = () => s?.local.account.aliasRouting('orders', 'live').version === '2';
    const reader = scripted({
      revision: { rate: 0.001, perMinute: () => (onAll() ? 150 : 15) },
      baseline: { rate: 0.002, perMinute: 900 },
    });
    const { deployment, timeline, execution } = await run(
      [{ ...ERRORS, minSamples: 40, inconclusiveLimit: 3 }],
      reader,
      { type: 'canary', percent: 10, intervalMinutes: 1 },
    );

    expect(execution).toBe('SUCCEEDED');
    const said = messages(timeline).filter((m) => /analysis|extended/.test(m));
    expect(said.slice(0, 6)).toEqual([
      'analysis: errors Inconclusive: errorRate 0.10 % over 15 samples: fewer than the 40 needed to judge',
      'analysis: errors inconclusive (1 of 3 allowed): measuring again',
      'bake: bake at 10 % extended by 60 s: analysis measures again',
      'analysis: errors Inconclusive: errorRate 0.10 % over 30 samples: fewer than the 40 needed to judge',
      'analysis: errors inconclusive (2 of 3 allowed): measuring again',
      'bake: bake at 10 % extended by 60 s: analysis measures again',
    ]);
    expect(said).toContain(
      'analysis: errors Successful: errorRate 0.10 % over 45 samples ≤ 0.80 % (baseline 0.20 % × 1.5 + 0.50 %, over 2700 samples)',
    );
    expect(deployment.analysis?.errors).toMatchObject({ inconclusive: 2, failed: 0 });
  });

  it('rolls back when the metric cannot be read past errorLimit, never judging it a pass', async () => {
    const reader = scripted(
      { revision: { rate: 0, perMinute: 100 }, baseline: { rate: 0, perMinute: 900 } },
      () => 'AccessDenied: not authorized to perform cloudwatch:GetMetricData',
    );
    const { deployment, timeline, execution } = await run([{ ...ERRORS, errorLimit: 1 }], reader, {
      type: 'canary',
      percent: 10,
      intervalMinutes: 1,
    });

    expect(execution).toBe('FAILED');
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(deployment.reason).toBe(
      "analysis errors unreadable 2 times at a bake's end (limit 1): errorRate could not be read: AccessDenied: not authorized to perform cloudwatch:GetMetricData",
    );
    expect(analysisEntries(timeline).map((e) => e.details?.verdict)).not.toContain('Successful');
    expect(s?.local.account.aliasRouting('orders', 'live')).toEqual(routing('1'));
  });

  it('goes on past unreadable metrics when onError says continue, and says so', async () => {
    let failures = 0;
    const reader = scripted(
      { revision: { rate: 0, perMinute: 100 }, baseline: { rate: 0, perMinute: 900 } },
      () => (failures++ < 100 ? 'Throttling: Rate exceeded' : undefined),
    );
    const { deployment, timeline, execution } = await run(
      [{ ...ERRORS, errorLimit: 0, onError: 'continue' }],
      reader,
      { type: 'canary', percent: 10, intervalMinutes: 1 },
    );

    expect(execution).toBe('SUCCEEDED');
    expect(deployment.status).toBe('SUCCEEDED');
    expect(messages(timeline)).toContain(
      'analysis: errors unreadable past its limit of 0: going on, as onError/onInconclusive say',
    );
  });

  it('leaves deployments of groups without checks exactly as before: no reads, no extra bake', async () => {
    const reader = scripted({ revision: { rate: 1, perMinute: 100 }, baseline: { rate: 0, perMinute: 900 } });
    const { deployment, execution, states } = await run([], reader);
    expect(execution).toBe('SUCCEEDED');
    expect(reader.reads).toEqual([]);
    expect(deployment.schedule.steps.at(-1)).toEqual({ percent: 100, bakeSeconds: 0 });
    expect(states).not.toContain('FinalBake');
  });
});
