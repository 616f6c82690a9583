/**
 * One `Platform` per kind of deployment group: everything that differs between a Lambda alias and a
 * pair of ECS services behind a listener lives behind this interface, so the tasks, the API and local
 * mode read the same for every kind. Argo Rollouts keeps one traffic-routing reconciler per provider
 * behind one interface in the same way; a third kind (an API Gateway canary stage, a state machine
 * alias) is one more module in this folder and one more row in `index.ts`.
 *
 * A platform is bound to one group and reaches the world only through ports. It never writes the
 * deployment record itself: where a step must be recorded before the next (so that a retry does not
 * repeat it), it is handed a `Journal`.
 */
import type { BuiltinMetric, Dimensions, MetricSpec } from '../core/analysis.ts';
import type { Deployment, Routing } from '../core/deployment.ts';
import type { DeploymentGroup } from '../core/group-config.ts';
import type { Clock, LoadBalancer, ServiceScaler, TrafficRouter } from '../ports.ts';

/** The ports a platform may use; the ECS ones exist only where ECS access is wired. */
export interface PlatformPorts {
  router: TrafficRouter;
  loadBalancer?: LoadBalancer;
  scaler?: ServiceScaler;
  clock: Clock;
}

/** How a platform records what it did, between two calls to AWS. */
export interface Journal {
  /** Merges `patch` into the deployment record and returns the record as stored. */
  save(patch: Partial<Deployment>): Promise<Deployment>;
  /** Adds an `info` entry to the deployment's timeline. */
  note(message: string): Promise<void>;
}

/** What the preflight found: the live routing, and what the deployment records beside it. */
export interface Preflight {
  live: Routing;
  /** Recorded on the deployment at Prepare (ECS: which service is live and which receives the revision). */
  record: Pick<Deployment, 'ecs'>;
  /** Said on the timeline once the original routing is recorded. */
  notes: string[];
}

export type { Dimensions } from '../core/analysis.ts';

export interface Platform {
  readonly kind: DeploymentGroup['kind'];
  /** The words messages use: what routes the traffic, what it routes to, what a revision is. */
  readonly words: PlatformWords;
  /** The revision's form, checked at the API before anything is read: the broken rule, or undefined. */
  revisionProblem(revision: string): string | undefined;
  /** The live routing. Read-only. */
  current(): Promise<Routing>;
  /**
   * The revision all live traffic goes to, when it all goes to one — the alias's version, or the task
   * definition of the service behind the one target group; undefined while split. Read-only.
   */
  liveRevision(live: Routing): Promise<string | undefined>;
  /**
   * Percent of the live traffic on the deployment's revision; undefined when it cannot be told (ECS:
   * before Prepare recorded which target group receives the revision).
   */
  percentOn(live: Routing, deployment: Deployment): number | undefined;
  /**
   * The checks past "the routing is whole" (which the caller makes for every kind): the revision can be
   * deployed from this live routing. Read-only.
   *
   * @throws ValidationError (path `revision`), Conflict or PreflightFailed, each naming what is wrong.
   */
  inspect(deployment: Pick<Deployment, 'id' | 'revision'>, live: Routing): Promise<Preflight>;
  /** The routing with `percent` on the revision and the rest where it was before the deployment. */
  target(deployment: Deployment, percent: number): Routing;
  /** Sets exactly this routing. Idempotent: it writes an absolute split. */
  apply(routing: Routing): Promise<Routing>;
  /** What the timeline calls the revision receiving traffic: `version 7`, or the service running it. */
  receiver(deployment: Deployment): string;
  /**
   * All traffic is on the revision. Lambda: the deployment is done. ECS: the old service keeps its tasks
   * for the termination wait, and `retire` ends the deployment.
   */
  afterFullTraffic(deployment: Deployment): { done: boolean; notes: string[] };
  /** Seconds between all traffic on the revision and `retire` (0 where nothing is retired). */
  terminationWaitSeconds(): number;
  /** Rollback, once production traffic is restored: puts back everything else the deployment changed. */
  restoreRest(deployment: Deployment, journal: Journal): Promise<void>;
  /** The steps of a blue/green install (ECS); absent where the revision needs no install. */
  readonly blueGreen?: BlueGreen;
  /** The dimensions of the revision's and the baseline's own metrics over the same window. */
  metricDimensions(deployment: Deployment): { revision: Dimensions; baseline: Dimensions };
  /** How a built-in analysis metric of one revision is read, from that revision's `metricDimensions`. */
  metricSpec(metric: BuiltinMetric, dimensions: Dimensions): MetricSpec;
  /** What `${revision}` and `${baseline}` stand for in a check's expression: the versions, the target groups. */
  metricIdentities(deployment: Deployment): { revision: string; baseline: string };
}

export interface PlatformWords {
  /** `the alias`, `the listener`. */
  router: string;
  /** What all traffic must be on before a deployment starts: `version`, `target group`. */
  unit: string;
  /** What a revision is: `version`, `image`. */
  revision: string;
}

/** The install phase of a blue/green platform: each step idempotent, each recorded before the next. */
export interface BlueGreen {
  /** Puts the revision on the idle side (registering it first if needed). */
  install(deployment: Deployment, journal: Journal): Promise<{ taskDefinition: string }>;
  /**
   * Whether the idle side runs the revision steadily now.
   * @throws ServiceNotSteady when it failed to start, or past the group's steady timeout.
   */
  steady(deployment: Deployment, journal: Journal): Promise<boolean>;
  /** Points the test listener (if any) at the idle side. Returns whether there is one. */
  testTraffic(deployment: Deployment, journal: Journal): Promise<boolean>;
  /** After the termination wait: the side that was live goes to zero. */
  retire(deployment: Deployment, journal: Journal): Promise<void>;
}

export type PlatformFactory<G extends DeploymentGroup> = (ports: PlatformPorts, group: G) => Platform;
