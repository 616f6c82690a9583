/**
 * What local mode does when it starts again on a data folder a stopped (or killed) instance left: put
 * the virtual clock back no earlier than where it was, and end every deployment that was in progress.
 *
 * Executions live in memory: after a restart none of them runs, so every deployment not ended is
 * orphaned, whether it held its group's lock or not, whether its execution had started or not. Each is
 * rolled back to its recorded routing — never left half-shifted, never left CREATED with `stop` answered
 * 202 and nothing listening.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiContext } from '../functions/api/operations.ts';
import { endRelease, type ReleaseContext, transitionRelease } from '../functions/api/release-workflow.ts';
import { INDEX_ALL } from '../functions/aws/dynamo-store.ts';
import { isTerminal, type Status } from '../functions/core/deployment.ts';
import { isReleaseEnded } from '../functions/core/release.ts';
import type { ReleaseStore } from '../functions/ports.ts';
import { transition } from '../functions/tasks/context.ts';
import { finalize, scaleDownOld } from '../functions/tasks/finalize.ts';
import { rollback } from '../functions/tasks/rollback.ts';
import type { LocalClock } from './clock.ts';

const TIME_FILE = 'virtual-time.json';
/** Real milliseconds between two saves of the virtual time: a kill -9 loses at most this much of it. */
const SAVE_EVERY_MS = 2000;

const INTERRUPTED = {
  Error: 'Interrupted',
  Cause: 'local mode stopped while the deployment was in progress',
};

interface StoredDeployment {
  id: string;
  status: Status;
  createdAt?: string;
  updatedAt?: string;
  endedAt?: string;
}

/**
 * Writes `text` to `file` whole or not at all: a kill -9 during a plain write leaves the file cut short
 * (an empty account.json stopped the next start), while a rename replaces it in one step.
 */
export function writeWhole(file: string, text: string): void {
  const next = `${file}.next`;
  writeFileSync(next, text);
  renameSync(next, file);
}

/** Reads of the base table in flight at once while records are checked at start. */
const CHECKS_AT_ONCE = 25;

/**
 * Every deployment record, as the base table holds it, read page by page through the index that lists
 * them all — and the index made whole again where a kill -9 tore a write.
 *
 * dynalite writes a new item's index entries before the item itself, in separate LevelDB writes: a kill
 * between them leaves a deployment that `list` shows (CREATED) and `get` does not find, so nothing could
 * ever end it. Such a record is written back from its index copy (the index projects every attribute),
 * and recovery then ends it as any other. For the same reason an index entry may be newer than its item:
 * the status that counts is the item's.
 */
export async function storedDeployments(
  client: DynamoDBDocumentClient,
  table: string,
): Promise<StoredDeployment[]> {
  const indexed: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await client.send(
      new QueryCommand({
        TableName: table,
        IndexName: INDEX_ALL,
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': 'DEPLOYMENT' },
        ExclusiveStartKey: start,
      }),
    );
    indexed.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  const records: StoredDeployment[] = [];
  for (let i = 0; i < indexed.length; i += CHECKS_AT_ONCE) {
    const checked = await Promise.all(
      indexed.slice(i, i + CHECKS_AT_ONCE).map(async (copy) => {
        const key = { pk: copy.pk, sk: copy.sk };
        const { Item } = await client.send(
          new GetCommand({ TableName: table, Key: key, ConsistentRead: true }),
        );
        if (Item) return Item;
        await client.send(
          new PutCommand({ TableName: table, Item: copy, ConditionExpression: 'attribute_not_exists(pk)' }),
        );
        return copy;
      }),
    );
    records.push(...(checked as unknown as StoredDeployment[]));
  }
  return records;
}

/**
 * The virtual time a restart must not start before: the last saved virtual time, and the newest time
 * any record carries (a kill -9 can come after a write and before the next save). A clock started
 * earlier would date an interruption before the deployment it interrupts, and `list` (newest first)
 * would put new deployments after old ones.
 *
 * @example saved 01:40, newest record updated 01:44, real now 01:10 → 01:44
 */
export function virtualTimeFloor(dataDir: string | undefined, records: readonly StoredDeployment[]): number {
  let floor = 0;
  if (dataDir) {
    try {
      const saved = JSON.parse(readFileSync(join(dataDir, TIME_FILE), 'utf8')) as { virtualTime?: unknown };
      if (typeof saved.virtualTime === 'number' && Number.isFinite(saved.virtualTime))
        floor = saved.virtualTime;
    } catch {
      // no time saved yet (first start, or a folder from before it was kept): the records decide
    }
  }
  for (const r of records) {
    for (const at of [r.createdAt, r.updatedAt, r.endedAt]) {
      const t = at ? Date.parse(at) : Number.NaN;
      if (t > floor) floor = t;
    }
  }
  return floor;
}

/**
 * Saves the clock's virtual time in the data folder now, then every SAVE_EVERY_MS of real time (on a
 * timer that keeps no process alive), and at `stop`.
 */
export function keepVirtualTime(clock: LocalClock, dataDir: string): { stop(): void } {
  const file = join(dataDir, TIME_FILE);
  const save = () => {
    try {
      writeWhole(file, JSON.stringify({ virtualTime: clock.now() }));
    } catch (e) {
      console.error(`could not save the virtual time in ${file}: ${String(e)}`);
    }
  };
  save();
  const timer = setInterval(save, SAVE_EVERY_MS);
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      save();
    },
  };
}

/**
 * Ends everything a stopped instance left in progress: locks whose deployment ended or was never
 * recorded are freed; every deployment not ended — holding its lock or not (a record from a version
 * that took the lock in Prepare, a start killed before its execution began) — is rolled back with
 * `force`. Returns the ids rolled back. Nothing else runs yet, so nothing here races an execution.
 */
export async function recoverInterrupted(
  ctx: ApiContext,
  records: readonly StoredDeployment[],
): Promise<string[]> {
  const { store } = ctx;
  const recovered: string[] = [];
  for (const { group, deploymentId } of await store.locks()) {
    const d = await store.get(deploymentId);
    if (!d || isTerminal(d.status)) await store.unlock(group, deploymentId);
  }
  // A QUEUED deployment was not interrupted: it waits its turn, which local mode gives it once started.
  for (const { id } of records.filter((r) => !isTerminal(r.status) && r.status !== 'QUEUED')) {
    const d = await store.get(id);
    if (!d || isTerminal(d.status) || d.status === 'QUEUED') continue;
    try {
      await rollback(ctx, { deploymentId: id, force: true, error: INTERRUPTED });
    } catch (e) {
      // A rollback that cannot finish (its group left the config, its function is gone) still ends the
      // deployment: FAILED, routing as found, lock freed, so it blocks nothing and is not left running.
      const reason = `${INTERRUPTED.Cause}; the rollback at restart failed: ${e instanceof Error ? e.message : String(e)}`;
      try {
        const now = await store.get(id);
        if (now && !isTerminal(now.status)) await transition(ctx, now, 'FAILED', {}, reason);
        await store.unlock(d.group, id);
      } catch (again) {
        // One record that cannot be written must not keep local mode from starting: said, and left.
        console.error(`could not end ${id} at restart: ${String(again)}`);
        continue;
      }
    }
    recovered.push(id);
  }
  return recovered;
}

/**
 * Ends every release a stopped instance left in progress (or, with `ids`, those releases), before the
 * deployments are recovered. A release that had committed is carried forward: its members that had not
 * finalized yet finalize now (an ECS member retires its old service at once: the termination wait was
 * the stopped instance's). Any other is rolled back whole: the members not started are cancelled, every
 * other member still running is rolled back to its recorded routing. Returns each release and its end.
 */
export async function recoverReleases(
  ctx: ApiContext & { releases: ReleaseStore },
  ids: readonly string[] | undefined,
  why: string,
): Promise<{ id: string; status: string }[]> {
  const rctx = ctx as ReleaseContext;
  const candidates = ids
    ? (await Promise.all(ids.map((id) => ctx.releases.get(id)))).filter((r) => r !== undefined)
    : await ctx.releases.list({ limit: 1000 });
  const ended: { id: string; status: string }[] = [];
  for (const release of candidates) {
    if (isReleaseEnded(release.status)) continue;
    try {
      for (const member of release.members) {
        const d = await ctx.store.get(member.deploymentId);
        if (!d || isTerminal(d.status)) continue;
        if (d.status === 'CREATED' && !d.executionArn) {
          await transition(ctx, d, 'CANCELLED', {}, `${why}: its wave never started`);
          await ctx.store.unlock(d.group, d.id);
          continue;
        }
        if (release.committedAt && d.status === 'IN_PROGRESS') {
          try {
            const { status } = await finalize(ctx, { deploymentId: d.id });
            if (status !== 'SUCCEEDED') await scaleDownOld(ctx, { deploymentId: d.id });
            continue;
          } catch (e) {
            console.error(`finalizing ${d.id} of release ${release.id} at restart failed: ${String(e)}`);
          }
        }
        await rollback(ctx, { deploymentId: d.id, force: true, error: { Error: 'Interrupted', Cause: why } });
      }
      const now = (await ctx.releases.get(release.id)) ?? release;
      const rolling =
        !now.committedAt && now.status !== 'ROLLING_BACK'
          ? await transitionRelease(rctx, now, 'ROLLING_BACK', {}, why)
          : now;
      const { status } = await endRelease(rctx, { releaseId: rolling.id });
      ended.push({ id: release.id, status });
    } catch (e) {
      console.error(`could not end release ${release.id} at restart: ${String(e)}`);
      const now = await ctx.releases.get(release.id);
      if (now && !isReleaseEnded(now.status)) {
        await transitionRelease(rctx, now, 'FAILED', {}, `${why}; ending it failed: ${String(e)}`).catch(
          () => undefined,
        );
      }
      ended.push({ id: release.id, status: 'FAILED' });
    }
  }
  return ended;
}
