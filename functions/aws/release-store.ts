/**
 * The release store, on the deployment table beside the deployments of its members.
 *
 * | item | pk | sk |
 * | --- | --- | --- |
 * | release | `REL#<id>` | `META` (+ `gsi2pk = RELEASE`, sorted by `createdAt#id`) |
 * | timeline entry | `REL#<id>` | `TL#<at>#<seq>` |
 * | idempotency record | `IDEMP#release:<key>` | `IDEMP` (`expiresAt`: TTL) |
 *
 * As the deployment store: no transactions, every write conditional and safe to retry; reads consistent.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '../core/deployment.ts';
import { Conflict, NotFound } from '../core/errors.ts';
import type { Release, ReleaseStatus } from '../core/release.ts';
import type { Clock, ReleaseStore } from '../ports.ts';
import { conditionalSet, isConditionFailure, removeFields, timelineKey } from './dynamo-items.ts';
import { INDEX_ALL, TTL_ATTRIBUTE } from './dynamo-store.ts';
import { call } from './errors.ts';

const META = 'META';
const relKey = (id: string) => ({ pk: `REL#${id}`, sk: META });
const KEY_FIELDS = ['pk', 'sk', 'gsi2pk', 'gsi2sk'];

export class DynamoReleaseStore implements ReleaseStore {
  private seq = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
  ) {}

  async create(
    release: Release,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ release: Release; created: boolean }> {
    let id = release.id;
    if (idempotency) {
      const nowS = Math.floor(this.clock.now() / 1000);
      const pk = `IDEMP#release:${idempotency.key}`;
      try {
        await call('PutItem', () =>
          this.client.send(
            new PutCommand({
              TableName: this.table,
              Item: {
                pk,
                sk: 'IDEMP',
                releaseId: id,
                requestHash: idempotency.requestHash,
                [TTL_ATTRIBUTE]: nowS + idempotency.ttlSeconds,
              },
              ConditionExpression: 'attribute_not_exists(pk) OR #exp < :now',
              ExpressionAttributeNames: { '#exp': TTL_ATTRIBUTE },
              ExpressionAttributeValues: { ':now': nowS },
            }),
          ),
        );
      } catch (e) {
        if (!isConditionFailure(e)) throw e;
        const existing = await this.getItem(pk, 'IDEMP');
        if (existing?.requestHash !== idempotency.requestHash) {
          throw new Conflict(
            `Idempotency-Key ${idempotency.key} was used for a different release request: use a new key`,
          );
        }
        id = String(existing.releaseId);
        const made = await this.get(id);
        if (made) return { release: made, created: false };
      }
    }
    const record = { ...release, id };
    try {
      await call('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: {
              ...relKey(id),
              gsi2pk: 'RELEASE',
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
      if (made) return { release: made, created: false };
      throw e;
    }
    return { release: record, created: true };
  }

  async get(id: string): Promise<Release | undefined> {
    const item = await this.getItem(`REL#${id}`, META);
    return item ? toRelease(item) : undefined;
  }

  async update(
    id: string,
    patch: Partial<Release>,
    options: { expectStatus?: readonly ReleaseStatus[]; unless?: 'committedAt' | 'stopRequest' } = {},
  ): Promise<Release> {
    const set = conditionalSet(patch, new Date(this.clock.now()).toISOString(), options);
    try {
      const out = await call('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({ TableName: this.table, Key: relKey(id), ...set, ReturnValues: 'ALL_NEW' }),
        ),
      );
      return toRelease(out.Attributes ?? {});
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const current = await this.get(id);
      if (!current) throw new NotFound(`no release ${id}`);
      if (options.unless && current[options.unless] !== undefined) {
        throw new Conflict(
          options.unless === 'committedAt'
            ? `release ${id} has committed: its members are finalizing`
            : `release ${id} is being stopped`,
        );
      }
      throw new Conflict(
        `release ${id} is ${current.status}, expected ${options.expectStatus?.join(' or ')}`,
      );
    }
  }

  async clear(id: string, fields: readonly (keyof Release)[]): Promise<void> {
    if (fields.length === 0) return;
    await call('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({ TableName: this.table, Key: relKey(id), ...removeFields(fields) }),
      ),
    );
  }

  async appendTimeline(id: string, entry: TimelineEntry): Promise<void> {
    this.seq = (this.seq + 1) % 1_000_000;
    const sk = timelineKey(entry.at, this.seq);
    await call('PutItem', () =>
      this.client.send(new PutCommand({ TableName: this.table, Item: { pk: `REL#${id}`, sk, ...entry } })),
    );
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await call('Query', () =>
        this.client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tl)',
            ExpressionAttributeValues: { ':pk': `REL#${id}`, ':tl': 'TL#' },
            ConsistentRead: true,
            ExclusiveStartKey: start,
          }),
        ),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map(({ pk: _pk, sk: _sk, ...entry }) => entry as unknown as TimelineEntry);
  }

  async list(options: { limit?: number } = {}): Promise<Release[]> {
    const out = await call('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: INDEX_ALL,
          KeyConditionExpression: 'gsi2pk = :pk',
          ExpressionAttributeValues: { ':pk': 'RELEASE' },
          ScanIndexForward: false,
          Limit: options.limit ?? 50,
        }),
      ),
    );
    return (out.Items ?? []).map(toRelease);
  }

  async idempotent(key: string): Promise<{ releaseId: string; requestHash: string } | undefined> {
    const item = await this.getItem(`IDEMP#release:${key}`, 'IDEMP');
    if (!item || Number(item[TTL_ATTRIBUTE]) < Math.floor(this.clock.now() / 1000)) return undefined;
    return { releaseId: String(item.releaseId), requestHash: String(item.requestHash) };
  }

  private async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item;
  }
}

function toRelease(item: Record<string, unknown>): Release {
  const copy: Record<string, unknown> = { ...item };
  for (const k of KEY_FIELDS) delete copy[k];
  return copy as unknown as Release;
}
