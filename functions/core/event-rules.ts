/**
 * The EventBridge rules stepshift makes, as plain JSON: one function per kind of rule, used by the CDK
 * stack (`infra/intake.ts`, `infra/alarm-path.ts`) and by local mode's event bus, so that an event
 * starts on a laptop exactly what it starts on AWS. No CDK here: a pattern is the JSON EventBridge
 * stores, and `local/event-pattern.ts` matches events against it.
 *
 * | rule | pattern | target |
 * | --- | --- | --- |
 * | `Trigger-<group>-<i>` | one per declared trigger (S3 object created, ECR push, Deployment Requested) | Intake |
 * | `AlarmStateChange`, `AlarmStateChange-2`, … | the declared alarms entering ALARM | AlarmIntake |
 * | `ExecutionEnded` | the state machine's executions ending (SUCCEEDED, FAILED, TIMED_OUT, ABORTED) | ExecutionEnded |
 * | `ReleaseExecutionEnded` | the release state machine's executions ending without success | Release |
 *
 * The ids are the construct ids the stack has always used, so a deployed stack updates its rules in
 * place.
 */
import type { DeploymentGroup } from './group-config.ts';

/** A rule's event pattern, as EventBridge stores it (`{"source": [...], "detail-type": [...], ...}`). */
export type EventPattern = { [field: string]: unknown };

/** The function a rule invokes. */
export type RuleTarget = 'Intake' | 'AlarmIntake' | 'ExecutionEnded' | 'Release';

export interface EventRule {
  /** The construct id of the rule in the stack, and its name on the local bus. */
  id: string;
  description: string;
  target: RuleTarget;
  pattern: EventPattern;
}

/** The `source` of each event stepshift listens to. `stepshift` is also the source of its own notifications. */
export const SOURCES = {
  s3: 'aws.s3',
  ecr: 'aws.ecr',
  cloudwatch: 'aws.cloudwatch',
  states: 'aws.states',
  stepshift: 'stepshift',
} as const;

/** The `detail-type` of each event stepshift listens to, spelled as AWS sends them. */
export const DETAIL_TYPES = {
  objectCreated: 'Object Created',
  imageAction: 'ECR Image Action',
  alarmStateChange: 'CloudWatch Alarm State Change',
  executionStatusChange: 'Step Functions Execution Status Change',
  deploymentRequested: 'Deployment Requested',
} as const;

/** Execution statuses that end an execution without success: the watchdog rolls back what they leave. */
export const ENDED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** Every status that ends an execution: the watchdog starts the group's next queued deployment on each. */
export const ALL_ENDED_STATUSES = ['SUCCEEDED', ...ENDED_STATUSES] as const;

/**
 * EventBridge's default quota on the size of one event pattern, in characters (adjustable to 4096 by a
 * quota request). A pattern past it fails the deployment of the stack, so it fails synthesis instead.
 */
export const MAX_PATTERN_CHARS = 2048;

type Trigger = DeploymentGroup['triggers'][number];

/**
 * The pattern of one trigger of `group`.
 *
 * An ECR rule always filters on `image-tag`: with a tag filter by the tags, and without one by
 * `{"exists": true}`. A push without a tag (each child manifest of a multi-arch image, a push by digest
 * alone) has no `image-tag` field, and must not start a deployment.
 *
 * @example
 * triggerPattern(web, { type: 'ecrPush', repository: 'shop/web', tags: ['release-*'] })
 * → { source: ['aws.ecr'], 'detail-type': ['ECR Image Action'], detail: { 'action-type': ['PUSH'],
 *     result: ['SUCCESS'], 'repository-name': ['shop/web'], 'image-tag': [{ prefix: 'release-' }] } }
 */
export function triggerPattern(group: DeploymentGroup, trigger: Trigger): EventPattern {
  switch (trigger.type) {
    case 's3ObjectCreated':
      return {
        source: [SOURCES.s3],
        'detail-type': [DETAIL_TYPES.objectCreated],
        detail: {
          bucket: { name: [trigger.bucket] },
          ...(trigger.keyPrefix ? { object: { key: [{ prefix: trigger.keyPrefix }] } } : {}),
        },
      };
    case 'ecrPush':
      return {
        source: [SOURCES.ecr],
        'detail-type': [DETAIL_TYPES.imageAction],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': [trigger.repository],
          'image-tag': trigger.tags ? trigger.tags.map(tagFilter) : [{ exists: true }],
        },
      };
    case 'deploymentRequested':
      return {
        source: [SOURCES.stepshift],
        'detail-type': [DETAIL_TYPES.deploymentRequested],
        detail: { group: [group.name] },
      };
  }
}

/** A trigger's tag as a pattern value: a trailing `*` is a prefix (`release-*`), else the exact tag. */
function tagFilter(tag: string): string | { prefix: string } {
  return tag.endsWith('*') ? { prefix: tag.slice(0, -1) } : tag;
}

/** One rule per declared trigger, targeting Intake. The id is the trigger's position in its group. */
export function triggerRules(groups: readonly DeploymentGroup[]): EventRule[] {
  return groups.flatMap((group) =>
    group.triggers.map((trigger, i) => ({
      id: `Trigger-${group.name}-${i}`,
      description: `stepshift: ${trigger.type} starts a deployment of ${group.name}`,
      target: 'Intake' as const,
      pattern: fits(
        triggerPattern(group, trigger),
        `the ${trigger.type} trigger ${i} of group ${group.name}`,
      ),
    })),
  );
}

/** The pattern of the alarm rule for `alarmNames`: those alarms, metric or composite, entering ALARM. */
export function alarmPattern(alarmNames: readonly string[]): EventPattern {
  return {
    source: [SOURCES.cloudwatch],
    'detail-type': [DETAIL_TYPES.alarmStateChange],
    detail: { alarmName: [...alarmNames], state: { value: ['ALARM'] } },
  };
}

/**
 * The rules for every alarm the groups declare, targeting AlarmIntake: none without alarms, one while
 * the names fit in one pattern, more when they do not (each within {@link MAX_PATTERN_CHARS}).
 *
 * @example
 * alarmRules([orders (alarms orders-5xx, orders-latency), billing (billing-errors)])
 * → [{ id: 'AlarmStateChange', pattern: alarmPattern(['orders-5xx', 'orders-latency', 'billing-errors']) }]
 */
export function alarmRules(groups: readonly DeploymentGroup[]): EventRule[] {
  const names = [...new Set(groups.flatMap((g) => g.alarms))];
  const chunks: string[][] = [];
  for (const name of names) {
    const last = chunks.at(-1);
    if (last && size(alarmPattern([...last, name])) <= MAX_PATTERN_CHARS) last.push(name);
    else chunks.push([name]);
  }
  return chunks.map((chunk, i) => ({
    id: i === 0 ? 'AlarmStateChange' : `AlarmStateChange-${i + 1}`,
    description: 'stepshift: a watched alarm entering ALARM ends the bake of the deployments watching it',
    target: 'AlarmIntake' as const,
    pattern: fits(alarmPattern(chunk), `the alarm rule for ${chunk[0]}`),
  }));
}

/**
 * The watchdog's rule: an execution of `stateMachineArn` ending, however, targeting ExecutionEnded — which
 * rolls back what an end without success left, and starts the group's next queued deployment.
 */
export function executionEndedRule(stateMachineArn: string): EventRule {
  return {
    id: 'ExecutionEnded',
    description:
      'stepshift: an execution that ended outside RollBack is rolled back; the next queued deployment starts',
    target: 'ExecutionEnded',
    pattern: {
      source: [SOURCES.states],
      'detail-type': [DETAIL_TYPES.executionStatusChange],
      detail: { status: [...ALL_ENDED_STATUSES], stateMachineArn: [stateMachineArn] },
    },
  };
}

/** Every rule stepshift makes for `groups` and the state machine `stateMachineArn`. */
export function eventRules(groups: readonly DeploymentGroup[], stateMachineArn: string): EventRule[] {
  return [...triggerRules(groups), ...alarmRules(groups), executionEndedRule(stateMachineArn)];
}

function size(pattern: EventPattern): number {
  return JSON.stringify(pattern).length;
}

/** `pattern`, or a synthesis error naming `what` when it is past {@link MAX_PATTERN_CHARS}. */
export function fits(pattern: EventPattern, what: string): EventPattern {
  const chars = size(pattern);
  if (chars > MAX_PATTERN_CHARS) {
    throw new Error(
      `the event pattern of ${what} is ${chars} characters; EventBridge accepts ${MAX_PATTERN_CHARS} by default: list fewer values`,
    );
  }
  return pattern;
}

/**
 * The release watchdog's rule: an execution of the release state machine ending without success
 * (FAILED, TIMED_OUT, ABORTED), targeting the release function — which ends what that left: members
 * holding at their commit point, groups held by members that never started.
 */
export function releaseEndedRule(releaseStateMachineArn: string): EventRule {
  return {
    id: 'ReleaseExecutionEnded',
    description: 'stepshift: a release whose execution ended before it did is rolled back and ended',
    target: 'Release',
    pattern: {
      source: [SOURCES.states],
      'detail-type': [DETAIL_TYPES.executionStatusChange],
      detail: { status: [...ENDED_STATUSES], stateMachineArn: [releaseStateMachineArn] },
    },
  };
}
