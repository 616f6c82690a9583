/**
 * When the group is busy: the group's queue (onBusy `queue`), superseding (onBusy `supersede`), cancelling
 * a queued deployment, and starting the next one when the group frees up.
 *
 * The queue is a counter and one entry per place (functions/aws/dynamo-store.ts): a place is numbered and
 * bounded by one atomic update, so simultaneous starts get distinct, consecutive numbers and the
 * (maxQueued+1)th is refused. Its entry is written after its record, and removed only once the
 * deployment left QUEUED (started or cancelled), so every step can be repeated after a crash or a
 * redelivered event without starting anything twice: the execution name is the deployment id.
 *
 * Starting a recorded deployment's execution is here too (`startOrFail`), for a start (./start.ts) and
 * for the next one in the queue alike.
 *
 * Who starts the next one: whoever may start executions — the execution watchdog when an execution ends
 * (on AWS; `workflow.onEnd` locally), and every start that found the group busy or its queue waiting.
 * The task functions never do (they have no StartExecution).
 */
import type { Deployment } from '../core/deployment.ts';
import { Conflict, GroupBusy, NotFound } from '../core/errors.ts';
import type { DeploymentGroup } from '../core/group-config.ts';
import { isoNow, note, transition } from '../tasks/context.ts';
import { acquireLock } from '../tasks/lock.ts';
import { type ApiContext, type DeploymentView, view } from './context.ts';

/**
 * Records `deployment` as QUEUED in a new place of its group's queue. With `supersede`, every deployment
 * queued before it is cancelled and the running one is stopped with rollback: it starts next. The
 * (maxQueued+1)th waiting deployment is refused with 409 and nothing of it is written.
 */
export async function queueDeployment(
  ctx: ApiContext,
  group: DeploymentGroup,
  deployment: Deployment,
  holder: string | undefined,
  create: (d: Deployment) => Promise<{ deployment: Deployment; created: boolean }>,
): Promise<{ status: 200 | 201; deployment: Deployment }> {
  const seq = await ctx.store.reserveQueueSlot(group.name, group.maxQueued);
  if (seq === undefined) {
    throw new GroupBusy(
      `group ${group.name} is busy${holder ? ` (deployment ${holder} is in progress)` : ''} and its queue is full: ${group.maxQueued} deployments wait already (maxQueued ${group.maxQueued})`,
      { ...(holder ? { holder } : {}), maxQueued: group.maxQueued },
    );
  }
  let made: Deployment;
  let created: boolean;
  try {
    ({ deployment: made, created } = await create({ ...deployment, status: 'QUEUED', queueSeq: seq }));
  } catch (e) {
    await ctx.store.releaseQueueSlot(group.name);
    throw e;
  }
  if (!created) {
    // A repeated request (idempotency key, redelivered event): the place it took first stands.
    await ctx.store.releaseQueueSlot(group.name);
    return { status: 200, deployment: await ensureQueued(ctx, made) };
  }
  await ctx.store.enqueue(group.name, seq, made.id);
  await note(
    ctx,
    made.id,
    'status',
    `queued (${made.onBusy}): place ${seq} in ${group.name}'s queue${holder ? `, behind ${holder}` : ''}`,
  );
  await ctx.events.stateChanged({
    deploymentId: made.id,
    group: made.group,
    revision: made.revision,
    status: 'QUEUED',
    previousStatus: undefined,
    at: made.createdAt,
  });
  if (made.onBusy === 'supersede') await supersede(ctx, made, seq);
  // The running one may have ended while this was being queued, its end finding the queue empty.
  await dequeueNext(ctx, group.name);
  return { status: 201, deployment: (await ctx.store.get(made.id)) ?? made };
}

/** A QUEUED deployment's entry, written again: a first attempt may have stopped before writing it. */
export async function ensureQueued(ctx: ApiContext, deployment: Deployment): Promise<Deployment> {
  if (deployment.status === 'QUEUED' && deployment.queueSeq !== undefined) {
    await ctx.store.enqueue(deployment.group, deployment.queueSeq, deployment.id);
    await dequeueNext(ctx, deployment.group);
    return (await ctx.store.get(deployment.id)) ?? deployment;
  }
  return deployment;
}

/**
 * The last one wins: every deployment queued before `me` is cancelled, and the running one — if it
 * started before `me` was queued — is stopped with rollback, as `POST /deployments/{id}/stop`. Its
 * rollback ends its execution, and that end starts `me`.
 */
async function supersede(ctx: ApiContext, me: Deployment, seq: number): Promise<void> {
  for (const entry of await ctx.store.queue(me.group)) {
    if (entry.seq >= seq) continue;
    await cancelQueued(ctx, entry.deploymentId, `superseded by ${me.id}`).catch((e: unknown) => {
      if (!(e instanceof Conflict)) throw e; // it left the queue meanwhile: started (stopped below) or cancelled
    });
  }
  // A later supersede cancelled this one: that one stops the running deployment, not this.
  if ((await ctx.store.get(me.id))?.status !== 'QUEUED') return;
  const holder = await ctx.store.lockHolder(me.group);
  if (!holder || holder === me.id) return;
  const running = await ctx.store.get(holder);
  if (!running || (running.queueSeq !== undefined && running.queueSeq > seq)) return;
  await stopForSupersede(ctx, running, me.id);
}

/**
 * Records a stop with rollback and ends a bake at once — what `POST /deployments/{id}/stop` does, kept
 * here so that the stop operation stays as it is. A deployment that ended meanwhile is left alone.
 */
async function stopForSupersede(ctx: ApiContext, running: Deployment, by: string): Promise<void> {
  if (running.status !== 'CREATED' && running.status !== 'IN_PROGRESS') return;
  if (running.stopRequest?.rollback) return;
  let updated: Deployment;
  try {
    updated = await ctx.store.update(
      running.id,
      { stopRequest: { rollback: true, at: isoNow(ctx), reason: `superseded by ${by}` } },
      ['CREATED', 'IN_PROGRESS'],
    );
  } catch (e) {
    if (e instanceof Conflict) return;
    throw e;
  }
  await note(ctx, running.id, 'info', `stop requested (with rollback): superseded by ${by}`);
  if (updated.bakeToken) {
    await ctx.bakes.fail(
      updated.bakeToken,
      'StopRequested',
      `stop requested (with rollback): superseded by ${by}`,
    );
  }
}

/** Cancels a QUEUED deployment: it ends CANCELLED and leaves the queue. Anything else is a 409. */
export async function cancelQueued(ctx: ApiContext, id: string, reason: string): Promise<Deployment> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  if (deployment.status !== 'QUEUED') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a queued deployment can be cancelled${
        deployment.status === 'CREATED' || deployment.status === 'IN_PROGRESS' ? '; stop it instead' : ''
      }`,
    );
  }
  // Conditional on QUEUED: of a cancel and a start racing, exactly one wins.
  const cancelled = await transition(ctx, deployment, 'CANCELLED', {}, reason);
  if (deployment.queueSeq !== undefined) await ctx.store.dequeue(deployment.group, deployment.queueSeq);
  return cancelled;
}

/**
 * Starts the head of the group's queue if the group is free: takes the lock for it, moves it QUEUED →
 * CREATED (conditionally: a cancel may race), removes its entry, starts its execution. Does nothing while
 * the group is busy — the running deployment's end calls it again. Safe to call any number of times, at
 * once or again after a crash at any point: the lock admits one, the status write admits one start,
 * and the execution name is the deployment id. Returns the deployment it started, if any.
 */
export async function dequeueNext(ctx: ApiContext, group: string): Promise<Deployment | undefined> {
  for (;;) {
    const entries = await ctx.store.queue(group);
    const [head] = entries;
    if (!head) return undefined;
    const waiting = await Promise.all(entries.map((e) => ctx.store.get(e.deploymentId)));
    // A supersede queued behind others wins over them, however the starts interleaved: they are
    // cancelled here rather than started and stopped.
    const winner = waiting.findLastIndex((d) => d?.status === 'QUEUED' && d.onBusy === 'supersede');
    const superseded = waiting.slice(0, Math.max(winner, 0)).filter((d) => d?.status === 'QUEUED');
    if (superseded.length > 0) {
      for (const d of superseded) {
        await cancelQueued(ctx, d?.id ?? '', `superseded by ${waiting[winner]?.id}`).catch((e: unknown) => {
          if (!(e instanceof Conflict)) throw e;
        });
      }
      continue;
    }
    const next = waiting[0];
    if (next?.status !== 'QUEUED') {
      // Cancelled, or started by a call that stopped before removing the entry: finish that call's work.
      await ctx.store.dequeue(group, head.seq);
      if (next?.status === 'CREATED' && !next.executionArn && (await ctx.store.lockHolder(group)) === next.id)
        return startOrFail(ctx, next);
      continue;
    }
    if (await acquireLock(ctx, group, next.id)) return undefined;
    let started: Deployment;
    try {
      started = await transition(ctx, next, 'CREATED', {}, 'its turn came: the group is free');
    } catch (e) {
      if (!(e instanceof Conflict)) throw e;
      await ctx.store.unlock(group, next.id); // cancelled meanwhile: the lock is not its to keep
      continue;
    }
    await ctx.store.dequeue(group, head.seq);
    return startOrFail(ctx, started);
  }
}

/**
 * An execution ended (however: SUCCEEDED, ROLLED_BACK, FAILED, STOPPED, aborted): its group's next
 * queued deployment starts. A redelivered end starts nothing twice: the next one holds the lock by then.
 */
export async function startNextQueued(ctx: ApiContext, endedId: string): Promise<Deployment | undefined> {
  const ended = await ctx.store.get(endedId);
  return ended ? dequeueNext(ctx, ended.group) : undefined;
}

/**
 * Starts the execution; a start that fails (after the SDK's own retries) ends the deployment FAILED, so
 * its lock is freed. Should the start have gone through unseen, Prepare finds the deployment FAILED and
 * the execution ends at once without touching anything.
 */
export async function startOrFail(ctx: ApiContext, deployment: Deployment): Promise<Deployment> {
  try {
    return await ensureStarted(ctx, deployment);
  } catch (e) {
    const reason = `the workflow could not be started: ${e instanceof Error ? e.message : String(e)}`;
    await transition(ctx, deployment, 'FAILED', {}, reason).catch(() => undefined);
    await ctx.store.unlock(deployment.group, deployment.id);
    throw e;
  }
}

/**
 * Starts the deployment's execution unless it is known to be started. Starting a used execution name
 * is a no-op anyway, so a retry after a crash between the record and the start starts it exactly once.
 */
export async function ensureStarted(ctx: ApiContext, deployment: Deployment): Promise<Deployment> {
  if (deployment.executionArn || deployment.status === 'CANCELLED') return deployment;
  // A queued one starts when its turn comes, not now.
  if (deployment.status === 'QUEUED') return ensureQueued(ctx, deployment);
  const { executionArn } = await ctx.workflow.start(deployment.executionName, {
    deploymentId: deployment.id,
  });
  return ctx.store.update(deployment.id, { executionArn });
}

/** A deployment as an API caller sees it, with its place in the queue while it waits (1 = next). */
export interface QueuedView extends DeploymentView {
  queuePosition?: number;
}

/** Each QUEUED deployment's place, 1 = next, by its group's queue. */
export async function withQueuePositions(ctx: ApiContext, deployments: Deployment[]): Promise<QueuedView[]> {
  const groups = [...new Set(deployments.filter((d) => d.status === 'QUEUED').map((d) => d.group))];
  const ranks = new Map<string, number>();
  for (const group of groups) {
    const entries = await ctx.store.queue(group);
    const waiting = await Promise.all(entries.map((e) => ctx.store.get(e.deploymentId)));
    let rank = 0;
    for (const d of waiting) if (d?.status === 'QUEUED') ranks.set(d.id, ++rank);
  }
  return deployments.map((d) => {
    const position = ranks.get(d.id);
    return position === undefined ? view(ctx, d) : { ...view(ctx, d), queuePosition: position };
  });
}
