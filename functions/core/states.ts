/**
 * State names of statemachines/deployment.asl.json: what operators read in the Step Functions console,
 * and the keys of local mode's overrides. The workflow tests check that each exists in the file.
 */
export const STATE = {
  Prepare: 'Prepare',
  BeforeAllowTraffic: 'BeforeAllowTraffic',
  BeforeAllowTrafficDecided: 'BeforeAllowTrafficDecided',
  BeforeAllowTrafficWait: 'BeforeAllowTrafficWait',
  FirstStep: 'FirstStep',
  ShiftTraffic: 'ShiftTraffic',
  CheckAlarms: 'CheckAlarms',
  BakeNeeded: 'BakeNeeded',
  Bake: 'Bake',
  CheckAlarmsAfterBake: 'CheckAlarmsAfterBake',
  NextStep: 'NextStep',
  MoreSteps: 'MoreSteps',
  AfterAllowTraffic: 'AfterAllowTraffic',
  AfterAllowTrafficDecided: 'AfterAllowTrafficDecided',
  AfterAllowTrafficWait: 'AfterAllowTrafficWait',
  Finalize: 'Finalize',
  DeploymentSucceeded: 'DeploymentSucceeded',
  RollBack: 'RollBack',
  HowItEnded: 'HowItEnded',
  DeploymentRolledBack: 'DeploymentRolledBack',
  DeploymentStopped: 'DeploymentStopped',
  DeploymentFailed: 'DeploymentFailed',
  RollbackFailed: 'RollbackFailed',
} as const;

/** The `${…}` substitutions the workflow needs: one Lambda function per task. */
export const SUBSTITUTIONS = [
  'PrepareFunctionArn',
  'RunHooksFunctionArn',
  'ShiftTrafficFunctionArn',
  'CheckAlarmsFunctionArn',
  'BakeFunctionArn',
  'FinalizeFunctionArn',
  'RollBackFunctionArn',
] as const;
export type Substitution = (typeof SUBSTITUTIONS)[number];
