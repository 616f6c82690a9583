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
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { StepShiftError } from '../core/errors.ts';
import type { ServiceScaler, ServiceState } from '../ports.ts';
import { call } from './errors.ts';

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

  /** Registers `base` again with `container`'s image replaced; returns the new revision's ARN. */
  async registerImage(base: string, container: string, image: string): Promise<string> {
    const out = await call('DescribeTaskDefinition', () =>
      this.client.send(new DescribeTaskDefinitionCommand({ taskDefinition: base, include: ['TAGS'] })),
    );
    const td = out.taskDefinition;
    if (!td?.family || !td.containerDefinitions)
      throw new StepShiftError(`task definition ${base} not found`);
    if (!td.containerDefinitions.some((c) => c.name === container)) {
      throw new StepShiftError(`task definition ${base} has no container named ${container}`);
    }
    const input: RegisterTaskDefinitionCommandInput = {
      family: td.family,
      containerDefinitions: td.containerDefinitions.map((c) => (c.name === container ? { ...c, image } : c)),
      ...(td.taskRoleArn ? { taskRoleArn: td.taskRoleArn } : {}),
      ...(td.executionRoleArn ? { executionRoleArn: td.executionRoleArn } : {}),
      ...(td.networkMode ? { networkMode: td.networkMode } : {}),
      ...(td.volumes ? { volumes: td.volumes } : {}),
      ...(td.placementConstraints ? { placementConstraints: td.placementConstraints } : {}),
      ...(td.requiresCompatibilities ? { requiresCompatibilities: td.requiresCompatibilities } : {}),
      ...(td.cpu ? { cpu: td.cpu } : {}),
      ...(td.memory ? { memory: td.memory } : {}),
      ...(td.pidMode ? { pidMode: td.pidMode } : {}),
      ...(td.ipcMode ? { ipcMode: td.ipcMode } : {}),
      ...(td.proxyConfiguration ? { proxyConfiguration: td.proxyConfiguration } : {}),
      ...(td.runtimePlatform ? { runtimePlatform: td.runtimePlatform } : {}),
      ...(td.ephemeralStorage ? { ephemeralStorage: td.ephemeralStorage } : {}),
      ...(out.tags && out.tags.length > 0 ? { tags: out.tags } : {}),
    };
    const registered = await call('RegisterTaskDefinition', () =>
      this.client.send(new RegisterTaskDefinitionCommand(input)),
    );
    const arn = registered.taskDefinition?.taskDefinitionArn;
    if (!arn) throw new StepShiftError('RegisterTaskDefinition returned no ARN');
    return arn;
  }
}
