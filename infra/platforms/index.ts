/**
 * The platforms of the stack, one per kind of group, in one table keyed by kind: the stack looks a
 * group's platform up here instead of branching on its kind, and the table's type makes a new kind of
 * group in the config a compile error here until its platform exists.
 */
import type { DeploymentGroup, GroupConfig } from '../../functions/core/group-config.ts';
import { ecsPlatform } from './ecs.ts';
import { lambdaPlatform } from './lambda.ts';
import type { InfraPlatform } from './platform.ts';

export type Kind = DeploymentGroup['kind'];
export type GroupOfKind<K extends Kind> = Extract<DeploymentGroup, { kind: K }>;

export const PLATFORMS: { [K in Kind]: InfraPlatform<GroupOfKind<K>> } = {
  lambda: lambdaPlatform,
  ecs: ecsPlatform,
};

const KINDS = Object.keys(PLATFORMS) as Kind[];

/** The groups of `config` of one kind, in the config's order. */
export function groupsOfKind<K extends Kind>(config: GroupConfig, kind: K): GroupOfKind<K>[] {
  return Object.values(config.groups).filter((g): g is GroupOfKind<K> => g.kind === kind);
}

/**
 * Calls `visit` once per platform, in the table's order, with the groups of `config` of its kind
 * (none, for a kind the config does not use).
 *
 * @example eachPlatform(config, (platform, groups) => platform.grant(groups, context))
 */
export function eachPlatform(
  config: GroupConfig,
  visit: <G extends DeploymentGroup>(platform: InfraPlatform<G>, groups: G[]) => void,
): void {
  // Generic in the kind, so that each platform meets the groups of its own kind and TypeScript knows it.
  const visitKind = <K extends Kind>(kind: K) => visit(PLATFORMS[kind], groupsOfKind(config, kind));
  for (const kind of KINDS) visitKind(kind);
}
