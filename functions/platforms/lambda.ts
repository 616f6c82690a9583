/**
 * Lambda groups: traffic moves between two published versions of a function through the weights of
 * one alias. A revision is a published version; nothing is installed and nothing retired, so a
 * deployment ends as soon as the alias points at the revision alone.
 */
import { aliasWholeOn, type LambdaRouting, lambdaRoutingFor, percentOn } from '../core/alias.ts';
import type { BuiltinMetric, Dimensions, MetricSpec } from '../core/analysis.ts';
import type { Routing } from '../core/deployment.ts';
import { Conflict, StepShiftError, ValidationError } from '../core/errors.ts';
import type { LambdaGroup } from '../core/group-config.ts';
import type { PlatformFactory, PlatformWords } from './platform.ts';

export const lambdaWords: PlatformWords = { router: 'the alias', unit: 'version', revision: 'version' };

export const lambdaPlatform: PlatformFactory<LambdaGroup> = (ports, group) => {
  const { router } = ports;
  const aliasRouting = (routing: Routing | undefined, what: string): LambdaRouting => {
    if (routing?.kind !== 'lambda') throw new StepShiftError(`${what} is not an alias routing`);
    return routing;
  };
  return {
    kind: 'lambda',
    words: lambdaWords,

    revisionProblem: (revision) =>
      /^\d+$/.test(revision) ? undefined : 'must be a published version number of the function, like "7"',

    current: () => router.current(group),

    liveRevision: async (live) => aliasWholeOn(aliasRouting(live, 'the live routing')),

    percentOn: (live, deployment) => percentOn(aliasRouting(live, 'the live routing'), deployment.revision),

    async inspect(deployment, live) {
      if (aliasRouting(live, 'the live routing').version === deployment.revision) {
        throw new Conflict(`version ${deployment.revision} is already live: nothing to deploy`);
      }
      if (!(await router.revisionExists(group, deployment.revision))) {
        throw new ValidationError('invalid revision', [
          {
            path: 'revision',
            message: `version ${deployment.revision} of ${group.target.functionName} does not exist`,
          },
        ]);
      }
      return { live, record: {}, notes: [] };
    },

    target: (deployment, percent) =>
      lambdaRoutingFor(
        aliasRouting(deployment.originalRouting, `the recorded routing of deployment ${deployment.id}`),
        deployment.revision,
        percent,
      ),

    apply: (routing) => router.apply(group, aliasRouting(routing, 'the routing to apply')),

    receiver: (deployment) => `version ${deployment.revision}`,

    afterFullTraffic: () => ({ done: true, notes: [] }),

    terminationWaitSeconds: () => 0,

    restoreRest: async () => {},

    /**
     * Lambda publishes per-version metrics for invocations through an alias under FunctionName +
     * Resource (`function:alias`) + ExecutedVersion: the canary and the baseline, measured apart.
     */
    metricDimensions(deployment) {
      const functionName = group.target.functionName.split(':function:').pop() ?? group.target.functionName;
      const base = { FunctionName: functionName, Resource: `${functionName}:${group.target.alias}` };
      const original = aliasRouting(deployment.originalRouting, `the recorded routing of ${deployment.id}`);
      return {
        revision: { ...base, ExecutedVersion: deployment.revision },
        baseline: { ...base, ExecutedVersion: original.version },
      };
    },

    metricSpec: (metric, dimensions) => lambdaMetricSpec(metric, dimensions),

    metricIdentities(deployment) {
      const original = aliasRouting(deployment.originalRouting, `the recorded routing of ${deployment.id}`);
      return { revision: deployment.revision, baseline: original.version };
    },
  };
};

/**
 * Lambda's per-version metrics (namespace AWS/Lambda, by FunctionName + Resource + ExecutedVersion):
 * function errors per invocation, Duration (milliseconds) percentiles, and throttled requests per
 * request that reached the function (throttled ones are not invocations).
 */
export function lambdaMetricSpec(metric: BuiltinMetric, dimensions: Dimensions): MetricSpec {
  const namespace = 'AWS/Lambda';
  switch (metric) {
    case 'errorRate':
      return { type: 'ratio', namespace, numerator: ['Errors'], denominator: ['Invocations'], dimensions };
    case 'throttles':
      return {
        type: 'ratio',
        namespace,
        numerator: ['Throttles'],
        denominator: ['Invocations', 'Throttles'],
        dimensions,
      };
    case 'latencyP90':
    case 'latencyP99':
      return {
        type: 'percentile',
        namespace,
        metricName: 'Duration',
        percentile: metric === 'latencyP90' ? 90 : 99,
        scale: 1,
        dimensions,
      };
  }
}
