import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeploymentStore } from '../../functions/aws/dynamo-store.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { Conflict, Transient } from '../../functions/core/errors.ts';

const ddb = mockClient(DynamoDBDocumentClient);
// The stub is on the client's prototype, which the next test file in this worker shares (isolate: false).
afterAll(() => ddb.restore());
const NOW = Date.parse('2026-11-24T10:00:00Z');
const store = () =>
  new DynamoDeploymentStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'stepshift', {
    now: () => NOW,
  });
const failed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
const deployment = {
  id: 'd-1',
  group: 'orders',
  status: 'CREATED',
  createdAt: '2026-11-24T10:00:00.000Z',
} as Deployment;

beforeEach(() => ddb.reset());

describe('the DynamoDB deployment store', () => {
  it('takes a group lock with a conditional put that lets the holder retry', async () => {
    ddb.on(PutCommand).resolves({});
    expect(await store().lock('orders', 'd-1')).toBe('d-1');
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'stepshift',
      Item: { pk: 'LOCK', sk: 'orders', holder: 'd-1', since: '2026-11-24T10:00:00.000Z' },
      ConditionExpression: 'attribute_not_exists(pk) OR holder = :id',
      ExpressionAttributeValues: { ':id': 'd-1' },
    });
  });

  it('answers the holder when another deployment has the lock', async () => {
    ddb.on(PutCommand).rejects(failed());
    ddb.on(GetCommand).resolves({ Item: { pk: 'LOCK', sk: 'orders', holder: 'd-0' } });
    expect(await store().lock('orders', 'd-1')).toBe('d-0');
  });

  it('releases the lock only if it holds it', async () => {
    ddb.on(DeleteCommand).rejects(failed());
    await store().unlock('orders', 'd-1');
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      Key: { pk: 'LOCK', sk: 'orders' },
      ConditionExpression: 'holder = :id',
      ExpressionAttributeValues: { ':id': 'd-1' },
    });
  });

  it('writes the idempotency record first, with its TTL, then the deployment, without transactions', async () => {
    ddb.on(PutCommand).resolves({});
    await store().create(deployment, { key: 'ci-1', requestHash: 'h', ttlSeconds: 86_400 });
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 1, {
      Item: {
        pk: 'IDEMP#ci-1',
        sk: 'IDEMP',
        deploymentId: 'd-1',
        requestHash: 'h',
        expiresAt: NOW / 1000 + 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
      ExpressionAttributeValues: { ':now': NOW / 1000 },
    });
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 2, {
      Item: expect.objectContaining({ pk: 'DEP#d-1', sk: 'META', gsi1pk: 'GROUP#orders', status: 'CREATED' }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('returns the earlier deployment for a reused key, and refuses the key for another request', async () => {
    ddb.on(PutCommand).rejects(failed());
    ddb
      .on(GetCommand, { Key: { pk: 'IDEMP#ci-1', sk: 'IDEMP' } })
      .resolves({ Item: { deploymentId: 'd-0', requestHash: 'h' } });
    ddb
      .on(GetCommand, { Key: { pk: 'DEP#d-0', sk: 'META' } })
      .resolves({ Item: { pk: 'DEP#d-0', sk: 'META', id: 'd-0' } });
    expect(await store().create(deployment, { key: 'ci-1', requestHash: 'h', ttlSeconds: 60 })).toEqual({
      deployment: { id: 'd-0' },
      created: false,
    });
    await expect(
      store().create(deployment, { key: 'ci-1', requestHash: 'other', ttlSeconds: 60 }),
    ).rejects.toBeInstanceOf(Conflict);
  });

  it('treats an expired idempotency record as absent although TTL has not deleted it yet', async () => {
    ddb
      .on(GetCommand)
      .resolves({ Item: { deploymentId: 'd-0', requestHash: 'h', expiresAt: NOW / 1000 - 1 } });
    expect(await store().idempotent('ci-1')).toBeUndefined();
  });

  it('claims a key with a conditional put that an expired claim does not block', async () => {
    // Prepare
    ddb.on(PutCommand).resolves({});
    // Act
    const claimed = await store().claim('artifact-e1', 150);
    // Assess
    expect(claimed).toBe(true);
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'stepshift',
      Item: {
        pk: 'CLAIM#artifact-e1',
        sk: 'CLAIM',
        claimedAt: '2026-11-24T10:00:00.000Z',
        expiresAt: NOW / 1000 + 150,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
      ExpressionAttributeNames: { '#exp': 'expiresAt' },
      ExpressionAttributeValues: { ':now': NOW / 1000 },
    });
  });

  it('answers false to a claim another caller holds, and passes other failures on', async () => {
    // Prepare
    ddb
      .on(PutCommand)
      .rejectsOnce(failed())
      .rejectsOnce(Object.assign(new Error('down'), { name: 'InternalServerError' }));
    // Act
    const second = await store().claim('artifact-e1', 150);
    const broken = store().claim('artifact-e1', 150);
    // Assess
    expect(second).toBe(false);
    await expect(broken).rejects.toBeInstanceOf(Transient);
  });

  it('updates only from the expected statuses, and says what the status was', async () => {
    ddb.on(UpdateCommand).rejects(failed());
    ddb.on(GetCommand).resolves({ Item: { id: 'd-1', status: 'SUCCEEDED' } });
    await expect(store().update('d-1', { percent: 10 }, ['IN_PROGRESS'])).rejects.toThrow(
      'deployment d-1 is SUCCEEDED, expected IN_PROGRESS',
    );
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      Key: { pk: 'DEP#d-1', sk: 'META' },
      ConditionExpression: 'attribute_exists(pk) AND #status IN (:s0)',
      ExpressionAttributeValues: expect.objectContaining({ ':s0': 'IN_PROGRESS', ':v0': 10 }),
    });
  });

  it('turns throttling into Transient', async () => {
    ddb
      .on(GetCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    await expect(store().get('d-1')).rejects.toBeInstanceOf(Transient);
  });
});

describe('the group queue in the DynamoDB store', () => {
  it('numbers and bounds a place with one conditional counter update', async () => {
    // Prepare
    ddb.on(UpdateCommand).resolves({ Attributes: { last: 7, size: 3 } });
    // Act
    const seq = await store().reserveQueueSlot('orders', 5);
    // Assess
    expect(seq).toBe(7);
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: 'stepshift',
      Key: { pk: 'QUEUE', sk: 'orders' },
      UpdateExpression: 'ADD #last :one, #size :one',
      ConditionExpression: 'attribute_not_exists(#size) OR #size < :max',
      ExpressionAttributeNames: { '#last': 'last', '#size': 'size' },
      ExpressionAttributeValues: { ':one': 1, ':max': 5 },
      ReturnValues: 'UPDATED_NEW',
    });
  });

  it('answers undefined when the queue is full, and passes other failures on', async () => {
    ddb.on(UpdateCommand).rejectsOnce(failed()).rejectsOnce(new Error('boom'));
    expect(await store().reserveQueueSlot('orders', 5)).toBeUndefined();
    await expect(store().reserveQueueSlot('orders', 5)).rejects.toThrow('boom');
  });

  it('writes an entry keyed by its zero-padded place, so that entries sort by number', async () => {
    ddb.on(PutCommand).resolves({});
    await store().enqueue('orders', 12, 'd-12');
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(PutCommand, {
      TableName: 'stepshift',
      Item: { pk: 'QUEUE#orders', sk: '000000000012', seq: 12, deploymentId: 'd-12' },
    });
  });

  it('reads the queue consistently, oldest first', async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { pk: 'QUEUE#orders', sk: '000000000003', seq: 3, deploymentId: 'd-3' },
        { pk: 'QUEUE#orders', sk: '000000000004', seq: 4, deploymentId: 'd-4' },
      ],
    });
    expect(await store().queue('orders')).toEqual([
      { seq: 3, deploymentId: 'd-3' },
      { seq: 4, deploymentId: 'd-4' },
    ]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'stepshift',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'QUEUE#orders' },
      ConsistentRead: true,
    });
  });

  it('frees a place only when its entry was there to remove, never below zero', async () => {
    // Prepare: the first delete removes the entry, a repeated one finds nothing.
    ddb
      .on(DeleteCommand)
      .resolvesOnce({ Attributes: { seq: 3 } })
      .resolves({});
    ddb.on(UpdateCommand).resolves({});
    // Act
    await store().dequeue('orders', 3);
    await store().dequeue('orders', 3);
    // Assess
    expect(ddb).toHaveReceivedCommandTimes(DeleteCommand, 2);
    expect(ddb).toHaveReceivedCommandWith(DeleteCommand, {
      TableName: 'stepshift',
      Key: { pk: 'QUEUE#orders', sk: '000000000003' },
      ReturnValues: 'ALL_OLD',
    });
    expect(ddb).toHaveReceivedCommandExactlyOnceWith(UpdateCommand, {
      TableName: 'stepshift',
      Key: { pk: 'QUEUE', sk: 'orders' },
      UpdateExpression: 'ADD #size :minus',
      ConditionExpression: '#size > :zero',
      ExpressionAttributeNames: { '#size': 'size' },
      ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
    });
  });

  it('gives back nothing when no place is taken', async () => {
    ddb.on(UpdateCommand).rejects(failed());
    await expect(store().releaseQueueSlot('orders')).resolves.toBeUndefined();
  });
});
