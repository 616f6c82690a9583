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
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TimelineEntry } from '../core/deployment.ts';
import type { Release, ReleaseStatus } from '../core/release.ts';
import type { Clock, ReleaseStore } from '../ports.ts';
import { DynamoRecords } from './dynamo-records.ts';
import { INDEX_ALL } from './dynamo-store.ts';

export class DynamoReleaseStore implements ReleaseStore {
  /** The releases, their timelines and idempotency records (functions/aws/dynamo-records.ts). */
  private readonly records: DynamoRecords<Release>;

  constructor(client: DynamoDBDocumentClient, table: string, clock: Clock) {
    this.records = new DynamoRecords<Release>(client, table, clock, {
      prefix: 'REL',
      noun: 'release',
      idempotencyScope: 'release:',
      idField: 'releaseId',
      idempotencyConflict: (key) =>
        `Idempotency-Key ${key} was used for a different release request: use a new key`,
      indexKeys: (r) => ({ gsi2pk: 'RELEASE', gsi2sk: `${r.createdAt}#${r.id}` }),
      keyFields: ['pk', 'sk', 'gsi2pk', 'gsi2sk'],
    });
  }

  async create(
    release: Release,
    idempotency?: { key: string; requestHash: string; ttlSeconds: number },
  ): Promise<{ release: Release; created: boolean }> {
    const { record, created } = await this.records.create(release, idempotency);
    return { release: record, created };
  }

  get(id: string): Promise<Release | undefined> {
    return this.records.get(id);
  }

  update(
    id: string,
    patch: Partial<Release>,
    options: { expectStatus?: readonly ReleaseStatus[]; unless?: 'committedAt' | 'stopRequest' } = {},
  ): Promise<Release> {
    return this.records.update(id, patch, options, () =>
      options.unless === 'committedAt'
        ? `release ${id} has committed: its members are finalizing`
        : `release ${id} is being stopped`,
    );
  }

  clear(id: string, fields: readonly (keyof Release)[]): Promise<void> {
    return this.records.clear(id, fields);
  }

  appendTimeline(id: string, entry: TimelineEntry): Promise<void> {
    return this.records.appendTimeline(id, entry);
  }

  timeline(id: string): Promise<TimelineEntry[]> {
    return this.records.timeline(id);
  }

  list(options: { limit?: number } = {}): Promise<Release[]> {
    return this.records.list({ name: INDEX_ALL, key: 'gsi2pk', value: 'RELEASE' }, options.limit);
  }

  async idempotent(key: string): Promise<{ releaseId: string; requestHash: string } | undefined> {
    const found = await this.records.idempotent(key);
    return found && { releaseId: found.id, requestHash: found.requestHash };
  }
}
