import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { CloudWatchAlarmWatcher } from '../../functions/aws/cloudwatch-alarms.ts';
import { LambdaHookRunner } from '../../functions/aws/lambda-hooks.ts';

const cloudwatch = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);
// The stubs are on the clients' prototypes, which the next test file in this worker shares (isolate: false).
afterAll(() => {
  cloudwatch.restore();
  lambda.restore();
});
beforeEach(() => {
  cloudwatch.reset();
  lambda.reset();
});

describe('the CloudWatch alarm watcher', () => {
  it('reads metric and composite alarms in one DescribeAlarms call', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [{ AlarmName: 'errors', StateValue: 'ALARM' }],
      CompositeAlarms: [{ AlarmName: 'health', StateValue: 'OK' }],
    });
    const states = await new CloudWatchAlarmWatcher(new CloudWatchClient({})).states([
      'errors',
      'health',
      'gone',
    ]);
    expect(states).toEqual({ errors: 'ALARM', health: 'OK', gone: 'MISSING' });
    expect(cloudwatch).toHaveReceivedCommandExactlyOnceWith(DescribeAlarmsCommand, {
      AlarmNames: ['errors', 'health', 'gone'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
      MaxRecords: 100,
    });
  });

  it('batches more than 100 names and follows NextToken', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `a${i}`);
    cloudwatch.on(DescribeAlarmsCommand).callsFake((input) => ({
      MetricAlarms: (input.AlarmNames as string[])
        .slice(0, 1)
        .map((n) => ({ AlarmName: n, StateValue: 'OK' })),
      ...(input.NextToken || (input.AlarmNames as string[]).length < 100 ? {} : { NextToken: 'next' }),
    }));
    const states = await new CloudWatchAlarmWatcher(new CloudWatchClient({})).states(names);
    expect(cloudwatch).toHaveReceivedCommandTimes(DescribeAlarmsCommand, 3);
    expect(cloudwatch).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 1, {
      AlarmNames: names.slice(0, 100),
    });
    expect(cloudwatch).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 2, {
      AlarmNames: names.slice(0, 100),
      NextToken: 'next',
    });
    expect(cloudwatch).toHaveReceivedNthCommandWith(DescribeAlarmsCommand, 3, {
      AlarmNames: names.slice(100),
    });
    expect(states.a0).toBe('OK');
    expect(states.a1).toBe('MISSING');
  });
});

describe('the Lambda hook runner', () => {
  const payload = {
    deploymentId: 'd-1',
    lifecycleEventHookExecutionId: 'd-1:BeforeAllowTraffic:smoke',
    lifecycleEvent: 'BeforeAllowTraffic',
    group: 'orders',
    revision: '5',
  };
  const answer = (body: unknown, functionError?: string) =>
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: new TextEncoder().encode(typeof body === 'string' ? body : JSON.stringify(body)) as never,
      ...(functionError ? { FunctionError: functionError } : {}),
    });
  const run = () => new LambdaHookRunner(new LambdaClient({})).invoke('smoke', payload);

  it('invokes the hook synchronously with CodeDeploy’s payload', async () => {
    answer({ status: 'Succeeded' });
    expect(await run()).toEqual({ status: 'Succeeded' });
    const call = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(call?.FunctionName).toBe('smoke');
    expect(call?.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(call?.Payload as Uint8Array))).toEqual(payload);
  });

  it.each([
    [
      { status: 'Failed', reason: 'p99 too high' },
      { status: 'Failed', reason: 'p99 too high' },
    ],
    [
      { status: 'InProgress', callBackDelaySeconds: 45 },
      { status: 'InProgress', callBackDelaySeconds: 45 },
    ],
    [{ status: 'InProgress' }, { status: 'InProgress', callBackDelaySeconds: 30 }],
  ])('reads %j', async (body, expected) => {
    answer(body);
    expect(await run()).toEqual(expected);
  });

  it('treats a function error (a throw or a timeout) as Failed with its message', async () => {
    answer({ errorType: 'Error', errorMessage: 'Task timed out after 3.00 seconds' }, 'Unhandled');
    expect(await run()).toEqual({
      status: 'Failed',
      reason: 'function error: Error: Task timed out after 3.00 seconds',
    });
  });

  it.each([['"ok"'], ['{"status":"Passed"}'], ['not json'], ['']])(
    'treats an answer of another shape (%s) as Failed',
    async (body) => {
      answer(body);
      const result = await run();
      expect(result.status).toBe('Failed');
      expect(result.reason).toMatch(/returned/);
    },
  );
});
