import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import type { LocalStepShift } from '../../local/index.ts';
import { HEALTHY } from '../../local/seed.ts';
import { runCli, startLocalApi } from './local-api.ts';

let local: LocalStepShift;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ local, url, close } = await startLocalApi({
    groups: parseGroupConfig({
      groups: {
        orders: {
          kind: 'lambda',
          target: { functionName: 'orders', alias: 'live' },
          deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
          approval: 'beforeFirstShift',
        },
      },
    }),
    speed: 1000,
    traffic: false,
    seed: (a) => a.createFunction('orders', HEALTHY, { alias: 'live' }),
  }));
});
afterAll(() => close());

const run = (...argv: string[]) => runCli(url, ...argv);

const post = async (path: string, body?: unknown) => {
  const res = await fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

/** Deploys a new version and waits (real time, the clock at ×1000) until its approval is pending. */
async function pendingDeployment(): Promise<string> {
  const v = local.account.publishVersion('orders', HEALTHY);
  const started = await post('/deployments', { group: 'orders', revision: v });
  if (started.status !== 201)
    throw new Error(`start answered ${started.status}: ${JSON.stringify(started.body)}`);
  const id = String(started.body.id);
  for (let i = 0; i < 200; i++) {
    const d = await local.ctx.store.get(id);
    if (d?.approval?.pending && d.bakeToken) return id;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`deployment ${id} never waited for approval`);
}

describe('approving and rejecting over HTTP and from the CLI', () => {
  it('shows the pending approval, answers 409 when nothing waits, 400 without a reason, 404 for no deployment', async () => {
    const id = await pendingDeployment();
    const shown = (await fetch(`${url}/deployments/${id}`).then((r) => r.json())) as {
      deployment: { approval?: unknown };
    };
    expect(shown.deployment.approval).toMatchObject({ pending: true, stepIndex: 0, onTimeout: 'rollback' });

    expect((await post(`/deployments/${id}/reject`, {})).body).toMatchObject({
      error: 'ValidationError',
      details: { problems: [{ path: 'reason', message: 'is required' }] },
    });
    expect((await post(`/deployments/${id}/reject`, { reason: 'x'.repeat(1025) })).status).toBe(400);
    expect((await post('/deployments/d-nope/approve')).status).toBe(404);
    expect((await fetch(`${url}/deployments/${id}/approve`)).status).toBe(405);

    const approved = await post(`/deployments/${id}/approve`);
    expect(approved.status).toBe(202);
    expect((await post(`/deployments/${id}/approve`)).status).toBe(409);
    await local.workflow.execution(id)?.done;
    expect((await local.ctx.store.get(id))?.status).toBe('SUCCEEDED');
    expect((await post(`/deployments/${id}/reject`, { reason: 'late' })).status).toBe(409);
  });

  it('stepshift approve lets it go on', async () => {
    const id = await pendingDeployment();
    expect(await run('approve', id)).toMatchObject({ code: 0, out: `${id}: approved at 0 %` });
    await local.workflow.execution(id)?.done;
    expect((await local.ctx.store.get(id))?.status).toBe('SUCCEEDED');
  });

  it('stepshift reject --reason rolls it back with the reason; without --reason it refuses', async () => {
    const id = await pendingDeployment();
    expect((await run('reject', id)).code).not.toBe(0);
    expect(await run('reject', id, '--reason', 'freeze until Monday')).toMatchObject({
      code: 0,
      out: `${id}: rejected at 0 %: rolling back`,
    });
    await local.workflow.execution(id)?.done;
    expect(await local.ctx.store.get(id)).toMatchObject({
      status: 'ROLLED_BACK',
      reason: 'approval rejected: freeze until Monday',
    });
    expect((await run('approve', id)).code).toBe(2);
  });
});
