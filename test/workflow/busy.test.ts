/**
 * When the group is busy (issue 14): reject, queue or supersede — one at a time and with many
 * simultaneous starts, against the real workflow in local mode.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  cancelDeployment,
  getDeployment,
  listDeployments,
  startDeployment,
  stopDeployment,
} from '../../functions/api/operations.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { Conflict, GroupBusy } from '../../functions/core/errors.ts';
import type { StepClock } from '../../local/clock.ts';
import { type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const CANARY = 'LambdaCanary10Percent5Minutes';

/** Every start, settled; the fulfilled ones' deployments. */
async function startAll(sc: Scenario, group: string, n: number, extra: Record<string, unknown> = {}) {
  const revisions = Array.from({ length: n }, () => sc.publish(group));
  const results = await Promise.allSettled(
    revisions.map((revision) => startDeployment(sc.ctx, { group, revision, ...extra })),
  );
  const made = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.deployment] : []));
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  return { made, refused };
}

/** Runs time until every deployment of the group has ended, and nothing holds the lock. */
async function allEnded(sc: Scenario, group: string): Promise<Deployment[]> {
  const clock = sc.local.clock as StepClock;
  await clock.run(async () => {
    const all = await sc.ctx.store.list({ group, limit: 100 });
    const open = all.some(
      (d) => !['SUCCEEDED', 'ROLLED_BACK', 'FAILED', 'STOPPED', 'CANCELLED'].includes(d.status),
    );
    return !open && (await sc.ctx.store.lockHolder(group)) === undefined;
  });
  return sc.ctx.store.list({ group, limit: 100 });
}

/** Each deployment's final status, in the order given. */
const statuses = (ended: Deployment[], ...ds: (Deployment | undefined)[]) =>
  ds.map((d) => ended.find((e) => e.id === d?.id)?.status);

/** The order in which deployments of the group reached CREATED, from their timelines. */
async function startOrder(sc: Scenario, deployments: Deployment[]): Promise<string[]> {
  const started = await Promise.all(
    deployments.map(async (d) => {
      const { timeline } = await getDeployment(sc.ctx, d.id);
      const at = timeline.find((e) => e.kind === 'status' && /→ IN_PROGRESS/.test(e.message))?.at;
      return { id: d.id, at };
    }),
  );
  return started
    .filter((x) => x.at !== undefined)
    .sort((a, b) => String(a.at).localeCompare(String(b.at)))
    .map((x) => x.id);
}

describe('onBusy: reject', () => {
  it('starts exactly one of 8 simultaneous starts and answers the other 7 with 409', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY } });
    const { made, refused } = await startAll(s, 'orders', 8);
    expect(made.map((d) => d.status)).toEqual(['CREATED']);
    expect(refused).toHaveLength(7);
    for (const e of refused) expect(e).toBeInstanceOf(GroupBusy);
    const ended = await allEnded(s, 'orders');
    expect(ended.map((d) => d.status)).toEqual(['SUCCEEDED']);
  });
});

describe('onBusy: queue', () => {
  it('starts one of 6 simultaneous starts, queues the next 4 in a strict order, and refuses the 6th (maxQueued 4)', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY, onBusy: 'queue', maxQueued: 4 } });
    const { made, refused } = await startAll(s, 'orders', 6);

    expect(refused).toHaveLength(1);
    expect(refused[0]).toBeInstanceOf(GroupBusy);
    expect(String((refused[0] as Error).message)).toContain('maxQueued 4');
    const running = made.filter((d) => d.status === 'CREATED');
    const queued = made.filter((d) => d.status === 'QUEUED');
    expect(running).toHaveLength(1);
    // Distinct, gap-free places.
    expect(queued.map((d) => d.queueSeq).sort()).toEqual([1, 2, 3, 4]);

    const { deployments } = await listDeployments(s.ctx, { group: 'orders' });
    const positions = deployments
      .filter((d) => d.status === 'QUEUED')
      .sort((a, b) => (a.queueSeq ?? 0) - (b.queueSeq ?? 0))
      .map((d) => d.queuePosition);
    expect(positions).toEqual([1, 2, 3, 4]);

    const ended = await allEnded(s, 'orders');
    expect(ended.map((d) => d.status)).toEqual(Array(5).fill('SUCCEEDED'));
    const bySeq = [...queued].sort((a, b) => (a.queueSeq ?? 0) - (b.queueSeq ?? 0)).map((d) => d.id);
    expect(await startOrder(s, ended)).toEqual([running[0]?.id, ...bySeq]);
    // Every place was given back: the queue's bound is whole again (size 0 < 1), numbering goes on.
    expect(await s.ctx.store.reserveQueueSlot('orders', 1)).toBe(5);
  });

  it('starts the next queued one after any end: a rollback, a stop without rollback', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY, onBusy: 'queue' } });
    const first = await s.deploy('orders', s.publish('orders'));
    const second = await s.deploy('orders', s.publish('orders'));
    const third = await s.deploy('orders', s.publish('orders'));
    expect([second.status, third.status]).toEqual(['QUEUED', 'QUEUED']);
    await s.until(first, (d) => d.status === 'IN_PROGRESS' && d.bakeToken !== undefined, 'the first bake');
    await stopDeployment(s.ctx, first.id, { rollback: true });
    const next = await s.until(second, (d) => d.bakeToken !== undefined, 'the second baking');
    expect((await s.ctx.store.get(first.id))?.status).toBe('ROLLED_BACK');
    await stopDeployment(s.ctx, next.id, { rollback: false });
    // The third starts, and its Prepare finds the split the second left — as any start would.
    const ended = await allEnded(s, 'orders');
    expect(statuses(ended, first, second, third)).toEqual(['ROLLED_BACK', 'STOPPED', 'FAILED']);
    expect(ended.find((d) => d.id === third.id)?.reason).toContain(second.id);
  });

  it('cancels a queued deployment, which then never starts; running ones cannot be cancelled', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY, onBusy: 'queue' } });
    const first = await s.deploy('orders', s.publish('orders'));
    const second = await s.deploy('orders', s.publish('orders'));
    const third = await s.deploy('orders', s.publish('orders'));
    expect((await getDeployment(s.ctx, third.id)).deployment).toMatchObject({ queuePosition: 2 });

    const { deployment } = await cancelDeployment(s.ctx, second.id, { reason: 'not this one' });
    expect(deployment.status).toBe('CANCELLED');
    expect((await getDeployment(s.ctx, third.id)).deployment).toMatchObject({ queuePosition: 1 });
    await expect(cancelDeployment(s.ctx, second.id, {})).rejects.toBeInstanceOf(Conflict);
    await expect(cancelDeployment(s.ctx, first.id, {})).rejects.toThrow('stop it instead');
    // Stopping a queued one cancels it too.
    const fourth = await s.deploy('orders', s.publish('orders'));
    expect((await stopDeployment(s.ctx, fourth.id, {})).deployment.status).toBe('CANCELLED');

    const ended = await allEnded(s, 'orders');
    expect(statuses(ended, first, second, third, fourth)).toEqual([
      'SUCCEEDED',
      'CANCELLED',
      'SUCCEEDED',
      'CANCELLED',
    ]);
    expect((await s.ctx.store.get(second.id))?.executionArn).toBeUndefined();
    expect(await s.ctx.store.queue('orders')).toEqual([]);
  });

  it('lets a request queue on a group that rejects, and a request reject on a group that queues', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY } });
    await s.deploy('orders', s.publish('orders'));
    await expect(s.deploy('orders', s.publish('orders'))).rejects.toBeInstanceOf(GroupBusy);
    const queued = await s.deploy('orders', s.publish('orders'), { onBusy: 'queue' });
    expect(queued).toMatchObject({ status: 'QUEUED', onBusy: 'queue', queueSeq: 1 });
    // Queued ones go first even once the group is free: a reject start is refused while any wait.
    await expect(s.deploy('orders', s.publish('orders'), { onBusy: 'reject' })).rejects.toThrow('busy');
    await allEnded(s, 'orders');
  });

  it('queues a redelivered intake event once, under the id its event gives it', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY, onBusy: 'queue' } });
    const running = await s.deploy('orders', s.publish('orders'));
    const body = { group: 'orders', revision: s.publish('orders') };
    const fixed = { id: 'e-evt-1', trigger: 'event evt-1 (stepshift / Deployment Requested)' };
    // As intake starts it: the idempotency key and the deployment id from the event id.
    const first = await startDeployment(s.ctx, body, 'event-evt-1', fixed);
    const again = await startDeployment(s.ctx, body, 'event-evt-1', fixed);
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.deployment).toMatchObject({ id: 'e-evt-1', status: 'QUEUED', queueSeq: 1 });
    expect(await s.ctx.store.queue('orders')).toEqual([{ seq: 1, deploymentId: 'e-evt-1' }]);
    expect(await s.ctx.store.lockHolder('orders')).toBe(running.id);
    const ended = await allEnded(s, 'orders');
    expect(statuses(ended, running, first.deployment)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
  });

  it('starts the next one once however often the end is delivered', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY, onBusy: 'queue' } });
    const first = await s.deploy('orders', s.publish('orders'));
    const second = await s.deploy('orders', s.publish('orders'));
    const third = await s.deploy('orders', s.publish('orders'));
    await s.finished(first);
    await s.until(second, (d) => d.status === 'IN_PROGRESS', 'the second running');
    const { startNextQueued } = await import('../../functions/api/queue.ts');
    await Promise.all([startNextQueued(s.ctx, first.id), startNextQueued(s.ctx, first.id)]);
    expect((await s.ctx.store.get(third.id))?.status).toBe('QUEUED');
    expect(await s.ctx.store.lockHolder('orders')).toBe(second.id);
    await allEnded(s, 'orders');
  });
});

describe('onBusy: supersede', () => {
  it('stops the running deployment with rollback and starts the new one', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY } });
    const first = await s.deploy('orders', s.publish('orders'));
    await s.until(first, (d) => d.bakeToken !== undefined, 'the first bake');
    const second = await s.deploy('orders', s.publish('orders'), { onBusy: 'supersede' });
    expect(second.status).toBe('QUEUED');
    const ended = await allEnded(s, 'orders');
    expect(statuses(ended, first, second)).toEqual(['ROLLED_BACK', 'SUCCEEDED']);
    const { timeline } = await getDeployment(s.ctx, first.id);
    expect(timeline.map((e) => e.message).join('\n')).toContain(`superseded by ${second.id}`);
  });

  it('lets the last of 5 simultaneous supersedes win: every earlier one is rolled back or cancelled, nothing split or locked', async () => {
    s = await scenario({ orders: { deploymentConfig: CANARY, onBusy: 'supersede' } });
    const running = await s.deploy('orders', s.publish('orders'));
    await s.until(running, (d) => d.bakeToken !== undefined, 'the first bake');
    const { made, refused } = await startAll(s, 'orders', 5);
    expect(refused).toEqual([]);
    const last = [...made].sort((a, b) => (b.queueSeq ?? 0) - (a.queueSeq ?? 0))[0];
    const ended = await allEnded(s, 'orders');
    const succeeded = ended.filter((d) => d.status === 'SUCCEEDED');
    expect(succeeded.map((d) => d.id)).toEqual([last?.id]);
    for (const d of ended.filter((x) => x.id !== last?.id))
      expect(['ROLLED_BACK', 'CANCELLED']).toContain(d.status);
    expect(await s.ctx.store.queue('orders')).toEqual([]);
    const live = await s.ctx.router.current(s.ctx.groups.groups.orders as never);
    expect(live).toEqual({ kind: 'lambda', version: last?.revision, additionalVersionWeights: {} });
  });
});
