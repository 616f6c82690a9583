import {
  CloudWatchClient,
  GetMetricDataCommand,
  type GetMetricDataCommandInput,
  type GetMetricDataCommandOutput,
  type MetricDataQuery,
  type MetricDataResult,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  aggregate,
  CloudWatchMetricReader,
  EXPRESSION_MAX_LENGTH,
  minuteRange,
} from '../../functions/aws/cloudwatch-metrics.ts';
import type { Aggregate, MetricSpec, Window } from '../../functions/core/analysis.ts';
import { albMetricSpec } from '../../functions/platforms/ecs.ts';
import { lambdaMetricSpec } from '../../functions/platforms/lambda.ts';
import type { MetricQuery } from '../../functions/ports.ts';

const cloudwatch = mockClient(CloudWatchClient);
// The stub is on the client's prototype, which the next test file in this worker shares (isolate: false).
afterAll(() => cloudwatch.restore());
beforeEach(() => cloudwatch.reset());

const reader = () => new CloudWatchMetricReader(new CloudWatchClient({}));
const at = (hhmmss: string) => Date.parse(`2026-03-02T${hhmmss}Z`);
const inputs = (): GetMetricDataCommandInput[] =>
  cloudwatch.commandCalls(GetMetricDataCommand).map((c) => c.args[0].input);

/** The datapoints the fake account holds for a metric × statistic × dimensions; undefined: no data. */
type Data = (metric: string, stat: string, dimensions: Record<string, string>) => number[] | undefined;

/** Answers each GetMetricData query from `data`, Complete, one page. */
function account(data: Data) {
  cloudwatch.on(GetMetricDataCommand).callsFake((input: GetMetricDataCommandInput) => ({
    MetricDataResults: (input.MetricDataQueries ?? []).map((q) => resultFor(q, data)),
  }));
}

function resultFor(q: MetricDataQuery, data: Data): MetricDataResult {
  const stat = q.MetricStat;
  const dims = Object.fromEntries((stat?.Metric?.Dimensions ?? []).map((d) => [d.Name, d.Value]));
  const values = stat ? (data(stat.Metric?.MetricName ?? '', stat.Stat ?? '', dims) ?? []) : [];
  return { Id: q.Id, StatusCode: 'Complete', Values: values, Timestamps: values.map(() => new Date(0)) };
}

const metric = (
  Namespace: string,
  MetricName: string,
  dims: Record<string, string>,
  Stat: string,
  Period: number,
) => ({
  MetricStat: {
    Metric: {
      Namespace,
      MetricName,
      Dimensions: Object.entries(dims).map(([Name, Value]) => ({ Name, Value })),
    },
    Period,
    Stat,
  },
});

describe('the CloudWatch metric reader, Lambda', () => {
  const base = { FunctionName: 'orders', Resource: 'orders:live' };
  const revision = { ...base, ExecutedVersion: '7' };
  const baseline = { ...base, ExecutedVersion: '6' };
  // A step shifted at 12:00:30, measured at 12:05:10: both sides over the same minutes.
  const window = { from: at('12:00:30'), to: at('12:05:10') };
  const queries: MetricQuery[] = [
    { id: 'errorsNew', spec: lambdaMetricSpec('errorRate', revision), window },
    { id: 'p99New', spec: lambdaMetricSpec('latencyP99', revision), window },
    { id: 'throttlesNew', spec: lambdaMetricSpec('throttles', revision), window },
    { id: 'errorsOld', spec: lambdaMetricSpec('errorRate', baseline), window },
    { id: 'p99Old', spec: lambdaMetricSpec('latencyP99', baseline), window },
    { id: 'throttlesOld', spec: lambdaMetricSpec('throttles', baseline), window },
  ];
  const held: Record<string, Record<string, number[]>> = {
    '7': {
      'Errors/Sum': [32],
      'Invocations/Sum': [800],
      'Duration/p99': [412.5],
      'Duration/SampleCount': [800],
    },
    '6': {
      'Errors/Sum': [36],
      'Invocations/Sum': [7200],
      'Duration/p99': [180],
      'Duration/SampleCount': [7200],
      'Throttles/Sum': [80],
    },
  };

  it('reads errorRate, latencyP99 and throttles of both sides in one call, one datapoint per metric', async () => {
    account((m, stat, dims) => held[dims.ExecutedVersion ?? '']?.[`${m}/${stat}`]);

    const readings = await reader().read(queries);

    // 12:00:30–12:05:10 becomes 12:00–12:06: Period 360 s, one bucket aligned to StartTime.
    const sum = (name: string, dims: Record<string, string>) => metric('AWS/Lambda', name, dims, 'Sum', 360);
    const duration = (stat: string, dims: Record<string, string>) =>
      metric('AWS/Lambda', 'Duration', dims, stat, 360);
    expect(inputs()).toEqual([
      {
        StartTime: new Date(at('12:00:00')),
        EndTime: new Date(at('12:06:00')),
        MetricDataQueries: [
          { Id: 'm0', ...sum('Errors', revision) },
          { Id: 'm1', ...sum('Invocations', revision) },
          { Id: 'm2', ...duration('p99', revision) },
          { Id: 'm3', ...duration('SampleCount', revision) },
          // Throttles ÷ (Invocations + Throttles): Invocations is m1 again, fetched once.
          { Id: 'm4', ...sum('Throttles', revision) },
          { Id: 'm5', ...sum('Errors', baseline) },
          { Id: 'm6', ...sum('Invocations', baseline) },
          { Id: 'm7', ...duration('p99', baseline) },
          { Id: 'm8', ...duration('SampleCount', baseline) },
          { Id: 'm9', ...sum('Throttles', baseline) },
        ],
      },
    ]);
    expect(readings).toEqual({
      errorsNew: { samples: 800, value: 0.04 },
      p99New: { samples: 800, value: 412.5 },
      // No Throttles datapoint: nothing was throttled.
      throttlesNew: { samples: 800, value: 0 },
      errorsOld: { samples: 7200, value: 0.005 },
      p99Old: { samples: 7200, value: 180 },
      throttlesOld: { samples: 7280, value: 80 / 7280 },
    });
  });
});

describe('the CloudWatch metric reader, ALB', () => {
  const revision = { LoadBalancer: 'app/shop/3', TargetGroup: 'targetgroup/green/9' };
  const baseline = { LoadBalancer: 'app/shop/3', TargetGroup: 'targetgroup/blue/8' };

  it('reads each window in its own call and turns TargetResponseTime seconds into milliseconds', async () => {
    // At 100 %: the revision from its shift to now, the baseline over as long a window before the first shift.
    const now = { from: at('13:00:00'), to: at('13:10:00') };
    const before = { from: at('11:50:00'), to: at('12:00:00') };
    account((m, stat, dims) => {
      const green = dims.TargetGroup === revision.TargetGroup;
      if (m === 'RequestCount') return green ? [1000] : [990];
      if (m === 'HTTPCode_Target_5XX_Count') return green ? [20] : undefined;
      if (stat === 'p90') return green ? [0.25] : [0.2];
      if (stat === 'SampleCount') return green ? [1000] : [990];
      return undefined;
    });

    const readings = await reader().read([
      { id: 'errorsNew', spec: albMetricSpec('errorRate', revision), window: now },
      { id: 'p90New', spec: albMetricSpec('latencyP90', revision), window: now },
      { id: 'errorsOld', spec: albMetricSpec('errorRate', baseline), window: before },
      { id: 'p90Old', spec: albMetricSpec('latencyP90', baseline), window: before },
    ]);

    const queriesOf = (dims: Record<string, string>) => [
      { Id: 'm0', ...metric('AWS/ApplicationELB', 'HTTPCode_Target_5XX_Count', dims, 'Sum', 600) },
      { Id: 'm1', ...metric('AWS/ApplicationELB', 'RequestCount', dims, 'Sum', 600) },
      { Id: 'm2', ...metric('AWS/ApplicationELB', 'TargetResponseTime', dims, 'p90', 600) },
      { Id: 'm3', ...metric('AWS/ApplicationELB', 'TargetResponseTime', dims, 'SampleCount', 600) },
    ];
    expect(inputs()).toEqual([
      { StartTime: new Date(now.from), EndTime: new Date(now.to), MetricDataQueries: queriesOf(revision) },
      {
        StartTime: new Date(before.from),
        EndTime: new Date(before.to),
        MetricDataQueries: queriesOf(baseline),
      },
    ]);
    expect(readings).toEqual({
      errorsNew: { samples: 1000, value: 0.02 },
      p90New: { samples: 1000, value: 250 },
      // The ALB publishes no 5XX count when there were none.
      errorsOld: { samples: 990, value: 0 },
      p90Old: { samples: 990, value: 200 },
    });
  });
});

describe('the CloudWatch metric reader, batching and paging', () => {
  const window = { from: at('12:00:00'), to: at('12:05:00') };
  const latency = (i: number): MetricQuery => ({
    id: `q${i}`,
    spec: lambdaMetricSpec('latencyP90', {
      FunctionName: `f${i}`,
      Resource: `f${i}:live`,
      ExecutedVersion: '2',
    }),
    window,
  });

  it('puts at most 500 MetricDataQuery structures in a call, never splitting a query', async () => {
    account((_m, stat) => (stat === 'p90' ? [100] : [10]));
    const queries = Array.from({ length: 251 }, (_, i) => latency(i)); // 2 structures each: 502

    const readings = await reader().read(queries);

    expect(inputs().map((i) => i.MetricDataQueries?.length)).toEqual([500, 2]);
    expect(inputs()[1]?.MetricDataQueries?.[0]?.MetricStat?.Metric?.Dimensions?.[0]).toEqual({
      Name: 'FunctionName',
      Value: 'f250',
    });
    expect(Object.keys(readings)).toHaveLength(251);
    expect(readings.q250).toEqual({ samples: 10, value: 100 });
  });

  it('follows NextToken and adds up what the pages bring', async () => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'm0', StatusCode: 'PartialData', Values: [3] },
          { Id: 'm1', StatusCode: 'PartialData', Values: [60] },
        ],
        NextToken: 'page2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'm0', StatusCode: 'Complete', Values: [1] },
          { Id: 'm1', StatusCode: 'Complete', Values: [40] },
        ],
      });

    const readings = await reader().read([
      { id: 'rate', spec: lambdaMetricSpec('errorRate', { FunctionName: 'f' }), window },
    ]);

    expect(inputs()).toHaveLength(2);
    expect(inputs()[0]?.NextToken).toBeUndefined();
    expect(inputs()[1]).toEqual({ ...inputs()[0], NextToken: 'page2' });
    expect(readings).toEqual({ rate: { samples: 100, value: 0.04 } });
  });

  it('gives a Metrics Insights query a call of its own', async () => {
    account(() => undefined);
    const expressionOf = (id: string) =>
      `SELECT SUM(Errors) FROM "AWS/Lambda" WHERE ExecutedVersion = '${id}'`;
    const insights = (id: string): MetricQuery => ({
      id,
      spec: {
        type: 'expression',
        expression: expressionOf(id),
        aggregate: 'sum',
        standIn: lambdaMetricSpec('errorRate', {}),
      },
      window,
    });

    await reader().read([insights('a'), insights('b')]);

    expect(inputs().map((i) => i.MetricDataQueries)).toEqual([
      [{ Id: 'm0', Expression: expressionOf('a'), Period: 60 }],
      [{ Id: 'm0', Expression: expressionOf('b'), Period: 60 }],
    ]);
  });
});

describe('the CloudWatch metric reader, what it could not read', () => {
  const window = { from: at('12:00:00'), to: at('12:05:00') };
  const dims = { FunctionName: 'f', Resource: 'f:live', ExecutedVersion: '3' };
  const queries: MetricQuery[] = [
    { id: 'rate', spec: lambdaMetricSpec('errorRate', dims), window },
    { id: 'p99', spec: lambdaMetricSpec('latencyP99', dims), window },
  ];

  it.each([
    ['PartialData with no page left', { StatusCode: 'PartialData' }, 'AWS/Lambda Errors Sum: PartialData'],
    ['InternalError', { StatusCode: 'InternalError' }, 'AWS/Lambda Errors Sum: InternalError'],
    ['Forbidden', { StatusCode: 'Forbidden' }, 'AWS/Lambda Errors Sum: Forbidden'],
    [
      'Complete with a message',
      { StatusCode: 'Complete', Messages: [{ Code: 'MaxMetricsExceeded', Value: 'too many' }] },
      'AWS/Lambda Errors Sum: Complete: MaxMetricsExceeded: too many',
    ],
  ] as const)(
    'answers {error} for the query whose result is %s, and reads the others',
    async (_, result, error) => {
      cloudwatch.on(GetMetricDataCommand).resolves({
        MetricDataResults: [
          { Id: 'm0', Values: [1], ...result },
          { Id: 'm1', StatusCode: 'Complete', Values: [10] },
          { Id: 'm2', StatusCode: 'Complete', Values: [250] },
          { Id: 'm3', StatusCode: 'Complete', Values: [10] },
        ],
      } as GetMetricDataCommandOutput);

      expect(await reader().read(queries)).toEqual({ rate: { error }, p99: { samples: 10, value: 250 } });
    },
  );

  it('answers {error} for a query CloudWatch returned no result for', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'm0', StatusCode: 'Complete', Values: [1] }],
    });

    const readings = await reader().read([queries[0] as MetricQuery]);

    expect(readings).toEqual({
      rate: { error: 'AWS/Lambda Invocations Sum: CloudWatch returned no result for it' },
    });
  });

  it.each([
    [
      'AccessDeniedException',
      'User: arn:aws:sts::1:assumed-role/r is not authorized to perform: cloudwatch:GetMetricData',
    ],
    ['ThrottlingException', 'Rate exceeded'],
  ])('answers {error} for every query of the call when the SDK throws %s', async (name, text) => {
    cloudwatch.on(GetMetricDataCommand).rejects(Object.assign(new Error(text), { name }));

    expect(await reader().read(queries)).toEqual({
      rate: { error: `GetMetricData failed: ${name}: ${text}` },
      p99: { error: `GetMetricData failed: ${name}: ${text}` },
    });
  });

  it('answers {error} for every query of the call when the call itself carries a message', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [{ Id: 'm0', StatusCode: 'Complete', Values: [1] }],
      Messages: [{ Code: 'Error', Value: 'Maximum number of allowed metrics exceeded' }],
    });

    const error = 'GetMetricData answered: Error: Maximum number of allowed metrics exceeded';
    expect(await reader().read(queries)).toEqual({ rate: { error }, p99: { error } });
  });

  it('answers {error} before sending what AWS would reject, and still reads the rest', async () => {
    account(() => [5]);
    const tooLong = `SEARCH('${'x'.repeat(EXPRESSION_MAX_LENGTH)}', 'Sum', 60)`;
    const long: MetricSpec = {
      type: 'expression',
      expression: tooLong,
      aggregate: 'sum',
      standIn: lambdaMetricSpec('errorRate', dims),
    };

    const readings = await reader().read([
      { id: 'long', spec: long, window },
      { id: 'empty', spec: lambdaMetricSpec('errorRate', { ...dims, ExecutedVersion: '' }), window },
      {
        id: 'p',
        spec: { ...lambdaMetricSpec('latencyP99', dims), percentile: 99.999 } as MetricSpec,
        window,
      },
      {
        id: 'backwards',
        spec: lambdaMetricSpec('errorRate', dims),
        window: { from: window.to, to: window.from },
      },
      { id: 'rate', spec: lambdaMetricSpec('errorRate', dims), window },
    ]);

    expect(readings).toEqual({
      long: {
        error: `the expression has ${tooLong.length} characters: CloudWatch takes 1 to 2048`,
      },
      empty: {
        error:
          'dimension ExecutedVersion="": CloudWatch takes a name of 1 to 255 and a value of 1 to 1024 characters',
      },
      p: {
        error:
          'percentile 99.999: CloudWatch takes pNN.NN, above 0 and at most 100, with at most two decimals',
      },
      backwards: { error: `the window ${window.to}–${window.from} is not a time range` },
      rate: { samples: 5, value: 1 },
    });
    expect(inputs()).toHaveLength(1);
    expect(inputs()[0]?.MetricDataQueries).toHaveLength(2);
  });
});

describe('the CloudWatch metric reader, no data and edge values', () => {
  const window = { from: at('12:00:00'), to: at('12:05:00') };
  const dims = { FunctionName: 'f', Resource: 'f:live', ExecutedVersion: '3' };
  const expression = (how: Aggregate): MetricSpec => ({
    type: 'expression',
    expression: `SEARCH('{AWS/Lambda,FunctionName,Resource,ExecutedVersion} MetricName="Errors" ExecutedVersion="3"', 'Sum', 60)`,
    aggregate: how,
    standIn: lambdaMetricSpec('errorRate', dims),
  });

  it('reads a metric with no datapoints as no samples and no value', async () => {
    account(() => undefined);

    const readings = await reader().read([
      { id: 'rate', spec: lambdaMetricSpec('errorRate', dims), window },
      { id: 'p99', spec: lambdaMetricSpec('latencyP99', dims), window },
      { id: 'expr', spec: expression('average'), window },
    ]);

    expect(readings).toEqual({ rate: { samples: 0 }, p99: { samples: 0 }, expr: { samples: 0 } });
  });

  it('reads a ratio whose denominator is 0 as no samples and no value, not a rate of 0', async () => {
    account(() => [0]);

    expect(await reader().read([{ id: 'rate', spec: lambdaMetricSpec('errorRate', dims), window }])).toEqual({
      rate: { samples: 0 },
    });
  });

  it.each([
    ['average', [1, 2, 6], 3],
    ['sum', [1, 2, 6], 9],
    ['maximum', [1, 2, 6], 6],
    ['minimum', [1, 2, 6], 1],
    ['maximum', [1, Number.NaN, 6], Number.NaN],
    ['sum', [1, Number.NaN], Number.NaN],
  ] as const)('aggregates an expression’s datapoints by %s: %j → %d', async (how, values, value) => {
    cloudwatch
      .on(GetMetricDataCommand)
      .resolves({ MetricDataResults: [{ Id: 'm0', StatusCode: 'Complete', Values: [...values] }] });

    const readings = await reader().read([{ id: 'expr', spec: expression(how), window }]);

    expect(inputs()[0]?.MetricDataQueries).toEqual([
      { Id: 'm0', Expression: (expression(how) as { expression: string }).expression },
    ]);
    expect(readings).toEqual({ expr: { samples: values.length, value } });
    expect(aggregate(how, values)).toEqual(value);
  });

  it('answers {error} for an expression that returns several time series', async () => {
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'm0', Label: 'orders 3', StatusCode: 'Complete', Values: [1] },
        { Id: 'm0', Label: 'billing 3', StatusCode: 'Complete', Values: [2] },
      ],
    });

    const readings = await reader().read([{ id: 'expr', spec: expression('sum'), window }]);

    expect(readings.expr).toEqual({ error: expect.stringMatching(/returned 2 time series/) });
  });

  it('passes NaN on as the value of a ratio, for core to judge as Error', async () => {
    account((m) => (m === 'Errors' ? [Number.NaN] : [10]));

    expect(await reader().read([{ id: 'rate', spec: lambdaMetricSpec('errorRate', dims), window }])).toEqual({
      rate: { samples: 10, value: Number.NaN },
    });
  });
});

describe('minuteRange', () => {
  it.each([
    ['12:00:00', '12:05:00', '12:00:00', '12:05:00', 300],
    ['12:00:30', '12:05:10', '12:00:00', '12:06:00', 360],
    ['12:00:30', '12:00:50', '12:00:00', '12:01:00', 60],
    ['12:00:00', '12:00:00', '12:00:00', '12:01:00', 60],
  ])('widens %s–%s to whole minutes: %s–%s, Period %d', (from, to, start, end, period) => {
    const window: Window = { from: at(from), to: at(to) };
    expect(minuteRange(window)).toEqual({ start: at(start), end: at(end), period });
  });
});
