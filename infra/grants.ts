/**
 * Least privilege on what the config declares: the grants name exactly the declared hooks, alarms,
 * functions, services and listeners. What every group has (hooks, alarms) is granted here; what
 * differs by kind, by the platform of that kind (./platforms/).
 *
 * One grant uses `Resource: *` here because AWS offers no resource-level permission for it:
 * `states:SendTaskSuccess` / `states:SendTaskFailure` (a task token is the authorization) —
 * acknowledged to cdk-nag with that reason (./nag.ts).
 */
import { ArnFormat, type Stack } from 'aws-cdk-lib';
import type { GroupConfig } from '../functions/core/group-config.ts';
import type { StepShiftFunctions } from './functions.ts';
import { eachPlatform } from './platforms/index.ts';
import { allow, functionArn } from './platforms/platform.ts';

/** Grants `functions` what their code calls on the resources `config` declares. */
export function grantDeclared(stack: Stack, config: GroupConfig, functions: StepShiftFunctions): void {
  const f = functions;
  const groups = Object.values(config.groups);
  const hookArns = [
    ...new Set(
      groups.flatMap((g) =>
        Object.values(g.hooks).flatMap((hs) => hs.map((h) => functionArn(stack, h.functionName))),
      ),
    ),
  ];
  const alarmArns = [...new Set(groups.flatMap((g) => g.alarms))].map((a) =>
    stack.formatArn({
      service: 'cloudwatch',
      resource: 'alarm',
      resourceName: a,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    }),
  );
  const watchers = [f.Prepare, f.CheckAlarms, f.Bake];
  const publishers = [
    f.Prepare,
    f.RunHooks,
    f.ShiftTraffic,
    f.Finalize,
    f.RollBack,
    f.Api,
    f.Intake,
    f.ExecutionEnded,
    f.ScaleDownOld,
  ];
  allow(watchers, ['cloudwatch:DescribeAlarms'], alarmArns);
  allow([f.RunHooks], ['lambda:InvokeFunction'], hookArns);
  allow(
    publishers,
    ['events:PutEvents'],
    [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
  );
  // AWS offers no resource-level permission for task-token calls: the token is the authorization.
  allow([f.Bake, f.Api, f.AlarmIntake], ['states:SendTaskSuccess', 'states:SendTaskFailure'], ['*']);

  eachPlatform(config, (platform, kindGroups) => platform.grant(kindGroups, { stack, functions }));
}
