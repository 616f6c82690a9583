/**
 * The deployment store on one DynamoDB table.
 *
 * | item | pk | sk |
 * | --- | --- | --- |
 * | deployment | `DEP#<id>` | `META` (+ `gsi1pk = GROUP#<group>`, `gsi2pk = DEPLOYMENT`, both sorted by `createdAt#id`) |
 * | timeline entry | `DEP#<id>` | `TL#<at>#<seq>` |
 * | hook progress | `DEP#<id>` | `HOOKS#<event>` |
 * | group lock | `LOCK` | `<group>` |
 * | idempotency record | `IDEMP#<key>` | `IDEMP` (`expiresAt`: TTL) |
 * | claim | `CLAIM#<key>` | `CLAIM` (`expiresAt`: TTL) |
 * | group queue counter | `QUEUE` | `<group>` (`last`: last sequence given, `size`: places taken) |
 * | group queue entry | `QUEUE#<group>` | `<seq, 12 digits>` (`deploymentId`) |
 *
 * No transactions (dynalite has none, and none are needed): writes are ordered and conditional so that a
 * retry at any point does no harm. An expired idempotency record is treated as absent here, since TTL
 * deletes it only eventually on AWS and never on dynalite.
 */
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Deployment, Status, TimelineEntry } from '../core/deployment.ts';
import type { Clock, DeploymentStore, HookProgress } from '../ports.ts';
import { isConditionFailure } from './dynamo-items.ts';
import { DynamoRecords, TTL_ATTRIBUTE } from './dynamo-records.ts';
import { call } from './errors.ts';

export const TABLE_KEYS = { pk: 'pk', sk: 'sk' } as const;
export const INDEX_BY_GROUP = 'byGroup';
export const INDEX_ALL = 'all';
export { TTL_ATTRIBUTE };

export class DynamoDeploymentStore implements DeploymentStore {
  /** The deployments, their timelines and idempotency records (functions/aws/dynamo-records.ts). */
  private readonly records: DynamoRecords<Deployment>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {
    this.records = new DynamoRecords<Deployment>(client, table, clock, {
      prefix: 'DEP',
      noun: 'deployment',
      idempotencyScope: '',
      idField: 'deploymentId',
      idempotencyConflict: (key) =>
        `Idempotency-Key ${key} was used for a different request: use a new key for a new deployment`,
      indexKeys: (d) => ({
        gsi1pk: `GROUP#${d.group}`,
        gsi1sk: `${d.createdAt}#${d.id}`,
        gsi2pk: 'DEPLOYMENT',
        gsi2sk: `${d.createdAt}#${d.id}`,
      }),
      keyFields: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'],
    });
  }

  async create(
    deployment: Deployment,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ deployment: Deployment; created: boolean }> {
    const { record, created } = await this.records.create(deployment, idempotency);
    return { deployment: record, created };
  }

  get(id: string): Promise<Deployment | undefined> {
    return this.records.get(id);
  }

  async idempotent(key: string): Promise<{ deploymentId: string; requestHash: string } | undefined> {
    const found = await this.records.idempotent(key);
    return found && { deploymentId: found.id, requestHash: found.requestHash };
  }

  async claim(key: string, ttlSeconds: number): Promise<boolean> {
    const nowS = Math.floor(this.clock.now() / 1000);
    try {
      await call('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: `CLAIM#${key}`,
              sk: 'CLAIM',
              claimedAt: new Date(this.clock.now()).toISOString(),
              [TTL_ATTRIBUTE]: nowS + ttlSeconds,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
            ExpressionAttributeNames: { '#exp': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': nowS },
          }),
        ),
      );
      return true;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return false;
    }
  }

  update(id: string, patch: Partial<Deployment>, expectStatus?: readonly Status[]): Promise<Deployment> {
    return this.records.update(id, patch, { expectStatus });
  }

  clear(id: string, fields: readonly (keyof Deployment)[]): Promise<void> {
    return this.records.clear(id, fields);
  }

  appendTimeline(id: string, entry: TimelineEntry): Promise<void> {
    return this.records.appendTimeline(id, entry);
  }

  timeline(id: string): Promise<TimelineEntry[]> {
    return this.records.timeline(id);
  }

  list(options: { group?: string; limit?: number } = {}): Promise<Deployment[]> {
    return this.records.list(
      options.group
        ? { name: INDEX_BY_GROUP, key: 'gsi1pk', value: `GROUP#${options.group}` }
        : { name: INDEX_ALL, key: 'gsi2pk', value: 'DEPLOYMENT' },
      options.limit,
    );
  }

  async lock(group: string, deploymentId: string, options: { replacing?: string } = {}): Promise<string> {
    try {
      await call('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              pk: 'LOCK',
              sk: group,
              holder: deploymentId,
              since: new Date(this.clock.now()).toISOString(),
            },
            ConditionExpression: options.replacing
              ? 'attribute_not_exists(pk) OR holder = :id OR holder = :replacing'
              : 'attribute_not_exists(pk) OR holder = :id',
            ExpressionAttributeValues: {
              ':id': deploymentId,
              ...(options.replacing ? { ':replacing': options.replacing } : {}),
            },
          }),
        ),
      );
      return deploymentId;
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return (await this.lockHolder(group)) ?? (await this.lock(group, deploymentId));
    }
  }

  async lockRecord(group: string): Promise<{ deploymentId: string; since: string } | undefined> {
    const item = await this.records.getItem('LOCK', group);
    return item ? { deploymentId: String(item.holder), since: String(item.since) } : undefined;
  }

  async unlock(group: string, deploymentId: string): Promise<void> {
    try {
      await call('DeleteItem', () =>
        this.client.send(
          new DeleteCommand({
            TableName: this.table,
            Key: { pk: 'LOCK', sk: group },
            ConditionExpression: 'holder = :id',
            ExpressionAttributeValues: { ':id': deploymentId },
          }),
        ),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e; // not ours, or already released: nothing to do
    }
  }

  async lockHolder(group: string): Promise<string | undefined> {
    const item = await this.records.getItem('LOCK', group);
    return item ? String(item.holder) : undefined;
  }

  async locks(): Promise<{ group: string; deploymentId: string }[]> {
    const items = await this.records.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'LOCK' },
    });
    return items.map((i) => ({ group: String(i.sk), deploymentId: String(i.holder) }));
  }

  async reserveQueueSlot(group: string, maxQueued: number): Promise<number | undefined> {
    try {
      const out = await call('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: 'QUEUE', sk: group },
            // One update both numbers the place and bounds the queue: simultaneous callers are
            // serialised by DynamoDB, so no two get one number and none skips one.
            UpdateExpression: 'ADD #last :one, #size :one',
            ConditionExpression: 'attribute_not_exists(#size) OR #size < :max',
            ExpressionAttributeNames: { '#last': 'last', '#size': 'size' },
            ExpressionAttributeValues: { ':one': 1, ':max': maxQueued },
            ReturnValues: 'UPDATED_NEW',
          }),
        ),
      );
      return Number(out.Attributes?.last);
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      return undefined;
    }
  }

  async releaseQueueSlot(group: string): Promise<void> {
    try {
      await call('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: 'QUEUE', sk: group },
            UpdateExpression: 'ADD #size :minus',
            ConditionExpression: '#size > :zero',
            ExpressionAttributeNames: { '#size': 'size' },
            ExpressionAttributeValues: { ':minus': -1, ':zero': 0 },
          }),
        ),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e; // nothing reserved: nothing to give back
    }
  }

  async enqueue(group: string, seq: number, deploymentId: string): Promise<void> {
    await call('PutItem', () =>
      this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `QUEUE#${group}`, sk: queueKey(seq), seq, deploymentId },
        }),
      ),
    );
  }

  async queue(group: string): Promise<{ seq: number; deploymentId: string }[]> {
    const items = await this.records.queryAll({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `QUEUE#${group}` },
    });
    return items.map((i) => ({ seq: Number(i.seq), deploymentId: String(i.deploymentId) }));
  }

  async dequeue(group: string, seq: number): Promise<void> {
    const out = await call('DeleteItem', () =>
      this.client.send(
        new DeleteCommand({
          TableName: this.table,
          Key: { pk: `QUEUE#${group}`, sk: queueKey(seq) },
          ReturnValues: 'ALL_OLD',
        }),
      ),
    );
    // Only the call that removed the entry frees its place: a repeated dequeue frees nothing.
    if (out.Attributes) await this.releaseQueueSlot(group);
  }

  async hookProgress(id: string, event: string): Promise<HookProgress[] | undefined> {
    const item = await this.records.getItem(`DEP#${id}`, `HOOKS#${event}`);
    return item ? (item.progress as HookProgress[]) : undefined;
  }

  async saveHookProgress(id: string, event: string, progress: HookProgress[]): Promise<void> {
    await call('PutItem', () =>
      this.client.send(
        new PutCommand({ TableName: this.table, Item: { pk: `DEP#${id}`, sk: `HOOKS#${event}`, progress } }),
      ),
    );
  }
}

/** Zero-padded, so that the entries sort by number. */
const queueKey = (seq: number) => String(seq).padStart(12, '0');

/** The table definition the store expects: shared by local mode and the CDK stack. */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
    { AttributeName: 'gsi2pk', AttributeType: 'S' },
    { AttributeName: 'gsi2sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: INDEX_BY_GROUP,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
    {
      IndexName: INDEX_ALL,
      KeySchema: [
        { AttributeName: 'gsi2pk', KeyType: 'HASH' },
        { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
  BillingMode: 'PAY_PER_REQUEST',
} as const;
