/**
 * The declared groups as everything after validation uses them: resolved (`parseGroupConfig` in
 * group-config.ts), with the vocabulary their fields are made of and the questions the tasks and the API
 * ask of them. No schema lives here, so that the Lambda bundles, which receive the config validated and
 * resolved at synth (functions/handlers/context.ts), carry none: a module that builds zod schemas at its
 * top level is kept whole by esbuild once anything of it is imported.
 */
import type * as z from 'zod/mini';
import { type AnalysisCheck, finalBakeSeconds, withAnalysis } from './analysis.ts';
import type { ResolvedConfig } from './configs.ts';
import type { EcsGroupSchema, LambdaGroupSchema } from './group-schema.ts';
import { type WorstCase, worstCase } from './limits.ts';
import { approvalOf, plan } from './planner.ts';

export const LAMBDA_HOOK_EVENTS = ['BeforeAllowTraffic', 'AfterAllowTraffic'] as const;
export const ECS_HOOK_EVENTS = [
  'BeforeInstall',
  'AfterInstall',
  'AfterAllowTestTraffic',
  'BeforeAllowTraffic',
  'AfterAllowTraffic',
] as const;
export type LambdaHookEvent = (typeof LAMBDA_HOOK_EVENTS)[number];
export type EcsHookEvent = (typeof ECS_HOOK_EVENTS)[number];
export type HookEvent = EcsHookEvent;

/** CodeDeploy's names for what triggers an automatic rollback. */
export const ROLLBACK_EVENTS = [
  'DEPLOYMENT_FAILURE',
  'DEPLOYMENT_STOP_ON_ALARM',
  'DEPLOYMENT_STOP_ON_REQUEST',
] as const;
export type RollbackEvent = (typeof ROLLBACK_EVENTS)[number];

/** When a group asks a person to approve, before traffic moves (issue 14). */
export const APPROVAL_POINTS = ['beforeFirstShift', 'beforeFull'] as const;
export type ApprovalPoint = (typeof APPROVAL_POINTS)[number];

/** What a start does when the group already has an active deployment. */
export const ON_BUSY = ['reject', 'queue', 'supersede'] as const;
export type OnBusy = (typeof ON_BUSY)[number];

/** The events a notification can be sent for, as CodeDeploy's triggers name theirs. */
export const NOTIFICATION_EVENTS = [
  'started',
  'succeeded',
  'failed',
  'rolledBack',
  'stopped',
  'approvalPending',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

type ParsedLambdaGroup = z.output<LambdaGroupSchema>;
type ParsedEcsGroup = z.output<EcsGroupSchema>;

export interface HookSpec {
  functionName: string;
  timeoutSeconds: number;
}

interface GroupBase {
  name: string;
  description?: string;
  deploymentConfig: ResolvedConfig;
  allowedConfigs?: ResolvedConfig[];
  alarms: string[];
  autoRollback: { enabled: boolean; events: RollbackEvent[] };
  hooks: Partial<Record<HookEvent, HookSpec[]>>;
  /** Canary analysis checks, defaults filled in; empty when the group has none. */
  analysis: AnalysisCheck[];
  /** Where a person approves; absent: nobody is asked. */
  approval?: ApprovalPoint;
  onBusy: OnBusy;
  maxQueued: number;
  notifications: { events: NotificationEvent[]; sns?: string; webhook?: string }[];
}
export interface LambdaGroup extends GroupBase {
  kind: 'lambda';
  target: ParsedLambdaGroup['target'];
  triggers: ParsedLambdaGroup['triggers'];
}
export interface EcsGroup extends GroupBase {
  kind: 'ecs';
  target: ParsedEcsGroup['target'];
  triggers: ParsedEcsGroup['triggers'];
}
export type DeploymentGroup = LambdaGroup | EcsGroup;

export interface GroupConfig {
  groups: Record<string, DeploymentGroup>;
}

type Trigger = DeploymentGroup['triggers'][number];
type GroupOfKind<K extends DeploymentGroup['kind']> = Extract<DeploymentGroup, { kind: K }>;
/** The groups whose schema allows a trigger of type `T`. */
type GroupWith<T extends Trigger['type']> = {
  [K in DeploymentGroup['kind']]: T extends GroupOfKind<K>['triggers'][number]['type']
    ? GroupOfKind<K>
    : never;
}[DeploymentGroup['kind']];

/**
 * Each declared trigger of one type with its group, typed by the kinds whose schema allows that trigger
 * (an `s3ObjectCreated` trigger belongs to a Lambda group, an `ecrPush` to an ECS group).
 */
export function triggersOfType<T extends Trigger['type']>(
  config: GroupConfig,
  type: T,
): { group: GroupWith<T>; trigger: Extract<Trigger, { type: T }> }[] {
  return Object.values(config.groups).flatMap((group) =>
    (group.triggers as Trigger[])
      .filter((t): t is Extract<Trigger, { type: T }> => t.type === type)
      .map((trigger) => ({ group: group as GroupWith<T>, trigger })),
  );
}

const HOOK_EVENTS: Record<DeploymentGroup['kind'], readonly HookEvent[]> = {
  lambda: LAMBDA_HOOK_EVENTS,
  ecs: ECS_HOOK_EVENTS,
};

/** The lifecycle events of a kind of group, in the order the workflow runs them. */
export function hookEventsOf(kind: DeploymentGroup['kind']): readonly HookEvent[] {
  return HOOK_EVENTS[kind];
}

/** The group's worst case with `config`: every hook at its timeout, every bake, every wait. */
export function worstCaseOf(group: DeploymentGroup, config: ResolvedConfig): WorstCase {
  const hookTimeouts: Record<string, number> = {};
  for (const [event, specs] of Object.entries(group.hooks)) {
    if (specs && specs.length > 0) hookTimeouts[event] = Math.max(...specs.map((h) => h.timeoutSeconds));
  }
  const target = group.target as Partial<{ steadyTimeoutMinutes: number; terminationWaitMinutes: number }>;
  // Every analysis verdict short of its limit extends a bake once: the most extensions the limits allow.
  const extensions = group.analysis.reduce(
    (n, c) => n + c.failureLimit + c.inconclusiveLimit + c.errorLimit,
    0,
  );
  return worstCase({
    schedule: withAnalysis(plan(config.config, approvalOf(group)), group.analysis),
    extensions: { count: extensions, seconds: finalBakeSeconds(group.analysis) },
    hookTimeouts,
    hookEvents: HOOK_EVENTS[group.kind],
    ...(target.steadyTimeoutMinutes !== undefined
      ? {
          blueGreen: {
            steadyTimeoutSeconds: target.steadyTimeoutMinutes * 60,
            terminationWaitSeconds: (target.terminationWaitMinutes ?? 0) * 60,
          },
        }
      : {}),
  });
}

/**
 * The resolved config as the Lambda functions receive it: the JSON of what `parseGroupConfig` returned,
 * made at synth (infra/functions.ts), and read back by `groupConfigFromJson` as it is. Every value of a
 * `GroupConfig` is one that JSON keeps (strings, numbers, booleans, arrays, plain objects, no undefined:
 * test/core/groups.test.ts), so the functions get exactly what the construct validated, and validate
 * nothing again: they carry no schema.
 */
export function groupConfigToJson(config: GroupConfig): string {
  return JSON.stringify(config);
}

/** The resolved config from the text `groupConfigToJson` made. */
export function groupConfigFromJson(text: string): GroupConfig {
  return JSON.parse(text) as GroupConfig;
}
