import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidToken,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeCursor,
  encodeCursor,
  StepFunctionsExecutionHistory,
} from '../../functions/aws/execution-history.ts';
import { ValidationError } from '../../functions/core/errors.ts';

const sfn = mockClient(SFNClient);
// The stub is on the client's prototype, which the next test file in this worker shares (isolate: false).
afterAll(() => sfn.restore());
beforeEach(() => sfn.reset());

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:stepshift-deployment';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:stepshift-deployment:d-1';
const FN = (name: string) => `arn:aws:lambda:eu-west-1:123456789012:function:stepshift-${name}`;
const T0 = Date.parse('2026-01-01T12:00:00.000Z');
const t = (ms: number) => new Date(T0 + ms);
const iso = (ms: number) => t(ms).toISOString();

/**
 * A history as GetExecutionHistory returns it with includeExecutionData false, in the shape of AWS's
 * recorded answers (API_HistoryEvent; a Lambda task's LambdaFunctionScheduled/Started/Failed, then
 * TaskStateExited when a Catch moves on): a canary deployment whose ShiftTraffic failed once (Transient,
 * retried), whose bake an alarm ended through SendTaskFailure (TaskFailed, caught into RollBack), and
 * that ended in DeploymentRolledBack.
 */
const lambdaTask = (
  id: number,
  state: string,
  ms: number,
  outcome: 'succeeded' | { error: string; cause: string },
): HistoryEvent[] => [
  {
    id,
    previousEventId: id - 1,
    timestamp: t(ms),
    type: 'TaskStateEntered',
    stateEnteredEventDetails: { name: state, inputDetails: { truncated: false } },
  },
  {
    id: id + 1,
    previousEventId: id,
    timestamp: t(ms + 5),
    type: 'LambdaFunctionScheduled',
    lambdaFunctionScheduledEventDetails: { resource: FN(state), timeoutInSeconds: 120 },
  },
  { id: id + 2, previousEventId: id + 1, timestamp: t(ms + 10), type: 'LambdaFunctionStarted' },
  outcome === 'succeeded'
    ? {
        id: id + 3,
        previousEventId: id + 2,
        timestamp: t(ms + 50),
        type: 'LambdaFunctionSucceeded',
        lambdaFunctionSucceededEventDetails: {},
      }
    : {
        id: id + 3,
        previousEventId: id + 2,
        timestamp: t(ms + 50),
        type: 'LambdaFunctionFailed',
        lambdaFunctionFailedEventDetails: outcome,
      },
];
const exited = (id: number, state: string, ms: number): HistoryEvent => ({
  id,
  previousEventId: id - 1,
  timestamp: t(ms),
  type: 'TaskStateExited',
  stateExitedEventDetails: { name: state, outputDetails: { truncated: false } },
});
const transient = {
  error: 'Transient',
  cause: '{"errorType":"Transient","errorMessage":"UpdateAlias: ThrottlingException: Rate exceeded"}',
};
const SAMPLE: HistoryEvent[] = [
  {
    id: 1,
    previousEventId: 0,
    timestamp: t(0),
    type: 'ExecutionStarted',
    executionStartedEventDetails: {
      inputDetails: { truncated: false },
      roleArn: 'arn:aws:iam::123456789012:role/stepshift-StateMachineRole',
    },
  },
  ...lambdaTask(2, 'Prepare', 100, 'succeeded'),
  exited(6, 'Prepare', 200),
  {
    id: 7,
    previousEventId: 6,
    timestamp: t(210),
    type: 'ChoiceStateEntered',
    stateEnteredEventDetails: { name: 'ChooseKind' },
  },
  {
    id: 8,
    previousEventId: 7,
    timestamp: t(211),
    type: 'ChoiceStateExited',
    stateExitedEventDetails: { name: 'ChooseKind' },
  },
  {
    id: 9,
    previousEventId: 8,
    timestamp: t(220),
    type: 'PassStateEntered',
    stateEnteredEventDetails: { name: 'FirstStep' },
  },
  {
    id: 10,
    previousEventId: 9,
    timestamp: t(221),
    type: 'PassStateExited',
    stateExitedEventDetails: { name: 'FirstStep' },
  },
  ...lambdaTask(11, 'ShiftTraffic', 300, transient),
  // The Retry: the function scheduled again, in the same state.
  {
    id: 15,
    previousEventId: 14,
    timestamp: t(1400),
    type: 'LambdaFunctionScheduled',
    lambdaFunctionScheduledEventDetails: { resource: FN('ShiftTraffic'), timeoutInSeconds: 120 },
  },
  { id: 16, previousEventId: 15, timestamp: t(1405), type: 'LambdaFunctionStarted' },
  {
    id: 17,
    previousEventId: 16,
    timestamp: t(1500),
    type: 'LambdaFunctionSucceeded',
    lambdaFunctionSucceededEventDetails: {},
  },
  exited(18, 'ShiftTraffic', 1510),
  {
    id: 19,
    previousEventId: 18,
    timestamp: t(1600),
    type: 'TaskStateEntered',
    stateEnteredEventDetails: { name: 'Bake' },
  },
  {
    id: 20,
    previousEventId: 19,
    timestamp: t(1605),
    type: 'TaskScheduled',
    taskScheduledEventDetails: {
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      region: 'eu-west-1',
      parameters: '{"FunctionName":"stepshift-Bake"}',
      timeoutInSeconds: 86400,
    },
  },
  {
    id: 21,
    previousEventId: 20,
    timestamp: t(1610),
    type: 'TaskStarted',
    taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' },
  },
  {
    id: 22,
    previousEventId: 21,
    timestamp: t(1700),
    type: 'TaskSubmitted',
    taskSubmittedEventDetails: { resourceType: 'lambda', resource: 'invoke.waitForTaskToken' },
  },
  {
    id: 23,
    previousEventId: 22,
    timestamp: t(90_000),
    type: 'TaskFailed',
    taskFailedEventDetails: {
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'AlarmFired',
      cause: 'alarm orders-errors entered ALARM',
    },
  },
  exited(24, 'Bake', 90_010),
  ...lambdaTask(25, 'RollBack', 90_100, 'succeeded'),
  exited(29, 'RollBack', 91_000),
  {
    id: 30,
    previousEventId: 29,
    timestamp: t(91_010),
    type: 'ChoiceStateEntered',
    stateEnteredEventDetails: { name: 'HowItEnded' },
  },
  {
    id: 31,
    previousEventId: 30,
    timestamp: t(91_011),
    type: 'ChoiceStateExited',
    stateExitedEventDetails: { name: 'HowItEnded' },
  },
  {
    id: 32,
    previousEventId: 31,
    timestamp: t(91_020),
    type: 'FailStateEntered',
    stateEnteredEventDetails: { name: 'DeploymentRolledBack' },
  },
  {
    id: 33,
    previousEventId: 32,
    timestamp: t(91_021),
    type: 'ExecutionFailed',
    executionFailedEventDetails: {
      error: 'DeploymentRolledBack',
      cause: 'alarm orders-errors entered ALARM',
    },
  },
];

const EXPECTED = [
  { id: 1, timestamp: iso(0), type: 'ExecutionStarted' },
  { id: 2, timestamp: iso(100), type: 'StateEntered', state: 'Prepare' },
  { id: 6, timestamp: iso(200), type: 'StateExited', state: 'Prepare' },
  { id: 7, timestamp: iso(210), type: 'StateEntered', state: 'ChooseKind' },
  { id: 8, timestamp: iso(211), type: 'StateExited', state: 'ChooseKind' },
  { id: 9, timestamp: iso(220), type: 'StateEntered', state: 'FirstStep' },
  { id: 10, timestamp: iso(221), type: 'StateExited', state: 'FirstStep' },
  { id: 11, timestamp: iso(300), type: 'StateEntered', state: 'ShiftTraffic' },
  // Lambda's JSON error as its message, as local mode gives it.
  {
    id: 14,
    timestamp: iso(350),
    type: 'StateFailed',
    state: 'ShiftTraffic',
    error: 'Transient',
    cause: 'UpdateAlias: ThrottlingException: Rate exceeded',
  },
  { id: 15, timestamp: iso(1400), type: 'StateRetried', state: 'ShiftTraffic' },
  { id: 18, timestamp: iso(1510), type: 'StateExited', state: 'ShiftTraffic' },
  { id: 19, timestamp: iso(1600), type: 'StateEntered', state: 'Bake' },
  {
    id: 23,
    timestamp: iso(90_000),
    type: 'StateFailed',
    state: 'Bake',
    error: 'AlarmFired',
    cause: 'alarm orders-errors entered ALARM',
  },
  { id: 24, timestamp: iso(90_010), type: 'StateCaught', state: 'Bake' },
  { id: 25, timestamp: iso(90_100), type: 'StateEntered', state: 'RollBack' },
  { id: 29, timestamp: iso(91_000), type: 'StateExited', state: 'RollBack' },
  { id: 30, timestamp: iso(91_010), type: 'StateEntered', state: 'HowItEnded' },
  { id: 31, timestamp: iso(91_011), type: 'StateExited', state: 'HowItEnded' },
  { id: 32, timestamp: iso(91_020), type: 'StateEntered', state: 'DeploymentRolledBack' },
  {
    id: 33,
    timestamp: iso(91_021),
    type: 'ExecutionFailed',
    error: 'DeploymentRolledBack',
    cause: 'alarm orders-errors entered ALARM',
  },
];

const history = () => new StepFunctionsExecutionHistory(new SFNClient({}), STATE_MACHINE);

describe('the Step Functions execution history', () => {
  it('reads the status and one page of history without execution data, 1000 events at most', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ executionArn: EXECUTION, status: 'FAILED' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: SAMPLE });

    // Act
    const page = await history().page({ name: 'd-1', arn: EXECUTION });

    // Assess
    expect(sfn).toHaveReceivedCommandExactlyOnceWith(DescribeExecutionCommand, {
      executionArn: EXECUTION,
      includedData: 'METADATA_ONLY',
    });
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input).toEqual({
      executionArn: EXECUTION,
      includeExecutionData: false,
      maxResults: 1000,
    });
    expect(page).toEqual({ status: 'FAILED', executionArn: EXECUTION, events: EXPECTED });
  });

  it('names the execution by the state machine and the execution name when no ARN was recorded', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: SAMPLE.slice(0, 2) });

    // Act
    const page = await history().page({ name: 'd-1' });

    // Assess
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { executionArn: EXECUTION });
    expect(page).toEqual({ status: 'RUNNING', executionArn: EXECUTION, events: EXPECTED.slice(0, 2) });
  });

  it('carries the state a page ends in to the next, so a failure, retry or catch there names it', async () => {
    // Prepare: AWS cuts the history right after the failure of ShiftTraffic, and after the Bake's.
    const cutAfter = (id: number) => SAMPLE.findIndex((e) => e.id === id) + 1;
    sfn.on(DescribeExecutionCommand).resolves({ status: 'FAILED' });
    sfn
      .on(GetExecutionHistoryCommand)
      .resolves({ events: SAMPLE.slice(0, cutAfter(14)), nextToken: 'aws-token-1' })
      .on(GetExecutionHistoryCommand, { nextToken: 'aws-token-1' })
      .resolves({ events: SAMPLE.slice(cutAfter(14), cutAfter(23)), nextToken: 'aws-token-2' })
      .on(GetExecutionHistoryCommand, { nextToken: 'aws-token-2' })
      .resolves({ events: SAMPLE.slice(cutAfter(23)) });
    const h = history();

    // Act
    const first = await h.page({ name: 'd-1', arn: EXECUTION });
    const second = await h.page({ name: 'd-1', arn: EXECUTION }, first.nextToken);
    const third = await h.page({ name: 'd-1', arn: EXECUTION }, second.nextToken);

    // Assess
    expect(sfn).toHaveReceivedNthCommandWith(GetExecutionHistoryCommand, 2, {
      executionArn: EXECUTION,
      includeExecutionData: false,
      maxResults: 1000,
      nextToken: 'aws-token-1',
    });
    expect(first.nextToken && decodeCursor(first.nextToken)).toEqual({
      token: 'aws-token-1',
      state: 'ShiftTraffic',
      failed: true,
    });
    expect(third.nextToken).toBeUndefined();
    expect([...first.events, ...second.events, ...third.events]).toEqual(EXPECTED);
    expect(second.events[0]).toEqual({
      id: 15,
      timestamp: iso(1400),
      type: 'StateRetried',
      state: 'ShiftTraffic',
    });
    expect(third.events[0]).toEqual({ id: 24, timestamp: iso(90_010), type: 'StateCaught', state: 'Bake' });
  });

  it('answers NOT_STARTED with no events for an execution that does not exist', async () => {
    // Prepare
    sfn
      .on(DescribeExecutionCommand)
      .rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));

    // Act
    const page = await history().page({ name: 'd-1' });

    // Assess
    expect(page).toEqual({ status: 'NOT_STARTED', events: [] });
    expect(sfn).toHaveReceivedCommandTimes(GetExecutionHistoryCommand, 0);
  });

  it('takes the end from the history when DescribeExecution has not caught up yet', async () => {
    // Prepare: DescribeExecution is eventually consistent.
    sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: SAMPLE });

    // Act
    const page = await history().page({ name: 'd-1', arn: EXECUTION });

    // Assess
    expect(page.status).toBe('FAILED');
  });

  it('refuses a token it did not give, naming the field, before asking AWS', async () => {
    // Act
    const refused = await history()
      .page({ name: 'd-1', arn: EXECUTION }, 'not-ours')
      .catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems).toEqual([
      { path: 'nextToken', message: expect.stringContaining('is not a page token of this API') },
    ]);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('turns AWS’s InvalidToken (expired, another execution’s) into the caller’s 400 on nextToken', async () => {
    // Prepare
    sfn.on(DescribeExecutionCommand).resolves({ status: 'SUCCEEDED' });
    sfn.on(GetExecutionHistoryCommand).rejects(new InvalidToken({ message: 'Invalid Token', $metadata: {} }));

    // Act
    const refused = await history()
      .page({ name: 'd-1', arn: EXECUTION }, encodeCursor({ token: 'stale' }))
      .catch((e: unknown) => e);

    // Assess
    expect(refused).toBeInstanceOf(ValidationError);
    expect((refused as ValidationError).problems[0]?.path).toBe('nextToken');
    expect(sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { nextToken: 'stale' });
  });
});
