/**
 * State names of statemachines/deployment.asl.json: what operators read in the Step Functions console,
 * and the keys of local mode's overrides. The workflow tests check that each exists in the file.
 */
export const STATE = {
  Prepare: 'Prepare',
  ChooseKind: 'ChooseKind',
  BeforeInstall: 'BeforeInstall',
  BeforeInstallDecided: 'BeforeInstallDecided',
  BeforeInstallWait: 'BeforeInstallWait',
  Install: 'Install',
  WaitForSteady: 'WaitForSteady',
  CheckSteady: 'CheckSteady',
  Steady: 'Steady',
  AfterInstall: 'AfterInstall',
  AfterInstallDecided: 'AfterInstallDecided',
  AfterInstallWait: 'AfterInstallWait',
  TestTraffic: 'TestTraffic',
  AfterAllowTestTraffic: 'AfterAllowTestTraffic',
  AfterAllowTestTrafficDecided: 'AfterAllowTestTrafficDecided',
  AfterAllowTestTrafficWait: 'AfterAllowTestTrafficWait',
  BeforeAllowTraffic: 'BeforeAllowTraffic',
  BeforeAllowTrafficDecided: 'BeforeAllowTrafficDecided',
  BeforeAllowTrafficWait: 'BeforeAllowTrafficWait',
  ShiftTraffic: 'ShiftTraffic',
  ChooseNext: 'ChooseNext',
  AwaitApproval: 'AwaitApproval',
  Bake: 'Bake',
  FinalBake: 'FinalBake',
  AfterAllowTraffic: 'AfterAllowTraffic',
  AfterAllowTrafficDecided: 'AfterAllowTrafficDecided',
  AfterAllowTrafficWait: 'AfterAllowTrafficWait',
  AwaitRelease: 'AwaitRelease',
  Finalize: 'Finalize',
  ChooseEnd: 'ChooseEnd',
  TerminationWait: 'TerminationWait',
  ScaleDownOld: 'ScaleDownOld',
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
  'BakeFunctionArn',
  'AwaitApprovalFunctionArn',
  'FinalizeFunctionArn',
  'RollBackFunctionArn',
  'InstallFunctionArn',
  'CheckSteadyFunctionArn',
  'TestTrafficFunctionArn',
  'ScaleDownOldFunctionArn',
] as const;

export type Substitution = (typeof SUBSTITUTIONS)[number];

/**
 * The one substitution that is not a function: the partition (`aws`, `aws-cn`, `aws-us-gov`) of the
 * service-integration ARNs (`arn:${Partition}:states:::lambda:invoke.waitForTaskToken`).
 */
export const PARTITION_SUBSTITUTION = 'Partition';

/** State names of statemachines/release.asl.json (a release of several groups, functions/core/release.ts). */
export const RELEASE_STATE = {
  PrepareRelease: 'PrepareRelease',
  StartWave: 'StartWave',
  AwaitWave: 'AwaitWave',
  WavesLeft: 'WavesLeft',
  Commit: 'Commit',
  AwaitEnd: 'AwaitEnd',
  RollBackRelease: 'RollBackRelease',
  AwaitRollback: 'AwaitRollback',
  EndRelease: 'EndRelease',
  HowReleaseEnded: 'HowReleaseEnded',
  ReleaseSucceeded: 'ReleaseSucceeded',
  ReleaseRolledBack: 'ReleaseRolledBack',
  ReleaseStopped: 'ReleaseStopped',
  ReleaseFailed: 'ReleaseFailed',
} as const;

/** The release workflow's one function: every task state names it, with an `action`. */
export const RELEASE_SUBSTITUTION = 'ReleaseFunctionArn';
