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
    expect(catchers[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: STATE.CheckAlarmsAfterBake });
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
