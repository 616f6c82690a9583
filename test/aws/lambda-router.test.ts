import {
  GetAliasCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  PreconditionFailedException,
  ResourceNotFoundException,
  TooManyRequestsException,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { checkAwsRules, LambdaAliasRouter } from '../../functions/aws/lambda-router.ts';
import { lambdaRoutingFor } from '../../functions/core/alias.ts';
import { RoutingDrift, Transient } from '../../functions/core/errors.ts';
import type { LambdaGroup } from '../../functions/core/group-config.ts';

const lambda = mockClient(LambdaClient);
// The stub is on the client's prototype, which the next test file in this worker shares (isolate: false).
afterAll(() => lambda.restore());
const group = {
  name: 'orders',
  kind: 'lambda',
  target: { functionName: 'orders', alias: 'live' },
} as LambdaGroup;
const v4 = { kind: 'lambda' as const, version: '4', additionalVersionWeights: {} };

beforeEach(() => {
  lambda.reset();
  lambda.on(GetAliasCommand).resolves({ FunctionVersion: '4', RevisionId: 'rev-1' });
  lambda.on(UpdateAliasCommand).callsFake((input) => ({
    FunctionVersion: input.FunctionVersion,
    RoutingConfig: input.RoutingConfig,
    RevisionId: 'rev-2',
  }));
});

describe('the Lambda alias router', () => {
  it('reads the alias version and its additional version weights', async () => {
    lambda.on(GetAliasCommand).resolves({
      FunctionVersion: '4',
      RoutingConfig: { AdditionalVersionWeights: { '5': 0.1 } },
      RevisionId: 'rev-1',
    });
    const router = new LambdaAliasRouter(new LambdaClient({}));
    expect(await router.current(group)).toEqual({
      kind: 'lambda',
      version: '4',
      additionalVersionWeights: { '5': 0.1 },
    });
    expect(lambda).toHaveReceivedCommandWith(GetAliasCommand, { FunctionName: 'orders', Name: 'live' });
  });

  it('shifts 10 % with one additional version weighted 0.1, conditional on the RevisionId it read', async () => {
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await router.current(group);
    await router.apply(group, lambdaRoutingFor(v4, '5', 10));
    expect(lambda).toHaveReceivedCommandExactlyOnceWith(UpdateAliasCommand, {
      FunctionName: 'orders',
      Name: 'live',
      FunctionVersion: '4',
      RoutingConfig: { AdditionalVersionWeights: { '5': 0.1 } },
      RevisionId: 'rev-1',
    });
  });

  it('points the alias at the new version with no routing config at 100 %', async () => {
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await router.current(group);
    expect(await router.apply(group, lambdaRoutingFor(v4, '5', 100))).toEqual({
      kind: 'lambda',
      version: '5',
      additionalVersionWeights: {},
    });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionVersion: '5',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
  });

  it('keeps a fractional step to AWS’s weight precision', async () => {
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await router.apply(group, lambdaRoutingFor(v4, '5', 0.5));
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      RoutingConfig: { AdditionalVersionWeights: { '5': 0.005 } },
    });
  });

  it('restores the recorded original routing exactly, split included', async () => {
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await router.apply(group, { kind: 'lambda', version: '3', additionalVersionWeights: { '2': 0.25 } });
    expect(lambda).toHaveReceivedCommandWith(UpdateAliasCommand, {
      FunctionVersion: '3',
      RoutingConfig: { AdditionalVersionWeights: { '2': 0.25 } },
      RevisionId: 'rev-1',
    });
  });

  it('reads the alias first when it has no RevisionId yet, then uses the one the update returned', async () => {
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await router.apply(group, lambdaRoutingFor(v4, '5', 10));
    await router.apply(group, lambdaRoutingFor(v4, '5', 20));
    expect(lambda).toHaveReceivedCommandTimes(GetAliasCommand, 1);
    expect(lambda).toHaveReceivedNthCommandWith(UpdateAliasCommand, 2, { RevisionId: 'rev-2' });
  });

  it('turns a RevisionId mismatch into RoutingDrift', async () => {
    lambda
      .on(UpdateAliasCommand)
      .rejects(new PreconditionFailedException({ message: 'revision mismatch', $metadata: {} }));
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await expect(router.apply(group, lambdaRoutingFor(v4, '5', 10))).rejects.toBeInstanceOf(RoutingDrift);
  });

  it('turns throttling into Transient, which the workflow retries', async () => {
    lambda
      .on(UpdateAliasCommand)
      .rejects(
        new TooManyRequestsException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 429 } }),
      );
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await expect(router.apply(group, lambdaRoutingFor(v4, '5', 10))).rejects.toBeInstanceOf(Transient);
  });

  it('tells whether a version exists', async () => {
    lambda.on(GetFunctionConfigurationCommand, { Qualifier: '5' }).resolves({ Version: '5' });
    lambda
      .on(GetFunctionConfigurationCommand, { Qualifier: '9' })
      .rejects(new ResourceNotFoundException({ message: 'no', $metadata: {} }));
    const router = new LambdaAliasRouter(new LambdaClient({}));
    expect(await router.revisionExists(group, '5')).toBe(true);
    expect(await router.revisionExists(group, '9')).toBe(false);
    expect(lambda).toHaveReceivedCommandWith(GetFunctionConfigurationCommand, {
      FunctionName: 'orders',
      Qualifier: '5',
    });
  });

  it.each([
    [
      'two additional versions',
      { kind: 'lambda' as const, version: '1', additionalVersionWeights: { '2': 0.1, '3': 0.1 } },
      /at most 1 additional version/,
    ],
    [
      'a weight above 1',
      { kind: 'lambda' as const, version: '1', additionalVersionWeights: { '2': 1.5 } },
      /outside \[0, 1\]/,
    ],
    [
      'a negative weight',
      { kind: 'lambda' as const, version: '1', additionalVersionWeights: { '2': -0.1 } },
      /outside \[0, 1\]/,
    ],
    [
      'the primary as additional version',
      { kind: 'lambda' as const, version: '1', additionalVersionWeights: { '1': 0.5 } },
      /both/,
    ],
  ])('never sends a routing AWS would refuse: %s', async (_what, routing, message) => {
    expect(() => checkAwsRules(routing)).toThrow(message);
    const router = new LambdaAliasRouter(new LambdaClient({}));
    await expect(router.apply(group, routing)).rejects.toThrow(message);
    expect(lambda).not.toHaveReceivedCommand(UpdateAliasCommand);
  });
});
