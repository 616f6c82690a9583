/**
 * Weighted Lambda alias routing, as `UpdateAlias` carries it: the alias's version, and at most one
 * additional version with a weight in [0, 1]. Percent of traffic on a version is the weight × 100.
 *
 * @example lambdaRoutingFor({version: '4'}, '5', 10) → version 4, {5: 0.1}
 */
export interface LambdaRouting {
  kind: 'lambda';
  version: string;
  /** version → weight in [0, 1]; empty when all traffic goes to `version`. */
  additionalVersionWeights: Record<string, number>;
}

/** AWS allows one additional version per alias. */
export const MAX_ADDITIONAL_VERSIONS = 1;

/**
 * The alias routing that puts `percent` of traffic on `revision` and the rest on the original version.
 * At 100 the alias points at `revision` alone, with no routing config, as CodeDeploy leaves it.
 *
 * @example lambdaRoutingFor({version: '4'}, '5', 10) → version 4, {5: 0.1}
 */
export function lambdaRoutingFor(original: LambdaRouting, revision: string, percent: number): LambdaRouting {
  if (percent >= 100) return { kind: 'lambda', version: revision, additionalVersionWeights: {} };
  if (percent <= 0) return { kind: 'lambda', version: original.version, additionalVersionWeights: {} };
  return {
    kind: 'lambda',
    version: original.version,
    additionalVersionWeights: { [revision]: Math.round(percent * 1000) / 100_000 },
  };
}

/** Percent of traffic the alias routing sends to `revision`. */
export function percentOn(routing: LambdaRouting, revision: string): number {
  const extra = Object.values(routing.additionalVersionWeights).reduce((s, w) => s + w, 0);
  if (routing.version === revision) return Math.round((1 - extra) * 100_000) / 1000;
  return Math.round((routing.additionalVersionWeights[revision] ?? 0) * 100_000) / 1000;
}

/** Same split: weights of 0 count as absent. */
export function sameAliasRouting(a: LambdaRouting, b: LambdaRouting): boolean {
  const aw = Object.entries(a.additionalVersionWeights).filter(([, w]) => w > 0);
  const bw = Object.entries(b.additionalVersionWeights).filter(([, w]) => w > 0);
  return (
    a.version === b.version &&
    aw.length === bw.length &&
    aw.every(([v, w]) => Math.abs((b.additionalVersionWeights[v] ?? 0) - w) < 1e-9)
  );
}

/** The version that gets all traffic, if one does. */
export function aliasWholeOn(routing: LambdaRouting): string | undefined {
  return Object.values(routing.additionalVersionWeights).every((w) => w === 0) ? routing.version : undefined;
}

export function describeAliasRouting(routing: LambdaRouting): string {
  const extra = Object.entries(routing.additionalVersionWeights).filter(([, w]) => w > 0);
  if (extra.length === 0) return `100 % on version ${routing.version}`;
  const rest = 1 - extra.reduce((s, [, w]) => s + w, 0);
  return [
    `${round(rest * 100)} % on version ${routing.version}`,
    ...extra.map(([v, w]) => `${round(w * 100)} % on version ${v}`),
  ].join(', ');
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The rules UpdateAlias enforces. Returns the broken rule, or undefined. */
export function aliasRuleBroken(routing: LambdaRouting): string | undefined {
  const entries = Object.entries(routing.additionalVersionWeights);
  if (entries.length > MAX_ADDITIONAL_VERSIONS) {
    return `an alias routes to at most ${MAX_ADDITIONAL_VERSIONS} additional version`;
  }
  for (const [version, weight] of entries) {
    if (!(weight >= 0 && weight <= 1)) return `weight ${weight} of version ${version} is outside [0, 1]`;
    if (version === routing.version) {
      return `version ${version} cannot be both the alias's version and its additional version`;
    }
  }
  return undefined;
}
