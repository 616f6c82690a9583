/**
 * Each function's wiring (functions/handlers/context.ts): the adapters its function uses, and for the
 * others, stand-ins that say which function does (what each bundle carries: ./bundles.test.ts).
 */
import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudWatchMetricReader } from '../../functions/aws/cloudwatch-metrics.ts';
import { StepFunctionsExecutionHistory } from '../../functions/aws/execution-history.ts';
import { LambdaArtifactPublisher } from '../../functions/aws/lambda-artifacts.ts';
import { LambdaHookRunner } from '../../functions/aws/lambda-hooks.ts';
import { StepFunctionsStarter } from '../../functions/aws/step-functions.ts';
import { parseGroupConfigText } from '../../functions/core/group-config.ts';
import { groupConfigToJson } from '../../functions/core/groups.ts';
import {
  apiContext,
  ENV,
  executionHistory,
  intakeContext,
  lambdaHooks,
  taskContext,
} from '../../functions/handlers/context.ts';

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:deploy';
const ENVIRONMENT = {
  [ENV.table]: 'deployments',
  // As the construct resolves it at synth (infra/functions.ts).
  [ENV.groups]: groupConfigToJson(parseGroupConfigText(readFileSync('stepshift.config.json', 'utf8'))),
  [ENV.stateMachine]: STATE_MACHINE,
  [ENV.deadLetterQueue]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letters',
  AWS_REGION: 'eu-west-1',
};

describe('the wiring of each handler file', () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [name, value] of Object.entries(ENVIRONMENT)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
  });
  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('gives the task functions the ports, the metric reader and the bake signals, and nothing that starts or reads executions', async () => {
    // Act
    const ctx = taskContext();

    // Assess
    expect(ctx.metrics).toBeInstanceOf(CloudWatchMetricReader);
    expect(Object.keys(ctx.groups.groups)).toEqual(['orders-api', 'payments', 'checkout', 'web']);
    await expect(ctx.hooks.invoke('f', {} as never)).rejects.toThrow(/RunHooks/);
    expect(ctx).not.toHaveProperty('workflow');
    expect(ctx).not.toHaveProperty('executions');
    expect(ctx).not.toHaveProperty('artifacts');
    expect(taskContext()).toBe(ctx);
  });

  it('gives the RunHooks function the hook runner, over the same ports', () => {
    // Act
    const ctx = taskContext(lambdaHooks);

    // Assess
    expect(ctx.hooks).toBeInstanceOf(LambdaHookRunner);
    expect(ctx.store).toBe(taskContext().store);
    expect(taskContext(lambdaHooks)).toBe(ctx);
  });

  it('gives the API executions to start, a console link, and no hooks; their history only when asked', async () => {
    // Act
    const ctx = apiContext();
    const reading = apiContext(executionHistory);

    // Assess
    expect(ctx.workflow).toBeInstanceOf(StepFunctionsStarter);
    expect(ctx.executionUrl?.('d-1')).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\//);
    await expect(ctx.hooks.invoke('f', {} as never)).rejects.toThrow(/RunHooks/);
    await expect(ctx.executions.page({ name: 'd-1' })).rejects.toThrow(/reads no executions/);
    expect(reading.executions).toBeInstanceOf(StepFunctionsExecutionHistory);
    expect(ctx).not.toHaveProperty('artifacts');
    expect(ctx.store).toBe(taskContext().store);
    expect(apiContext()).toBe(ctx);
  });

  it('gives the intake starts, code publishing and the dead-letter queue, and no execution history', async () => {
    // Act
    const { ctx, sqs, deadLetterQueueUrl } = intakeContext();

    // Assess
    expect(ctx.workflow).toBeInstanceOf(StepFunctionsStarter);
    expect(ctx.artifacts).toBeInstanceOf(LambdaArtifactPublisher);
    expect(sqs).toBeInstanceOf(SQSClient);
    expect(deadLetterQueueUrl).toBe(ENVIRONMENT[ENV.deadLetterQueue]);
    await expect(ctx.executions.page({ name: 'd-1' })).rejects.toThrow(/reads no executions/);
    await expect(ctx.hooks.invoke('f', {} as never)).rejects.toThrow(/RunHooks/);
  });
});
