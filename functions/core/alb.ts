/**
 * Weighted ALB routing between a blue and a green target group, as the listener's forward action
 * carries it: integer weights 0–999 per target group, at most 5 target groups.
 *
 * A percent maps to weights that sum to 1000, so 0.1 % steps are exact and no weight passes 999:
 * @example albWeightsFor('blue', 'green', 10) → { blue: 900, green: 100 }
 * @example albWeightsFor('blue', 'green', 100) → { blue: 0, green: 1 }   (all traffic on green)
 */
export interface AlbRouting {
  kind: 'ecs';
  /** target group ARN → weight (integer 0–999). */
  weights: Record<string, number>;
}

export const MAX_ALB_WEIGHT = 999;
export const MAX_FORWARD_TARGET_GROUPS = 5;

export function albWeightsFor(from: string, to: string, percent: number): AlbRouting {
  if (percent >= 100) return { kind: 'ecs', weights: { [from]: 0, [to]: 1 } };
  if (percent <= 0) return { kind: 'ecs', weights: { [from]: 1, [to]: 0 } };
  const toWeight = Math.round(percent * 10);
  return { kind: 'ecs', weights: { [from]: 1000 - toWeight, [to]: toWeight } };
}

/** Percent of traffic on `targetGroup` (0 when every weight is 0, which sends nothing anywhere). */
export function albPercentOn(routing: AlbRouting, targetGroup: string): number {
  const total = Object.values(routing.weights).reduce((s, w) => s + w, 0);
  if (total === 0) return 0;
  return Math.round(((routing.weights[targetGroup] ?? 0) / total) * 100_000) / 1000;
}

/** The one target group that gets all traffic, if there is one. */
export function albWholeOn(routing: AlbRouting): string | undefined {
  const live = Object.entries(routing.weights).filter(([, w]) => w > 0);
  return live.length === 1 ? live[0]?.[0] : undefined;
}

/** Same split, whatever the scale of the weights (900/100 equals 9/1). */
export function sameAlbRouting(a: AlbRouting, b: AlbRouting): boolean {
  const keys = new Set([...Object.keys(a.weights), ...Object.keys(b.weights)]);
  return [...keys].every((k) => Math.abs(albPercentOn(a, k) - albPercentOn(b, k)) < 0.001);
}

export function describeAlbRouting(routing: AlbRouting, names: Record<string, string> = {}): string {
  const name = (arn: string) => names[arn] ?? arn.split('/').slice(-2, -1)[0] ?? arn;
  return Object.keys(routing.weights)
    .map((tg) => `${albPercentOn(routing, tg)} % on ${name(tg)}`)
    .join(', ');
}

/** AWS's rules for a forward action's weights. Returns the broken rule, or undefined. */
export function albRuleBroken(routing: AlbRouting): string | undefined {
  const entries = Object.entries(routing.weights);
  if (entries.length > MAX_FORWARD_TARGET_GROUPS)
    return `a forward action has at most ${MAX_FORWARD_TARGET_GROUPS} target groups`;
  for (const [tg, w] of entries) {
    if (!Number.isInteger(w) || w < 0 || w > MAX_ALB_WEIGHT)
      return `weight ${w} of ${tg} is not an integer from 0 to ${MAX_ALB_WEIGHT}`;
  }
  if (entries.every(([, w]) => w === 0)) return 'at least one target group needs a weight above 0';
  return undefined;
}
