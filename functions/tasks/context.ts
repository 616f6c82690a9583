import type { Deployment, Status, TimelineEntry } from '../core/deployment.ts';
import { canTransition } from '../core/deployment.ts';
import { NotFound, StepShiftError, StopRequested } from '../core/errors.ts';
import type { DeploymentGroup, EcsGroup, GroupConfig, LambdaGroup } from '../core/group-config.ts';
import type { LoadBalancer, Ports, ServiceScaler } from '../ports.ts';

/** What every task runs with: the ports and the declared groups (ECS groups need the last two). */
export interface TaskContext extends Ports {
  groups: GroupConfig;
  loadBalancer?: LoadBalancer;
  scaler?: ServiceScaler;
}

export async function load(ctx: TaskContext, deploymentId: string): Promise<Deployment> {
  const deployment = await ctx.store.get(deploymentId);
  if (!deployment) throw new NotFound(`no deployment ${deploymentId}`);
  return deployment;
}

export function groupOf(ctx: TaskContext, deployment: Pick<Deployment, 'group'>): DeploymentGroup {
  const group = ctx.groups.groups[deployment.group];
  if (!group) throw new NotFound(`group ${deployment.group} is not declared in the config`);
  return group;
}

export function ecsGroupOf(ctx: TaskContext, deployment: Pick<Deployment, 'group'>): EcsGroup {
  const group = groupOf(ctx, deployment);
  if (group.kind !== 'ecs') throw new StepShiftError(`group ${group.name} is not an ecs group`);
  return group;
}

/** The ECS ports, which only ECS groups need. */
export function ecsPorts(ctx: TaskContext): { loadBalancer: LoadBalancer; scaler: ServiceScaler } {
  if (!ctx.loadBalancer || !ctx.scaler)
    throw new StepShiftError('this stepshift has no ECS access configured');
  return { loadBalancer: ctx.loadBalancer, scaler: ctx.scaler };
}

export function lambdaGroupOf(ctx: TaskContext, deployment: Pick<Deployment, 'group'>): LambdaGroup {
  const group = groupOf(ctx, deployment);
  if (group.kind !== 'lambda') throw new StepShiftError(`group ${group.name} is not a lambda group`);
  return group;
}

export function isoNow(ctx: TaskContext): string {
  return new Date(ctx.clock.now()).toISOString();
}

export async function note(
  ctx: TaskContext,
  deploymentId: string,
  kind: TimelineEntry['kind'],
  message: string,
  details?: Record<string, unknown>,
): Promise<void> {
  await ctx.store.appendTimeline(deploymentId, {
    at: isoNow(ctx),
    kind,
    message,
    ...(details ? { details } : {}),
  });
}

/**
 * Moves the deployment to `to` (a conditional write on the statuses that may lead there), records it
 * on the timeline and publishes the state-change event. A no-op when already there.
 */
export async function transition(
  ctx: TaskContext,
  deployment: Deployment,
  to: Status,
  patch: Partial<Deployment> = {},
  reason?: string,
  measures: { rollbackMs?: number } = {},
): Promise<Deployment> {
  if (deployment.status === to) return ctx.store.update(deployment.id, patch);
  const from = (['CREATED', 'IN_PROGRESS', 'ROLLING_BACK', 'FAILED', 'STOPPED'] as const).filter((s) =>
    canTransition(s, to),
  );
  const at = isoNow(ctx);
  const updated = await ctx.store.update(
    deployment.id,
    { ...patch, status: to, ...(reason ? { reason } : {}), ...(isEnd(to) ? { endedAt: at } : {}) },
    from,
  );
  await note(ctx, deployment.id, 'status', `${deployment.status} → ${to}${reason ? `: ${reason}` : ''}`, {
    from: deployment.status,
    to,
  });
  await ctx.events.stateChanged({
    deploymentId: deployment.id,
    group: deployment.group,
    revision: deployment.revision,
    status: to,
    previousStatus: deployment.status,
    ...(reason ? { reason } : {}),
    at,
    ...measures,
  });
  return updated;
}

const isEnd = (s: Status) => s === 'SUCCEEDED' || s === 'ROLLED_BACK' || s === 'FAILED' || s === 'STOPPED';

/** A stop request ends the deployment at the next task boundary, not only during a bake. */
export function throwIfStopRequested(deployment: Deployment): void {
  if (deployment.stopRequest) {
    throw new StopRequested(
      `stop requested${deployment.stopRequest.reason ? `: ${deployment.stopRequest.reason}` : ''} (${
        deployment.stopRequest.rollback ? 'with' : 'without'
      } rollback)`,
    );
  }
}
