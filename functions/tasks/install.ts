/**
 * The blue/green install phase (ECS): Install puts the revision on the idle side, CheckSteady waits
 * (through the workflow's Wait state) until it runs, and TestTraffic points the test listener at it.
 * What each step does is the platform's; these tasks load, check for a stop, and call it.
 */
import type { Deployment } from '../core/deployment.ts';
import { StepShiftError } from '../core/errors.ts';
import type { BlueGreen } from '../platforms/index.ts';
import { journalOf, load, platformFor, type TaskContext, throwIfInterrupted } from './context.ts';

export { ServiceNotSteady } from '../core/errors.ts';

export { STEADY_POLL_SECONDS } from '../core/limits.ts';

/** The blue/green steps of the deployment's platform; a group without them has no install phase. */
export function blueGreenOf(ctx: TaskContext, deployment: Deployment): BlueGreen {
  const { group, platform } = platformFor(ctx, deployment);
  if (!platform.blueGreen || !deployment.ecs) {
    throw new StepShiftError(`group ${group.name} (${platform.kind}) has no blue/green install phase`);
  }
  return platform.blueGreen;
}

async function loaded(ctx: TaskContext, deploymentId: string) {
  const deployment = await load(ctx, deploymentId);
  throwIfInterrupted(deployment);
  return { deployment, steps: blueGreenOf(ctx, deployment), journal: journalOf(ctx, deployment.id) };
}

/** Install: registers the image's task definition if needed, then scales the idle service up on it. */
export async function install(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ taskDefinition: string }> {
  const { deployment, steps, journal } = await loaded(ctx, input.deploymentId);
  return steps.install(deployment, journal);
}

/** CheckSteady: steady → go on; failed tasks or past the steady timeout → ServiceNotSteady. */
export async function checkSteady(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ steady: boolean }> {
  const { deployment, steps, journal } = await loaded(ctx, input.deploymentId);
  return { steady: await steps.steady(deployment, journal) };
}

/** TestTraffic: the test listener (if declared) forwards to the new target group. */
export async function testTraffic(
  ctx: TaskContext,
  input: { deploymentId: string },
): Promise<{ testListener: boolean }> {
  const { deployment, steps, journal } = await loaded(ctx, input.deploymentId);
  return { testListener: await steps.testTraffic(deployment, journal) };
}
