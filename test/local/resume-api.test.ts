import { afterEach, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../functions/api/http.ts';
import { stopDeployment } from '../../functions/api/operations.ts';
import { route } from '../../functions/api/routes.ts';
import type { StepClock } from '../../local/clock.ts';
import { messages, type Scenario, scenario } from '../workflow/harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const post = (path: string, body?: unknown, caller?: string): HttpRequest => ({
  method: 'POST',
  path,
  query: {},
  headers: {},
  body: body === undefined ? undefined : JSON.stringify(body),
  ...(caller ? { caller } : {}),
});

describe('POST /deployments/{id}/resume', () => {
  it('answers 202 with the deployment under its resume execution, and names the caller on the timeline', async () => {
    s = await scenario({ orders: { deploymentConfig: 'LambdaLinear10PercentEvery10Minutes' } });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.until(d, (x) => x.bakeToken !== undefined, 'the first bake');
    await stopDeployment(s.ctx, d.id, { rollback: false });
    await s.finished(d);

    const out = await route(s.ctx, post(`/deployments/${d.id}/resume`, undefined, 'arn:aws:iam::1:role/ci'));
    expect(out.status).toBe(202);
    const resumed = (out.body as { deployment: typeof d }).deployment;
    expect(resumed).toMatchObject({ id: d.id, executionName: `${d.id}-resume-1` });
    const { deployment, timeline } = await s.finished(resumed);
    expect(deployment.status).toBe('SUCCEEDED');
    expect(messages(timeline)).toContain(
      `info: resume requested by arn:aws:iam::1:role/ci: execution ${d.id}-resume-1`,
    );
  });

  it('answers 409 with a clear message for a deployment that is not STOPPED, 404 for none, 405 for GET', async () => {
    s = await scenario({ orders: {} });
    const d = await s.deploy('orders', s.publish('orders'));
    await s.finished(d);
    const refused = await route(s.ctx, post(`/deployments/${d.id}/resume`));
    expect(refused).toMatchObject({
      status: 409,
      body: {
        error: 'Conflict',
        message: `deployment ${d.id} is SUCCEEDED: only a deployment stopped without rollback can be resumed`,
      },
    });
    expect((await route(s.ctx, post('/deployments/d-none/resume'))).status).toBe(404);
    expect((await route(s.ctx, { ...post(`/deployments/${d.id}/resume`), method: 'GET' })).status).toBe(405);
  });
});

describe('POST /deployments/{id}/retry and /groups/{group}/redeploy', () => {
  it('answers 201 with the new deployment, 409 when there is nothing to retry or redeploy, 400 for unknown keys', async () => {
    s = await scenario({ orders: {} });
    const clock = s.local.clock as StepClock;
    const v2 = s.publish('orders');
    const first = await s.deploy('orders', v2);
    await s.finished(first);
    await clock.run(clock.sleep(60_000));

    const notFailed = await route(s.ctx, post(`/deployments/${first.id}/retry`));
    expect(notFailed).toMatchObject({ status: 409, body: { error: 'Conflict' } });
    expect(await route(s.ctx, post(`/deployments/${first.id}/retry`, { revision: '9' }))).toMatchObject({
      status: 400,
      body: { error: 'ValidationError' },
    });

    const none = await route(s.ctx, post('/groups/orders/redeploy'));
    expect(none).toMatchObject({
      status: 409,
      body: { message: expect.stringContaining('there is no previous good revision to redeploy') },
    });
    expect((await route(s.ctx, post('/groups/nope/redeploy'))).status).toBe(404);

    await s.finished(await s.deploy('orders', s.publish('orders')));
    await clock.run(clock.sleep(60_000));
    const redeployed = await route(s.ctx, post('/groups/orders/redeploy', { description: 'back to v2' }));
    expect(redeployed).toMatchObject({
      status: 201,
      body: { revision: v2, redeployOf: first.id, description: 'back to v2' },
    });
    await s.finished(redeployed.body as typeof first);
  });
});
