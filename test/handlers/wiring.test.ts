/**
 * Each handler file's wiring (functions/handlers/context.ts) and what its bundle carries: the adapters
 * its functions use and no others, and zod/mini rather than classic zod (issue 12, item 4: small
 * bundles; bench/bundles.ts measures them).
 */
import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withoutSdk } from '../../bench/bundles.ts';
import { CloudWatchMetricReader } from '../../functions/aws/cloudwatch-metrics.ts';
import { StepFunctionsExecutionHistory } from '../../functions/aws/execution-history.ts';
import { LambdaArtifactPublisher } from '../../functions/aws/lambda-artifacts.ts';
import { LambdaHookRunner } from '../../functions/aws/lambda-hooks.ts';
import { StepFunctionsStarter } from '../../functions/aws/step-functions.ts';
import { parseGroupConfigText } from '../../functions/core/group-config.ts';
import { groupConfigToJson } from '../../functions/core/groups.ts';
import { apiContext, ENV, eventsContext, taskContext } from '../../functions/handlers/context.ts';

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

  it('gives the task functions the ports, the hooks and the bake signals, and nothing that starts or reads executions', () => {
    // Act
    const ctx = taskContext();

    // Assess
    expect(ctx.hooks).toBeInstanceOf(LambdaHookRunner);
    expect(ctx.metrics).toBeInstanceOf(CloudWatchMetricReader);
    expect(Object.keys(ctx.groups.groups)).toEqual(['orders-api', 'payments', 'checkout', 'web']);
    expect(ctx).not.toHaveProperty('workflow');
    expect(ctx).not.toHaveProperty('executions');
    expect(ctx).not.toHaveProperty('artifacts');
    expect(taskContext()).toBe(ctx);
  });

  it('gives the API executions to start and read, a console link, and no hooks', async () => {
    // Act
    const ctx = apiContext();

    // Assess
    expect(ctx.workflow).toBeInstanceOf(StepFunctionsStarter);
    expect(ctx.executions).toBeInstanceOf(StepFunctionsExecutionHistory);
    expect(ctx.executionUrl?.('d-1')).toMatch(/^https:\/\/eu-west-1\.console\.aws\.amazon\.com\/states\//);
    await expect(ctx.hooks.invoke('f', {} as never)).rejects.toThrow(/RunHooks/);
    expect(ctx).not.toHaveProperty('artifacts');
    expect(ctx.store).toBe(taskContext().store);
    expect(apiContext()).toBe(ctx);
  });

  it('gives the EventBridge targets starts, code publishing and the dead-letter queue, and no execution history', async () => {
    // Act
    const { ctx, sqs, deadLetterQueueUrl } = eventsContext();

    // Assess
    expect(ctx.workflow).toBeInstanceOf(StepFunctionsStarter);
    expect(ctx.artifacts).toBeInstanceOf(LambdaArtifactPublisher);
    expect(sqs).toBeInstanceOf(SQSClient);
    expect(deadLetterQueueUrl).toBe(ENVIRONMENT[ENV.deadLetterQueue]);
    await expect(ctx.executions.page({ name: 'd-1' })).rejects.toThrow(/reads no executions/);
    await expect(ctx.hooks.invoke('f', {} as never)).rejects.toThrow(/RunHooks/);
  });
});

/** The inputs that a handler file's bundle keeps anything of, as the construct bundles it. */
async function bundleInputs(file: string): Promise<string[]> {
  const result = await build({
    entryPoints: [`functions/handlers/${file}`],
    bundle: true,
    minify: true,
    write: false,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    mainFields: ['module', 'main'],
    plugins: [withoutSdk],
    define: { __STEPSHIFT_GROUPS__: 'undefined' },
    metafile: true,
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

describe('the Lambda bundles', () => {
  it.each([
    ['tasks.ts', ['execution-history.ts', 'lambda-artifacts.ts']],
    ['api.ts', ['lambda-artifacts.ts']],
    ['events.ts', ['execution-history.ts']],
  ])('%s carries zod/mini, not classic zod, and none of %j', async (file, absent) => {
    // Act
    const inputs = await bundleInputs(file);

    // Assess
    expect(inputs.some((path) => path.includes('node_modules/zod/v4/mini/'))).toBe(true);
    expect(inputs.filter((path) => path.includes('node_modules/zod/v4/classic/'))).toEqual([]);
    for (const name of absent) expect(inputs.filter((path) => path.endsWith(`/${name}`))).toEqual([]);
  });
});
