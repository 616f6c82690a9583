/**
 * Sets up the simulated account from the group config (what exists) and the optional local account file
 * (how it behaves): every declared Lambda function with its alias on version 1, every hook function,
 * every alarm, every ECS cluster, service pair, target group, listener and task definition. No group
 * needs code.
 *
 * Seeding runs at every start and only adds what is missing: a restart keeps the routing, versions and
 * services as they were, and a config that gained a group gets that group's resources next to the old
 * ones. Alarms are defined afresh each time (they hold no state but their evaluation).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  type DeploymentGroup,
  type EcsGroup,
  type GroupConfig,
  type LambdaGroup,
  parseGroupConfigText,
} from '../functions/core/group-config.ts';
import type { SimulatedAccount } from './account.ts';
import {
  type CompositeAlarmSpec,
  type LocalAccountFile,
  loadLocalAccountFile,
  localAccountFileSchema,
} from './account-file.ts';
import { HEALTHY, imageProfile, versionProfile } from './behaviour.ts';

export { BROKEN, HEALTHY } from './behaviour.ts';

/** Requests per virtual second through an alias or production listener nobody gave a rate. */
export const DEFAULT_RPS = 40;
/** A test listener carries a trickle: the hook's own checks. */
const TEST_LISTENER_RPS = 2;
/** A group's alarm nobody described: error rate above 2 % over 30 s, as the example's alarms. */
const DEFAULT_ALARM = {
  metric: 'ErrorRate',
  threshold: 0.02,
  periodSeconds: 30,
  evaluationPeriods: 1,
} as const;

const EMPTY_FILE: LocalAccountFile = localAccountFileSchema.parse({});

/**
 * Creates what `groups` declares and `file` describes, and is missing from the account.
 *
 * @example seedAccount(account, {groups: {checkout: lambda checkout:live, alarms [checkout-errors]}})
 * → function checkout (version 1, healthy, 40 rps), alias live → 1, alarm checkout-errors (ErrorRate > 2 % over 30 s)
 */
export function seedAccount(
  account: SimulatedAccount,
  groups: GroupConfig,
  file: LocalAccountFile = EMPTY_FILE,
): void {
  for (const group of Object.values(groups.groups)) {
    if (group.kind === 'lambda') seedLambda(account, group, file);
    else seedEcs(account, group, file);
    for (const specs of Object.values(group.hooks)) {
      // A behaviour kept from an earlier start (or set by a rehearsal) stays: the file describes the first.
      for (const { functionName } of specs) {
        if (account.hookBehaviour(functionName) === undefined)
          account.setHookBehaviour(functionName, file.hooks[functionName] ?? 'succeed');
      }
    }
  }
  seedAlarms(account, groups, file);
}

function seedLambda(account: SimulatedAccount, group: LambdaGroup, file: LocalAccountFile): void {
  const spec = file.groups[group.name];
  const { functionName, alias } = group.target;
  if (!account.lambda.hasFunction(functionName)) {
    account.createFunction(functionName, spec?.live ? versionProfile(spec.live) : HEALTHY, {
      alias,
      rps: spec?.rps ?? DEFAULT_RPS,
    });
    for (const v of spec?.versions ?? []) account.publishVersion(functionName, versionProfile(v));
  } else {
    account.lambda.ensureAlias(functionName, alias);
  }
}

/** The services, listeners and task definition of an ECS group; images not described are healthy. */
function seedEcs(account: SimulatedAccount, group: EcsGroup, file: LocalAccountFile): void {
  const spec = file.groups[group.name];
  const t = group.target;
  const image = spec?.liveImage ?? `${group.name}:initial`;
  const live = spec?.live ? imageProfile(spec.live) : HEALTHY;
  if (!account.ecs.images().some(([i]) => i === image)) account.defineImage(image, live);
  for (const [name, behaviour] of Object.entries(spec?.images ?? {})) {
    if (!account.ecs.images().some(([i]) => i === name)) account.defineImage(name, imageProfile(behaviour));
  }
  const missing = [t.blueService, t.greenService].filter((s) => !account.ecs.hasService(t.cluster, s));
  if (missing.length > 0) {
    const taskDefinition = account.registerTaskDefinition(group.name, [
      { name: t.container ?? group.name, image },
    ]);
    if (missing.includes(t.blueService))
      account.createService(
        t.cluster,
        t.blueService,
        taskDefinition,
        spec?.desiredCount ?? 3,
        t.blueTargetGroup,
      );
    if (missing.includes(t.greenService))
      account.createService(t.cluster, t.greenService, taskDefinition, 0, t.greenTargetGroup);
  }
  const production = t.listener ?? t.listenerRule;
  if (production && !account.elb.hasListener(production))
    account.createListener(production, { [t.blueTargetGroup]: 1 }, spec?.rps ?? DEFAULT_RPS);
  if (t.testListener && !account.elb.hasListener(t.testListener))
    account.createListener(t.testListener, { [t.blueTargetGroup]: 1 }, TEST_LISTENER_RPS);
}

/** What an alarm of `group` watches: its function, or both target groups of an ECS group (roles swap). */
function alarmTarget(group: DeploymentGroup): string | string[] {
  return group.kind === 'lambda'
    ? group.target.functionName
    : [group.target.blueTargetGroup, group.target.greenTargetGroup];
}

function seedAlarms(account: SimulatedAccount, groups: GroupConfig, file: LocalAccountFile): void {
  const targets = new Map<string, string | string[]>();
  for (const group of Object.values(groups.groups)) {
    for (const alarm of group.alarms) if (!targets.has(alarm)) targets.set(alarm, alarmTarget(group));
  }
  const composites: [string, CompositeAlarmSpec][] = [];
  for (const name of new Set([...targets.keys(), ...Object.keys(file.alarms)])) {
    const spec = file.alarms[name] ?? DEFAULT_ALARM;
    if (!('metric' in spec)) {
      composites.push([name, spec]);
      continue;
    }
    account.defineAlarm({ name, target: targets.get(name) ?? [], ...spec });
  }
  for (const [name, spec] of composites) {
    account.defineCompositeAlarm({
      name,
      rule: spec.anyOf ? 'anyOf' : 'allOf',
      children: spec.anyOf ?? spec.allOf ?? [],
    });
  }
}

const repoFile = (name: string) => fileURLToPath(new URL(`../${name}`, import.meta.url));

/** The example's account file, shipped next to stepshift.config.json. */
export const EXAMPLE_ACCOUNT_FILE = repoFile('stepshift.local.json');
const EXAMPLE_CONFIG_FILE = repoFile('stepshift.config.json');

/**
 * The example groups of stepshift.config.json with the behaviours of stepshift.local.json (the smoke
 * test that asks to be called back once, the latency alarm…), as `npm start` seeds them.
 *
 * @param _options kept for callers written before seeding became idempotent: it adds only what is missing.
 */
export function seedExampleAccount(
  account: SimulatedAccount,
  _options: { withFunctions?: boolean } = {},
): void {
  const groups = parseGroupConfigText(readFileSync(EXAMPLE_CONFIG_FILE, 'utf8'), EXAMPLE_CONFIG_FILE);
  seedAccount(
    account,
    groups,
    existsSync(EXAMPLE_ACCOUNT_FILE) ? loadLocalAccountFile(EXAMPLE_ACCOUNT_FILE, groups) : EMPTY_FILE,
  );
}
