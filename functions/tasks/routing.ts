/**
 * Routing by kind, so the traffic tasks (shift, finalize, rollback) read the same for both: a Lambda
 * alias's split, or the weights of an ALB forward action between the live and the new target group.
 */
import { type AlbRouting, albWeightsFor } from '../core/alb.ts';
import { type Deployment, type LambdaRouting, lambdaRoutingFor, type Routing } from '../core/deployment.ts';
import { StepShiftError } from '../core/errors.ts';
import type { EcsGroup } from '../core/group-config.ts';
import type { ForwardLocation } from '../ports.ts';
import { ecsPorts, groupOf, type TaskContext } from './context.ts';

export interface RoutingOps {
  /** The live routing. */
  current(): Promise<Routing>;
  /** The routing with `percent` on the revision and the rest where it was. */
  target(percent: number): Routing;
  /** Sets exactly this routing. Idempotent. */
  apply(routing: Routing): Promise<Routing>;
}

export function forwardOf(group: EcsGroup): ForwardLocation {
  if (group.target.listenerRule) return { rule: group.target.listenerRule };
  if (group.target.listener) return { listener: group.target.listener };
  throw new StepShiftError(`group ${group.name} has neither listener nor listenerRule`);
}

export function routingOps(ctx: TaskContext, deployment: Deployment): RoutingOps {
  const group = groupOf(ctx, deployment);
  const original = deployment.originalRouting;
  if (group.kind === 'lambda') {
    return {
      current: () => ctx.router.current(group),
      target: (percent) => {
        if (original?.kind !== 'lambda')
          throw new StepShiftError(`deployment ${deployment.id} has no recorded alias routing`);
        return lambdaRoutingFor(original, deployment.revision, percent);
      },
      apply: (routing) => ctx.router.apply(group, routing as LambdaRouting),
    };
  }
  const { loadBalancer } = ecsPorts(ctx);
  const where = forwardOf(group);
  const ecs = deployment.ecs;
  return {
    current: () => loadBalancer.current(where),
    target: (percent) => {
      if (!ecs) throw new StepShiftError(`deployment ${deployment.id} has no recorded ECS roles`);
      return albWeightsFor(ecs.activeTargetGroup, ecs.idleTargetGroup, percent);
    },
    apply: (routing) => loadBalancer.set(where, routing as AlbRouting),
  };
}
