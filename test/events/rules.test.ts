/**
 * The one function that builds the rule patterns (functions/core/event-rules.ts): what each trigger
 * listens to, that intake accepts exactly what its rule delivers, and that the patterns stay within
 * EventBridge's size quota.
 */
import { describe, expect, it } from 'vitest';
import { tagMatches } from '../../functions/api/intake.ts';
import {
  alarmRules,
  eventRules,
  MAX_PATTERN_CHARS,
  triggerPattern,
  triggerRules,
} from '../../functions/core/event-rules.ts';
import { type DeploymentGroup, type EcsGroup, parseGroupConfig } from '../../functions/core/group-config.ts';
import { matchesEventPattern } from '../../local/event-pattern.ts';
import { ecrImagePush } from './aws-samples.ts';
import { config } from './stack.ts';

const lambdaGroup = (name: string, alarms: string[]) =>
  Object.values(
    parseGroupConfig({
      groups: {
        [name]: {
          kind: 'lambda',
          target: { functionName: name, alias: 'live' },
          deploymentConfig: 'LambdaAllAtOnce',
          alarms,
        },
      },
    }).groups,
  )[0] as DeploymentGroup;

describe('the trigger rules', () => {
  it('filters an ECR push on the presence of image-tag when the trigger lists no tags', () => {
    // Act
    const [rule] = triggerRules([config.groups.web as DeploymentGroup]);
    // Assess
    expect(rule).toEqual({
      id: 'Trigger-web-0',
      description: 'stepshift: ecrPush starts a deployment of web',
      target: 'Intake',
      pattern: {
        source: ['aws.ecr'],
        'detail-type': ['ECR Image Action'],
        detail: {
          'action-type': ['PUSH'],
          result: ['SUCCESS'],
          'repository-name': ['my-repository-name'],
          'image-tag': [{ exists: true }],
        },
      },
    });
  });

  const web = config.groups.web as DeploymentGroup;
  const filters = [undefined, ['latest'], ['release-*', 'stable'], ['*']];
  const tags = [undefined, 'latest', 'release-2026.11', 'stable', 'stable-2', 'release'];
  const cases = filters.flatMap((f) => tags.map((t) => [f, t] as const));
  it.each(cases)('accepts in intake exactly what the rule delivers (filter %j, tag %j)', (filter, tag) => {
    // Prepare
    const pattern = triggerPattern(web, {
      type: 'ecrPush',
      repository: 'my-repository-name',
      ...(filter ? { tags: filter } : {}),
    });
    const { 'image-tag': _sample, ...untagged } = ecrImagePush.detail;
    const event = {
      ...ecrImagePush,
      detail: tag === undefined ? untagged : { ...untagged, 'image-tag': tag },
    };
    // Act
    const delivered = matchesEventPattern(pattern, event);
    const accepted = tagMatches(filter, tag);
    // Assess
    expect(accepted).toBe(delivered);
  });

  it('refuses to synthesize a trigger whose pattern EventBridge would refuse for its size', () => {
    // Prepare
    const tagsTooMany = Array.from({ length: 40 }, (_, i) => `release-candidate-number-${i}-of-many-*`);
    // Act
    const group: EcsGroup = {
      ...(web as EcsGroup),
      triggers: [{ type: 'ecrPush', repository: 'r', tags: tagsTooMany }],
    };
    const build = () => triggerRules([group]);
    // Assess
    expect(build).toThrow(
      /the event pattern of the ecrPush trigger 0 of group web is \d+ characters; EventBridge accepts 2048/,
    );
  });
});

describe('the alarm rules', () => {
  it('watches every declared alarm once, in one rule while they fit', () => {
    // Prepare
    const groups = [
      lambdaGroup('orders', ['orders-5xx', 'shared']),
      lambdaGroup('billing', ['shared', 'billing-errors']),
    ];
    // Act
    const rules = alarmRules(groups);
    // Assess
    expect(rules).toEqual([
      expect.objectContaining({
        id: 'AlarmStateChange',
        target: 'AlarmIntake',
        pattern: {
          source: ['aws.cloudwatch'],
          'detail-type': ['CloudWatch Alarm State Change'],
          detail: { alarmName: ['orders-5xx', 'shared', 'billing-errors'], state: { value: ['ALARM'] } },
        },
      }),
    ]);
  });

  it('splits the alarms over more rules when one pattern would pass the 2048-character quota', () => {
    // Prepare
    const names = Array.from(
      { length: 30 },
      (_, i) =>
        `payments-${String(i).padStart(2, '0')}-p99-latency-over-the-budget-of-the-checkout-path-for-on-call`,
    );
    // At most 10 alarms a group: three groups of ten.
    const groups = [0, 1, 2].map((g) => lambdaGroup(`payments-${g}`, names.slice(g * 10, g * 10 + 10)));
    // Act
    const rules = alarmRules(groups);
    // Assess
    expect(rules.map((r) => r.id)).toEqual(['AlarmStateChange', 'AlarmStateChange-2']);
    for (const rule of rules)
      expect(JSON.stringify(rule.pattern).length).toBeLessThanOrEqual(MAX_PATTERN_CHARS);
    const watched = rules.flatMap((r) => (r.pattern.detail as { alarmName: string[] }).alarmName);
    expect(watched).toEqual(names);
  });

  it('makes no alarm rule when no group declares an alarm', () => {
    // Act
    const rules = alarmRules([lambdaGroup('quiet', [])]);
    // Assess
    expect(rules).toEqual([]);
  });
});

describe('every rule', () => {
  it('lists the triggers, the alarms and the watchdog of a config, by their stack ids', () => {
    // Act
    const rules = eventRules(
      Object.values(config.groups),
      'arn:aws:states:us-west-2:123456789012:stateMachine:x',
    );
    // Assess
    expect(rules.map((r) => [r.id, r.target])).toEqual([
      ['Trigger-orders-0', 'Intake'],
      ['Trigger-orders-1', 'Intake'],
      ['Trigger-web-0', 'Intake'],
      ['AlarmStateChange', 'AlarmIntake'],
      ['ExecutionEnded', 'ExecutionEnded'],
    ]);
    expect(rules.at(-1)?.pattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: ['arn:aws:states:us-west-2:123456789012:stateMachine:x'],
      },
    });
  });
});
