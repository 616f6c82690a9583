/**
 * ECS groups: the two declared services (described, scaled and updated to the revision), the
 * declared listeners or listener rule (weights moved between the two target groups), registering an
 * image revision as a task definition, and passing the declared task roles to ECS when doing so.
 * The API function holds the rollback's grants too: `POST /deployments/{id}/rollback` runs the
 * rollback in it.
 */
import { aws_iam as iam } from 'aws-cdk-lib';
import type { EcsGroup } from '../../functions/core/group-config.ts';
import { allow, type InfraPlatform, routingReaders } from './platform.ts';

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

    const listenerGroups = groups.filter((g) => g.target.listener || g.target.testListener);
    const ruleGroups = groups.filter((g) => g.target.listenerRule);

    // Reading the weights: the routing's readers, and the test listener's check. ELB Describe* actions
    // have no resource-level permission; the test listener is always a listener.
    const readers = routingReaders(f);
    if (listenerGroups.length > 0) {
      allow([...readers, f.TestTraffic], ['elasticloadbalancing:DescribeListeners'], ['*']);
    }
    if (ruleGroups.length > 0) allow(readers, ['elasticloadbalancing:DescribeRules'], ['*']);
    allow(
      [f.Prepare, f.Install, f.CheckSteady, f.Api, f.ApiStart, f.ApiReleases, f.Intake],
      ['ecs:DescribeServices'],
      serviceArns,
    );
    allow(
      [f.Install, f.ScaleDownOld, f.RollBack, f.ExecutionEnded, f.Api],
      ['ecs:UpdateService'],
      serviceArns,
    );

    const imageGroups = groups.filter((g) => g.target.container);
    if (imageGroups.length > 0) {
      // DescribeTaskDefinition has no resource-level permission; RegisterTaskDefinition's resource is the
      // revision it creates, whose family is the live service's and whose number AWS chooses.
      allow([f.Install], ['ecs:DescribeTaskDefinition', 'ecs:RegisterTaskDefinition'], ['*']);
      // The base's tags are copied onto the new revision: tagging on creation only, never an existing
      // resource (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/supported-iam-actions-tagging.html).
      f.Install.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['ecs:TagResource'],
          resources: ['*'],
          conditions: { StringEquals: { 'ecs:CreateAction': 'RegisterTaskDefinition' } },
        }),
      );
    }
    // Registering a revision passes its task role and execution role to ECS tasks: iam:PassRole on
    // exactly the roles each group declares (`taskRoles`, required with `container`), for ECS tasks only
    // (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
    const roles = [...new Set(imageGroups.flatMap((g) => g.target.taskRoles ?? []))];
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
      [f.ShiftTraffic, f.Finalize, f.RollBack, f.TestTraffic, f.ExecutionEnded, f.Api],
      ['elasticloadbalancing:ModifyListener'],
      listenerArns,
    );
    allow(
      [f.ShiftTraffic, f.Finalize, f.RollBack, f.ExecutionEnded, f.Api],
      ['elasticloadbalancing:ModifyRule'],
      ruleArns,
    );
  },

  unscopedActions: [
    'elasticloadbalancing:DescribeListeners/DescribeRules',
    'ecs:DescribeTaskDefinition/RegisterTaskDefinition (a new revision: AWS numbers it)',
    'ecs:TagResource (on creation only: condition ecs:CreateAction)',
  ],

  // The only wildcards granted are the unscoped actions above, acknowledged with those of all platforms.
  acknowledge() {},
};
