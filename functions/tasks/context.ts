import type { Deployment, Status, TimelineEntry } from '../core/deployment.ts';
import { canTransition } from '../core/deployment.ts';
import { AlarmFired, NotFound, StopRequested } from '../core/errors.ts';
import type { DeploymentGroup, GroupConfig } from '../core/group-config.ts';
import { type Journal, type Platform, platformOf } from '../platforms/index.ts';
import type {
  LoadBalancer,
  MetricReader,
  Ports,
  ReleaseCoordinator,
  ReleaseStore,
  ServiceScaler,
} from '../ports.ts';

/** What every task runs with: the ports and the declared groups (ECS groups need the last two). */
export interface TaskContext extends Ports {
  groups: GroupConfig;
  loadBalancer?: LoadBalancer;
  scaler?: ServiceScaler;
  /** Where analysis reads metrics; without it, a group's checks read as Error (never as a pass). */
  metrics?: MetricReader;
  /** The release records: a release member's tasks read its release (functions/tasks/release.ts). */
  releases?: ReleaseStore;
  /** Told of every change of a release member that its release may be waiting on. */
  releaseCoordinator?: ReleaseCoordinator;
}

export async function load(ctx: TaskContext, deploymentId: string): Promise<Deployment> {
  const deployment = await ctx.store.get(deploymentId);
  if (!deployment) throw new NotFound(`no deployment ${deploymentId}`);
  return deployment;
}

/** The deployment's declared group; own keys only, so a name like `constructor` is not found on Object.prototype. */
export function groupOf(ctx: TaskContext, deployment: Pick<Deployment, 'group'>): DeploymentGroup {
  const group = Object.hasOwn(ctx.groups.groups, deployment.group)
    ? ctx.groups.groups[deployment.group]
    : undefined;
  if (!group) throw new NotFound(`group ${deployment.group} is not declared in the config`);
  return group;
}

/** The platform of the deployment's group, and the group. */
export function platformFor(
  ctx: TaskContext,
  deployment: Pick<Deployment, 'group'>,
): { group: DeploymentGroup; platform: Platform } {
  const group = groupOf(ctx, deployment);
  return { group, platform: platformOf(ctx, group) };
}

/** How a platform records what it did on this deployment: the store, and `info` on the timeline. */
export function journalOf(ctx: TaskContext, deploymentId: string): Journal {
  return {
    save: (patch) => ctx.store.update(deploymentId, patch),
    note: (message) => note(ctx, deploymentId, 'info', message),
  };
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
  const from = (['QUEUED', 'CREATED', 'IN_PROGRESS', 'ROLLING_BACK', 'FAILED', 'STOPPED'] as const).filter(
    (s) => canTransition(s, to),
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
    ...(deployment.release ? { releaseId: deployment.release.id } : {}),
    group: deployment.group,
    revision: deployment.revision,
    status: to,
    previousStatus: deployment.status,
    ...(reason ? { reason } : {}),
    at,
    ...measures,
  });
  // A release waits on its members: one that starts rolling back, or ends, may end the wait.
  if (deployment.release && (to === 'ROLLING_BACK' || isEnd(to))) {
    await ctx.releaseCoordinator?.memberChanged(deployment.release.id);
  }
  return updated;
}

const isEnd = (s: Status) =>
  s === 'SUCCEEDED' || s === 'ROLLED_BACK' || s === 'FAILED' || s === 'STOPPED' || s === 'CANCELLED';

/**
 * A stop request, or a watched alarm seen entering ALARM outside a bake (during hooks, the termination
 * wait), ends the deployment at the next task boundary.
 */
export function throwIfInterrupted(deployment: Deployment): void {
  if (deployment.stopRequest) {
    throw new StopRequested(
      `stop requested${deployment.stopRequest.reason ? `: ${deployment.stopRequest.reason}` : ''} (${
        deployment.stopRequest.rollback ? 'with' : 'without'
      } rollback)`,
    );
  }
  if (deployment.alarmFired) {
    throw new AlarmFired(`alarm ${deployment.alarmFired.alarm} entered ALARM`, {
      alarms: [deployment.alarmFired.alarm],
    });
  }
}
