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
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Deployment, Status, TimelineEntry } from '../core/deployment.ts';
import { Conflict, NotFound } from '../core/errors.ts';
import type { Clock, DeploymentStore, HookProgress } from '../ports.ts';
import { conditionalSet, isConditionFailure, removeFields, timelineKey } from './dynamo-items.ts';
import { call } from './errors.ts';

export const TABLE_KEYS = { pk: 'pk', sk: 'sk' } as const;
export const INDEX_BY_GROUP = 'byGroup';
export const INDEX_ALL = 'all';
export const TTL_ATTRIBUTE = 'expiresAt';

const META = 'META';
const depKey = (id: string) => ({ pk: `DEP#${id}`, sk: META });
const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'];

export class DynamoDeploymentStore implements DeploymentStore {
  private seq = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async create(
    deployment: Deployment,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ deployment: Deployment; created: boolean }> {
    let id = deployment.id;
    if (idempotency) {
      const nowS = Math.floor(this.clock.now() / 1000);
      const item = {
        pk: `IDEMP#${idempotency.key}`,
        sk: 'IDEMP',
        deploymentId: id,
        requestHash: idempotency.requestHash,
        [TTL_ATTRIBUTE]: nowS + idempotency.ttlSeconds,
      };
      try {
        await call('PutItem', () =>
          this.client.send(
            new PutCommand({
              TableName: this.table,
              Item: item,
              ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
              ExpressionAttributeNames: { '#exp': TTL_ATTRIBUTE },
              ExpressionAttributeValues: { ':now': nowS },
            }),
          ),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        const existing = await this.getItem(`IDEMP#${idempotency.key}`, 'IDEMP');
        if (existing?.requestHash !== idempotency.requestHash) {
          throw new Conflict(
            `Idempotency-Key ${idempotency.key} was used for a different request: use a new key for a new deployment`,
          );
        }
        id = String(existing.deploymentId);
        const made = await this.get(id);
        if (made) return { deployment: made, created: false };
        // The first attempt stopped between its two writes: finish it under the recorded id.
      }
    }
    const record = { ...deployment, id };
    try {
      await call('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...depKey(id),
              gsi1pk: `GROUP#${record.group}`,
              gsi1sk: `${record.createdAt}#${id}`,
              gsi2pk: 'DEPLOYMENT',
              gsi2sk: `${record.createdAt}#${id}`,
              ...record,
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const made = await this.get(id);
      if (made) return { deployment: made, created: false };
      throw e;
    }
    return { deployment: record, created: true };
  }

  async get(id: string): Promise<Deployment | undefined> {
    const item = await this.getItem(`DEP#${id}`, META);
    return item ? toDeployment(item) : undefined;
  }

  async idempotent(key: string): Promise<{ deploymentId: string; requestHash: string } | undefined> {
    const item = await this.getItem(`IDEMP#${key}`, 'IDEMP');
    if (!item || Number(item[TTL_ATTRIBUTE]) < Math.floor(this.clock.now() / 1000)) return undefined;
    return { deploymentId: String(item.deploymentId), requestHash: String(item.requestHash) };
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

  async update(
    id: string,
    patch: Partial<Deployment>,
    expectStatus?: readonly Status[],
  ): Promise<Deployment> {
    const set = conditionalSet(patch, new Date(this.clock.now()).toISOString(), { expectStatus });
    try {
      const out = await call('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({ TableName: this.table, Key: depKey(id), ...set, ReturnValues: 'ALL_NEW' }),
        ),
      );
      return toDeployment(out.Attributes ?? {});
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const current = await this.get(id);
      if (!current) throw new NotFound(`no deployment ${id}`);
      throw new Conflict(`deployment ${id} is ${current.status}, expected ${expectStatus?.join(' or ')}`);
    }
  }

  async clear(id: string, fields: readonly (keyof Deployment)[]): Promise<void> {
    if (fields.length === 0) return;
    await call('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({ TableName: this.table, Key: depKey(id), ...removeFields(fields) }),
      ),
    );
  }

  async appendTimeline(id: string, entry: TimelineEntry): Promise<void> {
    this.seq = (this.seq + 1) % 1_000_000;
    const sk = timelineKey(entry.at, this.seq);
    await call('PutItem', () =>
      this.client.send(new PutCommand({ TableName: this.table, Item: { pk: `DEP#${id}`, sk, ...entry } })),
    );
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tl)',
      ExpressionAttributeValues: { ':pk': `DEP#${id}`, ':tl': 'TL#' },
    });
    return items.map(({ pk: _pk, sk: _sk, ...entry }) => entry as unknown as TimelineEntry);
  }

  async list(options: { group?: string; limit?: number } = {}): Promise<Deployment[]> {
    const out = await call('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: options.group ? INDEX_BY_GROUP : INDEX_ALL,
          KeyConditionExpression: options.group ? 'gsi1pk = :pk' : 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': options.group ? `GROUP#${options.group}` : 'DEPLOYMENT' },
          ScanIndexForward: false,
          Limit: options.limit ?? 50,
        }),
      ),
    );
    return (out.Items ?? []).map(toDeployment);
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
    const item = await this.getItem('LOCK', group);
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
    const item = await this.getItem('LOCK', group);
    return item ? String(item.holder) : undefined;
  }

  async locks(): Promise<{ group: string; deploymentId: string }[]> {
    const items = await this.queryAll({
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
    const items = await this.queryAll({
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
    const item = await this.getItem(`DEP#${id}`, `HOOKS#${event}`);
    return item ? (item.progress as HookProgress[]) : undefined;
  }

  async saveHookProgress(id: string, event: string, progress: HookProgress[]): Promise<void> {
    await call('PutItem', () =>
      this.client.send(
        new PutCommand({ TableName: this.table, Item: { pk: `DEP#${id}`, sk: `HOOKS#${event}`, progress } }),
      ),
    );
  }

  private async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item;
  }

  private async queryAll(input: {
    KeyConditionExpression: string;
    ExpressionAttributeValues: Record<string, unknown>;
  }): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await call('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            ...input,
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }
}

/** Zero-padded, so that the entries sort by number. */
const queueKey = (seq: number) => String(seq).padStart(12, '0');

function toDeployment(item: Record<string, unknown>): Deployment {
  const copy: Record<string, unknown> = { ...item };
  for (const k of KEY_FIELDS) delete copy[k];
  return copy as unknown as Deployment;
}

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
