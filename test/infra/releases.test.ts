/**
 * Releases in the stack (infra/releases.ts): a second Standard state machine from
 * statemachines/release.asl.json whose one function it may invoke, the right of the API's release routes
 * (ApiReleases) to start it, the release function's to start deployments only, and the watchdog rule on
 * its ends. cdk-nag stays clean (the synthesis would throw otherwise).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { FnName } from '../../infra/functions.ts';
import { synth } from './synth.ts';

let built: ReturnType<typeof synth>;
beforeAll(() => {
  built = synth(undefined, undefined, { cfnValidation: false });
}, 120_000);

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties, read field by field in assertions
type Props = Record<string, any>;
const resources = (type: string) =>
  Object.entries(built.template.findResources(type)) as [string, { Properties: Props }][];
const id = (element: unknown) => built.stack.getLogicalId(element as never);
const fnId = (fn: FnName) => id(built.stepshift.functions[fn]?.node.defaultChild);
const roleId = (fn: FnName) =>
  built.stack.resolve(
    (built.stepshift.functions[fn]?.role?.node.defaultChild as unknown as { logicalId?: string } | undefined)
      ?.logicalId,
  );
const releaseMachine = () => id(built.stepshift.releaseMachine.node.defaultChild);
const deploymentMachine = () => id(built.stepshift.stateMachine.node.defaultChild);

/** Every statement of `fn`'s role's policies. */
const statementsOf = (fn: FnName) =>
  resources('AWS::IAM::Policy')
    .filter(([, p]) => p.Properties.Roles.some((r: Props) => r.Ref === roleId(fn)))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Props[]);

describe('releases in the stack', () => {
  it('runs the release workflow as a Standard state machine whose tasks all name the release function', () => {
    const [, machine] =
      resources('AWS::StepFunctions::StateMachine').find(([logical]) => logical === releaseMachine()) ?? [];
    expect(machine?.Properties.StateMachineType).toBe('STANDARD');
    expect(machine?.Properties.TracingConfiguration).toEqual({ Enabled: true });
    expect(machine?.Properties.DefinitionSubstitutions).toEqual({
      Partition: { Ref: 'AWS::Partition' },
      ReleaseFunctionArn: { 'Fn::GetAtt': [fnId('Release'), 'Arn'] },
    });
    const invokes = resources('AWS::IAM::Policy')
      .filter(([, p]) =>
        p.Properties.Roles.some((r: Props) => String(r.Ref).startsWith('StepShiftReleaseRole')),
      )
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Props[])
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));
    expect(invokes.flatMap((s) => [s.Resource].flat())).toEqual([
      { 'Fn::GetAtt': [fnId('Release'), 'Arn'] },
      { 'Fn::Join': ['', [{ 'Fn::GetAtt': [fnId('Release'), 'Arn'] }, ':*']] },
    ]);
  });

  it('lets the release function start deployments and signal task tokens, and nothing of other state machines', () => {
    const statements = statementsOf('Release');
    const starts = statements.filter((s) => [s.Action].flat().includes('states:StartExecution'));
    expect(starts.map((s) => s.Resource)).toEqual([{ Ref: deploymentMachine() }]);
    const actions = new Set(statements.flatMap((s) => [s.Action].flat()));
    expect(actions.has('states:SendTaskSuccess')).toBe(true);
    expect(actions.has('states:SendTaskFailure')).toBe(true);
    expect(
      [...actions].filter(
        (a) => a.startsWith('lambda:') || a.startsWith('ecs:') || a.startsWith('elasticloadbalancing:'),
      ),
    ).toEqual([]);
  });

  it('lets the API’s release routes start releases, and tells them the release state machine', () => {
    const starts = (fn: FnName) =>
      statementsOf(fn)
        .filter((s) => [s.Action].flat().includes('states:StartExecution'))
        .map((s) => s.Resource);
    expect(starts('ApiReleases')).toEqual([{ Ref: releaseMachine() }]);
    expect(starts('ApiStart')).toEqual([{ Ref: deploymentMachine() }]);
    expect(starts('Api')).toEqual([]);
    const [, api] =
      resources('AWS::Lambda::Function').find(([logical]) => logical === fnId('ApiReleases')) ?? [];
    expect(api?.Properties.Environment.Variables.STEPSHIFT_RELEASE_STATE_MACHINE_ARN).toEqual({
      Ref: releaseMachine(),
    });
  });

  it('sends an execution of the release state machine that ended without success to the release function, with its dead letters', () => {
    const [, rule] =
      resources('AWS::Events::Rule').find(([, r]) =>
        JSON.stringify(r.Properties.EventPattern).includes(releaseMachine()),
      ) ?? [];
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: releaseMachine() }] },
    });
    expect(rule?.Properties.Targets[0]).toMatchObject({
      Arn: { 'Fn::GetAtt': [fnId('Release'), 'Arn'] },
      DeadLetterConfig: { Arn: expect.anything() },
      RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 3600 },
    });
  });

  it('serves the release routes behind IAM auth', () => {
    const paths = resources('AWS::ApiGateway::Resource').map(([, r]) => r.Properties.PathPart);
    expect(paths).toEqual(expect.arrayContaining(['releases']));
    const methods = resources('AWS::ApiGateway::Method').map(([, m]) => m.Properties);
    for (const m of methods) expect(m.AuthorizationType).toBe('AWS_IAM');
  });
});
