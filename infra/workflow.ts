/**
 * The deployment workflow: the ASL file run by a Standard state machine, with one Lambda function per
 * task and the stack's partition substituted into it. The same file runs in local mode; only the
 * substitutions differ.
 */
import { fileURLToPath } from 'node:url';
import {
  Duration,
  type aws_lambda as lambda,
  aws_logs as logs,
  Names,
  Stack,
  aws_stepfunctions as sfn,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { PARTITION_SUBSTITUTION, type Substitution } from '../functions/core/states.ts';
import { LOG_RETENTION, type NewFunction, type TaskName } from './functions.ts';

export const ASL_PATH = fileURLToPath(new URL('../statemachines/deployment.asl.json', import.meta.url));

export interface Workflow {
  stateMachine: sfn.StateMachine;
  /** The task functions, in the order the ASL's substitutions list them. */
  tasks: Record<TaskName, lambda.Function>;
}

/** Creates the task functions and the state machine that runs them, in `scope`. */
export function createWorkflow(
  scope: Construct,
  { fn, logLevel }: { fn: NewFunction; logLevel: 'ERROR' | 'ALL' },
): Workflow {
  const tasks: Record<TaskName, lambda.Function> = {
    Prepare: fn('Prepare', 'prepare.ts', 'prepareHandler'),
    RunHooks: fn('RunHooks', 'run-hooks.ts', 'runHooksHandler', Duration.minutes(15)),
    ShiftTraffic: fn('ShiftTraffic', 'shift-traffic.ts', 'shiftTrafficHandler'),
    Bake: fn('Bake', 'bake.ts', 'bakeHandler'),
    AwaitApproval: fn('AwaitApproval', 'await-approval.ts', 'awaitApprovalHandler'),
    Finalize: fn('Finalize', 'finalize.ts', 'finalizeHandler'),
    RollBack: fn('RollBack', 'rollback.ts', 'rollbackHandler'),
    Install: fn('Install', 'install.ts', 'installHandler'),
    CheckSteady: fn('CheckSteady', 'check-steady.ts', 'checkSteadyHandler'),
    TestTraffic: fn('TestTraffic', 'test-traffic.ts', 'testTrafficHandler'),
    ScaleDownOld: fn('ScaleDownOld', 'scale-down-old.ts', 'scaleDownOldHandler'),
  };

  // Step Functions adds every log group it writes to to CloudWatch Logs' resource policy, which is
  // limited to 5120 characters; names under /aws/vendedlogs/ are covered by one wildcard instead
  // (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html). The stack-unique name keeps two
  // stacks, or two StepShift constructs, apart.
  const logGroup = new logs.LogGroup(scope, 'StateMachineLogs', {
    logGroupName: `/aws/vendedlogs/states/${Names.uniqueResourceName(scope, { maxLength: 200, separator: '-' })}-Deployment`,
    retention: LOG_RETENTION,
  });
  const substitutions: Record<Substitution | typeof PARTITION_SUBSTITUTION, string> = {
    // The partition of the service-integration ARNs (`arn:${Partition}:states:::lambda:invoke…`): a
    // stack deployed to aws-cn or aws-us-gov names its own.
    [PARTITION_SUBSTITUTION]: Stack.of(scope).partition,
    PrepareFunctionArn: tasks.Prepare.functionArn,
    RunHooksFunctionArn: tasks.RunHooks.functionArn,
    ShiftTrafficFunctionArn: tasks.ShiftTraffic.functionArn,
    BakeFunctionArn: tasks.Bake.functionArn,
    AwaitApprovalFunctionArn: tasks.AwaitApproval.functionArn,
    FinalizeFunctionArn: tasks.Finalize.functionArn,
    RollBackFunctionArn: tasks.RollBack.functionArn,
    InstallFunctionArn: tasks.Install.functionArn,
    CheckSteadyFunctionArn: tasks.CheckSteady.functionArn,
    TestTrafficFunctionArn: tasks.TestTraffic.functionArn,
    ScaleDownOldFunctionArn: tasks.ScaleDownOld.functionArn,
  };
  const stateMachine = new sfn.StateMachine(scope, 'Deployment', {
    definitionBody: sfn.DefinitionBody.fromFile(ASL_PATH),
    definitionSubstitutions: substitutions,
    stateMachineType: sfn.StateMachineType.STANDARD,
    tracingEnabled: true,
    logs: {
      destination: logGroup,
      level: logLevel === 'ALL' ? sfn.LogLevel.ALL : sfn.LogLevel.ERROR,
      includeExecutionData: logLevel === 'ALL',
    },
  });
  // Every function the definition names, and no other, may be invoked by the state machine.
  for (const task of Object.values(tasks)) task.grantInvoke(stateMachine);
  return { stateMachine, tasks };
}
