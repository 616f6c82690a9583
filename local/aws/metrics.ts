/**
 * The local `MetricReader`: what canary analysis reads on AWS from CloudWatch (GetMetricData), read here
 * from the synthetic traffic — per revision, as CloudWatch's Lambda `ExecutedVersion` and ALB per-target-group
 * metrics give it.
 *
 * - `ratio`: Σ numerator ÷ Σ denominator over the window, the samples Σ denominator. AWS/Lambda `Errors`,
 *   `Invocations` and `Throttles` (local Lambda never throttles: always 0) by FunctionName + Resource +
 *   ExecutedVersion; AWS/ApplicationELB `HTTPCode_Target_5XX_Count` and `RequestCount` by TargetGroup
 *   (`targetgroup/<name>/<id>`, mapped back to the local target group's ARN).
 * - `percentile`: the pN of the latency distribution the window's requests were drawn from — each request
 *   of a version takes its profile's `latencyMs` × U[0.5, 1.5), so one profile gives exactly
 *   `latencyMs × (0.5 + N/100)`, and several (two versions behind one target group) a mixture weighted by
 *   their requests — in the metric's CloudWatch unit (Lambda `Duration` in ms, ALB `TargetResponseTime` in
 *   seconds), × `scale`. The samples are the requests. Exact for the model, not a sample of draws: the
 *   figures are the same run after run, and tests can hold them to the digit.
 * - `expression`: local mode has no CloudWatch to evaluate metric math; it reads the check's `local`
 *   built-in metric (`spec.standIn`) for the same side instead, and says so in docs/local-mode.md.
 *
 * Windows are (from, to] in virtual ms; a traffic round that straddles a bound counts in proportion
 * (`SyntheticTraffic.totals`). Samples are rounded to whole requests, values are not. No request in the
 * window reads as `{samples: 0}` with no value, as CloudWatch returns no datapoint. A dimension or metric
 * the simulated account has no counterpart for reads as `{error}`, never as no data: a typo in a check
 * must not pass as a quiet revision.
 */
import type { MetricSpec, Reading, Window } from '../../functions/core/analysis.ts';
import type { MetricQuery, MetricReader } from '../../functions/ports.ts';
import type { ControlPlane } from './control-plane.ts';
import type { Served, SyntheticTraffic } from './traffic.ts';

/** What a read failed with when a rehearsal or a test made it fail without saying why. */
const THROTTLED = 'ThrottlingException: Rate exceeded (GetMetricData)';

/** The local counterpart of each CloudWatch metric analysis reads, by namespace. */
const MEASURES: Record<string, Record<string, (s: Served) => number>> = {
  'AWS/Lambda': {
    Errors: (s) => s.errors,
    Invocations: (s) => s.count,
    Throttles: () => 0,
  },
  'AWS/ApplicationELB': {
    HTTPCode_Target_5XX_Count: (s) => s.errors,
    RequestCount: (s) => s.count,
  },
};

/** Latency metrics, and how many of their CloudWatch unit one millisecond is. */
const LATENCIES: Record<string, Record<string, number>> = {
  'AWS/Lambda': { Duration: 1 },
  'AWS/ApplicationELB': { TargetResponseTime: 1 / 1000 },
};

/** The dimensions each namespace is read by locally; any other is refused. */
const DIMENSIONS: Record<string, readonly string[]> = {
  'AWS/Lambda': ['FunctionName', 'Resource', 'ExecutedVersion'],
  'AWS/ApplicationELB': ['LoadBalancer', 'TargetGroup'],
};

export class LocalMetrics implements MetricReader {
  private failing: number | 'always' = 0;
  private failure = THROTTLED;

  constructor(
    private readonly traffic: Pick<SyntheticTraffic, 'served' | 'targets'>,
    private readonly control?: ControlPlane,
  ) {}

  /**
   * Makes the next `times` reads (or every read, or none: 0) answer `{error: message}` for each of their
   * queries, as a GetMetricData call that failed whole does — for rehearsing what `onError` does.
   */
  failReads(times: number | 'always', message = THROTTLED): void {
    this.failing = times === 'always' ? times : Math.max(0, Math.floor(times));
    this.failure = message;
  }

  async read(queries: readonly MetricQuery[]): Promise<Record<string, Reading>> {
    this.control?.record('GetMetricData', {
      queries: queries.map((q) => ({ id: q.id, window: q.window })),
    });
    if (this.failing === 'always' || this.failing > 0) {
      if (this.failing !== 'always') this.failing -= 1;
      return Object.fromEntries(queries.map((q) => [q.id, { error: this.failure }]));
    }
    return Object.fromEntries(queries.map((q) => [q.id, this.reading(q.spec, q.window)]));
  }

  /** One spec over one window. */
  reading(spec: MetricSpec, window: Window): Reading {
    if (spec.type === 'expression') return this.reading(spec.standIn, window);
    const picked = this.pick(spec.namespace, spec.dimensions, window);
    if ('error' in picked) return picked;
    const served = picked.served;
    if (spec.type === 'ratio') {
      const measures = MEASURES[spec.namespace] ?? {};
      const unknown = [...spec.numerator, ...spec.denominator].find((m) => !Object.hasOwn(measures, m));
      if (unknown) return { error: `local mode does not simulate ${spec.namespace} ${unknown}` };
      const sum = (names: readonly string[]) =>
        served.reduce((total, s) => total + names.reduce((t, m) => t + (measures[m] as Measure)(s), 0), 0);
      const denominator = sum(spec.denominator);
      if (!(denominator > 0)) return { samples: 0 };
      return { samples: Math.round(denominator), value: sum(spec.numerator) / denominator };
    }
    const unit = LATENCIES[spec.namespace]?.[spec.metricName];
    if (unit === undefined)
      return { error: `local mode does not simulate ${spec.namespace} ${spec.metricName}` };
    const requests = served.reduce((total, s) => total + s.count, 0);
    const ms = uniformMixturePercentile(
      served.map((s) => ({ weight: s.count, latencyMs: s.latencyMs })),
      spec.percentile,
    );
    if (!(requests > 0) || ms === undefined) return { samples: 0 };
    return { samples: Math.round(requests), value: ms * unit * spec.scale };
  }

  /** The traffic a namespace's dimensions pick out, or why they cannot be read locally. */
  private pick(
    namespace: string,
    dimensions: Record<string, string>,
    window: Window,
  ): { served: Served[] } | { error: string } {
    const allowed = DIMENSIONS[namespace];
    if (!allowed) {
      return {
        error: `local mode has no ${namespace} metrics: only AWS/Lambda and AWS/ApplicationELB, from its synthetic traffic`,
      };
    }
    const extra = Object.keys(dimensions).find((d) => !allowed.includes(d));
    if (extra)
      return { error: `local mode cannot read ${namespace} by ${extra} (only ${allowed.join(', ')})` };
    const served = (targets: string[], keep: (s: Served) => boolean = () => true) => ({
      served: targets.flatMap((t) => this.traffic.served(t, window.from, window.to)).filter(keep),
    });
    if (namespace === 'AWS/Lambda') {
      const name = dimensions.FunctionName;
      if (!name) return { error: 'local mode reads AWS/Lambda metrics by FunctionName: none was given' };
      const targets = this.traffic.targets().filter((t) => lambdaName(t) === name);
      // Resource `name:alias` is what went through that alias; a bare name, the whole function.
      const resource = dimensions.Resource;
      const qualifier =
        resource === undefined || resource === name
          ? undefined
          : resource.startsWith(`${name}:`)
            ? resource.slice(name.length + 1)
            : null;
      if (qualifier === null) return { error: `Resource ${resource} is not a resource of function ${name}` };
      const version = dimensions.ExecutedVersion;
      return served(
        targets,
        (s) =>
          (qualifier === undefined || s.alias === qualifier) &&
          (version === undefined || s.version === version),
      );
    }
    // An ALB target group, named by the resource part of its ARN; each local one sits behind one load
    // balancer, so the target group alone picks out its requests.
    const group = dimensions.TargetGroup;
    if (!group)
      return { error: 'local mode reads AWS/ApplicationELB metrics by TargetGroup: none was given' };
    return served(this.traffic.targets().filter((t) => arnResource(t) === group));
  }
}

type Measure = (s: Served) => number;

/** A function's name, from its name or ARN (`arn:aws:lambda:…:function:name[:qualifier]`). */
function lambdaName(nameOrArn: string): string {
  const tail = nameOrArn.split(':function:').pop() ?? nameOrArn;
  return tail.split(':')[0] ?? tail;
}

/** An ARN's resource part (`targetgroup/web-blue/0000000000000001`); empty for a plain name. */
function arnResource(arn: string): string {
  return arn.startsWith('arn:') ? arn.split(':').slice(5).join(':') : '';
}

/**
 * The pN of a mixture of uniform distributions, each on [0.5 × latencyMs, 1.5 × latencyMs) and weighted by
 * its requests: where the mixture's CDF, piecewise linear between the parts' bounds, reaches N %.
 * Undefined when nothing weighs.
 *
 * @example uniformMixturePercentile([{weight: 1, latencyMs: 80}], 99) → 119.2 (40 + 0.99 × 80)
 * @example uniformMixturePercentile([{weight: 9, latencyMs: 40}, {weight: 1, latencyMs: 400}], 99)
 *   → 560: the slow part holds the last 10 %, and its 90th percentile is 200 + 0.9 × 400
 */
export function uniformMixturePercentile(
  parts: readonly { weight: number; latencyMs: number }[],
  percentile: number,
): number | undefined {
  const weighed = parts.filter((p) => p.weight > 0 && p.latencyMs >= 0);
  const total = weighed.reduce((sum, p) => sum + p.weight, 0);
  if (!(total > 0)) return undefined;
  const q = Math.min(1, Math.max(0, percentile / 100));
  const cdf = (x: number) =>
    weighed.reduce((sum, p) => {
      const low = p.latencyMs / 2;
      const span = p.latencyMs;
      const share = span > 0 ? Math.min(1, Math.max(0, (x - low) / span)) : x >= low ? 1 : 0;
      return sum + p.weight * share;
    }, 0) / total;
  const bounds = [...new Set(weighed.flatMap((p) => [p.latencyMs / 2, (p.latencyMs * 3) / 2]))].sort(
    (a, b) => a - b,
  );
  let previous = bounds[0] as number;
  let below = cdf(previous);
  if (q <= below) return previous;
  for (const bound of bounds.slice(1)) {
    const at = cdf(bound);
    // Between two bounds the CDF is linear: the percentile is where the line reaches q.
    if (at >= q)
      return at === below ? previous : previous + ((q - below) / (at - below)) * (bound - previous);
    previous = bound;
    below = at;
  }
  return previous;
}
