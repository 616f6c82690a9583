/**
 * The ECS install phase: Install puts the revision on the idle service, CheckSteady waits (through the
 * workflow's Wait state) until it runs, and TestTraffic points the test listener at it.
 */
import { albWeightsFor } from '../core/alb.ts';
import { StepShiftError } from '../core/errors.ts';
import {
  ecsGroupOf,
  ecsPorts,
  isoNow,
  load,
  note,
  type TaskContext,
  throwIfStopRequested,
} from './context.ts';

/** The revision's tasks did not become steady: failed to start, or not in time. */
export class ServiceNotSteady extends StepShiftError {
  override name = 'ServiceNotSteady';
}

/** How often the workflow asks whether the new service is steady. */
export const STEADY_POLL_SECONDS = 15;

/** Install: registers the image's task definition if needed, then scales the idle service up on it. */
export async function install(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ taskDefinition: string }> {
  let deployment = await load(ctx, input.deploymentId);
  throwIfStopRequested(deployment);
  const ecs = deployment.ecs;
  if (!ecs) throw new StepShiftError(`deployment ${deployment.id} is not an ECS deployment`);
  const group = ecsGroupOf(ctx, deployment);
  const { scaler } = ecsPorts(ctx);
  let taskDefinition = ecs.taskDefinition;
  if (!taskDefinition) {
    const container = group.target.container;
    if (!ecs.image || !container)
      throw new StepShiftError('nothing to install: no task definition and no image');
    taskDefinition = await scaler.registerImage(ecs.activeTaskDefinition, container, ecs.image);
    deployment = await ctx.store.update(deployment.id, { ecs: { ...ecs, taskDefinition } });
    await note(ctx, deployment.id, 'info', `registered ${taskDefinition} with image ${ecs.image}`);
  }
  await scaler.update(group.target.cluster, ecs.idleService, {
    taskDefinition,
    desiredCount: ecs.desiredCount,
  });
  if (!deployment.ecs?.installStartedAt) {
    await ctx.store.update(deployment.id, { ecs: { ...ecs, taskDefinition, installStartedAt: isoNow(ctx) } });
  }
  await note(
    ctx,
    deployment.id,
    'info',
    `${ecs.idleService} → ${taskDefinition} with ${ecs.desiredCount} tasks`,
  );
  return { taskDefinition };
}

/** CheckSteady: steady → go on; failed tasks or past the steady timeout → ServiceNotSteady. */
export async function checkSteady(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ steady: boolean }> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfStopRequested(deployment);
  const ecs = deployment.ecs;
  if (!ecs) throw new StepShiftError(`deployment ${deployment.id} is not an ECS deployment`);
  const group = ecsGroupOf(ctx, deployment);
  const state = await ecsPorts(ctx).scaler.describe(group.target.cluster, ecs.idleService);
  if (state.rollout === 'FAILED' || state.failedTasks > 0) {
    throw new ServiceNotSteady(
      `${ecs.idleService}: ${state.failedTasks} task${state.failedTasks === 1 ? '' : 's'} failed to start${state.lastEvent ? ` (${state.lastEvent})` : ''}`,
    );
  }
  if (state.rollout === 'COMPLETED' && state.runningCount >= state.desiredCount && state.desiredCount > 0) {
    await note(ctx, deployment.id, 'info', `${ecs.idleService} is steady with ${state.runningCount} tasks`);
    return { steady: true };
  }
  const started = Date.parse(ecs.installStartedAt ?? isoNow(ctx));
  const timeoutMs = group.target.steadyTimeoutMinutes * 60_000;
  if (ctx.clock.now() - started > timeoutMs) {
    throw new ServiceNotSteady(
      `${ecs.idleService} did not become steady within ${group.target.steadyTimeoutMinutes} minutes (${state.runningCount}/${state.desiredCount} running)`,
    );
  }
  return { steady: false };
}

/** TestTraffic: the test listener (if declared) forwards to the new target group. */
export async function testTraffic(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ testListener: boolean }> {
  const deployment = await load(ctx, input.deploymentId);
  throwIfStopRequested(deployment);
  const ecs = deployment.ecs;
  if (!ecs) throw new StepShiftError(`deployment ${deployment.id} is not an ECS deployment`);
  const group = ecsGroupOf(ctx, deployment);
  if (!group.target.testListener) return { testListener: false };
  await ecsPorts(ctx).loadBalancer.set(
    { listener: group.target.testListener },
    albWeightsFor(ecs.activeTargetGroup, ecs.idleTargetGroup, 100),
  );
  await note(ctx, deployment.id, 'info', `test listener → ${ecs.idleService}`);
  return { testListener: true };
}
