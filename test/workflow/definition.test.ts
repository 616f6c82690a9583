import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { PARTITION_SUBSTITUTION, STATE, SUBSTITUTIONS } from '../../functions/core/states.ts';
import { DEFINITION_PATH, localDefinition } from '../../local/definition.ts';

const text = readFileSync(DEFINITION_PATH, 'utf8');
/** The callback integration, in the stack's partition. */
const CALLBACK = `arn:\${${PARTITION_SUBSTITUTION}}:states:::lambda:invoke.waitForTaskToken`;
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, Record<string, unknown>> };

describe('statemachines/deployment.asl.json', () => {
  it('passes asl-validator with the local substitutions', () => {
    const result = validator(structuredClone(localDefinition(text)) as never);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only, and only the substitutions the stack provides', () => {
    expect(text).not.toContain('JSONata');
    expect(text).not.toContain('"Assign"');
    const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([...SUBSTITUTIONS, PARTITION_SUBSTITUTION].sort());
  });

  it('has every state the console and local mode name, and no other', () => {
    expect(Object.keys(definition.States).sort()).toEqual(Object.values(STATE).sort());
    expect(definition.StartAt).toBe(STATE.Prepare);
  });

  it('retries transient errors with backoff and catches every failure into RollBack on every task', () => {
    const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task');
    expect(tasks.length).toBeGreaterThanOrEqual(8);
    for (const [name, state] of tasks) {
      const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
      expect(retry?.[0]?.BackoffRate, name).toBeGreaterThan(1);
      expect(retry?.[0]?.ErrorEquals, name).toEqual(
        expect.arrayContaining(
          name === STATE.RollBack ? ['States.ALL'] : ['Transient', 'Lambda.TooManyRequestsException'],
        ),
      );
      const catchers = state.Catch as { ErrorEquals: string[]; Next: string }[];
      const all = catchers.find((c) => c.ErrorEquals.includes('States.ALL'));
      expect(all?.Next, name).toBe(name === STATE.RollBack ? STATE.RollbackFailed : STATE.RollBack);
      expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath, name).toBeDefined();
    }
  });

  it('bakes with a callback task whose timeout is the bake time, continuing when it elapses', () => {
    const bake = definition.States[STATE.Bake] as Record<string, unknown>;
    expect(bake.Resource).toBe(CALLBACK);
    expect(bake.TimeoutSecondsPath).toBe('$.shift.bakeSeconds');
    expect((bake.Parameters as { Payload: Record<string, string> }).Payload['taskToken.$']).toBe(
      '$$.Task.Token',
    );
    const catchers = bake.Catch as { ErrorEquals: string[]; Next: string }[];
    // The next ShiftTraffic checks the alarms first: the check after the bake (decision 0008).
    expect(catchers[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: STATE.ShiftTraffic });
    expect(bake.Next).toBe(STATE.ShiftTraffic);
    // The last step's bake is the same callback, into AfterAllowTraffic, whose hooks task checks first.
    const { Catch, Next, Comment, ...same } = definition.States[STATE.FinalBake] as Record<string, unknown>;
    const { Catch: _c, Next: _n, Comment: _m, ...bakeSame } = bake;
    expect(same).toEqual(bakeSame);
    expect((Catch as { ErrorEquals: string[]; Next: string }[]).map((c) => [c.ErrorEquals, c.Next])).toEqual([
      [['States.Timeout'], STATE.AfterAllowTraffic],
      [['States.ALL'], STATE.RollBack],
    ]);
    expect(Next).toBe(STATE.AfterAllowTraffic);
  });

  it('enters three states per step at most: ShiftTraffic, ChooseNext and a bake', () => {
    expect(definition.States[STATE.BeforeAllowTrafficDecided]).toMatchObject({
      Choices: [{ Next: STATE.ShiftTraffic }],
    });
    const shift = definition.States[STATE.ShiftTraffic] as Record<string, unknown>;
    expect(shift.Next).toBe(STATE.ChooseNext);
    expect(shift.Parameters).toMatchObject({ 'stepIndex.$': '$.shift.nextStepIndex' });
    // Prepare's output starts the loop at its step (0; on a resume, the step stopped at). It replaces the
    // state (ResultPath left out: the default, `$`, which the local engine reads right only when it is left out).
    expect(definition.States[STATE.Prepare]).toMatchObject({
      ResultSelector: {
        'deploymentId.$': '$.deploymentId',
        shift: { 'nextStepIndex.$': '$.nextStepIndex' },
      },
    });
    expect(definition.States[STATE.Prepare]?.ResultPath).toBeUndefined();
    const choose = definition.States[STATE.ChooseNext] as { Choices: { Next: string }[]; Default: string };
    expect([...choose.Choices.map((c) => c.Next), choose.Default]).toEqual([
      STATE.AwaitApproval,
      STATE.Bake,
      STATE.FinalBake,
      STATE.ShiftTraffic,
      STATE.AfterAllowTraffic,
    ]);
  });

  it('waits at a pause in a callback whose timeout is the pause’s, back to ShiftTraffic on approval or timeout', () => {
    const wait = definition.States[STATE.AwaitApproval] as Record<string, unknown>;
    expect(wait).toMatchObject({
      Type: 'Task',
      Resource: CALLBACK,
      TimeoutSecondsPath: '$.shift.approvalTimeoutSeconds',
      ResultPath: null,
      Next: STATE.ShiftTraffic,
      Parameters: { Payload: { 'taskToken.$': '$$.Task.Token' } },
    });
    // The next ShiftTraffic applies the pause's onTimeout; a rejection fails the task into RollBack.
    expect(
      (wait.Catch as { ErrorEquals: string[]; Next: string }[]).map((c) => [c.ErrorEquals, c.Next]),
    ).toEqual([
      [['States.Timeout'], STATE.ShiftTraffic],
      [['States.ALL'], STATE.RollBack],
    ]);
  });

  it('keeps the ECS termination wait a callback too, so an alarm or a stop ends it at once', () => {
    const wait = definition.States[STATE.TerminationWait] as Record<string, unknown>;
    expect(wait).toMatchObject({
      Type: 'Task',
      Resource: CALLBACK,
      TimeoutSecondsPath: '$.plan.terminationWaitSeconds',
    });
    const catchers = wait.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(catchers[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: STATE.ScaleDownOld });
    expect(catchers[1]).toMatchObject({ ErrorEquals: ['States.ALL'], Next: STATE.RollBack });
  });

  it('retries the Lambda service errors AWS recommends retrying on every task but RollBack', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task' || name === STATE.RollBack) continue;
      const retry = state.Retry as { ErrorEquals: string[] }[];
      expect(retry[0]?.ErrorEquals, name).toEqual(
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
          'Lambda.ClientExecutionTimeoutException',
          'Lambda.Unknown',
        ]),
      );
    }
  });
});
