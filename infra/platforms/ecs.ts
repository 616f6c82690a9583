/**
 * ECS groups: the two declared services (described, scaled and updated to the revision), the
 * declared listeners or listener rule (weights moved between the two target groups), registering an
 * image revision as a task definition, and passing the declared task roles to ECS when doing so.
 */
import { aws_iam as iam } from 'aws-cdk-lib';
import type { EcsGroup } from '../../functions/core/group-config.ts';
import { allow, type InfraPlatform } from './platform.ts';

export const ecsPlatform: InfraPlatform<EcsGroup> = {
  grant(groups, { stack, functions: f }) {
    if (groups.length === 0) return;
    const serviceArns = groups.flatMap((g) => {
      // The config may name the cluster by ARN; a service ARN wants its name.
      const cluster = g.target.cluster.split('/').pop() ?? g.target.cluster;
      return [g.target.blueService, g.target.greenService].map((svc) =>
        stack.formatArn({ service: 'ecs', resource: 'service', resourceName: `${cluster}/${svc}` }),
      );
    });
    const listenerArns = groups.flatMap((g) =>
      [g.target.listener, g.target.testListener].filter((a): a is string => !!a),
    );
    const ruleArns = groups.flatMap((g) => (g.target.listenerRule ? [g.target.listenerRule] : []));

    const albUsers = [
      f.Prepare,
      f.ShiftTraffic,
      f.Finalize,
      f.RollBack,
      f.TestTraffic,
      f.Api,
      f.Intake,
      f.ExecutionEnded,
    ];
    // ELB Describe* actions have no resource-level permission.
    allow(albUsers, ['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'], ['*']);
    allow([f.Prepare, f.Install, f.CheckSteady, f.Api, f.Intake], ['ecs:DescribeServices'], serviceArns);
    allow([f.Install, f.ScaleDownOld, f.RollBack, f.ExecutionEnded], ['ecs:UpdateService'], serviceArns);
    // DescribeTaskDefinition and RegisterTaskDefinition have no resource-level permission.
    allow(
      [f.Install],
      ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition', 'ecs:TagResource'],
      ['*'],
    );
    const roles = [...new Set(groups.flatMap((g) => g.target.taskRoles ?? []))];
    if (roles.length > 0) {
      f.Install.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['iam:PassRole'],
          resources: roles,
          conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        }),
      );
    }
    allow(
      [f.ShiftTraffic, f.Finalize, f.RollBack, f.TestTraffic, f.ExecutionEnded],
      ['elasticloadbalancing:ModifyListener'],
      listenerArns,
    );
    allow(
      [f.ShiftTraffic, f.Finalize, f.RollBack, f.ExecutionEnded],
      ['elasticloadbalancing:ModifyRule'],
      ruleArns,
    );
  },

  unscopedActions: [
    'elasticloadbalancing:DescribeListeners/DescribeRules',
    'ecs:DescribeTaskDefinition/RegisterTaskDefinition/TagResource',
  ],

  // The only wildcards granted are the unscoped actions above, acknowledged with those of all platforms.
  acknowledge() {},
};
