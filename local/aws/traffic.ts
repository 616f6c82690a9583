/**
 * Synthetic traffic: requests sent through every Lambda alias and every ALB listener by their weights,
 * served by the version or the service behind them, and fed to the alarms.
 *
 * This is what makes a bad revision trip its alarm locally, as real users would on AWS: a version at 10 %
 * of an alias gets about 10 % of the requests, and its error rate shows in the alarm's metric in
 * proportion. Rounds run on the local clock, so traffic keeps pace with compressed time; each round
 * works from the virtual time elapsed since the last, so how often rounds come changes nothing but the
 * resolution. The PRNG is seeded: the same run gives the same traffic.
 */
import type { LocalClock } from '../clock.ts';
import type { SimulatedCloudWatch } from './cloudwatch.ts';
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

/** Virtual time between two rounds. */
const ROUND_MS = 1000;
/** A round covers at most this much elapsed time: after a long pause, traffic does not arrive all at once. */
const MAX_ROUND_SECONDS = 60;
/** What the alarms may read back: the last hour, and at most this many requests. */
const KEPT_MS = 3_600_000;
const KEPT_INVOCATIONS = 50_000;

export class SyntheticTraffic {
  private invocations: Invocation[] = [];
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
    const elapsedS = Math.min(MAX_ROUND_SECONDS, (now - this.lastTick) / 1000);
    this.lastTick = now;
    this.throughAliases(now, elapsedS);
    this.forget(now);
    this.services.ecs.progress(now);
    this.throughListeners(now, elapsedS);
    this.services.cloudwatch.evaluate(now, this.invocations);
  }

  recent(sinceMs: number): Invocation[] {
    return this.invocations.filter((i) => i.at >= sinceMs);
  }

  private throughAliases(now: number, elapsedS: number): void {
    const { lambda } = this.services;
    for (const route of lambda.routes()) {
      const count = this.requests(route.rps * elapsedS);
      for (let i = 0; i < count; i++) {
        const version = this.pick(route.weights, route.version);
        const profile = lambda.versionProfile(route.functionName, version);
        if (!profile) continue;
        this.invocations.push({
          at: now - this.random() * elapsedS * 1000,
          target: route.functionName,
          version,
          error: this.random() < profile.errorRate,
          latencyMs: profile.latencyMs * (0.5 + this.random()),
        });
      }
    }
  }

  /** A target group of an ECS service with no running task answers every request with an error. */
  private throughListeners(now: number, elapsedS: number): void {
    for (const { weights, rps } of this.services.elb.routes()) {
      const total = Object.values(weights).reduce((a, b) => a + b, 0);
      if (total === 0) continue;
      const count = this.requests(rps * elapsedS);
      for (let i = 0; i < count; i++) {
        let r = this.random() * total;
        let tg = Object.keys(weights)[0] ?? '';
        for (const [arn, w] of Object.entries(weights)) {
          if (r < w) {
            tg = arn;
            break;
          }
          r -= w;
        }
        const service = this.services.ecs.behind(tg);
        const healthy = !!service && service.runningCount > 0;
        this.invocations.push({
          at: now - this.random() * elapsedS * 1000,
          target: tg,
          version: service?.taskDefinition ?? 'none',
          error: !healthy || this.random() < service.profile.errorRate,
          latencyMs: (service?.profile.latencyMs ?? 5) * (0.5 + this.random()),
        });
      }
    }
  }

  /** How many requests arrive when `expected` are due: the fraction arrives with that probability. */
  private requests(expected: number): number {
    return Math.floor(expected) + (this.random() < expected % 1 ? 1 : 0);
  }

  /** Alias routing: each additional version by its weight, the rest to the primary version. */
  private pick(weights: Readonly<Record<string, number>>, primary: string): string {
    let r = this.random();
    for (const [version, weight] of Object.entries(weights)) {
      if (r < weight) return version;
      r -= weight;
    }
    return primary;
  }

  private forget(now: number): void {
    const horizon = now - KEPT_MS;
    if (
      this.invocations.length > KEPT_INVOCATIONS ||
      (this.invocations[0]?.at !== undefined && this.invocations[0].at < horizon)
    ) {
      this.invocations = this.invocations.filter((i) => i.at >= horizon).slice(-KEPT_INVOCATIONS);
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
