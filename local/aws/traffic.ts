/**
 * Synthetic traffic: requests sent through every Lambda alias and every ALB listener by their weights,
 * served by the version or the service behind them, and fed to the alarms.
 *
 * This is what makes a bad revision trip its alarm locally, as real users would on AWS: a version at 10 %
 * of an alias gets about 10 % of the requests, and its error rate shows in the alarm's metric in
 * proportion. Rounds run on the local clock, so traffic keeps pace with compressed time; each round
 * works from the virtual time elapsed since the last, so how often rounds come changes nothing but the
 * resolution. The PRNG is seeded: the same run gives the same traffic.
 *
 * Requests are counted, not kept one by one: a round adds one bucket (requests, errors, summed latency)
 * per target and version, as CloudWatch itself keeps statistics per period rather than requests. Kept
 * one object per request, an idle local server at ×30 spent half a core making and filtering them.
 * How many requests go where, and how many fail, are still drawn from the same distributions
 * (binomial, one draw per request while a round is small).
 */
import type { LocalClock } from '../clock.ts';
import type { SimulatedCloudWatch, TrafficTotals } from './cloudwatch.ts';
import type { SimulatedEcs } from './ecs.ts';
import type { SimulatedElb } from './elbv2.ts';
import type { SimulatedLambda } from './lambda.ts';

export interface Invocation {
  at: number;
  /** The function name, or the target group ARN, the request went through. */
  target: string;
  /** The function version, or the task definition, that served it. */
  version: string;
  error: boolean;
  latencyMs: number;
}

/** The requests one round sent to one version behind one target, between `from` and `to`. */
interface Bucket extends TrafficTotals {
  from: number;
  to: number;
  version: string;
  /** The alias the requests went through (Lambda); absent behind a target group. */
  alias?: string;
  /** The typical latency of the version's profile: each request took it × U[0.5, 1.5). */
  latencyMs: number;
}

/**
 * What one round sent to one version behind one target, counted in the share of it that falls in a window
 * (requests, errors and summed latency in proportion): what the local metric reader reads.
 */
export interface Served extends TrafficTotals {
  version: string;
  alias?: string;
  /** The typical latency of the version's profile: each request took it × U[0.5, 1.5). */
  latencyMs: number;
}

/** Virtual time between two rounds. */
const ROUND_MS = 1000;
/** A round covers at most this much elapsed time: after a long pause, traffic does not arrive all at once. */
const MAX_ROUND_SECONDS = 60;
/** What the alarms may read back: the last hour, and at most this many rounds per target. */
const KEPT_MS = 3_600_000;
const KEPT_BUCKETS = 10_000;
/** Up to this many requests a draw is made per request; above, from the binomial's approximation. */
const EXACT_DRAWS = 64;

export class SyntheticTraffic {
  /** Per target (function name or target group ARN), oldest first. */
  private readonly buckets = new Map<string, Bucket[]>();
  private stopRounds: (() => void) | undefined;
  private lastTick: number;
  private readonly random: () => number;

  constructor(
    private readonly clock: LocalClock,
    private readonly services: {
      lambda: SimulatedLambda;
      ecs: SimulatedEcs;
      elb: SimulatedElb;
      cloudwatch: SimulatedCloudWatch;
    },
    seed = 42,
  ) {
    this.random = mulberry32(seed);
    this.lastTick = clock.now();
  }

  /** Sends traffic every virtual second until `stop()`, evaluating the alarms after each round. */
  start(): void {
    this.lastTick = this.clock.now();
    this.stopRounds ??= this.clock.every(ROUND_MS, () => this.tick());
  }

  stop(): void {
    this.stopRounds?.();
    this.stopRounds = undefined;
  }

  /** One round of traffic up to now, then one evaluation of every alarm. Public for deterministic tests. */
  tick(): void {
    const now = this.clock.now();
    const from = Math.max(this.lastTick, now - MAX_ROUND_SECONDS * 1000);
    this.lastTick = now;
    this.throughAliases(from, now);
    this.services.ecs.progress(now);
    this.throughListeners(from, now);
    this.forget(now);
    this.services.cloudwatch.evaluate(now, this);
  }

  /**
   * The requests to `targets` in (`fromMs`, `toMs`]. A round that straddles `fromMs` counts in
   * proportion to its overlap, as its requests were spread evenly over it.
   */
  totals(targets: readonly string[], fromMs: number, toMs: number): TrafficTotals {
    const sum: TrafficTotals = { count: 0, errors: 0, latencySum: 0 };
    for (const target of targets) {
      this.overlapping(target, fromMs, toMs, (b, share) => {
        sum.count += b.count * share;
        sum.errors += b.errors * share;
        sum.latencySum += b.latencySum * share;
      });
    }
    return sum;
  }

  /**
   * Per round and version, what `target` served in (`fromMs`, `toMs`], counted in proportion as `totals`
   * counts it, newest first: the metric reader's per-revision view.
   */
  served(target: string, fromMs: number, toMs: number): Served[] {
    const out: Served[] = [];
    this.overlapping(target, fromMs, toMs, (b, share) => {
      out.push({
        version: b.version,
        ...(b.alias !== undefined ? { alias: b.alias } : {}),
        latencyMs: b.latencyMs,
        count: b.count * share,
        errors: b.errors * share,
        latencySum: b.latencySum * share,
      });
    });
    return out;
  }

  /** The targets traffic went through (function names, target group ARNs), within the last hour. */
  targets(): string[] {
    return [...this.buckets.keys()];
  }

  /** Calls `fn` with each of `target`'s rounds that overlaps (`fromMs`, `toMs`], and the share that does. */
  private overlapping(
    target: string,
    fromMs: number,
    toMs: number,
    fn: (bucket: Bucket, share: number) => void,
  ): void {
    const list = this.buckets.get(target) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      const b = list[i] as Bucket;
      if (b.to <= fromMs) break;
      const overlap = Math.min(b.to, toMs) - Math.max(b.from, fromMs);
      // A bucket always spans time: a round with no time elapsed sends no request.
      const share = Math.max(0, overlap) / (b.to - b.from);
      if (share > 0) fn(b, share);
    }
  }

  /** The requests of rounds that ended at or after `sinceMs`, one by one, each at its round's end. */
  recent(sinceMs: number): Invocation[] {
    const out: Invocation[] = [];
    for (const [target, list] of this.buckets) {
      for (const b of list) {
        if (b.to < sinceMs) continue;
        const latencyMs = b.latencySum / b.count;
        for (let i = 0; i < b.count; i++)
          out.push({ at: b.to, target, version: b.version, error: i < b.errors, latencyMs });
      }
    }
    return out.sort((a, b) => a.at - b.at);
  }

  private throughAliases(from: number, to: number): void {
    const { lambda } = this.services;
    for (const route of lambda.routes()) {
      let left = this.requests((route.rps * (to - from)) / 1000);
      let share = 1;
      // Alias routing: each additional version by its weight, the rest to the primary version.
      const split: [string, number][] = [];
      for (const [version, weight] of Object.entries(route.weights)) {
        const n = share > 0 ? this.binomial(left, Math.min(1, weight / share)) : 0;
        split.push([version, n]);
        left -= n;
        share -= weight;
      }
      split.push([route.version, left]);
      for (const [version, n] of split) {
        const profile = lambda.versionProfile(route.functionName, version);
        if (!profile || n === 0) continue;
        this.record(
          route.functionName,
          version,
          from,
          to,
          n,
          this.binomial(n, profile.errorRate),
          profile.latencyMs,
          route.alias,
        );
      }
    }
  }

  /** A target group of an ECS service with no running task answers every request with an error. */
  private throughListeners(from: number, to: number): void {
    for (const { weights, rps } of this.services.elb.routes()) {
      let total = Object.values(weights).reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      let left = this.requests((rps * (to - from)) / 1000);
      for (const [tg, weight] of Object.entries(weights)) {
        const n = total > 0 ? this.binomial(left, Math.min(1, weight / total)) : 0;
        left -= n;
        total -= weight;
        if (n === 0) continue;
        const service = this.services.ecs.behind(tg);
        const healthy = !!service && service.runningCount > 0;
        const errors = healthy ? this.binomial(n, service.profile.errorRate) : n;
        this.record(
          tg,
          service?.taskDefinition ?? 'none',
          from,
          to,
          n,
          errors,
          service?.profile.latencyMs ?? 5,
        );
      }
    }
  }

  /** Each request takes `latencyMs` × a uniform factor in [0.5, 1.5): summed here, not drawn one by one. */
  private record(
    target: string,
    version: string,
    from: number,
    to: number,
    count: number,
    errors: number,
    latencyMs: number,
    alias?: string,
  ): void {
    let factors = 0;
    if (count <= EXACT_DRAWS) for (let i = 0; i < count; i++) factors += 0.5 + this.random();
    else factors = Math.max(0, count + Math.sqrt(count / 12) * this.gaussian());
    let list = this.buckets.get(target);
    if (!list) {
      list = [];
      this.buckets.set(target, list);
    }
    list.push({
      from,
      to,
      version,
      ...(alias !== undefined ? { alias } : {}),
      count,
      errors,
      latencySum: latencyMs * factors,
      latencyMs,
    });
  }

  /** How many requests arrive when `expected` are due: the fraction arrives with that probability. */
  private requests(expected: number): number {
    return Math.floor(expected) + (this.random() < expected % 1 ? 1 : 0);
  }

  /**
   * How many of `n` requests, each with probability `p`: one draw each up to EXACT_DRAWS requests, else
   * Poisson (few expected) or normal (many) approximations, so a long round costs no more than a short one.
   */
  private binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    if (n <= EXACT_DRAWS) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.random() < p) k++;
      return k;
    }
    const mean = n * p;
    if (mean < 10) {
      // Knuth's Poisson draw: O(mean).
      const limit = Math.exp(-mean);
      let k = 0;
      for (let product = this.random(); product > limit; product *= this.random()) k++;
      return Math.min(n, k);
    }
    const k = Math.round(mean + Math.sqrt(mean * (1 - p)) * this.gaussian());
    return Math.min(n, Math.max(0, k));
  }

  /** A standard normal draw (Box–Muller). */
  private gaussian(): number {
    const u = 1 - this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  private forget(now: number): void {
    const horizon = now - KEPT_MS;
    for (const list of this.buckets.values()) {
      let old = 0;
      while (old < list.length && (list[old] as Bucket).to < horizon) old++;
      old = Math.max(old, list.length - KEPT_BUCKETS);
      if (old > 0) list.splice(0, old);
    }
  }
}

/** A small seeded PRNG, so synthetic traffic is the same run after run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
