/**
 * Controlling a deployment that waits, runs or ended: cancel, stop, promote, approve, reject, roll back,
 * and the alarm
 * intake that fails the bakes an alarm watches. Over ports, served by the local HTTP server and by the
 * API Gateway handlers alike (./operations.ts gathers every operation of the API).
 */
import * as z from 'zod/mini';
import { type Approval, type Deployment, isTerminal, sameRouting } from '../core/deployment.ts';
import { Conflict, GroupBusy, NotFound, PreflightFailed } from '../core/errors.ts';
import { typeRule } from '../core/problems.ts';
import { type Platform, platformOf } from '../platforms/index.ts';
import { groupOf, isoNow, note, transition } from '../tasks/context.ts';
import { acquireLock } from '../tasks/lock.ts';
import { rollback } from '../tasks/rollback.ts';
import { type ApiContext, type DeploymentView, parse, view } from './context.ts';
import { cancelQueued } from './queue.ts';

export const stopRequestSchema = z.strictObject({
  rollback: z._default(z.boolean({ error: 'must be true or false' }), true),
  reason: z.optional(/* @__PURE__ */ z.string().check(z.maxLength(512))),
});

/**
 * Stops a deployment. With rollback (the default) the recorded routing is restored; without, the
 * routing stays as it is, recorded, and the next deployment's preflight names this one.
 */
export async function stopDeployment(
  ctx: ApiContext,
  id: string,
  body: unknown,
): Promise<{ deployment: DeploymentView }> {
  const request = parse(stopRequestSchema, body, 'invalid stop request');
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  // A queued one has nothing to roll back: stopping it cancels it.
  if (deployment.status === 'QUEUED') {
    return { deployment: view(ctx, await cancelQueued(ctx, id, request.reason ?? 'stopped while queued')) };
  }
  if (isTerminal(deployment.status) || deployment.status === 'ROLLING_BACK') {
    throw new Conflict(`deployment ${id} is ${deployment.status}: there is nothing to stop`);
  }
  // A release member whose wave has not started runs nothing to stop: it never starts. Its release
  // hears of it and rolls back the members that moved.
  if (deployment.release && deployment.status === 'CREATED' && !deployment.executionArn) {
    const reason = `stopped before its wave started${request.reason ? `: ${request.reason}` : ''}`;
    const cancelled = await transition(ctx, deployment, 'CANCELLED', {}, reason);
    await ctx.store.unlock(deployment.group, deployment.id);
    return { deployment: view(ctx, cancelled) };
  }
  const updated = await ctx.store.update(
    id,
    {
      stopRequest: {
        rollback: request.rollback,
        at: isoNow(ctx),
        ...(request.reason ? { reason: request.reason } : {}),
      },
    },
    ['CREATED', 'IN_PROGRESS'],
  );
  await note(ctx, id, 'info', `stop requested (${request.rollback ? 'with' : 'without'} rollback)`);
  if (updated.bakeToken) {
    await ctx.bakes.fail(
      updated.bakeToken,
      'StopRequested',
      `stop requested (${request.rollback ? 'with' : 'without'} rollback)`,
    );
  }
  return { deployment: view(ctx, updated) };
}

/** Skips the remaining bakes: the current one ends now, the next steps follow without waiting. */
export async function promoteDeployment(
  ctx: ApiContext,
  id: string,
): Promise<{ deployment: DeploymentView }> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  if (deployment.status !== 'IN_PROGRESS' && deployment.status !== 'CREATED') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a deployment in progress can be promoted`,
    );
  }
  const updated = await ctx.store.update(id, { promoted: true }, ['CREATED', 'IN_PROGRESS']);
  await note(ctx, id, 'info', 'promoted: remaining bakes skipped');
  // A promote skips bakes, not a person's sign-off (a pending approval keeps waiting) nor a release's
  // commit (a member at its commit point waits for the others).
  if (updated.bakeToken && !updated.approval?.pending && !updated.releaseReadyAt)
    await ctx.bakes.succeed(updated.bakeToken);
  return { deployment: view(ctx, updated) };
}

export const rejectRequestSchema = z.strictObject({
  reason: z
    .string(typeRule('must be a string'))
    .check(
      z.minLength(1, { error: 'must say why: it is recorded, and the rollback names it' }),
      z.maxLength(1024, { error: 'must be at most 1024 characters' }),
    ),
});

/** The deployment whose pause waits, else 404 or 409 naming what it is doing instead. */
async function pendingApproval(ctx: ApiContext, id: string): Promise<Deployment & { approval: Approval }> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  const { approval } = deployment;
  if (deployment.status !== 'IN_PROGRESS' || !approval?.pending || !deployment.bakeToken) {
    throw new Conflict(`deployment ${id} is ${deployment.status} and waits for no approval`);
  }
  return { ...deployment, approval };
}

/**
 * Approves the pause a deployment waits at: the workflow goes on to the next shift. A conditional
 * write on the pending approval, so that of an approve and a reject sent together exactly one wins.
 */
export async function approveDeployment(
  ctx: ApiContext,
  id: string,
): Promise<{ deployment: DeploymentView }> {
  const d = await pendingApproval(ctx, id);
  const updated = await decide(ctx, d, { decision: 'approved' });
  await note(ctx, id, 'info', `approved at ${d.percent} %`, { stepIndex: d.approval.stepIndex });
  await ctx.bakes.succeed(d.bakeToken ?? '');
  return { deployment: view(ctx, updated) };
}

/** Rejects the pause a deployment waits at, with a reason: the workflow rolls back, naming it. */
export async function rejectDeployment(
  ctx: ApiContext,
  id: string,
  body: unknown,
): Promise<{ deployment: DeploymentView }> {
  const { reason } = parse(rejectRequestSchema, body, 'invalid reject request');
  const d = await pendingApproval(ctx, id);
  const updated = await decide(ctx, d, { decision: 'rejected', reason });
  await note(ctx, id, 'info', `rejected at ${d.percent} %: ${reason}`, { stepIndex: d.approval.stepIndex });
  await ctx.bakes.fail(d.bakeToken ?? '', 'ApprovalRejected', `approval rejected: ${reason}`);
  return { deployment: view(ctx, updated) };
}

async function decide(
  ctx: ApiContext,
  d: Deployment & { approval: Approval },
  outcome: { decision: 'approved' | 'rejected'; reason?: string },
): Promise<Deployment> {
  const approval: Approval = { ...d.approval, pending: false, ...outcome, decidedAt: isoNow(ctx) };
  const claimed = await ctx.store.claim(`approval:${d.id}:${d.approval.stepIndex}:${d.approval.since}`, 3600);
  if (!claimed) throw new Conflict(`deployment ${d.id}'s approval was just decided by another request`);
  return ctx.store.update(d.id, { approval }, ['IN_PROGRESS']);
}

/**
 * Rolls back a deployment that was stopped without rollback, or that failed with auto-rollback off:
 * restores its recorded original routing, if the routing is still what it left.
 */
export async function rollbackDeployment(
  ctx: ApiContext,
  id: string,
): Promise<{ deployment: DeploymentView }> {
  const deployment = await ctx.store.get(id);
  if (!deployment) throw new NotFound(`no deployment ${id}`);
  if (deployment.status !== 'STOPPED' && deployment.status !== 'FAILED') {
    throw new Conflict(
      `deployment ${id} is ${deployment.status}: only a stopped or failed deployment can be rolled back`,
    );
  }
  if (!deployment.originalRouting || !deployment.lastRouting) {
    throw new Conflict(`deployment ${id} never moved traffic: there is nothing to roll back`);
  }
  const group = groupOf(ctx, deployment);
  const holder = await acquireLock(ctx, group.name, id);
  if (holder) throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`);
  const platform = platformOf(ctx, group);
  try {
    const live = await platform.current();
    if (!sameRouting(live, deployment.lastRouting)) {
      throw new PreflightFailed(
        `the routing changed since deployment ${id} ended; restoring its original routing would overwrite that change`,
      );
    }
    await rollback(ctx, {
      deploymentId: id,
      force: true,
      error: { Error: 'RollbackRequested', Cause: 'rollback requested' },
    });
  } catch (e) {
    await endFailedRollback(ctx, id, platform, e);
    throw e;
  } finally {
    await ctx.store.unlock(group.name, id);
  }
  return { deployment: view(ctx, (await ctx.store.get(id)) ?? deployment) };
}

/**
 * A rollback the API ran failed (AccessDenied, an outage): the deployment must not stay ROLLING_BACK with
 * its group locked for good. It ends FAILED with the routing as it now is, recorded, so the rollback can
 * be asked for again once the cause is fixed.
 */
async function endFailedRollback(ctx: ApiContext, id: string, platform: Platform, error: unknown) {
  const now = await ctx.store.get(id);
  if (now?.status !== 'ROLLING_BACK') return;
  const live = await platform.current().catch(() => now.lastRouting);
  const reason = `rollback failed: ${error instanceof Error ? error.message : String(error)}`;
  await transition(ctx, now, 'FAILED', live ? { lastRouting: live } : {}, reason);
}

/**
 * An alarm changed state (the CloudWatch "Alarm State Change" event, or the simulated account). Every
 * deployment in progress that watches it is marked: a bake in progress is failed at once
 * through its task token, and any other task (a hook poll, Finalize, the end of the ECS termination wait)
 * rolls back at its next boundary — CodeDeploy watches alarms until the deployment ends, and so do we.
 * Returns how many bakes it ended.
 */
export async function alarmStateChanged(ctx: ApiContext, alarmName: string, state: string): Promise<number> {
  if (state !== 'ALARM') return 0;
  let ended = 0;
  for (const { deploymentId } of await ctx.store.locks()) {
    const d = await ctx.store.get(deploymentId);
    // A deployment not yet prepared is judged by Prepare's own look at the alarms.
    if (d?.status !== 'IN_PROGRESS' || !d.alarms.includes(alarmName)) continue;
    await note(ctx, d.id, 'alarm', `${alarmName} entered ALARM at ${d.percent} %`, { alarm: alarmName });
    let marked: Deployment | undefined;
    try {
      marked = d.alarmFired
        ? d
        : await ctx.store.update(d.id, { alarmFired: { alarm: alarmName, at: isoNow(ctx) } }, [
            'IN_PROGRESS',
          ]);
    } catch (e) {
      if (e instanceof Conflict) continue; // it ended meanwhile
      throw e;
    }
    if (marked.bakeToken) {
      await ctx.bakes.fail(marked.bakeToken, 'AlarmFired', `alarm ${alarmName} entered ALARM`);
      ended += 1;
    }
  }
  return ended;
}

export const cancelRequestSchema = z.strictObject({
  reason: z.optional(z.string().check(z.maxLength(512))),
});

/** `POST /deployments/{id}/cancel` (`{reason?}`): a queued deployment ends CANCELLED. */
export async function cancelDeployment(
  ctx: ApiContext,
  id: string,
  body: unknown,
): Promise<{ deployment: DeploymentView }> {
  const request = parse(cancelRequestSchema, body, 'invalid cancel request');
  return { deployment: view(ctx, await cancelQueued(ctx, id, request.reason ?? 'cancelled on request')) };
}
