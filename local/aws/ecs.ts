/**
 * Simulated ECS: task definitions registered by family and revision, and services that take time to
 * become steady.
 *
 * Like ECS, an update does not take effect at once: a service is `IN_PROGRESS` for `steadySeconds` of
 * virtual time, then `COMPLETED` with its desired count running — or `FAILED` with no task running when
 * its image cannot start — whether or not traffic flows. It is the ECS groups' `ServiceScaler`.
 */
import { StepShiftError } from '../../functions/core/errors.ts';
import type { Clock, ServiceScaler, ServiceState } from '../../functions/ports.ts';
import type { ControlPlane } from './control-plane.ts';
import type { VersionProfile } from './lambda.ts';

export interface TaskDefinition {
  family: string;
  revision: number;
  containers: { name: string; image: string }[];
}

export interface ImageProfile extends VersionProfile {
  /** Tasks of this image never start (a bad image, a missing secret). */
  failsToStart?: boolean;
}

export interface SimService extends ServiceState {
  changedAt: number;
  /** Newest first, as DescribeServices lists them. */
  events: string[];
}

/** The durable state, owned and persisted by the account. */
export interface EcsState {
  /** By task definition ARN. */
  taskDefinitions: Map<string, TaskDefinition>;
  /** By `cluster/service`. */
  services: Map<string, SimService>;
  /** Target group ARN → the `cluster/service` registered in it. */
  targetGroups: Map<string, string>;
}

/** Tasks of an image nobody described behave well. */
const DEFAULT_IMAGE_PROFILE: ImageProfile = { errorRate: 0.002, latencyMs: 40 };

export class SimulatedEcs implements ServiceScaler {
  /** Image behaviour is code, not state: described again at every start, never persisted. */
  private readonly imageProfiles = new Map<string, ImageProfile>();
  /** Virtual seconds a service takes to become steady after an update. */
  steadySeconds = 60;

  constructor(
    private readonly clock: Clock,
    private readonly control: ControlPlane,
    private readonly state: EcsState = {
      taskDefinitions: new Map(),
      services: new Map(),
      targetGroups: new Map(),
    },
  ) {}

  /** Registers a task definition revision; returns its ARN. */
  registerTaskDefinition(family: string, containers: { name: string; image: string }[]): string {
    const revision = [...this.state.taskDefinitions.values()].filter((t) => t.family === family).length + 1;
    const arn = `arn:aws:ecs:us-east-1:000000000000:task-definition/${family}:${revision}`;
    this.state.taskDefinitions.set(arn, { family, revision, containers });
    this.control.changed();
    return arn;
  }

  /** How tasks of an image behave: error rate and latency, and whether they fail to start. */
  defineImage(image: string, profile: ImageProfile): void {
    this.imageProfiles.set(image, profile);
  }

  /** Every described image with its behaviour (what the account persists). */
  images(): [string, ImageProfile][] {
    return [...this.imageProfiles];
  }

  hasService(cluster: string, name: string): boolean {
    return this.state.services.has(`${cluster}/${name}`);
  }

  createService(
    cluster: string,
    name: string,
    taskDefinition: string,
    desiredCount: number,
    targetGroup: string,
  ): void {
    this.state.services.set(`${cluster}/${name}`, {
      taskDefinition,
      desiredCount,
      runningCount: desiredCount,
      rollout: 'COMPLETED',
      failedTasks: 0,
      changedAt: this.clock.now(),
      events: [],
    });
    this.state.targetGroups.set(targetGroup, `${cluster}/${name}`);
    this.control.changed();
  }

  service(cluster: string, name: string): ServiceState {
    this.progress(this.clock.now());
    const s = this.state.services.get(`${cluster}/${name}`);
    if (!s) throw new StepShiftError(`ServiceNotFoundException: ${cluster}/${name}`);
    const { changedAt: _c, events, ...state } = s;
    return { ...state, ...(events[0] ? { lastEvent: events[0] } : {}) };
  }

  // ── the port ──

  async describe(cluster: string, service: string): Promise<ServiceState> {
    this.control.record('DescribeServices', { cluster, service });
    return this.service(cluster, service);
  }

  async update(
    cluster: string,
    service: string,
    change: { taskDefinition?: string; desiredCount: number },
  ): Promise<void> {
    this.control.record('UpdateService', { cluster, service, ...change });
    const s = this.state.services.get(`${cluster}/${service}`);
    if (!s) throw new StepShiftError(`ServiceNotFoundException: ${cluster}/${service}`);
    if (change.taskDefinition && !this.state.taskDefinitions.has(change.taskDefinition)) {
      throw new StepShiftError(`ClientException: TaskDefinition not found: ${change.taskDefinition}`);
    }
    const changed =
      (change.taskDefinition && change.taskDefinition !== s.taskDefinition) ||
      change.desiredCount !== s.desiredCount;
    if (!changed) return;
    s.taskDefinition = change.taskDefinition ?? s.taskDefinition;
    s.desiredCount = change.desiredCount;
    s.rollout = 'IN_PROGRESS';
    s.failedTasks = 0;
    s.changedAt = this.clock.now();
    if (change.desiredCount === 0) s.runningCount = 0;
    this.control.changed();
  }

  async registerImage(base: string, container: string, image: string): Promise<string> {
    this.control.record('RegisterTaskDefinition', { base, container, image });
    const td = this.state.taskDefinitions.get(base);
    if (!td) throw new StepShiftError(`ClientException: Unable to describe task definition ${base}`);
    if (!td.containers.some((c) => c.name === container)) {
      throw new StepShiftError(`task definition ${base} has no container named ${container}`);
    }
    return this.registerTaskDefinition(
      td.family,
      td.containers.map((c) => (c.name === container ? { ...c, image } : c)),
    );
  }

  // ── what synthetic traffic reads ──

  /** The service registered in a target group, with how its tasks behave; undefined if none. */
  behind(
    targetGroup: string,
  ): { taskDefinition: string; runningCount: number; profile: ImageProfile } | undefined {
    const service = this.state.services.get(this.state.targetGroups.get(targetGroup) ?? '');
    if (!service) return undefined;
    const { taskDefinition, runningCount } = service;
    return { taskDefinition, runningCount, profile: this.profileOf(taskDefinition) };
  }

  /** Services become steady (or fail) `steadySeconds` after an update, whether or not traffic flows. */
  progress(now: number): void {
    for (const s of this.state.services.values()) {
      if (s.rollout !== 'IN_PROGRESS' || now - s.changedAt < this.steadySeconds * 1000) continue;
      if (s.desiredCount > 0 && this.profileOf(s.taskDefinition).failsToStart) {
        s.rollout = 'FAILED';
        s.failedTasks = s.desiredCount;
        s.runningCount = 0;
        s.events.unshift(`tasks failed to start: CannotPullContainerError for ${s.taskDefinition}`);
      } else {
        s.rollout = 'COMPLETED';
        s.runningCount = s.desiredCount;
        s.events.unshift(`has reached a steady state with ${s.desiredCount} tasks`);
      }
      this.control.changed();
    }
  }

  /** A task definition behaves as its images: one that fails to start decides, else the first described. */
  private profileOf(taskDefinition: string): ImageProfile {
    const td = this.state.taskDefinitions.get(taskDefinition);
    const images =
      td?.containers.map((c) => this.imageProfiles.get(c.image)).filter((p): p is ImageProfile => !!p) ?? [];
    return images.find((p) => p.failsToStart) ?? images[0] ?? DEFAULT_IMAGE_PROFILE;
  }
}
