/**
 * ECS groups (blue/green behind an Application Load Balancer): two services, each registered in its own
 * target group; the listener (or a listener rule) forwards to both with weights. The idle service is
 * scaled up on the revision, steadied and tested, traffic shifts to its target group, and after the
 * termination wait the service that was live goes to zero. The two swap roles at every deployment.
 */
import { type AlbRouting, albPercentOn, albWeightsFor, albWholeOn } from '../core/alb.ts';
import type { BuiltinMetric, Dimensions, MetricSpec } from '../core/analysis.ts';
import {
  type Deployment,
  describeRouting,
  type EcsDeploymentState,
  type Routing,
} from '../core/deployment.ts';
import {
  Conflict,
  PreflightFailed,
  ServiceNotSteady,
  StepShiftError,
  ValidationError,
} from '../core/errors.ts';
import type { EcsGroup } from '../core/group-config.ts';
import type { ForwardLocation, LoadBalancer, ServiceScaler } from '../ports.ts';
import type { BlueGreen, PlatformFactory, PlatformWords } from './platform.ts';

/** A task definition (`arn:aws:ecs:…:task-definition/family:N` or `family:N`), else an image to register. */
export function isTaskDefinition(revision: string): boolean {
  return (
    /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\/[\w-]+:\d+$/.test(revision) ||
    /^[\w-]{1,255}:\d+$/.test(revision)
  );
}

/** `family:7` names the same revision as `arn:…:task-definition/family:7`. */
export function sameTaskDefinition(a: string, b: string): boolean {
  const short = (x: string) => x.replace(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition\//, '');
  return short(a) === short(b);
}

/** Where an ECS group's weights live: its listener rule if it has one, else its listener. */
export function forwardOf(group: EcsGroup): ForwardLocation {
  if (group.target.listenerRule) return { rule: group.target.listenerRule };
  if (group.target.listener) return { listener: group.target.listener };
  throw new StepShiftError(`group ${group.name} has neither listener nor listenerRule`);
}

/**
 * The ALB's CloudWatch dimension values from ARNs: `targetgroup/name/id` and `app/name/id`.
 *
 * @example albDimension('arn:aws:elasticloadbalancing:eu-west-1:1:listener/app/shop/3/4') → 'app/shop/3'
 */
export function albDimension(arn: string): string {
  const resource = arn.split(':').slice(5).join(':');
  if (resource.startsWith('targetgroup/')) return resource;
  const [, type, name, id] = resource.split('/');
  return `${type}/${name}/${id}`;
}

export const ecsWords: PlatformWords = { router: 'the listener', unit: 'target group', revision: 'revision' };

export const ecsPlatform: PlatformFactory<EcsGroup> = (ports, group) => {
  const t = group.target;
  const need = (): { loadBalancer: LoadBalancer; scaler: ServiceScaler } => {
    if (!ports.loadBalancer || !ports.scaler)
      throw new StepShiftError('this stepshift has no ECS access configured');
    return { loadBalancer: ports.loadBalancer, scaler: ports.scaler };
  };
  const roles = (deployment: Deployment): EcsDeploymentState => {
    if (!deployment.ecs) throw new StepShiftError(`deployment ${deployment.id} has no recorded ECS roles`);
    return deployment.ecs;
  };
  const albRouting = (routing: Routing): AlbRouting => {
    if (routing.kind !== 'ecs') throw new StepShiftError('the routing to apply is not a listener routing');
    return routing;
  };

  const blueGreen: BlueGreen = {
    async install(deployment, journal) {
      const ecs = roles(deployment);
      const { scaler } = need();
      let taskDefinition = ecs.taskDefinition;
      if (!taskDefinition) {
        if (!ecs.image || !t.container)
          throw new StepShiftError('nothing to install: no task definition and no image');
        taskDefinition = await scaler.registerImage(
          ecs.activeTaskDefinition,
          t.container,
          ecs.image,
          t.taskRoles ?? [],
        );
        // Recorded at once, so a retry of Install does not register a second revision.
        await journal.save({ ecs: { ...ecs, taskDefinition } });
        await journal.note(`registered ${taskDefinition} with image ${ecs.image}`);
      }
      await scaler.update(t.cluster, ecs.idleService, { taskDefinition, desiredCount: ecs.desiredCount });
      if (!ecs.installStartedAt) {
        await journal.save({
          ecs: { ...ecs, taskDefinition, installStartedAt: new Date(ports.clock.now()).toISOString() },
        });
      }
      await journal.note(`${ecs.idleService} → ${taskDefinition} with ${ecs.desiredCount} tasks`);
      return { taskDefinition };
    },

    async steady(deployment, journal) {
      const ecs = roles(deployment);
      const state = await need().scaler.describe(t.cluster, ecs.idleService);
      if (state.rollout === 'FAILED' || state.failedTasks > 0) {
        throw new ServiceNotSteady(
          `${ecs.idleService}: ${state.failedTasks} task${state.failedTasks === 1 ? '' : 's'} failed to start${state.lastEvent ? ` (${state.lastEvent})` : ''}`,
        );
      }
      if (
        state.rollout === 'COMPLETED' &&
        state.runningCount >= state.desiredCount &&
        state.desiredCount > 0
      ) {
        await journal.note(`${ecs.idleService} is steady with ${state.runningCount} tasks`);
        return true;
      }
      const now = ports.clock.now();
      const started = ecs.installStartedAt ? Date.parse(ecs.installStartedAt) : now;
      if (now - started > t.steadyTimeoutMinutes * 60_000) {
        throw new ServiceNotSteady(
          `${ecs.idleService} did not become steady within ${t.steadyTimeoutMinutes} minutes (${state.runningCount}/${state.desiredCount} running)`,
        );
      }
      return false;
    },

    async testTraffic(deployment, journal) {
      const ecs = roles(deployment);
      if (!t.testListener) return false;
      await need().loadBalancer.set(
        { listener: t.testListener },
        albWeightsFor(ecs.activeTargetGroup, ecs.idleTargetGroup, 100),
      );
      await journal.note(`test listener → ${ecs.idleService}`);
      return true;
    },

    async retire(deployment, journal) {
      const ecs = roles(deployment);
      await need().scaler.update(t.cluster, ecs.activeService, { desiredCount: 0 });
      await journal.note(`${ecs.activeService} scaled to 0 after the termination wait`);
    },
  };

  return {
    kind: 'ecs',
    words: ecsWords,
    blueGreen,

    revisionProblem: (revision) =>
      /^[\w.:/@-]+$/.test(revision)
        ? undefined
        : 'must be a task definition (family:revision or its ARN) or an image reference',

    current: () => need().loadBalancer.current(forwardOf(group)),

    async liveRevision(live) {
      const whole = albWholeOn(albRouting(live));
      const service =
        whole === t.blueTargetGroup
          ? t.blueService
          : whole === t.greenTargetGroup
            ? t.greenService
            : undefined;
      if (!service) return undefined;
      return (await need().scaler.describe(t.cluster, service)).taskDefinition;
    },

    percentOn: (live, deployment) =>
      deployment.ecs ? albPercentOn(albRouting(live), deployment.ecs.idleTargetGroup) : undefined,

    async inspect(deployment, live) {
      const { loadBalancer, scaler } = need();
      const whole = albWholeOn(albRouting(live)) ?? '';
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
      const originalTestRouting = t.testListener
        ? await loadBalancer.current({ listener: t.testListener })
        : undefined;
      const ecs: EcsDeploymentState = {
        activeService,
        idleService,
        activeTargetGroup: whole,
        idleTargetGroup: blueLive ? t.greenTargetGroup : t.blueTargetGroup,
        ...(byTaskDefinition ? { taskDefinition: deployment.revision } : { image: deployment.revision }),
        activeTaskDefinition: active.taskDefinition,
        desiredCount: Math.max(1, active.runningCount),
        idleOriginal: { taskDefinition: idle.taskDefinition, desiredCount: idle.desiredCount },
        ...(originalTestRouting ? { originalTestRouting } : {}),
      };
      return {
        live,
        record: { ecs },
        notes: [`${activeService} is live; ${idleService} receives the revision`],
      };
    },

    target: (deployment, percent) => {
      const ecs = roles(deployment);
      return albWeightsFor(ecs.activeTargetGroup, ecs.idleTargetGroup, percent);
    },

    apply: (routing) => need().loadBalancer.set(forwardOf(group), albRouting(routing)),

    receiver: (deployment) => roles(deployment).idleService,

    afterFullTraffic: (deployment) => ({
      done: false,
      notes: [
        `all traffic on ${roles(deployment).idleService}; the old service is kept for the termination wait`,
      ],
    }),

    terminationWaitSeconds: () => t.terminationWaitMinutes * 60,

    /** The test listener back to where it forwarded, and the idle service back to its task definition and count. */
    async restoreRest(deployment, journal) {
      const ecs = deployment.ecs;
      if (!ecs) return;
      const { loadBalancer, scaler } = need();
      if (t.testListener && ecs.originalTestRouting) {
        await loadBalancer.set({ listener: t.testListener }, ecs.originalTestRouting);
        await journal.note(`test listener restored: ${describeRouting(ecs.originalTestRouting)}`);
      }
      await scaler.update(t.cluster, ecs.idleService, {
        taskDefinition: ecs.idleOriginal.taskDefinition,
        desiredCount: ecs.idleOriginal.desiredCount,
      });
      await journal.note(`${ecs.idleService} scaled back to ${ecs.idleOriginal.desiredCount} tasks`);
    },

    /** The ALB publishes per-target-group metrics under LoadBalancer + TargetGroup. */
    metricDimensions(deployment) {
      const ecs = roles(deployment);
      const forward = forwardOf(group);
      const loadBalancer = albDimension('rule' in forward ? forward.rule : forward.listener);
      return {
        revision: { LoadBalancer: loadBalancer, TargetGroup: albDimension(ecs.idleTargetGroup) },
        baseline: { LoadBalancer: loadBalancer, TargetGroup: albDimension(ecs.activeTargetGroup) },
      };
    },

    metricSpec: (metric, dimensions) => albMetricSpec(metric, dimensions),

    metricIdentities(deployment) {
      const { revision, baseline } = this.metricDimensions(deployment);
      return { revision: revision.TargetGroup ?? '', baseline: baseline.TargetGroup ?? '' };
    },
  };
};

/**
 * The ALB's per-target-group metrics (namespace AWS/ApplicationELB, by LoadBalancer + TargetGroup): 5XX
 * answers of the targets per request, and TargetResponseTime (seconds) in milliseconds. A target group has
 * no throttle count: the config refuses `throttles` for ECS groups.
 */
export function albMetricSpec(metric: BuiltinMetric, dimensions: Dimensions): MetricSpec {
  const namespace = 'AWS/ApplicationELB';
  switch (metric) {
    case 'errorRate':
      return {
        type: 'ratio',
        namespace,
        numerator: ['HTTPCode_Target_5XX_Count'],
        denominator: ['RequestCount'],
        dimensions,
      };
    case 'latencyP90':
    case 'latencyP99':
      return {
        type: 'percentile',
        namespace,
        metricName: 'TargetResponseTime',
        percentile: metric === 'latencyP90' ? 90 : 99,
        scale: 1000,
        dimensions,
      };
    case 'throttles':
      throw new StepShiftError('throttles is a Lambda metric: an ALB target group has no throttle count');
  }
}
