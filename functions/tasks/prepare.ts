import { describeRouting, isWhole } from '../core/deployment.ts';
import { Conflict, GroupBusy, PreflightFailed, ValidationError } from '../core/errors.ts';
import { assertNoAlarm } from './check-alarms.ts';
import { lambdaGroupOf, load, note, type TaskContext, throwIfStopRequested, transition } from './context.ts';

export interface PrepareOutput {
  kind: 'lambda' | 'ecs';
  stepCount: number;
}

/**
 * Prepare: takes the group lock, runs the preflight, records the original routing, IN_PROGRESS.
 * Idempotent: a retry after success finds the lock its own and the routing already recorded.
 */
export async function prepare(ctx: TaskContext, input: { deploymentId: string }): Promise<PrepareOutput> {
  const deployment = await load(ctx, input.deploymentId);
  const group = lambdaGroupOf(ctx, deployment);
  const result = { kind: deployment.kind, stepCount: deployment.schedule.steps.length };
  if (deployment.status === 'IN_PROGRESS' && deployment.originalRouting) return result;
  if (deployment.status !== 'CREATED') {
    throw new Conflict(`deployment ${deployment.id} is ${deployment.status}, it cannot be prepared`);
  }
  throwIfStopRequested(deployment);

  const holder = await ctx.store.lock(group.name, deployment.id);
  if (holder !== deployment.id) {
    throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`, { holder });
  }

  const live = await ctx.router.current(group);
  await preflight(ctx, group.name, live, deployment.revision);
  if (!(await ctx.router.revisionExists(group, deployment.revision))) {
    throw new ValidationError('invalid revision', [
      {
        path: 'revision',
        message: `version ${deployment.revision} of ${group.target.functionName} does not exist`,
      },
    ]);
  }
  if (deployment.alarms.length > 0) {
    const states = await ctx.alarms.states(deployment.alarms);
    const missing = Object.entries(states).filter(([, s]) => s === 'MISSING');
    if (missing.length > 0) {
      throw new PreflightFailed(
        `alarm${missing.length > 1 ? 's' : ''} not found: ${missing.map(([n]) => n).join(', ')}`,
      );
    }
  }

  const started = await transition(ctx, deployment, 'IN_PROGRESS', {
    originalRouting: live,
    lastRouting: live,
    percent: 0,
  });
  await note(ctx, deployment.id, 'info', `original routing recorded: ${describeRouting(live)}`, {
    routing: live,
  });
  // An alarm already in ALARM sends no state-change event: refuse to move any traffic under it.
  await assertNoAlarm(ctx, started);
  return result;
}

/**
 * The routing must send all traffic to one version, and not already to the revision. A split left by a
 * stopped or failed deployment is named, with the way out.
 */
export async function preflight(
  ctx: TaskContext,
  groupName: string,
  live: Parameters<typeof isWhole>[0],
  revision: string,
): Promise<void> {
  if (!isWhole(live)) {
    const leftBy = (await ctx.store.list({ group: groupName, limit: 20 })).find(
      (d) => (d.status === 'STOPPED' || d.status === 'FAILED') && d.lastRouting && !isWhole(d.lastRouting),
    );
    const where = describeRouting(live);
    throw new PreflightFailed(
      leftBy
        ? `the alias is split (${where}): deployment ${leftBy.id} was ${leftBy.status.toLowerCase()} at ${leftBy.percent} % and left it so. Roll it back with \`stepshift rollback ${leftBy.id}\` (POST /deployments/${leftBy.id}/rollback), or finish the split by hand, then deploy again.`
        : `the alias is split (${where}): a deployment starts only from all traffic on one version`,
      { routing: live, ...(leftBy ? { leftBy: leftBy.id } : {}) },
    );
  }
  if (live.version === revision) {
    throw new Conflict(`version ${revision} is already live: nothing to deploy`);
  }
}
