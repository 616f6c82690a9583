import { readFileSync } from 'node:fs';
import validator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import {
  PARTITION_SUBSTITUTION,
  RELEASE_STATE,
  RELEASE_SUBSTITUTION,
  STATE,
} from '../../functions/core/states.ts';
import { DEFINITION_PATH, localReleaseDefinition, RELEASE_DEFINITION_PATH } from '../../local/definition.ts';

const text = readFileSync(RELEASE_DEFINITION_PATH, 'utf8');
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, Record<string, unknown>> };
const CALLBACK = `arn:\${${PARTITION_SUBSTITUTION}}:states:::lambda:invoke.waitForTaskToken`;

describe('statemachines/release.asl.json', () => {
  it('passes asl-validator with the local substitutions', () => {
    const result = validator(structuredClone(localReleaseDefinition(text)) as never);
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('uses JSONPath only, and only the release function and the partition', () => {
    expect(text).not.toContain('JSONata');
    expect(text).not.toContain('"Assign"');
    const used = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect([...used].sort()).toEqual([PARTITION_SUBSTITUTION, RELEASE_SUBSTITUTION].sort());
  });

  it('has every state the console and local mode name, and no other', () => {
    expect(Object.keys(definition.States).sort()).toEqual(Object.values(RELEASE_STATE).sort());
    expect(definition.StartAt).toBe(RELEASE_STATE.PrepareRelease);
  });

  it('waits on its members with callback tasks, each with an explicit timeout past a member execution’s limit', () => {
    for (const name of [RELEASE_STATE.AwaitWave, RELEASE_STATE.AwaitEnd, RELEASE_STATE.AwaitRollback]) {
      const state = definition.States[name] as Record<string, unknown>;
      expect(state.Resource, name).toBe(CALLBACK);
      expect((state.Parameters as { Payload: Record<string, string> }).Payload['taskToken.$'], name).toBe(
        '$$.Task.Token',
      );
      expect(state.TimeoutSeconds, name).toBe(7 * 24 * 3600 + 300);
    }
  });

  it('rolls back from every task before the commit, and ends through EndRelease after it', () => {
    const next = (name: string) =>
      ((definition.States[name]?.Catch as { Next: string }[] | undefined) ?? []).map((c) => c.Next);
    for (const name of [
      RELEASE_STATE.PrepareRelease,
      RELEASE_STATE.StartWave,
      RELEASE_STATE.AwaitWave,
      RELEASE_STATE.Commit,
    ]) {
      expect(next(name), name).toEqual([RELEASE_STATE.RollBackRelease]);
    }
    expect(next(RELEASE_STATE.AwaitEnd)).toEqual([RELEASE_STATE.EndRelease]);
    expect(next(RELEASE_STATE.AwaitRollback)).toEqual([RELEASE_STATE.EndRelease]);
    expect(definition.States[RELEASE_STATE.Commit]?.Next).toBe(RELEASE_STATE.AwaitEnd);
  });

  it('has a member hold at its commit point in the deployment workflow, only when it is a release member', () => {
    const deployment = JSON.parse(readFileSync(DEFINITION_PATH, 'utf8')) as {
      States: Record<string, Record<string, unknown>>;
    };
    const decided = deployment.States[STATE.AfterAllowTrafficDecided] as {
      Choices: Record<string, unknown>[];
    };
    expect(decided.Choices[0]).toEqual({
      And: [
        { Variable: '$.hooks.done', BooleanEquals: true },
        { Variable: '$.plan.inRelease', BooleanEquals: true },
      ],
      Next: STATE.AwaitRelease,
    });
    const hold = deployment.States[STATE.AwaitRelease] as Record<string, unknown>;
    expect(hold.Resource).toBe(CALLBACK);
    expect(hold.Next).toBe(STATE.Finalize);
    expect((hold.Catch as { ErrorEquals: string[]; Next: string }[])[0]).toMatchObject({
      ErrorEquals: ['States.ALL'],
      Next: STATE.RollBack,
    });
  });
});
