/**
 * The ECS side of an ECS group: reading a service's state, pointing it at a task definition with a
 * desired count, and registering a new task-definition revision that differs from a base one only by
 * one container's image (what an ECR push becomes).
 */
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  type ECSClient,
  RegisterTaskDefinitionCommand,
  type RegisterTaskDefinitionCommandInput,
  type TaskDefinition,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { StepShiftError } from '../core/errors.ts';
import type { ServiceScaler, ServiceState } from '../ports.ts';
import { call } from './errors.ts';

/** A field RegisterTaskDefinition accepts, but `tags` (DescribeTaskDefinition returns those apart). */
type Registered = Exclude<keyof RegisterTaskDefinitionCommandInput, 'tags'>;

/**
 * The fields a new revision copies from its base: every field of RegisterTaskDefinition's request but
 * `tags` (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html).
 * The table is checked against the SDK's request type, so a field that a newer SDK adds (as
 * `enableFaultInjection` was) fails `tsc` here until it is listed, and test/aws checks it against the
 * SDK's request schema: a new field is never dropped silently.
 */
export const REGISTERED_FIELDS = Object.keys({
  family: true,
  taskRoleArn: true,
  executionRoleArn: true,
  networkMode: true,
  containerDefinitions: true,
  volumes: true,
  placementConstraints: true,
  requiresCompatibilities: true,
  cpu: true,
  memory: true,
  pidMode: true,
  ipcMode: true,
  proxyConfiguration: true,
  inferenceAccelerators: true,
  ephemeralStorage: true,
  runtimePlatform: true,
  enableFaultInjection: true,
} satisfies Record<Registered, true>) as Registered[];

/**
 * What DescribeTaskDefinition returns that RegisterTaskDefinition does not accept: ECS sets these on
 * each revision (its ARN and number, status, the attributes and compatibilities it derived, who
 * registered it and when). Typed as exactly the task-definition fields that are not request fields,
 * so a new one must be classified here or in `REGISTERED_FIELDS` before `tsc` passes.
 */
// Pure: only the tests read it, and a bundle drops it.
export const READ_ONLY_FIELDS = /* @__PURE__ */ Object.keys({
  taskDefinitionArn: true,
  revision: true,
  status: true,
  requiresAttributes: true,
  compatibilities: true,
  registeredAt: true,
  registeredBy: true,
  deregisteredAt: true,
  deleteRequestedAt: true,
} satisfies Record<Exclude<keyof TaskDefinition, keyof RegisterTaskDefinitionCommandInput>, true>);

function copiedFields(td: TaskDefinition): Partial<RegisterTaskDefinitionCommandInput> {
  return Object.fromEntries(REGISTERED_FIELDS.flatMap((f) => (td[f] === undefined ? [] : [[f, td[f]]])));
}

/**
 * Tag keys and values starting with `aws:` in any case are AWS's own (CloudFormation's
 * `aws:cloudformation:stack-name`, …): "Do not use aws:, AWS:, or any upper or lowercase combination of
 * such as a prefix for either keys or values as it is reserved for AWS use"
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_RegisterTaskDefinition.html, `tags`).
 * RegisterTaskDefinition rejects them, so they are not copied; AWS sets its own on the new revision.
 */
function reserved(text: string | undefined): boolean {
  return text?.toLowerCase().startsWith('aws:') ?? false;
}

/**
 * Whether a role a task definition names is one of `allowed` (role ARNs). ECS accepts a role's ARN or
 * its short name; a short name is the role of that name in the task definition's own account.
 */
function declared(role: string, allowed: readonly string[], taskDefinitionArn: string | undefined): boolean {
  if (role.startsWith('arn:')) return allowed.includes(role);
  const account = taskDefinitionArn?.split(':')[4];
  return allowed.some((arn) => {
    const [, , , , roleAccount, resource = ''] = arn.split(':');
    return resource.split('/').at(-1) === role && (account === undefined || roleAccount === account);
  });
}

export class EcsServices implements ServiceScaler {
  constructor(private readonly client: ECSClient) {}

  async describe(cluster: string, service: string): Promise<ServiceState> {
    const out = await call('DescribeServices', () =>
      this.client.send(new DescribeServicesCommand({ cluster, services: [service] })),
    );
    const s = out.services?.[0];
    if (!s) {
      const reason = out.failures?.[0]?.reason ?? 'not found';
      throw new StepShiftError(`service ${service} in cluster ${cluster}: ${reason}`);
    }
    const primary = s.deployments?.find((d) => d.status === 'PRIMARY');
    return {
      taskDefinition: s.taskDefinition ?? '',
      desiredCount: s.desiredCount ?? 0,
      runningCount: s.runningCount ?? 0,
      rollout: (primary?.rolloutState as ServiceState['rollout'] | undefined) ?? 'IN_PROGRESS',
      failedTasks: primary?.failedTasks ?? 0,
      ...(s.events?.[0]?.message ? { lastEvent: s.events[0].message } : {}),
    };
  }

  async update(
    cluster: string,
    service: string,
    change: { taskDefinition?: string; desiredCount: number },
  ): Promise<void> {
    await call('UpdateService', () =>
      this.client.send(
        new UpdateServiceCommand({
          cluster,
          service,
          desiredCount: change.desiredCount,
          ...(change.taskDefinition ? { taskDefinition: change.taskDefinition } : {}),
        }),
      ),
    );
  }

  /**
   * Registers `base` again with `container`'s image replaced; returns the new revision's ARN.
   *
   * Everything else is copied as DescribeTaskDefinition returns it (see `REGISTERED_FIELDS`), with the
   * tags AWS reserves left out. When `allowedRoles` is given (the group's `target.taskRoles`, on which
   * the stack grants `iam:PassRole`), a base whose task or execution role is not among them is refused
   * before anything is registered: RegisterTaskDefinition passes both roles to ECS, and without the
   * grant it would fail as AccessDenied, naming neither the role nor the field that fixes it
   * (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html).
   */
  async registerImage(
    base: string,
    container: string,
    image: string,
    allowedRoles?: readonly string[],
  ): Promise<string> {
    const out = await call('DescribeTaskDefinition', () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: base, include: ['TAGS'] })),
    );
    const td = out.taskDefinition;
    if (!td?.family || !td.containerDefinitions)
      throw new StepShiftError(`task definition ${base} not found`);
    if (!td.containerDefinitions.some((c) => c.name === container)) {
      throw new StepShiftError(`task definition ${base} has no container named ${container}`);
    }
    if (allowedRoles) {
      const undeclared = (['taskRoleArn', 'executionRoleArn'] as const).flatMap((field) => {
        const role = td[field];
        return role && !declared(role, allowedRoles, td.taskDefinitionArn) ? [`${field} ${role}`] : [];
      });
      if (undeclared.length > 0) {
        throw new StepShiftError(
          `task definition ${base}: ${undeclared.map((u) => `${u} is not among the group's target.taskRoles`).join('; ')} (declared: ${allowedRoles.join(', ') || 'none'}). Declare every role the task definition names in target.taskRoles, so that stepshift may pass it to ECS (iam:PassRole).`,
          { undeclared, allowedRoles },
        );
      }
    }
    const tags = (out.tags ?? []).filter((t) => !reserved(t.key) && !reserved(t.value));
    const input: RegisterTaskDefinitionCommandInput = {
      ...copiedFields(td),
      family: td.family,
      containerDefinitions: td.containerDefinitions.map((c) => (c.name === container ? { ...c, image } : c)),
      ...(tags.length > 0 ? { tags } : {}),
    };
    const registered = await call('RegisterTaskDefinition', () =>
      this.client.send(new RegisterTaskDefinitionCommand(input)),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new StepShiftError('RegisterTaskDefinition returned no ARN');
    return arn;
  }
}
