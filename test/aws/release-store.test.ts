import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoReleaseStore } from '../../functions/aws/release-store.ts';
import { Conflict } from '../../functions/core/errors.ts';
import type { Release } from '../../functions/core/release.ts';

const ddb = mockClient(DynamoDBDocumentClient);
// The stub is on the client's prototype, which the next test file in this worker shares (isolate: false).
afterAll(() => ddb.restore());
const NOW = Date.parse('2026-11-24T10:00:00Z');
const store = () =>
  new DynamoReleaseStore(DynamoDBDocumentClient.from(new DynamoDBClient({})), 'stepshift', {
    now: () => NOW,
  });
const failed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });
const release: Release = {
  id: 'r-1',
  name: 'shop',
  members: [{ group: 'orders', deploymentId: 'd-1', revision: '5', configName: 'c', wave: 0 }],
  waveCount: 1,
  status: 'CREATED',
  wave: -1,
  executionName: 'r-1',
  createdAt: '2026-11-24T10:00:00.000Z',
  updatedAt: '2026-11-24T10:00:00.000Z',
};

beforeEach(() => ddb.reset());

describe('the DynamoDB release store', () => {
  it('writes the idempotency record first, with its TTL, then the release under the index of all releases', async () => {
    ddb.on(PutCommand).resolves({});
    const out = await store().create(release, { key: 'ci-42', requestHash: 'h', ttlSeconds: 86_400 });
    expect(out).toEqual({ release, created: true });
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 1, {
      TableName: 'stepshift',
      Item: {
        pk: 'IDEMP#release:ci-42',
        sk: 'IDEMP',
        releaseId: 'r-1',
        requestHash: 'h',
        expiresAt: NOW / 1000 + 86_400,
      },
      ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
      ExpressionAttributeNames: { '#exp': 'expiresAt' },
      ExpressionAttributeValues: { ':now': NOW / 1000 },
    });
    expect(ddb).toHaveReceivedNthCommandWith(PutCommand, 2, {
      TableName: 'stepshift',
      Item: {
        pk: 'REL#r-1',
        sk: 'META',
        gsi2pk: 'RELEASE',
        gsi2sk: '2026-11-24T10:00:00.000Z#r-1',
        ...release,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });

  it('answers a repeated key with the release it made, and a different request under it with Conflict', async () => {
    ddb.on(PutCommand).rejects(failed());
    ddb.on(GetCommand, { Key: { pk: 'IDEMP#release:ci-42', sk: 'IDEMP' } }).resolves({
      Item: { releaseId: 'r-1', requestHash: 'h', expiresAt: NOW / 1000 + 10 },
    });
    ddb
      .on(GetCommand, { Key: { pk: 'REL#r-1', sk: 'META' } })
      .resolves({ Item: { pk: 'REL#r-1', sk: 'META', ...release } });
    expect(
      await store().create({ ...release, id: 'r-2' }, { key: 'ci-42', requestHash: 'h', ttlSeconds: 1 }),
    ).toEqual({
      release,
      created: false,
    });
    await expect(
      store().create({ ...release, id: 'r-2' }, { key: 'ci-42', requestHash: 'other', ttlSeconds: 1 }),
    ).rejects.toBeInstanceOf(Conflict);
  });

  it('reads releases consistently: the release workflow judges its waits on them', async () => {
    ddb
      .on(GetCommand)
      .resolves({ Item: { pk: 'REL#r-1', sk: 'META', gsi2pk: 'RELEASE', gsi2sk: 'x', ...release } });
    expect(await store().get('r-1')).toEqual(release);
    expect(ddb).toHaveReceivedCommandWith(GetCommand, {
      TableName: 'stepshift',
      Key: { pk: 'REL#r-1', sk: 'META' },
      ConsistentRead: true,
    });
  });

  it('records a commit only while no stop is recorded, and a stop only while no commit is', async () => {
    ddb.on(UpdateCommand).resolves({ Attributes: { ...release, committedAt: 't' } });
    await store().update('r-1', { committedAt: 't' }, { unless: 'stopRequest' });
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'stepshift',
      Key: { pk: 'REL#r-1', sk: 'META' },
      UpdateExpression: 'SET #f0 = :v0, #f1 = :v1',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#unless)',
      ExpressionAttributeNames: { '#f0': 'committedAt', '#f1': 'updatedAt', '#unless': 'stopRequest' },
      ExpressionAttributeValues: { ':v0': 't', ':v1': '2026-11-24T10:00:00.000Z' },
      ReturnValues: 'ALL_NEW',
    });
  });

  it('says which of the two won when the condition fails', async () => {
    ddb.on(UpdateCommand).rejects(failed());
    ddb.on(GetCommand).resolves({ Item: { ...release, status: 'IN_PROGRESS', committedAt: 't' } });
    await expect(
      store().update(
        'r-1',
        { stopRequest: { rollback: true, at: 't' } },
        { expectStatus: ['IN_PROGRESS'], unless: 'committedAt' },
      ),
    ).rejects.toThrow('release r-1 has committed: its members are finalizing');
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      ConditionExpression: 'attribute_exists(pk) AND #status IN (:s0) AND attribute_not_exists(#unless)',
      ExpressionAttributeValues: expect.objectContaining({ ':s0': 'IN_PROGRESS' }),
    });
  });

  it('lists releases newest first from the index of all releases', async () => {
    ddb
      .on(QueryCommand)
      .resolves({ Items: [{ pk: 'REL#r-1', sk: 'META', gsi2pk: 'RELEASE', gsi2sk: 'x', ...release }] });
    expect(await store().list({ limit: 10 })).toEqual([release]);
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'stepshift',
      IndexName: 'all',
      KeyConditionExpression: 'gsi2pk = :pk',
      ExpressionAttributeValues: { ':pk': 'RELEASE' },
      ScanIndexForward: false,
      Limit: 10,
    });
  });
});
