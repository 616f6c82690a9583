/**
 * Per-group authorization: `POST /groups/{group}/deployments` takes the group from its path, so that
 * an `execute-api:Invoke` policy can allow one group and not another; the README's example policy is
 * evaluated here as it is printed there. API Gateway authorizes a REST API call as `execute-api:Invoke`
 * on `arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH`, the path as requested
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-iam-policy-examples-for-api-execution.html).
 */
import { readFileSync } from 'node:fs';
import { StartExecutionCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { route } from '../../functions/api/routes.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { makeApiHandler } from '../../functions/handlers/api-gateway.ts';
import { awsContext, mocks, restoreMocks } from '../handlers/aws-context.ts';
import { ACCOUNT, REGION } from './config.ts';
import { fakeAccount } from './fake-account.ts';
import type { PolicyDocument } from './policies.ts';
import { decide } from './simulate.ts';

const config = parseGroupConfig({
  groups: {
    payments: {
      kind: 'lambda',
      target: { functionName: 'payments', alias: 'live' },
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
    },
    'orders-api': {
      kind: 'lambda',
      target: { functionName: 'orders-api', alias: 'live' },
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
    },
  },
});

let env: Awaited<ReturnType<typeof awsContext>>;
beforeAll(async () => {
  env = await awsContext(config);
});
afterAll(async () => env.dynamo.close());
afterAll(restoreMocks);
beforeEach(async () => {
  fakeAccount({
    aliases: {
      'payments:live': { versions: ['1', '2'], live: '1' },
      'orders-api:live': { versions: ['1', '2'], live: '1' },
    },
    forwards: {},
    services: {},
    taskDefinitions: {},
    metricAlarms: [],
    compositeAlarms: [],
  });
  for (const { group, deploymentId } of await env.ctx.store.locks())
    await env.ctx.store.unlock(group, deploymentId);
});

const post = async (path: string, body: unknown) => {
  const res = await makeApiHandler(
    () => env.ctx,
    route,
  )({
    httpMethod: 'POST',
    path,
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.statusCode, body: JSON.parse(res.body) };
};

describe('POST /groups/{group}/deployments', () => {
  it('starts a deployment of the group its path names', async () => {
    // Prepare: payments on version 1 (beforeEach). Act
    const res = await post('/groups/payments/deployments', { revision: '2' });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ group: 'payments', revision: '2', status: 'CREATED' });
    expect(mocks.sfn).toHaveReceivedCommandWith(StartExecutionCommand, { name: res.body.id });
  });

  it('accepts a body that repeats the group of its path', async () => {
    // Prepare: orders-api on version 1 (beforeEach). Act
    const res = await post('/groups/orders-api/deployments', { group: 'orders-api', revision: '2' });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.group).toBe('orders-api');
  });

  it('refuses a body that names another group with 400, naming the field, and starts nothing', async () => {
    // Prepare: a caller allowed payments only, trying to reach orders-api through the body. Act
    const res = await post('/groups/payments/deployments', { group: 'orders-api', revision: '2' });

    // Assess
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('ValidationError');
    expect(res.body.details.problems).toEqual([
      {
        path: 'group',
        message: 'names "orders-api" but the path deploys to "payments": leave it out or make it "payments"',
      },
    ]);
    expect(mocks.sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });

  it('answers 404 for a group the config does not declare', async () => {
    // Prepare: billing is not declared. Act
    const res = await post('/groups/billing/deployments', { revision: '2' });

    // Assess
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ error: 'NotFound', message: expect.stringContaining('billing') });
  });

  it('leaves POST /deployments as it was, the group in the body', async () => {
    // Prepare: payments on version 1 (beforeEach). Act
    const res = await post('/deployments', { group: 'payments', revision: '2' });

    // Assess
    expect(res.status).toBe(201);
    expect(res.body.group).toBe('payments');
  });
});

/** The README's example policy, as printed under "Per-group IAM", with the placeholders filled in. */
function readmePolicy(apiId: string): PolicyDocument {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('### Per-group IAM'));
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  if (!json) throw new Error('README: no JSON policy under "Per-group IAM"');
  return JSON.parse(
    json.replaceAll('REGION', REGION).replaceAll('ACCOUNT', ACCOUNT).replaceAll('API_ID', apiId),
  ) as PolicyDocument;
}

describe('the README’s per-group policy', () => {
  const apiId = 'a1b2c3d4e5';
  const invoke = (method: string, path: string) => ({
    action: 'execute-api:Invoke',
    resource: `arn:aws:execute-api:${REGION}:${ACCOUNT}:${apiId}/v1/${method}/${path}`,
  });
  const caller = `arn:aws:iam::${ACCOUNT}:role/payments-ci`;

  it.each([
    ['deploying payments', 'POST', 'groups/payments/deployments', 'Allowed'],
    ['reading a deployment', 'GET', 'deployments/d-20261125101500-a1b2c3', 'Allowed'],
    ['deploying orders-api', 'POST', 'groups/orders-api/deployments', 'ImplicitlyDenied'],
    ['POST /deployments, whose group is in the body', 'POST', 'deployments', 'ImplicitlyDenied'],
    ['rolling a deployment back', 'POST', 'deployments/d-20261125101500-a1b2c3/rollback', 'ImplicitlyDenied'],
  ])('decides %s: %s %s is %s', async (_what, method, path, decision) => {
    // Prepare
    const policy = readmePolicy(apiId);

    // Act
    const decided = await decide(caller, policy, invoke(method, path));

    // Assess
    expect(decided).toBe(decision);
  });
});
