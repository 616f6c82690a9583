/**
 * An account behind the mocked SDK clients, just stateful enough for the real handlers to run whole
 * deployments: an alias whose routing UpdateAlias changes, listeners and a listener rule whose weights
 * ModifyListener/ModifyRule change, services whose task definition and count UpdateService changes,
 * alarms whose state a test sets. Only the answers the adapters read are given.
 */
import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  type Action,
  DescribeListenersCommand,
  DescribeRulesCommand,
  ModifyListenerCommand,
  ModifyRuleCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  PublishVersionCommand,
  ResourceNotFoundException,
  UpdateAliasCommand,
  UpdateFunctionCodeCommand,
} from '@aws-sdk/client-lambda';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
} from '@aws-sdk/client-sfn';
import { mocks, resetMocks } from '../handlers/aws-context.ts';

export interface FakeAccountSeed {
  /** Each `function:alias`: the function's published versions, and the version the alias routes to. */
  aliases: Record<string, { versions: string[]; live: string }>;
  /** The target group each listener or rule forwards all its traffic to. */
  forwards: Record<string, string>;
  /** `cluster/service` → its task definition and desired count. */
  services: Record<string, { taskDefinition: string; desiredCount: number }>;
  /** Task definitions by ARN, as DescribeTaskDefinition returns them. */
  taskDefinitions: Record<string, { taskRoleArn?: string; executionRoleArn?: string; container: string }>;
  metricAlarms: string[];
  compositeAlarms: string[];
}

export interface FakeAccount {
  setAlarm(name: string, state: 'OK' | 'ALARM'): void;
  /** What every metric GetMetricData reads is, over any window (100 unless set). */
  setMetricValue(value: number): void;
  /** The weights of the listener's or rule's forward action. */
  weights(arn: string): Record<string, number>;
  service(key: string): { taskDefinition: string; desiredCount: number } | undefined;
  alias(key: string): { version: string; weights: Record<string, number> } | undefined;
}

/** Resets the mocks (test/handlers' defaults) and answers from an account seeded with `seed`. */
export function fakeAccount(seed: FakeAccountSeed): FakeAccount {
  resetMocks();
  const versions = new Map(
    Object.entries(seed.aliases).map(([key, a]) => [key.split(':')[0] ?? key, new Set(a.versions)]),
  );
  const aliases = new Map<string, { version: string; weights: Record<string, number>; revision: number }>();
  for (const [key, a] of Object.entries(seed.aliases))
    aliases.set(key, { version: a.live, weights: {}, revision: 1 });
  const aliasOf = (fn: string | undefined, name: string | undefined) => {
    const alias = aliases.get(`${fn}:${name}`);
    if (!alias) throw new ResourceNotFoundException({ message: `no alias ${fn}:${name}`, $metadata: {} });
    return alias;
  };
  const aliasOut = (alias: { version: string; weights: Record<string, number>; revision: number }) => ({
    FunctionVersion: alias.version,
    RoutingConfig: { AdditionalVersionWeights: { ...alias.weights } },
    RevisionId: `r${alias.revision}`,
  });
  mocks.lambda.on(GetAliasCommand).callsFake((i) => aliasOut(aliasOf(i.FunctionName, i.Name)));
  mocks.lambda.on(UpdateAliasCommand).callsFake((i) => {
    const alias = aliasOf(i.FunctionName, i.Name);
    alias.version = i.FunctionVersion ?? alias.version;
    alias.weights = { ...(i.RoutingConfig?.AdditionalVersionWeights ?? {}) };
    alias.revision += 1;
    return aliasOut(alias);
  });
  mocks.lambda.on(GetFunctionConfigurationCommand).callsFake((i) => {
    const published = versions.get(String(i.FunctionName).split(':').pop() ?? '');
    if (i.Qualifier && !published?.has(i.Qualifier)) {
      throw new ResourceNotFoundException({ message: `no version ${i.Qualifier}`, $metadata: {} });
    }
    return { Version: i.Qualifier ?? '$LATEST', LastUpdateStatus: 'Successful' };
  });
  // The update is asynchronous: the publisher asks once more before it publishes.
  mocks.lambda
    .on(UpdateFunctionCodeCommand)
    .resolves({ CodeSha256: 'sha-new', LastUpdateStatus: 'InProgress' });
  mocks.lambda.on(PublishVersionCommand).callsFake((i) => {
    const published = versions.get(String(i.FunctionName)) ?? new Set<string>();
    const version = String(Math.max(0, ...[...published].map(Number)) + 1);
    published.add(version);
    versions.set(String(i.FunctionName), published);
    return { Version: version };
  });
  mocks.lambda
    .on(InvokeCommand)
    .resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"status":"Succeeded"}') as never });

  const actions = new Map<string, Action[]>(
    Object.entries(seed.forwards).map(([arn, tg]) => [arn, [{ Type: 'forward', TargetGroupArn: tg }]]),
  );
  const actionsOf = (arn: string | undefined) => {
    const found = actions.get(arn ?? '');
    if (!found) throw new Error(`the fake account has no listener or rule ${arn}`);
    return found;
  };
  mocks.elb.on(DescribeListenersCommand).callsFake((i) => ({
    Listeners: (i.ListenerArns ?? []).map((arn: string) => ({
      ListenerArn: arn,
      DefaultActions: actionsOf(arn),
    })),
  }));
  mocks.elb.on(DescribeRulesCommand).callsFake((i) => ({
    Rules: (i.RuleArns ?? []).map((arn: string) => ({ RuleArn: arn, Actions: actionsOf(arn) })),
  }));
  mocks.elb.on(ModifyListenerCommand).callsFake((i) => {
    actionsOf(i.ListenerArn);
    actions.set(i.ListenerArn, i.DefaultActions ?? []);
    return {};
  });
  mocks.elb.on(ModifyRuleCommand).callsFake((i) => {
    actionsOf(i.RuleArn);
    actions.set(i.RuleArn, i.Actions ?? []);
    return {};
  });

  const services = new Map(Object.entries(seed.services).map(([k, s]) => [k, { ...s }]));
  const serviceKey = (cluster: string | undefined, service: string) =>
    `${String(cluster).split('/').pop()}/${service}`;
  mocks.ecs.on(DescribeServicesCommand).callsFake((i) => ({
    services: (i.services ?? []).flatMap((name: string) => {
      const s = services.get(serviceKey(i.cluster, name));
      if (!s) return [];
      return [
        {
          serviceName: name,
          taskDefinition: s.taskDefinition,
          desiredCount: s.desiredCount,
          runningCount: s.desiredCount,
          deployments: [{ status: 'PRIMARY', rolloutState: 'COMPLETED', failedTasks: 0 }],
        },
      ];
    }),
    failures: [],
  }));
  mocks.ecs.on(UpdateServiceCommand).callsFake((i) => {
    const s = services.get(serviceKey(i.cluster, i.service));
    if (!s) throw new Error(`the fake account has no service ${i.service}`);
    if (i.taskDefinition) s.taskDefinition = i.taskDefinition;
    if (i.desiredCount !== undefined) s.desiredCount = i.desiredCount;
    return { service: { serviceName: i.service } };
  });
  let registered = 100;
  mocks.ecs.on(DescribeTaskDefinitionCommand).callsFake((i) => {
    const arn = String(i.taskDefinition);
    const td = seed.taskDefinitions[arn];
    if (!td) throw new Error(`the fake account has no task definition ${arn}`);
    return {
      taskDefinition: {
        taskDefinitionArn: arn,
        family: arn.split('/').pop()?.split(':')[0],
        revision: Number(arn.split(':').pop()),
        containerDefinitions: [{ name: td.container, image: 'registry/old:1', essential: true }],
        ...(td.taskRoleArn ? { taskRoleArn: td.taskRoleArn } : {}),
        ...(td.executionRoleArn ? { executionRoleArn: td.executionRoleArn } : {}),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        status: 'ACTIVE',
      },
      tags: [
        { key: 'team', value: 'shop' },
        { key: 'aws:cloudformation:stack-name', value: 'shop' },
      ],
    };
  });
  mocks.ecs.on(RegisterTaskDefinitionCommand).callsFake((i) => {
    registered += 1;
    const arn = `arn:aws:ecs:eu-west-1:123456789012:task-definition/${i.family}:${registered}`;
    seed.taskDefinitions[arn] = {
      container: i.containerDefinitions?.[0]?.name ?? '',
      ...(i.taskRoleArn ? { taskRoleArn: i.taskRoleArn } : {}),
      ...(i.executionRoleArn ? { executionRoleArn: i.executionRoleArn } : {}),
    };
    return { taskDefinition: { taskDefinitionArn: arn } };
  });

  const alarms = new Map<string, 'OK' | 'ALARM'>(
    [...seed.metricAlarms, ...seed.compositeAlarms].map((name) => [name, 'OK']),
  );
  const composite = new Set(seed.compositeAlarms);
  // Every metric of a canary analysis reads the same value over the window, both revisions alike.
  let metricValue = 100;
  mocks.cloudwatch.on(GetMetricDataCommand).callsFake((i) => ({
    MetricDataResults: (i.MetricDataQueries ?? []).map((q: { Id: string }) => ({
      Id: q.Id,
      StatusCode: 'Complete',
      Timestamps: [i.StartTime],
      Values: [metricValue],
    })),
  }));
  mocks.cloudwatch.on(DescribeAlarmsCommand).callsFake((i) => {
    const asked: string[] = (i.AlarmNames ?? []).filter((n: string) => alarms.has(n));
    const types: string[] = i.AlarmTypes ?? ['MetricAlarm'];
    const shown = (n: string) => ({ AlarmName: n, StateValue: alarms.get(n) });
    return {
      MetricAlarms: types.includes('MetricAlarm') ? asked.filter((n) => !composite.has(n)).map(shown) : [],
      CompositeAlarms: types.includes('CompositeAlarm')
        ? asked.filter((n) => composite.has(n)).map(shown)
        : [],
    };
  });

  mocks.sfn.on(SendTaskSuccessCommand).resolves({});
  mocks.sfn.on(SendTaskFailureCommand).resolves({});
  // Every execution the stories read started and entered Prepare; the workflow itself does not run here.
  mocks.sfn
    .on(DescribeExecutionCommand)
    .callsFake((i) => ({ executionArn: i.executionArn, status: 'RUNNING' }));
  mocks.sfn.on(GetExecutionHistoryCommand).resolves({
    events: [
      { id: 1, previousEventId: 0, timestamp: new Date(0), type: 'ExecutionStarted' },
      {
        id: 2,
        previousEventId: 1,
        timestamp: new Date(0),
        type: 'TaskStateEntered',
        stateEnteredEventDetails: { name: 'Prepare' },
      },
    ],
  });

  return {
    setAlarm: (name, state) => alarms.set(name, state),
    setMetricValue: (value) => {
      metricValue = value;
    },
    weights(arn) {
      const forward = actionsOf(arn).find((a) => a.Type === 'forward');
      const groups = forward?.ForwardConfig?.TargetGroups;
      if (groups?.length)
        return Object.fromEntries(groups.map((g) => [g.TargetGroupArn ?? '', g.Weight ?? 1]));
      return forward?.TargetGroupArn ? { [forward.TargetGroupArn]: 1 } : {};
    },
    service: (key) => services.get(key),
    alias(key) {
      const a = aliases.get(key);
      return a ? { version: a.version, weights: { ...a.weights } } : undefined;
    },
  };
}
