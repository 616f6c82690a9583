/**
 * The IAM contract of stepshift's functions: every AWS call each function makes while it deploys
 * (./scenario.ts) is allowed by the role the stack gives that function, as a real IAM policy evaluator
 * decides it; calls on what the config does not declare are denied; and what is granted on `*` is
 * granted only to the functions that make the call.
 */
import type { CfnElement } from 'aws-cdk-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FnName } from '../../infra/functions.ts';
import { DLQ, RELEASE_MACHINE, restoreMocks, STATE_MACHINE } from '../handlers/aws-context.ts';
import { synth } from '../infra/synth.ts';
import { IAM_OF, type IamRequest, iamRequests } from './actions.ts';
import { ACCOUNT, ARNS, contractConfig, REGION } from './config.ts';
import { commandsInSource } from './inventory.ts';
import { functionPolicies, type PolicyDocument } from './policies.ts';
import { OTHER_HANDLERS, runScenario, type Scenario, TASK_HANDLERS } from './scenario.ts';
import { decide } from './simulate.ts';

const FUNCTIONS = [...Object.keys(TASK_HANDLERS), ...Object.keys(OTHER_HANDLERS)] as FnName[];
const ECS_ONLY: FnName[] = ['Install', 'CheckSteady', 'TestTraffic', 'ScaleDownOld'];

let scenario: Scenario;
let built: ReturnType<typeof synth>;
let policies: Record<FnName, PolicyDocument>;
const roleOf = (fn: FnName) => `arn:aws:iam::${ACCOUNT}:role/stepshift-${fn}`;

beforeAll(async () => {
  scenario = await runScenario();
  built = synth(undefined, contractConfig, { cfnValidation: false });
  const { stepshift, stack } = built;
  const id = (element: unknown) => stack.getLogicalId(element as CfnElement);
  policies = functionPolicies(stack, built.template, stepshift.functions, {
    // The physical names the handler context uses, so that the ARNs the calls name are the stack's.
    [id(stepshift.table.node.defaultChild)]: 'stepshift',
    [id(stepshift.deadLetterQueue.node.defaultChild)]: DLQ.split('/').pop() ?? '',
    [id(stepshift.stateMachine.node.defaultChild)]: STATE_MACHINE.split(':').pop() ?? '',
    [id(stepshift.releaseMachine.node.defaultChild)]: RELEASE_MACHINE.split(':').pop() ?? '',
  });
}, 300_000);
afterAll(async () => scenario?.close());
afterAll(restoreMocks);

/** The distinct IAM requests of the calls `fn` made. */
function requestsOf(fn: FnName): IamRequest[] {
  const seen = new Map<string, IamRequest>();
  for (const call of scenario.recorder.calls.filter((c) => c.fn === fn)) {
    for (const request of iamRequests(call)) seen.set(JSON.stringify(request), request);
  }
  return [...seen.values()];
}

/** `fn`'s requests that its role does not allow, each with the decision. */
async function refused(fn: FnName, requests: IamRequest[]): Promise<string[]> {
  const out: string[] = [];
  for (const request of requests) {
    const decision = await decide(roleOf(fn), policies[fn], request);
    if (decision !== 'Allowed') out.push(`${request.action} on ${request.resource}: ${decision}`);
  }
  return out;
}

describe('the recorded calls', () => {
  it('include every SDK command the code under functions/ constructs', async () => {
    // Prepare
    const inSource = await commandsInSource();
    const recorded = new Set(scenario.recorder.calls.map((c) => c.command));

    // Act
    const missing = inSource.filter((c) => !recorded.has(c.command)).map((c) => `${c.command} (${c.file})`);

    // Assess: a command added to an adapter fails here until a story makes it.
    expect(missing).toEqual([]);
    expect(inSource.length).toBeGreaterThan(20);
  });

  it('map to IAM by one row of the table per command, with no row for a command the code does not send', async () => {
    // Prepare
    const inSource = new Set((await commandsInSource()).map((c) => c.command));

    // Act
    const rows = new Set(Object.keys(IAM_OF));

    // Assess
    expect([...rows].sort()).toEqual([...inSource].sort());
  });

  it('come from every function, on a Lambda group and on an ECS group', () => {
    // Prepare
    const ran = (kind: string) =>
      new Set(scenario.recorder.runs.filter((r) => r.kind === kind).map((r) => r.fn));

    // Act, Assess: the ECS-only tasks need not run for a Lambda group.
    expect(FUNCTIONS.filter((fn) => !ECS_ONLY.includes(fn) && !ran('lambda').has(fn))).toEqual([]);
    expect(FUNCTIONS.filter((fn) => !ran('ecs').has(fn))).toEqual([]);
  });

  it('are each labelled with the function that runs that handler in the stack', () => {
    // Prepare, Act
    const handlers = Object.fromEntries(
      FUNCTIONS.map((fn) => [
        fn,
        built.stack.resolve(
          (built.stepshift.functions[fn]?.node.defaultChild as unknown as { handler?: string } | undefined)
            ?.handler,
        ),
      ]),
    );

    // Assess
    expect(handlers).toEqual({
      ...Object.fromEntries(Object.entries(TASK_HANDLERS).map(([fn, key]) => [fn, `index.${key}Handler`])),
      ...Object.fromEntries(
        Object.entries(OTHER_HANDLERS).map(([fn, handler]) => [fn, `index.${handler.split('.')[1]}`]),
      ),
    });
  });

  it('come from deployments that ended as the workflow would end them', () => {
    // Prepare, Act: the stories ran in beforeAll.
    // Assess
    expect(scenario.outcomes).toEqual({
      lambdaSucceeded: 'SUCCEEDED',
      lambdaAnalyzedSucceeded: 'SUCCEEDED',
      lambdaRolledBackByAnalysis: 'ROLLED_BACK',
      lambdaRolledBackByAlarm: 'ROLLED_BACK',
      lambdaStopped: 'STOPPED',
      lambdaRolledBackFromApi: 'ROLLED_BACK',
      lambdaRolledBackByWatchdog: 'ROLLED_BACK',
      lambdaQueuedCancelled: 'CANCELLED',
      lambdaQueuedStartedByWatchdog: 'CREATED',
      lambdaQueuedRolledBackByWatchdog: 'ROLLED_BACK',
      lambdaRejected: 'ROLLED_BACK',
      lambdaSuperseded: 'ROLLED_BACK',
      lambdaSupersedingRolledBackByWatchdog: 'ROLLED_BACK',
      ecsImageSucceeded: 'SUCCEEDED',
      ecsListenerStopped: 'STOPPED',
      ecsListenerRolledBackFromApi: 'ROLLED_BACK',
      ecsRolledBackByAlarm: 'ROLLED_BACK',
      ecsListenerRolledBackByWatchdog: 'ROLLED_BACK',
      ecsRuleStopped: 'STOPPED',
      ecsRuleRolledBackFromApi: 'ROLLED_BACK',
      ecsRuleRolledBackByWatchdog: 'ROLLED_BACK',
      ecsRuleSucceeded: 'SUCCEEDED',
      releaseSucceeded: 'SUCCEEDED',
      releaseOfOneSucceeded: 'SUCCEEDED',
      releaseRolledBack: 'ROLLED_BACK',
      releaseRolledBackByWatchdog: 'ROLLED_BACK',
      releaseMemberCancelled: 'CANCELLED',
      releaseFailedAfterCommit: 'FAILED',
      releaseStopped: 'ROLLED_BACK',
      releaseStoppedBeforeItsWave: 'ROLLED_BACK',
      releaseStoppedBeforeItsWaveMember: 'CANCELLED',
      releaseAbortedEnded: 'ROLLED_BACK',
      releaseAbortedMemberCancelled: 'CANCELLED',
    });
    expect(scenario.account.weights(ARNS.checkoutRule)).toEqual({
      [ARNS.checkoutBlue]: 0,
      [ARNS.checkoutGreen]: 1,
    });
  });

  it('register an image revision from a base that names a task role and an execution role', () => {
    // Prepare
    const registered = scenario.recorder.calls.find((c) => c.command === 'RegisterTaskDefinitionCommand');

    // Act
    const passed = iamRequests(registered ?? { command: '', input: {} }).filter(
      (r) => r.action === 'iam:PassRole',
    );

    // Assess
    expect(registered).toMatchObject({
      fn: 'Install',
      input: { taskRoleArn: ARNS.webTaskRole, executionRoleArn: ARNS.webExecutionRole },
    });
    expect(passed).toEqual([
      {
        action: 'iam:PassRole',
        resource: ARNS.webTaskRole,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
      {
        action: 'iam:PassRole',
        resource: ARNS.webExecutionRole,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
    ]);
  });
});

describe('each function’s role', () => {
  it('lets the execution watchdog start the next queued deployment, of this state machine only', async () => {
    // Prepare: story D2 queued one behind a running one, whose end the watchdog handled.
    const starts = requestsOf('ExecutionEnded').filter((r) => r.action === 'states:StartExecution');

    // Act
    const denied = await refused('ExecutionEnded', starts);

    // Assess
    expect(starts).toEqual([{ action: 'states:StartExecution', resource: STATE_MACHINE }]);
    expect(denied).toEqual([]);
  });

  it.each(FUNCTIONS)('allows every call the %s function made', async (fn) => {
    // Prepare
    const requests = requestsOf(fn);

    // Act
    const denied = await refused(fn, requests);

    // Assess
    expect(requests.length).toBeGreaterThan(0);
    expect(denied).toEqual([]);
  });

  const elb = (resource: string) => `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:${resource}`;
  const lambda = (resource: string) => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${resource}`;
  const ecsService = (resource: string) => `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${resource}`;
  const undeclared: [string, FnName[], IamRequest][] = [
    [
      'another alias of a declared function',
      ['ShiftTraffic', 'RollBack', 'Api'],
      { action: 'lambda:UpdateAlias', resource: lambda('orders:canary') },
    ],
    [
      'an alias of an undeclared function',
      ['ShiftTraffic', 'Finalize', 'ExecutionEnded'],
      { action: 'lambda:UpdateAlias', resource: lambda('billing:live') },
    ],
    [
      'the alias read of an undeclared function',
      ['Prepare', 'Api', 'ApiStart', 'ApiReleases', 'Intake'],
      { action: 'lambda:GetAlias', resource: lambda('billing:live') },
    ],
    [
      'an undeclared function as a hook',
      ['RunHooks'],
      { action: 'lambda:InvokeFunction', resource: lambda('billing') },
    ],
    [
      'the deployed function as a hook',
      ['RunHooks'],
      { action: 'lambda:InvokeFunction', resource: lambda('orders') },
    ],
    [
      'new code for an undeclared function',
      ['Intake'],
      { action: 'lambda:UpdateFunctionCode', resource: lambda('billing') },
    ],
    [
      'an object outside the declared prefix',
      ['Intake'],
      { action: 's3:GetObject', resource: 'arn:aws:s3:::artifacts/billing/build.zip' },
    ],
    [
      'an undeclared listener',
      ['ShiftTraffic', 'TestTraffic', 'RollBack', 'Api'],
      {
        action: 'elasticloadbalancing:ModifyListener',
        resource: elb('listener/app/shop/50dc6c495c0c9188/9999999999999999'),
      },
    ],
    [
      'an undeclared listener rule',
      ['ShiftTraffic', 'Finalize', 'Api'],
      {
        action: 'elasticloadbalancing:ModifyRule',
        resource: elb('listener-rule/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2/9999999999999999'),
      },
    ],
    [
      'an undeclared service',
      ['Install', 'ScaleDownOld', 'RollBack', 'Api'],
      { action: 'ecs:UpdateService', resource: ecsService('shop/orders-worker') },
    ],
    [
      'a declared service name in another cluster',
      ['Install', 'Api'],
      { action: 'ecs:UpdateService', resource: ecsService('payments/web-blue') },
    ],
    [
      'an undeclared role',
      ['Install'],
      {
        action: 'iam:PassRole',
        resource: `arn:aws:iam::${ACCOUNT}:role/admin`,
        context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' },
      },
    ],
    [
      'a declared role to another service',
      ['Install'],
      {
        action: 'iam:PassRole',
        resource: ARNS.webTaskRole,
        context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
      },
    ],
    [
      'tags on an existing service',
      ['Install'],
      { action: 'ecs:TagResource', resource: ecsService('shop/web-blue') },
    ],
    [
      'an undeclared state machine',
      ['ApiStart', 'ApiReleases', 'Intake', 'ExecutionEnded', 'Release'],
      { action: 'states:StartExecution', resource: `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:other` },
    ],
    [
      'the history of another state machine’s execution',
      ['Api'],
      {
        action: 'states:GetExecutionHistory',
        resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:other:d-1`,
      },
    ],
    [
      'the status of another state machine’s execution',
      ['Api'],
      {
        action: 'states:DescribeExecution',
        resource: `arn:aws:states:${REGION}:${ACCOUNT}:execution:other:d-1`,
      },
    ],
  ];
  it.each(undeclared)('denies %s', async (_what, fns, request) => {
    // Prepare: `fns` hold the action on what the config declares.
    // Act
    const decisions = await Promise.all(fns.map((fn) => decide(roleOf(fn), policies[fn], request)));

    // Assess
    expect(Object.fromEntries(fns.map((fn, i) => [fn, decisions[i]]))).toEqual(
      Object.fromEntries(fns.map((fn) => [fn, 'ImplicitlyDenied'])),
    );
  });

  it('grants an action on `*` only to the functions that make the call', () => {
    // Prepare
    const wildcard = new Map<string, Set<FnName>>();
    for (const fn of FUNCTIONS) {
      for (const statement of policies[fn].Statement) {
        if (![statement.Resource].flat().includes('*')) continue;
        for (const action of [statement.Action].flat() as string[]) {
          // Tracing: CDK's, for the Lambda service to write segments, not a call of stepshift's code.
          if (action.startsWith('xray:')) continue;
          wildcard.set(action, (wildcard.get(action) ?? new Set()).add(fn));
        }
      }
    }

    // Act
    const callers = new Map<string, Set<FnName>>();
    for (const call of scenario.recorder.calls) {
      for (const request of iamRequests(call)) {
        if (!wildcard.has(request.action)) continue;
        callers.set(request.action, (callers.get(request.action) ?? new Set()).add(call.fn));
      }
    }
    const sorted = (m: Map<string, Set<FnName>>) =>
      Object.fromEntries([...m].map(([action, fns]) => [action, [...fns].sort()]).sort());

    // Assess
    expect(sorted(wildcard)).toEqual(sorted(callers));
    expect(wildcard.size).toBeGreaterThan(0);
  });
});
