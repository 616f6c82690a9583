import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.ts';
import { type Answer, type StubApi, stubApi } from './stub-api.ts';

let stub: StubApi | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function run(script: Record<string, Answer[]>, ...argv: string[]) {
  stub = await stubApi(script);
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', stub.url], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n'), received: stub.received };
}

const deployment = (over: Record<string, unknown>) => ({
  id: 'd-2',
  group: 'payments',
  revision: '7',
  status: 'CREATED',
  percent: 0,
  configName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
  ...over,
});

describe('stepshift resume, retry and redeploy against a stub API', () => {
  it('resume posts to the deployment and says where it carries on', async () => {
    const { code, out, received } = await run(
      {
        'POST /deployments/d-1/resume': [
          {
            status: 202,
            body: {
              deployment: deployment({
                id: 'd-1',
                status: 'STOPPED',
                percent: 20,
                executionName: 'd-1-resume-1',
              }),
            },
          },
        ],
      },
      'resume',
      'd-1',
    );
    expect(code).toBe(0);
    expect(out).toBe('d-1: resuming at 20 % (execution d-1-resume-1)');
    expect(received[0]).toMatchObject({ method: 'POST', url: '/deployments/d-1/resume' });
  });

  it('resume exits 2 with the API’s reason when refused', async () => {
    const { code, err } = await run(
      {
        'POST /deployments/d-1/resume': [
          {
            status: 409,
            body: {
              error: 'Conflict',
              message: 'the routing changed since deployment d-1 was stopped',
              details: {},
            },
          },
        ],
      },
      'resume',
      'd-1',
    );
    expect(code).toBe(2);
    expect(err).toMatch(/^stepshift: 409 Conflict: the routing changed since deployment d-1 was stopped/);
  });

  it('retry posts the ignored alarms and names what it retries', async () => {
    const { code, out, received } = await run(
      { 'POST /deployments/d-1/retry': [{ status: 201, body: deployment({ retryOf: 'd-1' }) }] },
      'retry',
      'd-1',
      '--ignore-alarm',
      'payments-5xx',
    );
    expect(code).toBe(0);
    expect(out).toBe(
      'd-2: CREATED — retry of d-1: version 7 to payments with CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ ignoreAlarms: ['payments-5xx'] });
  });

  it('redeploy posts to the group, percent-encoded, and names the deployment it redeploys', async () => {
    const { code, out, received } = await run(
      {
        'POST /groups/orders%20api/redeploy': [
          { status: 201, body: deployment({ group: 'orders api', revision: '5', redeployOf: 'd-0' }) },
        ],
      },
      'redeploy',
      'orders api',
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^d-2: CREATED — redeploy of d-0: version 5 to orders api/);
    expect(received[0]).toMatchObject({ url: '/groups/orders%20api/redeploy', body: '{}' });
  });
});
