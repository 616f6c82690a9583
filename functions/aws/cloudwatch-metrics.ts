/**
 * MetricReader over CloudWatch `GetMetricData`: every query of a read in as few calls as AWS allows, and
 * the arithmetic (ratios, scale, aggregates) done here, on the statistics CloudWatch returns.
 *
 * One call has one StartTime/EndTime, so queries are grouped by window; a group goes in calls of at most
 * 500 MetricDataQuery structures (one per metric × statistic, shared by the queries that need the same
 * one — errorRate and throttles both read Invocations) and at most one Metrics Insights query.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
 *
 * Each metric is read as ONE datapoint covering the whole window: StartTime is rounded down to the
 * minute (as CloudWatch would round it anyway), EndTime up to the minute (so a window shorter than a
 * minute still covers one), and Period is their difference — a multiple of 60, as standard-resolution
 * metrics require. CloudWatch aligns the periods to StartTime (https://github.com/boto/boto3/issues/3457),
 * so a period that long is exactly one bucket. That matters for percentiles: a p99 over the window cannot
 * be made from per-minute p99s. A window that is not minute-aligned is thus widened to whole minutes,
 * on both sides of a comparison alike.
 *
 * It never throws for what it could not read (the port's contract): an SDK error (throttling,
 * AccessDenied, network) answers `{error}` for each query of that call; a result that is not `Complete`,
 * or carries messages, answers `{error}` for the queries that needed it; and a query AWS would reject
 * (which would fail the whole call) answers `{error}` before anything is sent.
 *
 * @example read([{id: 'rev', spec: lambda errorRate, window: 12:00:30–12:05:10}])
 *   → one call, 12:00–12:06, Period 360: Errors Sum 4 and Invocations Sum 100 → {rev: {samples: 100, value: 0.04}}
 */
import {
  type CloudWatchClient,
  GetMetricDataCommand,
  type MessageData,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import type { Aggregate, Dimensions, MetricSpec, Reading, Window } from '../core/analysis.ts';
import type { MetricQuery, MetricReader } from '../ports.ts';

/** MetricDataQuery structures in one GetMetricData call (API_GetMetricData: "as many as 500"). */
export const GET_METRIC_DATA_QUERIES = 500;
/** MetricDataQuery.Expression: 1 to 2048 characters (the API model's MetricExpression shape). */
export const EXPRESSION_MAX_LENGTH = 2048;
/** The datapoints of an expression: per minute, the finest standard resolution. */
export const EXPRESSION_PERIOD = 60;
/** Pages of one call before giving up: our queries return one datapoint per metric, so 1 is normal. */
const MAX_PAGES = 50;
const MINUTE = 60_000;

/**
 * One MetricDataQuery that queries need, without its Id: the Id is given per call, `m0`, `m1`, … — they
 * satisfy the Id rule ("letters, numbers, and underscore; the first character must be a lowercase
 * letter", ≤ 255 characters, unique in the call) whatever the port's ids are, and cannot collide.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_MetricDataQuery.html
 */
interface Fetch {
  /** Same key, same data: fetched once per call. */
  key: string;
  /** What error messages call it: `AWS/Lambda Duration p99`. */
  what: string;
  query: Omit<MetricDataQuery, 'Id'>;
  /** A Metrics Insights query: only one per call. */
  insights: boolean;
}

/** What a call found for one Fetch: its datapoints (and how many time series they came in), or why not. */
type Fetched = { values: number[]; series: number } | { error: string };

interface Plan {
  id: string;
  fetches: Fetch[];
  reading(get: (fetch: Fetch) => Fetched): Reading;
}

export class CloudWatchMetricReader implements MetricReader {
  constructor(private readonly client: CloudWatchClient) {}

  async read(queries: readonly MetricQuery[]): Promise<Record<string, Reading>> {
    const readings: Record<string, Reading> = {};
    const groups = new Map<string, { range: Range; plans: Plan[] }>();
    for (const query of queries) {
      const range = minuteRange(query.window);
      if ('error' in range) {
        readings[query.id] = range;
        continue;
      }
      const plan = planOf(query, range.period);
      if ('error' in plan) {
        readings[query.id] = plan;
        continue;
      }
      const key = `${range.start}/${range.end}`;
      const group = groups.get(key) ?? { range, plans: [] };
      group.plans.push(plan);
      groups.set(key, group);
    }
    // One call at a time: GetMetricData has a per-account TPS quota, and a read is a handful of calls.
    for (const { range, plans } of groups.values()) {
      for (const batch of packed(plans)) Object.assign(readings, await this.call(batch, range));
    }
    return readings;
  }

  /** One GetMetricData call (and its pages) for a batch of plans sharing a window. */
  private async call(plans: readonly Plan[], range: Range): Promise<Record<string, Reading>> {
    const ids = new Map<string, string>();
    const MetricDataQueries: MetricDataQuery[] = [];
    for (const fetch of plans.flatMap((p) => p.fetches)) {
      if (ids.has(fetch.key)) continue;
      const Id = `m${ids.size}`;
      ids.set(fetch.key, Id);
      // ReturnData is left out: its default, true, is what we want — every structure is data we use.
      // Label too: CloudWatch makes one; we match results by Id.
      MetricDataQueries.push({ Id, ...fetch.query });
    }
    const results = new Map<
      string,
      { series: Map<string, number[]>; status: string | undefined; messages: string[] }
    >();
    const global: string[] = [];
    try {
      let token: string | undefined;
      let pages = 0;
      do {
        if (++pages > MAX_PAGES) throw new Error(`still paging after ${MAX_PAGES} pages`);
        const out = await this.client.send(
          new GetMetricDataCommand({
            MetricDataQueries,
            StartTime: new Date(range.start),
            EndTime: new Date(range.end),
            ...(token ? { NextToken: token } : {}),
          }),
        );
        for (const r of out.MetricDataResults ?? []) {
          if (!r.Id) continue;
          const seen = results.get(r.Id) ?? {
            series: new Map<string, number[]>(),
            status: undefined,
            messages: [] as string[],
          };
          // A SEARCH can answer several time series under one Id, told apart by Label; pages continue them.
          const label = r.Label ?? '';
          seen.series.set(label, [...(seen.series.get(label) ?? []), ...(r.Values ?? [])]);
          // PartialData is only a page's state (NextToken brings the rest); a failure on any page stays.
          if (!isFailure(seen.status)) seen.status = r.StatusCode;
          seen.messages.push(...(r.Messages ?? []).map(message));
          results.set(r.Id, seen);
        }
        global.push(...(out.Messages ?? []).map(message));
        token = out.NextToken;
      } while (token);
    } catch (error) {
      const cause = `GetMetricData failed: ${describe(error)}`;
      return Object.fromEntries(plans.map((p) => [p.id, { error: cause }]));
    }
    if (global.length > 0) {
      // "As much of the operation as possible is still executed": which part is not said, so none of it
      // is trusted.
      const cause = `GetMetricData answered: ${global.join('; ')}`;
      return Object.fromEntries(plans.map((p) => [p.id, { error: cause }]));
    }
    const get = (fetch: Fetch): Fetched => {
      const r = results.get(ids.get(fetch.key) ?? '');
      if (!r) return { error: `${fetch.what}: CloudWatch returned no result for it` };
      if (r.status !== 'Complete' || r.messages.length > 0) {
        const why = [r.status ?? 'no status', ...r.messages].join(': ');
        return { error: `${fetch.what}: ${why}` };
      }
      return { values: [...r.series.values()].flat(), series: r.series.size };
    };
    return Object.fromEntries(plans.map((p) => [p.id, p.reading(get)]));
  }
}

// ── windows ──

interface Range {
  /** ms, whole minutes */
  start: number;
  end: number;
  /** seconds: end − start, a multiple of 60 */
  period: number;
}

/**
 * The window in whole minutes: StartTime rounded down (CloudWatch does so itself for a start less than 15
 * days ago), EndTime rounded up, so that Period = EndTime − StartTime is a multiple of 60 and at least 60.
 *
 * @example minuteRange({from: 12:00:30, to: 12:05:10}) → 12:00:00–12:06:00, period 360
 */
export function minuteRange(window: Window): Range | { error: string } {
  const { from, to } = window;
  if (!Number.isFinite(from) || !Number.isFinite(to) || to < from) {
    return { error: `the window ${from}–${to} is not a time range` };
  }
  const start = Math.floor(from / MINUTE) * MINUTE;
  const end = Math.max(Math.ceil(to / MINUTE) * MINUTE, start + MINUTE);
  return { start, end, period: (end - start) / 1000 };
}

// ── what each spec needs, and how its reading is made ──

/**
 * The fetches of one query and how its reading is computed from them — or why AWS would refuse it. A
 * ValidationException fails the whole call, so what AWS would refuse is caught here, for that query only.
 */
function planOf(query: MetricQuery, period: number): Plan | { error: string } {
  const invalid = invalidSpec(query.spec);
  return invalid ? { error: invalid } : specPlan(query.id, query.spec, period);
}

function specPlan(id: string, spec: MetricSpec, period: number): Plan {
  switch (spec.type) {
    case 'ratio': {
      const sum = (name: string) => metricFetch(spec.namespace, name, spec.dimensions, 'Sum', period);
      const numerator = spec.numerator.map(sum);
      const denominator = spec.denominator.map(sum);
      return {
        id,
        fetches: [...numerator, ...denominator],
        reading(get) {
          const errors: string[] = [];
          const total = (fetches: Fetch[]) =>
            fetches.reduce((acc, f) => {
              const got = get(f);
              if ('error' in got) {
                errors.push(got.error);
                return acc;
              }
              // A count with no datapoints counted nothing: ALB publishes HTTPCode_Target_5XX_Count
              // only when it is not zero.
              return got.values.reduce((a, v) => a + v, acc);
            }, 0);
          const over = total(denominator);
          const under = total(numerator);
          if (errors.length > 0) return { error: unique(errors).join('; ') };
          // Nothing to divide by: no samples and no value — not a rate of 0.
          if (over === 0) return { samples: 0 };
          return { samples: Number.isNaN(over) ? 0 : over, value: under / over };
        },
      };
    }
    case 'percentile': {
      const p = metricFetch(spec.namespace, spec.metricName, spec.dimensions, `p${spec.percentile}`, period);
      const n = metricFetch(spec.namespace, spec.metricName, spec.dimensions, 'SampleCount', period);
      return {
        id,
        fetches: [p, n],
        reading(get) {
          const value = get(p);
          const count = get(n);
          const errors = [value, count].flatMap((g) => ('error' in g ? [g.error] : []));
          if ('error' in value || 'error' in count) return { error: errors.join('; ') };
          const samples = count.values.reduce((a, v) => a + v, 0);
          const [only, ...more] = value.values;
          if (more.length > 0) {
            return {
              error: `${p.what}: ${value.values.length} datapoints for one window, and percentiles of periods cannot be combined`,
            };
          }
          return only === undefined ? { samples } : { samples, value: only * spec.scale };
        },
      };
    }
    case 'expression': {
      const insights = /^\s*select\s/i.test(spec.expression);
      const fetch: Fetch = {
        key: `expression|${spec.expression}`,
        what: `the expression ${spec.expression}`,
        // A Metrics Insights query takes its period from here; a math expression carries its own (SEARCH's
        // third argument) — https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html
        query: { Expression: spec.expression, ...(insights ? { Period: EXPRESSION_PERIOD } : {}) },
        insights,
      };
      return {
        id,
        fetches: [fetch],
        reading(get) {
          const got = get(fetch);
          if ('error' in got) return got;
          if (got.series > 1) {
            return { error: `${fetch.what} returned ${got.series} time series: analysis needs exactly one` };
          }
          if (got.values.length === 0) return { samples: 0 };
          return { samples: got.values.length, value: aggregate(spec.aggregate, got.values) };
        },
      };
    }
  }
}

function metricFetch(
  namespace: string,
  metricName: string,
  dimensions: Dimensions,
  stat: string,
  period: number,
): Fetch {
  const entries = Object.entries(dimensions);
  const sorted = [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    key: JSON.stringify([namespace, metricName, sorted, stat, period]),
    what: `${namespace} ${metricName} ${stat}`,
    query: {
      MetricStat: {
        Metric: {
          Namespace: namespace,
          MetricName: metricName,
          Dimensions: entries.map(([Name, Value]) => ({ Name, Value })),
        },
        Period: period,
        Stat: stat,
      },
    },
    insights: false,
  };
}

/**
 * What AWS would reject in a spec, if anything: the checks that the config schema cannot make for it.
 * An expression is checked after its placeholders are replaced, which can lengthen it; a dimension value
 * comes from the deployment (a version, a target group); a percentile is pNN.NN with at most two
 * decimals. Namespaces, metric names, the number of dimensions and scales come from the platforms'
 * built-in specs (platforms/lambda.ts, platforms/ecs.ts), constants AWS accepts, so they are not checked
 * again here.
 */
function invalidSpec(spec: MetricSpec): string | undefined {
  if (spec.type === 'expression') {
    const { length } = spec.expression;
    if (spec.expression.trim() === '' || length > EXPRESSION_MAX_LENGTH) {
      return `the expression has ${length} characters: CloudWatch takes 1 to ${EXPRESSION_MAX_LENGTH}`;
    }
    return undefined;
  }
  const badDimension = Object.entries(spec.dimensions).find(
    ([name, value]) => !between(name, 255) || !between(value, 1024),
  );
  if (badDimension) {
    return `dimension ${badDimension[0]}="${badDimension[1]}": CloudWatch takes a name of 1 to 255 and a value of 1 to 1024 characters`;
  }
  if (spec.type === 'percentile') {
    const p = spec.percentile;
    if (!(p > 0 && p <= 100) || Number(p.toFixed(2)) !== p) {
      return `percentile ${p}: CloudWatch takes pNN.NN, above 0 and at most 100, with at most two decimals`;
    }
  }
  return undefined;
}

/** The datapoints of an expression as one value. NaN in, NaN out: core judges it as Error. */
export function aggregate(how: Aggregate, values: readonly number[]): number {
  switch (how) {
    case 'sum':
      return values.reduce((a, v) => a + v, 0);
    case 'average':
      return values.reduce((a, v) => a + v, 0) / values.length;
    case 'maximum':
      return values.reduce((a, v) => (Number.isNaN(a) || Number.isNaN(v) ? Number.NaN : Math.max(a, v)));
    case 'minimum':
      return values.reduce((a, v) => (Number.isNaN(a) || Number.isNaN(v) ? Number.NaN : Math.min(a, v)));
  }
}

// ── batching ──

/**
 * The plans of one window in calls: each call at most 500 distinct structures and one Metrics Insights
 * query; a plan's structures are never split across calls.
 */
function packed(plans: readonly Plan[]): Plan[][] {
  const calls: Plan[][] = [];
  let current: Plan[] = [];
  let keys = new Set<string>();
  let insights = false;
  for (const plan of plans) {
    const fresh = (seen: Set<string>) => new Set(plan.fetches.map((f) => f.key).filter((k) => !seen.has(k)));
    const wantsInsights = plan.fetches.some((f) => f.insights && !keys.has(f.key));
    if (
      current.length > 0 &&
      (keys.size + fresh(keys).size > GET_METRIC_DATA_QUERIES || (insights && wantsInsights))
    ) {
      calls.push(current);
      current = [];
      keys = new Set();
      insights = false;
    }
    for (const key of fresh(keys)) keys.add(key);
    insights ||= plan.fetches.some((f) => f.insights);
    current.push(plan);
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

// ── small helpers ──

const isFailure = (status: string | undefined) => status === 'InternalError' || status === 'Forbidden';
const between = (s: string, max: number) => s.length >= 1 && s.length <= max;
const unique = (xs: readonly string[]) => [...new Set(xs)];
const message = (m: MessageData) => [m.Code, m.Value].filter(Boolean).join(': ');

/** An SDK error in words: its name (ThrottlingException, AccessDeniedException, …) and message. */
function describe(error: unknown): string {
  const e = error as { name?: string; message?: string };
  const name = e?.name && e.name !== 'Error' ? e.name : undefined;
  return [name, e?.message].filter(Boolean).join(': ') || String(error);
}
