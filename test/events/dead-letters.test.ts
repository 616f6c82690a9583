/**
 * Where an event goes when it cannot be used, in the synthesized stack. EventBridge invokes Intake,
 * AlarmIntake and ExecutionEnded asynchronously: a rule target's dead-letter queue catches only events
 * EventBridge could not hand to Lambda; an event whose function throws is retried by Lambda and then
 * needs the function's own on-failure destination, or it is lost (issue 9, defect 5).
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RuleTarget } from '../../functions/core/event-rules.ts';
import { synthEvents } from './stack.ts';

let built: ReturnType<typeof synthEvents>;
beforeAll(() => {
  built = synthEvents();
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties, read field by field in assertions
type Props = Record<string, any>;
const QUEUES: Record<RuleTarget, string> = {
  Intake: 'IntakeDeadLetters',
  AlarmIntake: 'AlarmIntakeDeadLetters',
  ExecutionEnded: 'ExecutionEndedDeadLetters',
  Release: 'ReleaseExecutionEndedDeadLetters',
};
const logicalId = (prefix: string, type: string) => {
  const ids = Object.keys(built.template.findResources(type)).filter((id) =>
    id.startsWith(`StepShift${prefix}`),
  );
  expect(ids, `${type} ${prefix}`).toHaveLength(1);
  return ids[0] as string;
};
const queueArn = (target: RuleTarget) => ({
  'Fn::GetAtt': [logicalId(QUEUES[target], 'AWS::SQS::Queue'), 'Arn'],
});
const fnId = (target: RuleTarget) => logicalId(`${target}Function`, 'AWS::Lambda::Function');

describe('the dead letters of the event path', () => {
  it.each(['Intake', 'AlarmIntake', 'ExecutionEnded'] as const)(
    'sends what %s fails to handle after Lambda’s two retries to its own dead-letter queue',
    (target) => {
      // Assess
      built.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId(target) },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: target === 'AlarmIntake' ? 600 : 3600,
        DestinationConfig: { OnFailure: { Destination: queueArn(target) } },
      });
    },
  );

  it.each(['Intake', 'AlarmIntake', 'ExecutionEnded'] as const)(
    'sends what EventBridge cannot deliver to %s to the same queue',
    (target) => {
      // Act
      const rules = built.rules.filter((rule) => rule.targets.includes(target));
      // Assess
      expect(rules.length).toBeGreaterThan(0);
      for (const rule of rules) {
        expect(rule.targetProperties).toEqual([
          expect.objectContaining({
            DeadLetterConfig: { Arn: queueArn(target) },
            RetryPolicy: expect.objectContaining({ MaximumRetryAttempts: expect.any(Number) }),
          }),
        ]);
      }
    },
  );

  it('keeps every message 14 days, encrypted, and refuses requests without TLS', () => {
    // Act
    const queues = built.template.findResources('AWS::SQS::Queue');
    const policies = Object.values(built.template.findResources('AWS::SQS::QueuePolicy')) as {
      Properties: Props;
    }[];
    // Assess
    expect(Object.keys(queues).sort()).toEqual(
      Object.values(QUEUES)
        .map((name) => logicalId(name, 'AWS::SQS::Queue'))
        .sort(),
    );
    for (const [id, queue] of Object.entries(queues)) {
      expect(queue.Properties, id).toMatchObject({
        MessageRetentionPeriod: 1_209_600,
        SqsManagedSseEnabled: true,
      });
      const policy = policies.find((p) => p.Properties.Queues.some((q: Props) => q.Ref === id));
      expect(policy?.Properties.PolicyDocument.Statement, id).toContainEqual(
        expect.objectContaining({
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        }),
      );
    }
  });

  it('lets EventBridge send to each queue only from the rules that target its function', () => {
    // Act
    const policies = Object.values(built.template.findResources('AWS::SQS::QueuePolicy')) as {
      Properties: Props;
    }[];
    // Assess
    for (const target of ['Intake', 'AlarmIntake', 'ExecutionEnded'] as const) {
      const queue = logicalId(QUEUES[target], 'AWS::SQS::Queue');
      const policy = policies.find((p) => p.Properties.Queues.some((q: Props) => q.Ref === queue));
      const fromEvents = ((policy?.Properties.PolicyDocument.Statement ?? []) as Props[]).filter(
        (s) => s.Principal?.Service === 'events.amazonaws.com',
      );
      const rules = built.rules.filter((rule) => rule.targets.includes(target)).map((r) => r.logicalId);
      expect(fromEvents.map((s) => s.Condition.ArnEquals['aws:SourceArn']['Fn::GetAtt'][0]).sort()).toEqual(
        rules.sort(),
      );
      for (const statement of fromEvents) expect(statement.Action).toBe('sqs:SendMessage');
    }
  });

  it('lets each function send to its own dead-letter queue and to no other', () => {
    // Act
    const policies = Object.values(built.template.findResources('AWS::IAM::Policy')) as {
      Properties: Props;
    }[];
    const sends = (target: RuleTarget) => {
      const role =
        built.template.findResources('AWS::Lambda::Function')[fnId(target)]?.Properties.Role['Fn::GetAtt'][0];
      return policies
        .filter((p) => p.Properties.Roles.some((r: Props) => r.Ref === role))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Props[])
        .filter((s) => [s.Action].flat().some((a: string) => a.startsWith('sqs:')))
        .map((s) => s.Resource);
    };
    // Assess
    for (const target of ['Intake', 'AlarmIntake', 'ExecutionEnded'] as const) {
      expect(sends(target), target).toEqual([queueArn(target)]);
    }
  });

  it('tells Intake its queue, for the events it drops with a reason', () => {
    // Assess
    built.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.intakeHandler',
      Environment: {
        Variables: Match.objectLike({
          STEPSHIFT_DLQ_URL: { Ref: logicalId('IntakeDeadLetters', 'AWS::SQS::Queue') },
        }),
      },
    });
  });
});
