/**
 * The group lock: one active deployment per group, taken by a conditional write. A lock can outlive its
 * holder — a crash between a deployment's last status write and its unlock, a process killed between
 * taking the lock and recording the deployment — so a lock is judged by its holder, not by its
 * existence: a lock whose holder ended after taking it, or whose holder was never recorded a minute
 * after, is stale and is taken over (conditionally, so two takers cannot both win). Nothing ever waits
 * on a stale lock, and no API call is needed to free one.
 */
import { isTerminal } from '../core/deployment.ts';
import type { TaskContext } from './context.ts';

/** How long a lock may name a deployment not yet recorded: the API takes the lock just before it records. */
export const UNRECORDED_HOLDER_GRACE_MS = 60_000;

/**
 * Takes the group lock for `deploymentId`. Returns undefined when it holds the lock (now or already), or
 * the live holder that keeps the group busy.
 *
 * @example acquireLock(ctx, 'orders', 'd-2') → undefined; then acquireLock(ctx, 'orders', 'd-3') → 'd-2'
 */
export async function acquireLock(
  ctx: TaskContext,
  group: string,
  deploymentId: string,
): Promise<string | undefined> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const holder = await ctx.store.lock(group, deploymentId);
    if (holder === deploymentId) return undefined;
    if (!(await isStale(ctx, group, holder))) return holder;
    if ((await ctx.store.lock(group, deploymentId, { replacing: holder })) === deploymentId) return undefined;
  }
  const holder = await ctx.store.lock(group, deploymentId);
  return holder === deploymentId ? undefined : holder;
}

/** Whether the lock `holder` has on `group` keeps nobody out any more. */
export async function isStale(ctx: TaskContext, group: string, holder: string): Promise<boolean> {
  const record = await ctx.store.lockRecord(group);
  if (!record || record.deploymentId !== holder) return false;
  const since = Date.parse(record.since);
  const deployment = await ctx.store.get(holder);
  if (!deployment) return ctx.clock.now() - since > UNRECORDED_HOLDER_GRACE_MS;
  // A rollback of an ended deployment takes the lock after it ended: that lock is live.
  return isTerminal(deployment.status) && !!deployment.endedAt && Date.parse(deployment.endedAt) >= since;
}
