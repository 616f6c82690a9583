import { albWholeOn } from '../core/alb.ts';
import {
  type Deployment,
  describeRouting,
  type EcsDeploymentState,
  isWhole,
  type Routing,
} from '../core/deployment.ts';
import { Conflict, GroupBusy, PreflightFailed, ValidationError } from '../core/errors.ts';
import type { DeploymentGroup, EcsGroup } from '../core/group-config.ts';
import { assertNoAlarm } from './check-alarms.ts';
import {
  ecsPorts,
  groupOf,
  load,
  note,
  type TaskContext,
  throwIfStopRequested,
  transition,
} from './context.ts';
import { forwardOf } from './routing.ts';

export interface PrepareOutput {
  kind: 'lambda' | 'ecs';
  stepCount: number;
  /** ECS: how long the old service keeps its tasks after all traffic has moved. */
  terminationWaitSeconds: number;
}

/** A task definition (`arn:aws:ecs:…:task-definition/family:N` or `family:N`), else an image to register. */
export function isTaskDefinition(revision: string): boolean {
  return (
    /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[\w-]+:\d+$/.test(revision) ||
    /^[\w-]{1,255}:\d+$/.test(revision)
  );
}

/**
 * Prepare: takes the group lock, runs the preflight, records the original routing (and, for ECS, which
 * service is live and which receives the revision), IN_PROGRESS. Idempotent: a retry after success finds
 * the lock its own and everything already recorded.
 */
export async function prepare(ctx: TaskContext, input: { deploymentId: string }): Promise<PrepareOutput> {
  const deployment = await load(ctx, input.deploymentId);
  const group = groupOf(ctx, deployment);
  const result: PrepareOutput = {
    kind: group.kind,
    stepCount: deployment.schedule.steps.length,
    terminationWaitSeconds: group.kind === 'ecs' ? group.target.terminationWaitMinutes * 60 : 0,
  };
  if (deployment.status === 'IN_PROGRESS' && deployment.originalRouting) return result;
  if (deployment.status !== 'CREATED') {
    throw new Conflict(`deployment ${deployment.id} is ${deployment.status}, it cannot be prepared`);
  }
  throwIfStopRequested(deployment);

  const holder = await ctx.store.lock(group.name, deployment.id);
  if (holder !== deployment.id) {
    throw new GroupBusy(`group ${group.name} is busy: deployment ${holder} is in progress`, { holder });
  }

  const { live, ecs } = await preflightOf(ctx, group, deployment);
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
    ...(ecs ? { ecs } : {}),
  });
  await note(ctx, deployment.id, 'info', `original routing recorded: ${describeRouting(live)}`, {
    routing: live,
  });
  if (ecs) {
    await note(
      ctx,
      deployment.id,
      'info',
      `${ecs.activeService} is live; ${ecs.idleService} receives the revision`,
    );
  }
  // An alarm already in ALARM sends no state-change event: refuse to move any traffic under it.
  await assertNoAlarm(ctx, started);
  return result;
}

/** Reads the live routing and checks it is a state a deployment may start from. */
async function preflightOf(
  ctx: TaskContext,
  group: DeploymentGroup,
  deployment: Deployment,
): Promise<{ live: Routing; ecs?: EcsDeploymentState }> {
  if (group.kind === 'lambda') {
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
    return { live };
  }
  return ecsPreflight(ctx, group, deployment);
}

export async function ecsPreflight(
  ctx: TaskContext,
  group: EcsGroup,
  deployment: Deployment,
): Promise<{ live: Routing; ecs: EcsDeploymentState }> {
  const { loadBalancer, scaler } = ecsPorts(ctx);
  const t = group.target;
  const live = await loadBalancer.current(forwardOf(group));
  await preflight(ctx, group.name, live, deployment.revision);
  const whole = albWholeOn(live);
  if (whole !== t.blueTargetGroup && whole !== t.greenTargetGroup) {
    throw new PreflightFailed(
      `the listener forwards all traffic to ${whole}, which is neither blueTargetGroup nor greenTargetGroup of group ${group.name}`,
    );
  }
  const blueLive = whole === t.blueTargetGroup;
  const activeService = blueLive ? t.blueService : t.greenService;
  const idleService = blueLive ? t.greenService : t.blueService;
  const active = await scaler.describe(t.cluster, activeService);
  const idle = await scaler.describe(t.cluster, idleService);
  const byTaskDefinition = isTaskDefinition(deployment.revision);
  if (!byTaskDefinition && !t.container) {
    throw new ValidationError('invalid revision', [
      {
        path: 'revision',
        message: `"${deployment.revision}" is not a task definition (family:revision or ARN); to deploy an image, declare target.container for group ${group.name}`,
      },
    ]);
  }
  if (byTaskDefinition && sameTaskDefinition(active.taskDefinition, deployment.revision)) {
    throw new Conflict(
      `task definition ${deployment.revision} is already live on ${activeService}: nothing to deploy`,
    );
  }
  let originalTestRouting: EcsDeploymentState['originalTestRouting'];
  if (t.testListener) originalTestRouting = await loadBalancer.current({ listener: t.testListener });
  return {
    live,
    ecs: {
      activeService,
      idleService,
      activeTargetGroup: whole,
      idleTargetGroup: blueLive ? t.greenTargetGroup : t.blueTargetGroup,
      ...(byTaskDefinition ? { taskDefinition: deployment.revision } : { image: deployment.revision }),
      activeTaskDefinition: active.taskDefinition,
      desiredCount: Math.max(1, active.runningCount),
      idleOriginal: { taskDefinition: idle.taskDefinition, desiredCount: idle.desiredCount },
      ...(originalTestRouting ? { originalTestRouting } : {}),
    },
  };
}

/** `family:7` names the same revision as `arn:…:task-definition/family:7`. */
export function sameTaskDefinition(a: string, b: string): boolean {
  const short = (x: string) => x.replace(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\//, '');
  return short(a) === short(b);
}

/**
 * The routing must send all traffic to one place, and (Lambda) not already to the revision. A split left
 * by a stopped or failed deployment is named, with the way out.
 */
export async function preflight(
  ctx: TaskContext,
  groupName: string,
  live: Routing,
  revision: string,
): Promise<void> {
  if (!isWhole(live)) {
    const leftBy = (await ctx.store.list({ group: groupName, limit: 20 })).find(
      (d) => (d.status === 'STOPPED' || d.status === 'FAILED') && d.lastRouting && !isWhole(d.lastRouting),
    );
    const where = describeRouting(live);
    const what = live.kind === 'lambda' ? 'the alias' : 'the listener';
    throw new PreflightFailed(
      leftBy
        ? `${what} is split (${where}): deployment ${leftBy.id} was ${leftBy.status.toLowerCase()} at ${leftBy.percent} % and left it so. Roll it back with \`stepshift rollback ${leftBy.id}\` (POST /deployments/${leftBy.id}/rollback), or finish the split by hand, then deploy again.`
        : `${what} is split (${where}): a deployment starts only from all traffic on one ${live.kind === 'lambda' ? 'version' : 'target group'}`,
      { routing: live, ...(leftBy ? { leftBy: leftBy.id } : {}) },
    );
  }
  if (live.kind === 'lambda' && live.version === revision) {
    throw new Conflict(`version ${revision} is already live: nothing to deploy`);
  }
}
