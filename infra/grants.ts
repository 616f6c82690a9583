/**
 * Least privilege on what the config declares: the grants name exactly the declared hooks, functions,
 * services and listeners, and go to exactly the functions whose code makes the call (test/iam proves
 * both against the calls the handlers make). What every group has (hooks, alarms) is granted here; what
 * differs by kind, by the platform of that kind (./platforms/).
 *
 * Two grants here use `Resource: *`, each acknowledged to cdk-nag with its reason (./nag.ts):
 * - `states:SendTaskSuccess` / `states:SendTaskFailure`: AWS offers no resource-level permission (a
 *   task token is the authorization);
 * - `cloudwatch:DescribeAlarms`: "To retrieve information about composite alarms, your
 *   cloudwatch:DescribeAlarms permission must have a * scope. You can't return information about
 *   composite alarms if your cloudwatch:DescribeAlarms permission has a narrower scope."
 *   (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/permissions-reference-cw.html).
 *   A grant on the declared alarms' ARNs would make every composite alarm unreadable, and so fail
 *   every deployment of a group that watches one. It reads alarm states only, and goes only to the
 *   functions that read them.
 * - `cloudwatch:GetMetricData`: it supports no resource-level permission and no condition key (the
 *   Service Authorization Reference for CloudWatch); granted only where a group declares analysis, and
 *   only to the three functions that run checks.
 */
import type { Stack } from 'aws-cdk-lib';
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
  // The functions that read alarm states: the checks of the workflow (ShiftTraffic before and after each
  // shift, so after each bake and before the next; before finalizing, before the old ECS service goes,
  // while hooks run), the refusal to start under a firing alarm (the API's starts and releases, and
  // intake, which starts deployments the same way), and a deployment's view (the API's reads).
  const alarmReaders = [
    f.Prepare,
    f.RunHooks,
    f.ShiftTraffic,
    f.Bake,
    f.AwaitApproval,
    f.Finalize,
    f.ScaleDownOld,
    f.Api,
    f.ApiStart,
    f.ApiReleases,
    f.Intake,
  ];
  const publishers = [
    f.Prepare,
    f.AwaitApproval,
    f.RunHooks,
    f.ShiftTraffic,
    f.Finalize,
    f.RollBack,
    f.Api,
    f.ApiStart,
    f.ApiReleases,
    f.Intake,
    f.ExecutionEnded,
    f.ScaleDownOld,
    f.Release,
  ];
  // Composite alarms are returned only to a grant on `*` (see above). No alarm declared, no reader.
  if (groups.some((g) => g.alarms.length > 0)) allow(alarmReaders, ['cloudwatch:DescribeAlarms'], ['*']);
  allow([f.RunHooks], ['lambda:InvokeFunction'], hookArns);
  allow(
    publishers,
    ['events:PutEvents'],
    [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
  );
  // AWS offers no resource-level permission for task-token calls: the token is the authorization.
  // A bake ends itself only with success (a promote); a stop or an alarm ends it with failure, and so does
  // a start that supersedes the deployment baking (ApiStart). The API ends an approval wait too (approve,
  // reject): AwaitApproval only stores its token, and needs neither.
  allow([f.Bake, f.Api], ['states:SendTaskSuccess'], ['*']);
  allow(
    [f.Api, f.ApiStart, f.AlarmIntake, ...(f.Analyze ? [f.Analyze] : [])],
    ['states:SendTaskFailure'],
    ['*'],
  );
  // Releases (./releases.ts): a release waits on its members through task tokens, and whichever
  // function changes a member last ends the wait. With success: a member that ends after the commit
  // (Finalize, ScaleDownOld), or whose rollback ends a release's rollback (RollBack, the watchdog); the
  // release function's commit and its own waits. With failure: a member that will not reach its commit
  // point (RollBack, the watchdog, Bake finding another member failed when its own commit point
  // comes); the release function stopping its members, and the API stopping a release (ApiReleases).
  allow(
    [f.RollBack, f.Finalize, f.ScaleDownOld, f.ExecutionEnded, f.Release],
    ['states:SendTaskSuccess'],
    ['*'],
  );
  allow([f.Bake, f.RollBack, f.ExecutionEnded, f.Release, f.ApiReleases], ['states:SendTaskFailure'], ['*']);
  // Canary analysis reads the revisions' metrics: at a bake's end (ShiftTraffic), at 100 % (RunHooks, before
  // AfterAllowTraffic), every minute of a bake (Analyze). GetMetricData has no resource-level permission.
  if (f.Analyze) allow([f.ShiftTraffic, f.RunHooks, f.Analyze], ['cloudwatch:GetMetricData'], ['*']);

  eachPlatform(config, (platform, kindGroups) => platform.grant(kindGroups, { stack, functions }));
}
