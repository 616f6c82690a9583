/**
 * The platforms, one row per kind of deployment group: the one place that looks a group's kind up.
 */
import type { DeploymentGroup } from '../core/group-config.ts';
import { ecsPlatform, ecsWords } from './ecs.ts';
import { lambdaPlatform, lambdaWords } from './lambda.ts';
import type { Platform, PlatformFactory, PlatformPorts, PlatformWords } from './platform.ts';

export type { BlueGreen, Journal, Platform, PlatformPorts, Preflight } from './platform.ts';

type Kind = DeploymentGroup['kind'];

const PLATFORMS: { [K in Kind]: PlatformFactory<Extract<DeploymentGroup, { kind: K }>> } = {
  lambda: lambdaPlatform,
  ecs: ecsPlatform,
};

/** The platform of `group`, reaching the world through `ports`. Cheap: build one per call. */
export function platformOf(ports: PlatformPorts, group: DeploymentGroup): Platform {
  return (PLATFORMS[group.kind] as PlatformFactory<DeploymentGroup>)(ports, group);
}

const WORDS: Record<Kind, PlatformWords> = { lambda: lambdaWords, ecs: ecsWords };

/** The words of a kind, where only a deployment record is at hand (printing one). */
export function wordsOf(kind: Kind): PlatformWords {
  return WORDS[kind];
}
