/**
 * A kind of record on the deployment table — a deployment, a release — stored alike: the record at
 * `<PREFIX>#<id>` / `META` (with its index keys), its timeline at `<PREFIX>#<id>` / `TL#…`, and its
 * idempotency records at `IDEMP#<scope><key>` / `IDEMP` (`expiresAt`: TTL). The deployment store and the
 * release store each hold one of these and add what only their kind has (locks, queues, hook progress).
 *
 * No transactions: a create writes its idempotency record, then the record, each conditionally, so that
 * a retry at any point does no harm. An expired idempotency record is treated as absent, since TTL
 * deletes it only eventually on AWS and never on dynalite.
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
import type { Clock } from '../ports.ts';
import { conditionalSet, isConditionFailure, removeFields, timelineKey } from './dynamo-items.ts';
import { call } from './errors.ts';

export const TTL_ATTRIBUTE = 'expiresAt';

const META = 'META';

/** How one kind of record is keyed and named. */
export interface RecordKind<T> {
  /** The partition key's prefix: `DEP` → `DEP#<id>`. */
  prefix: string;
  /** The record's name in messages: "no deployment d-1". */
  noun: string;
  /** Between `IDEMP#` and the key: a release's keys live apart from a deployment's. */
  idempotencyScope: string;
  /** The idempotency record's field naming the record it made. */
  idField: string;
  /** What a caller is told when it reuses a key for another request. */
  idempotencyConflict: (key: string) => string;
  /** The record's secondary-index keys (`gsi1pk`, `gsi2sk`, …), written beside its fields. */
  indexKeys: (record: T) => Record<string, string>;
  /** Every key attribute on the record's item: taken off when the item is read back. */
  keyFields: readonly string[];
}

/** A conditional update's condition: see `conditionalSet`. */
export interface UpdateCondition {
  expectStatus?: readonly string[] | undefined;
  unless?: string | undefined;
}

export class DynamoRecords<T extends { id: string; status: string }> {
  private seq = 0;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly clock: Clock,
    private readonly kind: RecordKind<T>,
  ) {}

  private pk(id: string): string {
    return `${this.kind.prefix}#${id}`;
  }

  private key(id: string): { pk: string; sk: string } {
    return { pk: this.pk(id), sk: META };
  }

  /**
   * Writes `record` unless one with its id exists; with `idempotency`, first claims the key, and a retry
   * with the same key and request gets the record the first attempt made (or finishes it, under the
   * recorded id, if that attempt stopped between its two writes).
   */
  async create(
    record: T,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ record: T; created: boolean }> {
    let id = record.id;
    if (idempotency) {
      const nowS = Math.floor(this.clock.now() / 1000);
      const pk = `IDEMP#${this.kind.idempotencyScope}${idempotency.key}`;
      try {
        await call('PutItem', () =>
          this.client.send(
            new PutCommand({
              TableName: this.table,
              Item: {
                pk,
                sk: 'IDEMP',
                [this.kind.idField]: id,
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
        if (existing?.requestHash !== idempotency.requestHash)
          throw new Conflict(this.kind.idempotencyConflict(idempotency.key));
        id = String(existing[this.kind.idField]);
        const made = await this.get(id);
        if (made) return { record: made, created: false };
        // The first attempt stopped between its two writes: finish it under the recorded id.
      }
    }
    const made = { ...record, id };
    try {
      await call('PutItem', () =>
        this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: { ...this.key(id), ...this.kind.indexKeys(made), ...made },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const existing = await this.get(id);
      if (existing) return { record: existing, created: false };
      throw e;
    }
    return { record: made, created: true };
  }

  async get(id: string): Promise<T | undefined> {
    const item = await this.getItem(this.pk(id), META);
    return item ? this.fromItem(item) : undefined;
  }

  /** The live idempotency record of `key`: the id of the record it made and the request's hash. */
  async idempotent(key: string): Promise<{ id: string; requestHash: string } | undefined> {
    const item = await this.getItem(`IDEMP#${this.kind.idempotencyScope}${key}`, 'IDEMP');
    if (!item || Number(item[TTL_ATTRIBUTE]) < Math.floor(this.clock.now() / 1000)) return undefined;
    return { id: String(item[this.kind.idField]), requestHash: String(item.requestHash) };
  }

  /**
   * Sets the defined fields of `patch` (and `updatedAt`) on a record that exists, under `condition`. A
   * failed condition is explained: no such record (NotFound), `unless` present (`whyUnless`'s words), or
   * the status (Conflict).
   */
  async update(
    id: string,
    patch: Partial<T>,
    condition: UpdateCondition = {},
    whyUnless: (current: T) => string = () => `${this.kind.noun} ${id} has ${condition.unless}`,
  ): Promise<T> {
    const set = conditionalSet(patch, new Date(this.clock.now()).toISOString(), condition);
    try {
      const out = await call('UpdateItem', () =>
        this.client.send(
          new UpdateCommand({ TableName: this.table, Key: this.key(id), ...set, ReturnValues: 'ALL_NEW' }),
        ),
      );
      return this.fromItem(out.Attributes ?? {});
    } catch (e) {
      if (!isConditionFailure(e)) throw e;
      const current = await this.get(id);
      if (!current) throw new NotFound(`no ${this.kind.noun} ${id}`);
      const unless = condition.unless;
      if (unless && (current as Record<string, unknown>)[unless] !== undefined)
        throw new Conflict(whyUnless(current));
      throw new Conflict(
        `${this.kind.noun} ${id} is ${current.status}, expected ${condition.expectStatus?.join(' or ')}`,
      );
    }
  }

  async clear(id: string, fields: readonly string[]): Promise<void> {
    if (fields.length === 0) return;
    await call('UpdateItem', () =>
      this.client.send(
        new UpdateCommand({ TableName: this.table, Key: this.key(id), ...removeFields(fields) }),
      ),
    );
  }

  async appendTimeline(id: string, entry: TimelineEntry): Promise<void> {
    this.seq = (this.seq + 1) % 1_000_000;
    const sk = timelineKey(entry.at, this.seq);
    await call('PutItem', () =>
      this.client.send(new PutCommand({ TableName: this.table, Item: { pk: this.pk(id), sk, ...entry } })),
    );
  }

  async timeline(id: string): Promise<TimelineEntry[]> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tl)',
      ExpressionAttributeValues: { ':pk': this.pk(id), ':tl': 'TL#' },
    });
    return items.map(({ pk: _pk, sk: _sk, ...entry }) => entry as unknown as TimelineEntry);
  }

  /** The newest records first, by the index `index` whose partition key `indexKey` is `value`. */
  async list(index: { name: string; key: string; value: string }, limit = 50): Promise<T[]> {
    const out = await call('Query', () =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: index.name,
          KeyConditionExpression: `${index.key} = :pk`,
          ExpressionAttributeValues: { ':pk': index.value },
          ScanIndexForward: false,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map((item) => this.fromItem(item));
  }

  /** One item by its key, read consistently. */
  async getItem(pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
    const out = await call('GetItem', () =>
      this.client.send(new GetCommand({ TableName: this.table, Key: { pk, sk }, ConsistentRead: true })),
    );
    return out.Item;
  }

  /** Every item a key condition selects, page after page, read consistently. */
  async queryAll(input: {
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

  private fromItem(item: Record<string, unknown>): T {
    const copy: Record<string, unknown> = { ...item };
    for (const k of this.kind.keyFields) delete copy[k];
    return copy as unknown as T;
  }
}
