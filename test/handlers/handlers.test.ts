import { DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  GetFunctionConfigurationCommand,
  InvalidParameterValueException,
  PublishVersionCommand,
  ResourceConflictException,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { route } from '../../functions/api/routes.ts';
import { makeAlarmHandler } from '../../functions/handlers/alarm-intake.ts';
import { makeApiHandler } from '../../functions/handlers/api-gateway.ts';
import { makeExecutionEndedHandler } from '../../functions/handlers/execution-ended.ts';
import { makeIntakeHandler } from '../../functions/handlers/intake.ts';
import { makeTaskHandlers } from '../../functions/handlers/tasks.ts';
import { awsContext, DLQ, mocks, resetMocks, restoreMocks, STATE_MACHINE } from './aws-context.ts';
import { alarmStateChange, deploymentRequested, ecrImagePush, s3ObjectCreated } from './samples.ts';

let env: Awaited<ReturnType<typeof awsContext>>;
beforeAll(async () => {
  env = await awsContext();
});
afterAll(async () => env.dynamo.close());
afterAll(restoreMocks);
beforeEach(resetMocks);

const api = () => makeApiHandler(() => env.ctx, route);
const intake = () => makeIntakeHandler(() => env);
let n = 0;
const uniqueGroupFree = async () => {
  // Each test leaves the group free: release any lock a started deployment took.
  for (const { group, deploymentId } of await env.ctx.store.locks())
    await env.ctx.store.unlock(group, deploymentId);
  n += 1;
  return n;
};

describe('the API handler', () => {
  it('starts a deployment: 201 with the record and the Step Functions console URL', async () => {
    await uniqueGroupFree();
    const res = await api()({
      httpMethod: 'POST',
      path: '/deployments',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': `api-${n}` },
      body: JSON.stringify({ group: 'orders', revision: '5' }),
    });
    expect(res.statusCode).toBe(201);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({
      group: 'orders',
      revision: '5',
      status: 'CREATED',
      configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    });
    expect(body.executionUrl).toBe(
      `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${encodeURIComponent(`arn:aws:states:eu-west-1:123456789012:execution:stepshift-deployment:${body.id}`)}`,
    );
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: body.id,
      input: JSON.stringify({ deploymentId: body.id }),
    });
    const again = await api()({
      httpMethod: 'POST',
      path: '/deployments',
      headers: { 'idempotency-key': `api-${n}` },
      body: JSON.stringify({ group: 'orders', revision: '5' }),
    });
    expect(again.statusCode).toBe(200);
    expect(JSON.parse(again.body).id).toBe(body.id);
    expect(mocks.sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it.each([
    ['an unknown group', { group: 'nope', revision: '5' }, 400, 'ValidationError'],
    ['a revision that is not a version', { group: 'orders', revision: 'latest' }, 400, 'ValidationError'],
    ['the live version', { group: 'orders', revision: '4' }, 409, 'Conflict'],
  ])('answers %s with %i', async (_what, body, status, error) => {
    await uniqueGroupFree();
    const res = await api()({ httpMethod: 'POST', path: '/deployments', body: JSON.stringify(body) });
    expect(res.statusCode).toBe(status);
    expect(JSON.parse(res.body).error).toBe(error);
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 409 for a busy group and 404 for an unknown deployment or route', async () => {
    await uniqueGroupFree();
    await env.ctx.store.lock('orders', 'd-active');
    const busy = await api()({
      httpMethod: 'POST',
      path: '/deployments',
      body: '{"group":"orders","revision":"5"}',
    });
    expect(busy.statusCode).toBe(409);
    expect(JSON.parse(busy.body)).toMatchObject({
      error: 'GroupBusy',
      message: 'group orders is busy: deployment d-active is in progress',
    });
    expect((await api()({ httpMethod: 'GET', path: '/deployments/d-none' })).statusCode).toBe(404);
    const wrongMethod = await api()({ httpMethod: 'DELETE', path: '/deployments' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, POST');
  });

  it('resumes a stopped deployment under a new execution, naming the IAM caller on its timeline', async () => {
    await uniqueGroupFree();
    const live = { kind: 'lambda' as const, version: '4', additionalVersionWeights: {} };
    const id = `d-stopped-${n}`;
    const at = '2026-11-25T09:00:00.000Z';
    await env.ctx.store.create({
      id,
      group: 'orders',
      kind: 'lambda',
      revision: '5',
      configName: 'CodeDeployDefault.LambdaAllAtOnce',
      schedule: { steps: [{ percent: 100, bakeSeconds: 0 }], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: [] },
      status: 'STOPPED',
      percent: 0,
      stepIndex: 0,
      originalRouting: live,
      lastRouting: live,
      executionName: id,
      createdAt: at,
      updatedAt: at,
    });
    const res = await api()({
      httpMethod: 'POST',
      path: `/deployments/${id}/resume`,
      requestContext: { identity: { userArn: 'arn:aws:iam::123456789012:user/ana' } },
    });
    expect(res.statusCode).toBe(202);
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: `${id}-resume-1`,
      input: JSON.stringify({ deploymentId: id, resume: { execution: `${id}-resume-1` } }),
    });
    expect((await env.ctx.store.timeline(id)).map((e) => e.message)).toContain(
      `resume requested by arn:aws:iam::123456789012:user/ana: execution ${id}-resume-1`,
    );
  });

  it('answers 500 without a stack trace when a dependency fails for good', async () => {
    const res = await makeApiHandler(
      () => ({
        ...env.ctx,
        store: {
          ...env.ctx.store,
          list: async () => {
            throw new Error('socket hang up at /var/task/index.js:1:2');
          },
        },
      }),
      route,
    )({
      httpMethod: 'GET',
      path: '/deployments',
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('/var/task');
    expect(JSON.parse(res.body)).toEqual({
      error: 'InternalError',
      message: 'the request failed; see the server log',
      details: {},
    });
  });

  it('reads a base64 body as API Gateway sends binary-safe payloads', async () => {
    await uniqueGroupFree();
    const res = await api()({
      httpMethod: 'POST',
      path: '/deployments',
      isBase64Encoded: true,
      body: Buffer.from('{"group":"orders","revision":"latest"}').toString('base64'),
    });
    expect(JSON.parse(res.body).details.problems[0].path).toBe('revision');
  });

  it('reads the execution from Step Functions by the ARN the deployment recorded', async () => {
    // Prepare
    await uniqueGroupFree();
    const started = await api()({
      httpMethod: 'POST',
      path: '/groups/orders/deployments',
      body: '{"revision":"5"}',
    });
    const { id } = JSON.parse(started.body) as { id: string };
    const executionArn = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${id}`;
    mocks.sfn.on(DescribeExecutionCommand).resolves({ executionArn, status: 'RUNNING' });
    mocks.sfn.on(GetExecutionHistoryCommand).resolves({
      events: [
        { id: 1, previousEventId: 0, timestamp: new Date('2026-01-01T00:00:00Z'), type: 'ExecutionStarted' },
        {
          id: 2,
          previousEventId: 1,
          timestamp: new Date('2026-01-01T00:00:01Z'),
          type: 'TaskStateEntered',
          stateEnteredEventDetails: { name: 'Prepare' },
        },
      ],
      nextToken: 'aws-next',
    });

    // Act
    const res = await api()({ httpMethod: 'GET', path: `/deployments/${id}/execution` });

    // Assess
    expect(res.statusCode).toBe(200);
    const body = JSON.parse(res.body);
    expect(body).toEqual({
      executionName: id,
      executionArn,
      status: 'RUNNING',
      events: [
        { id: 1, timestamp: '2026-01-01T00:00:00.000Z', type: 'ExecutionStarted' },
        { id: 2, timestamp: '2026-01-01T00:00:01.000Z', type: 'StateEntered', state: 'Prepare' },
      ],
      nextToken: expect.any(String),
    });
    expect(mocks.sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, {
      executionArn,
      includeExecutionData: false,
      maxResults: 1000,
    });
    const next = await api()({
      httpMethod: 'GET',
      path: `/deployments/${id}/execution`,
      queryStringParameters: { nextToken: body.nextToken },
    });
    expect(next.statusCode).toBe(200);
    expect(mocks.sfn).toHaveReceivedCommandWith(GetExecutionHistoryCommand, { nextToken: 'aws-next' });
  });

  it('shows the deployment with its progress, and an alarm CloudWatch will not answer for as UNREADABLE', async () => {
    // Prepare
    await uniqueGroupFree();
    const started = await api()({
      httpMethod: 'POST',
      path: '/groups/orders/deployments',
      body: '{"revision":"5"}',
    });
    const { id } = JSON.parse(started.body) as { id: string };
    mocks.cloudwatch
      .on(DescribeAlarmsCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const res = await api()({ httpMethod: 'GET', path: `/deployments/${id}` });
    const groups = await api()({ httpMethod: 'GET', path: '/groups' });

    // Assess
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({
      deployment: { id, status: 'CREATED' },
      progress: { step: 0, steps: 2, percent: 0, phase: 'starting', nextPercent: 10 },
      hooks: [],
      alarmStates: [{ name: 'orders-errors', state: 'UNREADABLE' }],
    });
    expect(groups.statusCode).toBe(200);
    expect(JSON.parse(groups.body).groups[0]).toMatchObject({
      name: 'orders',
      routing: { description: '100 % on version 4', revision: '4', percentNew: 0 },
      active: { id, status: 'CREATED', percent: 0, revision: '5' },
    });
  });
});

describe('the intake handler', () => {
  it('starts one deployment for a Deployment Requested event delivered 5 times', async () => {
    await uniqueGroupFree();
    const event = deploymentRequested('6a7e8feb-b491-4cf7-a9f1-bf3703467718', {
      group: 'orders',
      revision: '5',
    });
    const outcomes = [];
    for (let i = 0; i < 5; i++) outcomes.push(await intake()(structuredClone(event)));
    expect(outcomes.map((o) => o.outcome)).toEqual([
      'started',
      'duplicate',
      'duplicate',
      'duplicate',
      'duplicate',
    ]);
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      name: 'e-6a7e8feb-b491-4cf7-a9f1-bf3703467718',
    });
    expect((await env.ctx.store.get('e-6a7e8feb-b491-4cf7-a9f1-bf3703467718'))?.trigger).toBe(
      'event 6a7e8feb-b491-4cf7-a9f1-bf3703467718 (stepshift / Deployment Requested)',
    );
  });

  it('turns AWS’s S3 Object Created sample into UpdateFunctionCode + PublishVersion and a deployment', async () => {
    await uniqueGroupFree();
    const outcome = await intake()(s3ObjectCreated);
    expect(outcome).toEqual({ outcome: 'started', deploymentId: 'e-17793124-05d4-b198-2fde-7ededc63b103' });
    expect(mocks.lambda).toHaveReceivedCommandWith(UpdateFunctionCodeCommand, {
      FunctionName: 'orders',
      S3Bucket: 'amzn-s3-demo-bucket1',
      S3Key: 'example-key',
      S3ObjectVersion: 'IYV3p45BT0ac8hjHg1houSdS1a.Mro8e',
    });
    expect(mocks.lambda).toHaveReceivedCommandWith(PublishVersionCommand, {
      FunctionName: 'orders',
      CodeSha256: 'sha-abc',
    });
    expect(
      (await env.ctx.store.get(outcome.outcome === 'started' ? outcome.deploymentId : ''))?.revision,
    ).toBe('5');
    expect(await intake()(s3ObjectCreated)).toMatchObject({ outcome: 'duplicate' });
    expect(mocks.lambda).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 1);
  });

  it('turns AWS’s ECR Image Action sample into a deployment of the pushed image, pinned by digest', async () => {
    await uniqueGroupFree();
    const outcome = await intake()(ecrImagePush);
    expect(outcome).toEqual({ outcome: 'started', deploymentId: 'e-13cde686-328b-6117-af20-0e5566167482' });
    const d = await env.ctx.store.get('e-13cde686-328b-6117-af20-0e5566167482');
    expect(d?.revision).toBe(
      '123456789012.dkr.ecr.us-west-2.amazonaws.com/my-repository-name@sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
    );
    expect(d?.group).toBe('web');
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      name: 'e-13cde686-328b-6117-af20-0e5566167482',
    });
  });

  const malformed: [string, unknown, RegExp][] = [
    ['null', null, /not an EventBridge event/],
    ['a string', 'hello', /not an EventBridge event/],
    ['an array', [1, 2], /not an EventBridge event/],
    ['no id', { source: 'stepshift', 'detail-type': 'Deployment Requested', detail: {} }, /id: is required/],
    [
      'no detail',
      { id: 'a', source: 'stepshift', 'detail-type': 'Deployment Requested' },
      /detail: is required/,
    ],
    [
      'a detail that is a string',
      { id: 'a', source: 'stepshift', 'detail-type': 'Deployment Requested', detail: 'x' },
      /detail:/,
    ],
    [
      'an unknown source',
      { id: 'a', source: 'acme', 'detail-type': 'Build Done', detail: {} },
      /acme \/ Build Done is not an event/,
    ],
    ['a request without group', deploymentRequested('m1', { revision: '5' }), /group: is required/],
    ['a request without revision', deploymentRequested('m2', { group: 'orders' }), /revision: is required/],
    [
      'a request with a typo',
      deploymentRequested('m3', { group: 'orders', revison: '5', revision: '5' }),
      /revison: unknown field/,
    ],
    [
      'a request for an unknown group',
      deploymentRequested('m4', { group: 'nope', revision: '5' }),
      /no group named "nope"/,
    ],
    [
      'a request with a version name',
      deploymentRequested('m5', { group: 'orders', revision: '$LATEST' }),
      /published version number/,
    ],
    [
      'a request for the live version',
      deploymentRequested('m6', { group: 'orders', revision: '4' }),
      /already live/,
    ],
    [
      'a request with a bad config',
      deploymentRequested('m7', { group: 'orders', revision: '5', config: 'Canary50' }),
      /unknown deployment config/,
    ],
    [
      'a request with an ECS config',
      deploymentRequested('m8', { group: 'orders', revision: '5', config: 'ECSAllAtOnce' }),
      /config for ecs groups/,
    ],
    [
      'an ECS request with a bad revision',
      deploymentRequested('m9', { group: 'web', revision: 'web 2' }),
      /task definition \(family:revision or its ARN\) or an image reference/,
    ],
    [
      'a revision as a number',
      deploymentRequested('m10', { group: 'orders', revision: 5 }),
      /revision: must be a string/,
    ],
    [
      'S3 without bucket',
      { ...s3ObjectCreated, id: 'm11', detail: { object: { key: 'k' } } },
      /bucket: is required/,
    ],
    [
      'S3 without key',
      { ...s3ObjectCreated, id: 'm12', detail: { bucket: { name: 'b' }, object: {} } },
      /object.key: is required/,
    ],
    [
      'S3 in a bucket no group watches',
      { ...s3ObjectCreated, id: 'm13', detail: { ...s3ObjectCreated.detail, bucket: { name: 'other' } } },
      /no lambda group has a trigger for s3:\/\/other\/example-key/,
    ],
    [
      'S3 outside the prefix',
      {
        ...s3ObjectCreated,
        id: 'm14',
        detail: { ...s3ObjectCreated.detail, object: { key: 'docs/readme' } },
      },
      /no lambda group has a trigger/,
    ],
    [
      'an ECR delete',
      { ...ecrImagePush, id: 'm15', detail: { ...ecrImagePush.detail, 'action-type': 'DELETE' } },
      /not a successful push/,
    ],
    [
      'a failed ECR push',
      { ...ecrImagePush, id: 'm16', detail: { ...ecrImagePush.detail, result: 'FAILURE' } },
      /not a successful push/,
    ],
    [
      'ECR from an unwatched repository',
      { ...ecrImagePush, id: 'm17', detail: { ...ecrImagePush.detail, 'repository-name': 'other' } },
      /no ecs group has a trigger for repository other/,
    ],
  ];

  it.each(malformed)(
    'drops %s to the dead-letter queue with a clear reason, and writes nothing',
    async (_what, event, reason) => {
      await uniqueGroupFree();
      const before = (await env.ctx.store.list({ limit: 100 })).length;
      const outcome = await intake()(event);
      expect(outcome.outcome).toBe('dropped');
      expect(outcome.outcome === 'dropped' && outcome.reason).toMatch(reason);
      expect(mocks.sqs).toHaveReceivedCommandWith(SendMessageCommand, { QueueUrl: DLQ });
      expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
      expect(mocks.lambda).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
      expect((await env.ctx.store.list({ limit: 100 })).length).toBe(before);
    },
  );
});

describe('the intake handler, when Lambda or a redelivery gets in the way of an S3 artifact', () => {
  const s3Event = (id: string, object: Record<string, unknown> = {}) => ({
    ...s3ObjectCreated,
    id,
    detail: { ...s3ObjectCreated.detail, object: { ...s3ObjectCreated.detail.object, ...object } },
  });
  const dropped = (reason: RegExp) => ({ QueueUrl: DLQ, MessageBody: expect.stringMatching(reason) });

  it('makes one UpdateFunctionCode for two concurrent deliveries of one S3 event, and retries the other', async () => {
    // Prepare
    await uniqueGroupFree();
    const event = s3Event('5f0c2a4e-concurrent-1');
    // Act
    const [first, second] = await Promise.allSettled([intake()(structuredClone(event)), intake()(event)]);
    const again = await intake()(structuredClone(event));
    // Assess
    expect(mocks.lambda).toHaveReceivedCommandTimes(UpdateFunctionCodeCommand, 1);
    expect(mocks.lambda).toHaveReceivedCommandTimes(PublishVersionCommand, 1);
    const outcomes = [first, second].map((r) => (r.status === 'fulfilled' ? r.value.outcome : 'retried'));
    expect(outcomes).toContain('started');
    expect(outcomes.filter((o) => o === 'started')).toHaveLength(1);
    const retried = [first, second].find((r) => r.status === 'rejected');
    if (retried) expect(String(retried.reason)).toMatch(/being handled by another delivery/);
    expect(again).toEqual({ outcome: 'duplicate', deploymentId: 'e-5f0c2a4e-concurrent-1' });
    expect(mocks.sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
  });

  it.each([
    [
      'a 0-byte folder marker',
      { key: 'example/', size: 0 },
      /s3:\/\/amzn-s3-demo-bucket1\/example\/ is not a deployment package: a folder marker/,
    ],
    [
      'an empty object',
      { key: 'example-empty.zip', size: 0 },
      /example-empty.zip is not a deployment package: an empty object/,
    ],
  ])(
    'sends %s to the dead letters with its reason, without calling Lambda',
    async (_what, object, reason) => {
      // Prepare
      await uniqueGroupFree();
      // Act
      const outcome = await intake()(s3Event(`folder-${String(object.key)}`, object));
      // Assess
      expect(outcome).toEqual({ outcome: 'dropped', reason: expect.stringMatching(reason) });
      expect(mocks.sqs).toHaveReceivedCommandWith(SendMessageCommand, dropped(reason));
      expect(mocks.lambda).not.toHaveReceivedCommand(UpdateFunctionCodeCommand);
      expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    },
  );

  it('sends an artifact Lambda rejects (InvalidParameterValueException) to the dead letters with Lambda’s reason', async () => {
    // Prepare
    await uniqueGroupFree();
    mocks.lambda.on(UpdateFunctionCodeCommand).rejects(
      new InvalidParameterValueException({
        message: 'Could not unzip uploaded file. Please check your file, then try to upload again.',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    // Act
    const outcome = await intake()(s3Event('not-a-zip-1', { key: 'example-notes.txt' }));
    // Assess
    const reason =
      /Lambda rejected s3:\/\/amzn-s3-demo-bucket1\/example-notes.txt\?versionId=\S+ as the code of orders: InvalidParameterValueException: Could not unzip uploaded file/;
    expect(outcome).toEqual({ outcome: 'dropped', reason: expect.stringMatching(reason) });
    expect(mocks.sqs).toHaveReceivedCommandWith(SendMessageCommand, dropped(reason));
    expect(mocks.lambda).not.toHaveReceivedCommand(PublishVersionCommand);
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('sends an artifact whose code update fails to the dead letters with the update’s reason', async () => {
    // Prepare
    await uniqueGroupFree();
    mocks.lambda
      .on(UpdateFunctionCodeCommand)
      .resolves({ CodeSha256: 'sha-bad', LastUpdateStatus: 'InProgress' });
    mocks.lambda.on(GetFunctionConfigurationCommand).resolves({
      LastUpdateStatus: 'Failed',
      LastUpdateStatusReasonCode: 'InvalidZipFileException',
      LastUpdateStatusReason: 'Could not unzip uploaded file.',
    });
    // Act
    const outcome = await intake()(s3Event('update-failed-1', { key: 'example-broken.zip' }));
    // Assess
    const reason =
      /the code update of orders from s3:\/\/amzn-s3-demo-bucket1\/example-broken.zip\?versionId=\S+ failed: InvalidZipFileException: Could not unzip/;
    expect(outcome).toEqual({ outcome: 'dropped', reason: expect.stringMatching(reason) });
    expect(mocks.sqs).toHaveReceivedCommandWith(SendMessageCommand, dropped(reason));
    expect(mocks.lambda).not.toHaveReceivedCommand(PublishVersionCommand);
  });

  it('throws on a transient Lambda failure, so that Lambda retries the event and then sends it to its on-failure destination', async () => {
    // Prepare
    await uniqueGroupFree();
    mocks.lambda.on(UpdateFunctionCodeCommand).rejects(
      new ResourceConflictException({
        message: 'An update is in progress for resource',
        $metadata: { httpStatusCode: 409 },
      }),
    );
    // Act
    const act = intake()(s3Event('conflict-1'));
    // Assess
    await expect(act).rejects.toThrow(/An update is in progress/);
    expect(mocks.sqs).not.toHaveReceivedCommand(SendMessageCommand);
  });

  it('drops an untagged ECR push (a child manifest of a multi-arch image) even for a group without a tag filter', async () => {
    // Prepare
    await uniqueGroupFree();
    const { 'image-tag': _tag, ...untagged } = ecrImagePush.detail;
    // Act
    const outcome = await intake()({ ...ecrImagePush, id: 'untagged-1', detail: untagged });
    // Assess
    expect(outcome).toEqual({
      outcome: 'dropped',
      reason: expect.stringMatching(/untagged push .* starts no deployment/),
    });
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('the alarm handler', () => {
  it('fails the bake of every deployment watching the alarm, from AWS’s Alarm State Change sample', async () => {
    await uniqueGroupFree();
    await env.ctx.store.create({
      id: 'd-baking',
      group: 'orders',
      kind: 'lambda',
      revision: '5',
      configName: 'x',
      schedule: { steps: [], totalSeconds: 0 },
      alarms: ['orders-errors'],
      autoRollback: { enabled: true, events: [] },
      status: 'IN_PROGRESS',
      percent: 10,
      stepIndex: 0,
      bakeToken: 'token-123',
      executionName: 'd-baking',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    });
    await env.ctx.store.lock('orders', 'd-baking');
    expect(await makeAlarmHandler(() => env.ctx)(alarmStateChange)).toEqual({ ended: 1 });
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(SendTaskFailureCommand, {
      taskToken: 'token-123',
      error: 'AlarmFired',
      cause: 'alarm orders-errors entered ALARM',
    });
    const ok = structuredClone(alarmStateChange);
    ok.detail.state.value = 'OK';
    expect(await makeAlarmHandler(() => env.ctx)(ok)).toEqual({ ended: 0 });
    expect(await makeAlarmHandler(() => env.ctx)({ hello: 'world' })).toEqual({ ended: 0 });
  });
});

describe('the task handlers', () => {
  it('end a promoted bake themselves with SendTaskSuccess', async () => {
    await env.ctx.store.create({
      id: 'd-promoted',
      group: 'orders',
      kind: 'lambda',
      revision: '5',
      configName: 'x',
      schedule: { steps: [], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: [] },
      status: 'IN_PROGRESS',
      percent: 10,
      stepIndex: 0,
      promoted: true,
      executionName: 'd-promoted',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    });
    const { SendTaskSuccessCommand } = await import('@aws-sdk/client-sfn');
    mocks.sfn.on(SendTaskSuccessCommand).resolves({});
    const out = await makeTaskHandlers(() => env.ctx).bake({
      deploymentId: 'd-promoted',
      stepIndex: 0,
      bakeSeconds: 300,
      taskToken: 'tok',
    });
    expect(out).toEqual({ outcome: 'skip' });
    expect(mocks.sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: 'tok' });
  });

  it('the execution watchdog starts the next queued deployment once, however often the end is delivered', async () => {
    // Prepare: a deployment running on orders, and one queued behind it through the API.
    await uniqueGroupFree();
    const running = {
      id: `d-running-${n}`,
      group: 'orders',
      kind: 'lambda' as const,
      revision: '5',
      configName: 'x',
      schedule: { steps: [], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: [] },
      status: 'IN_PROGRESS' as const,
      percent: 10,
      stepIndex: 0,
      executionName: `d-running-${n}`,
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    };
    await env.ctx.store.create(running);
    await env.ctx.store.lock('orders', running.id);
    const res = await api()({
      httpMethod: 'POST',
      path: '/groups/orders/deployments',
      body: JSON.stringify({ revision: '5', onBusy: 'queue' }),
    });
    expect(res.statusCode).toBe(201);
    const queued = JSON.parse(res.body);
    expect(queued).toMatchObject({ status: 'QUEUED', onBusy: 'queue' });
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
    // The running one succeeds: Finalize wrote SUCCEEDED and released the lock.
    await env.ctx.store.update(running.id, { status: 'SUCCEEDED', endedAt: '2026-11-24T10:05:00.000Z' });
    await env.ctx.store.unlock('orders', running.id);
    const ended = {
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status: 'SUCCEEDED', name: running.id, input: JSON.stringify({ deploymentId: running.id }) },
    };
    // Act
    const first = await makeExecutionEndedHandler(() => env.ctx)(ended);
    const again = await makeExecutionEndedHandler(() => env.ctx)(ended);
    // Assess
    expect(first).toEqual({ status: 'SUCCEEDED', started: queued.id });
    expect(again).toEqual({ status: 'SUCCEEDED' });
    expect(mocks.sfn).toHaveReceivedCommandExactlyOnceWith(StartExecutionCommand, {
      stateMachineArn: STATE_MACHINE,
      name: queued.id,
      input: JSON.stringify({ deploymentId: queued.id }),
    });
    expect((await env.ctx.store.get(queued.id))?.status).toBe('CREATED');
    expect(await env.ctx.store.lockHolder('orders')).toBe(queued.id);
  });

  it('the execution watchdog rolls back nothing for a succeeded execution, and rolls back a deployment left in progress', async () => {
    const handler = makeExecutionEndedHandler(() => env.ctx);
    expect(
      await handler({
        'detail-type': 'Step Functions Execution Status Change',
        detail: { status: 'SUCCEEDED', name: 'x' },
      }),
    ).toEqual({ status: 'SUCCEEDED' });
    expect(
      await handler({
        'detail-type': 'Step Functions Execution Status Change',
        detail: { status: 'RUNNING', name: 'x' },
      }),
    ).toEqual({ ignored: 'RUNNING' });
    await env.ctx.store.create({
      id: 'd-aborted',
      group: 'orders',
      kind: 'lambda',
      revision: '5',
      configName: 'x',
      schedule: { steps: [], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      status: 'CREATED',
      percent: 0,
      stepIndex: -1,
      executionName: 'd-aborted',
      createdAt: '2026-11-24T10:00:00.000Z',
      updatedAt: '2026-11-24T10:00:00.000Z',
    });
    const out = await handler({
      'detail-type': 'Step Functions Execution Status Change',
      detail: { status: 'ABORTED', name: 'd-aborted', input: '{"deploymentId":"d-aborted"}' },
    });
    expect(out).toEqual({ status: 'FAILED' });
    expect((await env.ctx.store.get('d-aborted'))?.reason).toBe('the execution ended ABORTED');
  });
});
