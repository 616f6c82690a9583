/**
 * Canary analysis: the new revision judged by its own metrics, beside the baseline revision measured
 * over the same minutes — not by an alarm on the whole alias, where a 10 % canary with 4 % errors moves
 * the error rate by 0.4 points.
 *
 * A group declares checks (group-schema.ts); each run of a check reads two `Reading`s (the revision's and,
 * for a relative condition, the baseline's) through the `MetricReader` port and `judge` turns them into a
 * `Measurement`: Successful, Failed, Inconclusive (too few samples) or Error (the metric could not be
 * read — never taken as a pass or a fail). `decide` folds the measurements of one run into what the
 * deployment does next, counting them against each check's limits. Everything here is pure.
 *
 * When checks run (docs/analysis.md):
 * - `interval`: every `intervalSeconds` during a bake. Only a Failed past its limit acts (the bake ends,
 *   the deployment rolls back); too few samples or an unreadable metric mid-bake is recorded and waits
 *   for the end of the bake, as more samples are coming.
 * - `bake`: when a step's bake is over, before the next shift.
 * - `final`: at 100 %, before AfterAllowTraffic's hooks.
 * At `bake` and `final` every verdict counts: Successful lets the deployment go on; anything else extends
 * the bake by an interval and measures again, until that verdict's count passes its limit — then Failed
 * rolls back, and Inconclusive or Error do what `onInconclusive` / `onError` say.
 *
 * Windows grow from the step's shift to now, so a canary with little traffic gathers samples as its bake
 * (and its extensions) go on. At 100 % the baseline no longer serves traffic: it is measured over as
 * long a window just before the first shift, when it served all of it.
 */
import type { Schedule } from './planner.ts';

export const BUILTIN_METRICS = ['errorRate', 'latencyP90', 'latencyP99', 'throttles'] as const;
/**
 * `errorRate` and `throttles` are fractions (0.04 is 4 %), latencies are milliseconds. Lambda: Errors ÷
 * Invocations, Duration p90/p99, Throttles ÷ (Invocations + Throttles) by FunctionName + Resource +
 * ExecutedVersion. ECS: HTTPCode_Target_5XX_Count ÷ RequestCount and TargetResponseTime p90/p99 of the
 * revision's target group (no throttles: an ALB target group has no such count).
 */
export type BuiltinMetric = (typeof BUILTIN_METRICS)[number];

export const VERDICTS = ['Successful', 'Failed', 'Inconclusive', 'Error'] as const;
export type Verdict = (typeof VERDICTS)[number];

export const AGGREGATES = ['average', 'sum', 'maximum', 'minimum'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** A CloudWatch metric-math expression: `${revision}` is the side measured, `${baseline}` the baseline revision. */
export interface ExpressionMetric {
  expression: string;
  /** How the expression's datapoints over the window become one value. */
  aggregate: Aggregate;
  /** Local mode has no CloudWatch to evaluate the expression: it reads this built-in metric instead. */
  local: BuiltinMetric;
}

export type AnalysisMetric = BuiltinMetric | ExpressionMetric;

export type InconclusiveAction = 'rollback' | 'continue';

/** One check, as the group config resolves it (defaults filled in). */
export interface AnalysisCheck {
  name: string;
  metric: AnalysisMetric;
  /** Absolute: the revision's value must be at most this. */
  max?: number;
  /** Relative: the revision's value must be at most baseline × (1 + tolerance) + slack. */
  relative?: { tolerance: number; slack: number };
  /** Below this many samples (requests, invocations, datapoints), the run is Inconclusive. */
  minSamples: number;
  /** Seconds between runs during a bake, and of a bake extension; a whole number of minutes. */
  intervalSeconds: number;
  /** Failed runs allowed: one more rolls back. */
  failureLimit: number;
  /** Inconclusive runs at a bake's end allowed: one more does `onInconclusive`. */
  inconclusiveLimit: number;
  onInconclusive: InconclusiveAction;
  /** Runs at a bake's end that could not read the metric, allowed: one more does `onError`. */
  errorLimit: number;
  onError: InconclusiveAction;
}

/** CloudWatch dimensions that pick one revision's metrics out of a group's. */
export type Dimensions = Record<string, string>;

/**
 * What the `MetricReader` evaluates for one side of one check over a window: kind-specific (the platform
 * makes it from a built-in metric), reader-neutral (CloudWatch on AWS, synthetic traffic locally).
 */
export type MetricSpec =
  /** Σ numerator ÷ Σ denominator over the window (Sum statistic); the samples are Σ denominator. */
  | {
      type: 'ratio';
      namespace: string;
      numerator: readonly string[];
      denominator: readonly string[];
      dimensions: Dimensions;
    }
  /** The percentile of one metric over the whole window, × `scale`; the samples are its SampleCount. */
  | {
      type: 'percentile';
      namespace: string;
      metricName: string;
      percentile: number;
      scale: number;
      dimensions: Dimensions;
    }
  /** A metric-math expression (placeholders already replaced); the samples are its datapoints. */
  | { type: 'expression'; expression: string; aggregate: Aggregate; standIn: MetricSpec };

/** What the reader found: a value over `samples`, no value (no data), or why it could not read. */
export type Reading = { samples: number; value?: number } | { error: string };

export interface Window {
  /** Milliseconds since the epoch. */
  from: number;
  to: number;
}

/** One run of one check. */
export interface Measurement {
  check: string;
  verdict: Verdict;
  /** The revision's value and samples. */
  value?: number;
  samples: number;
  baseline?: { value?: number; samples: number };
  /** The value the revision was held to: the lower of `max` and the relative bound. */
  bound?: number;
  /** In words, with the numbers: what the timeline and a rollback's reason say. */
  reason: string;
}

export type RunPoint = 'interval' | 'bake' | 'final';

/** A check's runs on one deployment so far. */
export interface CheckTally {
  runs: number;
  failed: number;
  inconclusive: number;
  errors: number;
  /** The last run, when, and where. */
  last?: Measurement & { at: string; point: RunPoint; percent: number };
}

export type AnalysisTally = Record<string, CheckTally>;

export type Decision =
  /** Every check passed (or passed its inconclusive/error limit with `continue`): go on. */
  | { action: 'proceed'; notes: string[] }
  /** Measure again after `seconds` (a bake's end or the final run, below every limit). */
  | { action: 'extend'; seconds: number; notes: string[] }
  /** A run during a bake found nothing to act on: the bake goes on. */
  | { action: 'wait'; notes: string[] }
  | { action: 'rollback'; reason: string };

// ── judging one run ──

/** The name of a check's metric, as messages say it. */
export function metricName(metric: AnalysisMetric): string {
  return typeof metric === 'string' ? metric : 'expression';
}

/** A value in the metric's unit: `4.10 %`, `182 ms`, or the number. */
export function formatValue(metric: AnalysisMetric, value: number | undefined): string {
  if (value === undefined) return 'no data';
  if (metric === 'errorRate' || metric === 'throttles') return `${(value * 100).toFixed(2)} %`;
  if (metric === 'latencyP90' || metric === 'latencyP99') return `${Math.round(value)} ms`;
  return String(Number(value.toPrecision(4)));
}

const isError = (r: Reading | undefined): r is { error: string } => !!r && 'error' in r;
const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * One run: the revision's reading, and the baseline's (needed only by a relative condition).
 *
 * @example judge(errors ≤ baseline × 1.5 + 0.005, {value: 0.04, samples: 812}, {value: 0.005, samples: 7310})
 *   → Failed: "errorRate 4.00 % over 812 samples > 1.25 % (baseline 0.50 % × 1.5 + 0.50 %)"
 */
export function judge(check: AnalysisCheck, revision: Reading, baseline?: Reading): Measurement {
  const name = metricName(check.metric);
  const fmt = (v: number | undefined) => formatValue(check.metric, v);
  const base = { check: check.name };
  if (isError(revision)) {
    return { ...base, verdict: 'Error', samples: 0, reason: `${name} could not be read: ${revision.error}` };
  }
  const { samples } = revision;
  const value = revision.value;
  const measured = { ...base, samples, ...(value !== undefined ? { value } : {}) };
  if (value !== undefined && !Number.isFinite(value)) {
    return { ...measured, verdict: 'Error', reason: `${name} read as ${value}: not a number to judge` };
  }
  if (samples < check.minSamples || value === undefined) {
    return {
      ...measured,
      verdict: 'Inconclusive',
      reason:
        value === undefined
          ? `${name}: no data over ${plural(samples, 'sample')}`
          : `${name} ${fmt(value)} over ${plural(samples, 'sample')}: fewer than the ${check.minSamples} needed to judge`,
    };
  }
  if (check.max !== undefined && value > check.max) {
    return {
      ...measured,
      verdict: 'Failed',
      bound: check.max,
      reason: `${name} ${fmt(value)} over ${plural(samples, 'sample')} > ${fmt(check.max)} (max)`,
    };
  }
  if (!check.relative) {
    return {
      ...measured,
      verdict: 'Successful',
      ...(check.max !== undefined ? { bound: check.max } : {}),
      reason: `${name} ${fmt(value)} over ${plural(samples, 'sample')} ≤ ${fmt(check.max)} (max)`,
    };
  }
  if (!baseline || isError(baseline)) {
    return {
      ...measured,
      verdict: 'Error',
      reason: `${name} of the baseline could not be read: ${baseline ? baseline.error : 'no reading'}`,
    };
  }
  const baselineSeen = {
    samples: baseline.samples,
    ...(baseline.value !== undefined ? { value: baseline.value } : {}),
  };
  if (baseline.value !== undefined && !Number.isFinite(baseline.value)) {
    return {
      ...measured,
      baseline: baselineSeen,
      verdict: 'Error',
      reason: `${name} of the baseline read as ${baseline.value}: not a number to compare with`,
    };
  }
  if (baseline.samples < check.minSamples || baseline.value === undefined) {
    return {
      ...measured,
      baseline: baselineSeen,
      verdict: 'Inconclusive',
      reason: `${name} of the baseline ${fmt(baseline.value)} over ${plural(baseline.samples, 'sample')}: too few to compare with (${check.minSamples} needed)`,
    };
  }
  const { tolerance, slack } = check.relative;
  const relativeBound = baseline.value * (1 + tolerance) + slack;
  const bound = check.max === undefined ? relativeBound : Math.min(check.max, relativeBound);
  const how = `baseline ${fmt(baseline.value)} × ${1 + tolerance} + ${fmt(slack)}`;
  const verdict: Verdict = value > relativeBound ? 'Failed' : 'Successful';
  return {
    ...measured,
    baseline: baselineSeen,
    bound,
    verdict,
    reason: `${name} ${fmt(value)} over ${plural(samples, 'sample')} ${verdict === 'Failed' ? '>' : '≤'} ${fmt(relativeBound)} (${how}, over ${plural(baseline.samples, 'sample')})`,
  };
}

// ── what a run decides ──

/**
 * Counts the run's measurements into the tally and says what the deployment does next (see the module
 * comment). `at` and `percent` are recorded with each check's last run.
 */
export function decide(
  checks: readonly AnalysisCheck[],
  measurements: readonly Measurement[],
  tally: AnalysisTally,
  run: { point: RunPoint; at: string; percent: number },
): { tally: AnalysisTally; decision: Decision } {
  const next: AnalysisTally = { ...tally };
  const rollbacks: string[] = [];
  const notes: string[] = [];
  let extendSeconds: number | undefined;
  const decisive = run.point !== 'interval';
  for (const m of measurements) {
    const check = checks.find((c) => c.name === m.check);
    if (!check) continue;
    const t: CheckTally = { ...(next[m.check] ?? { runs: 0, failed: 0, inconclusive: 0, errors: 0 }) };
    t.runs += 1;
    t.last = { ...m, at: run.at, point: run.point, percent: run.percent };
    const extend = () => {
      extendSeconds = Math.min(extendSeconds ?? check.intervalSeconds, check.intervalSeconds);
    };
    if (m.verdict === 'Failed') {
      t.failed += 1;
      if (t.failed > check.failureLimit) {
        rollbacks.push(`analysis ${check.name} failed at ${run.percent} %: ${m.reason}`);
      } else if (decisive) {
        notes.push(`${check.name} failed (${t.failed} of ${check.failureLimit} allowed): measuring again`);
        extend();
      }
    } else if (m.verdict === 'Inconclusive' || m.verdict === 'Error') {
      if (decisive) {
        const inconclusive = m.verdict === 'Inconclusive';
        if (inconclusive) t.inconclusive += 1;
        else t.errors += 1;
        const count = inconclusive ? t.inconclusive : t.errors;
        const limit = inconclusive ? check.inconclusiveLimit : check.errorLimit;
        const action = inconclusive ? check.onInconclusive : check.onError;
        const what = inconclusive ? 'inconclusive' : 'unreadable';
        if (count <= limit) {
          notes.push(`${check.name} ${what} (${count} of ${limit} allowed): measuring again`);
          extend();
        } else if (action === 'rollback') {
          rollbacks.push(
            `analysis ${check.name} ${what} ${plural(count, 'time')} at a bake's end (limit ${limit}): ${m.reason}`,
          );
        } else {
          notes.push(
            `${check.name} ${what} past its limit of ${limit}: going on, as onError/onInconclusive say`,
          );
        }
      }
    }
    next[m.check] = t;
  }
  if (rollbacks.length > 0)
    return { tally: next, decision: { action: 'rollback', reason: rollbacks.join('; ') } };
  if (!decisive) return { tally: next, decision: { action: 'wait', notes } };
  if (extendSeconds !== undefined)
    return { tally: next, decision: { action: 'extend', seconds: extendSeconds, notes } };
  return { tally: next, decision: { action: 'proceed', notes } };
}

// ── when and over what ──

/**
 * The windows of a run at `now`: both sides from the step's shift; at 100 % the baseline over as long a
 * window ending at the first shift, when it served all traffic.
 */
export function windowsOf(
  deployment: { percent: number; shiftedAt?: string; firstShiftAt?: string },
  now: number,
): { revision: Window; baseline: Window } {
  const from = Date.parse(deployment.shiftedAt ?? '') || now;
  const revision = { from, to: now };
  if (deployment.percent < 100) return { revision, baseline: revision };
  const first = Date.parse(deployment.firstShiftAt ?? '') || from;
  return { revision, baseline: { from: first - (now - from), to: first } };
}

/** The checks due for an `interval` run at `now`: the interval has passed since the step's shift or the check's last run. */
export function dueChecks(
  checks: readonly AnalysisCheck[],
  tally: AnalysisTally,
  shiftedAt: string | undefined,
  now: number,
): AnalysisCheck[] {
  const shifted = Date.parse(shiftedAt ?? '');
  if (!Number.isFinite(shifted)) return [];
  return checks.filter((c) => {
    const last = Date.parse(tally[c.name]?.last?.at ?? '');
    const since = Math.max(shifted, Number.isFinite(last) ? last : shifted);
    return now - since >= c.intervalSeconds * 1000;
  });
}

/** The longest interval of the checks: the least a bake at 100 % lasts, so the final run has minutes to measure. */
export function finalBakeSeconds(checks: readonly AnalysisCheck[]): number {
  return checks.reduce((most, c) => Math.max(most, c.intervalSeconds), 0);
}

/**
 * The schedule with analysis: the last step (100 %) bakes at least `finalBakeSeconds`, so that the final
 * run measures the revision serving all traffic before AfterAllowTraffic. Unchanged without checks.
 */
export function withAnalysis(schedule: Schedule, checks: readonly AnalysisCheck[]): Schedule {
  const least = finalBakeSeconds(checks);
  const last = schedule.steps.at(-1);
  if (!last || least === 0 || last.bakeSeconds >= least) return schedule;
  const steps = [...schedule.steps.slice(0, -1), { ...last, bakeSeconds: least }];
  return { steps, totalSeconds: steps.reduce((sum, s) => sum + s.bakeSeconds, 0) };
}

/** `${name}`, as a check's expression writes a placeholder. */
const placeholder = (name: string) => `\${${name}}`;
export const REVISION_PLACEHOLDER = placeholder('revision');
export const BASELINE_PLACEHOLDER = placeholder('baseline');
/** The placeholders an expression may use. */
export const PLACEHOLDERS = [REVISION_PLACEHOLDER, BASELINE_PLACEHOLDER] as const;

/** Replaces `${revision}` and `${baseline}` in a check's expression. */
export function substitute(expression: string, values: { revision: string; baseline: string }): string {
  return expression
    .replaceAll(REVISION_PLACEHOLDER, values.revision)
    .replaceAll(BASELINE_PLACEHOLDER, values.baseline);
}
