import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGroupConfigFile } from '../../bin/cli.ts';
import { startDeployment } from '../../functions/api/operations.ts';
import { route } from '../../functions/api/routes.ts';
import { StepClock } from '../../local/clock.ts';
import { runLocal } from '../../local/demo.ts';
import { startLocal } from '../../local/index.ts';
import { HEALTHY, seedExampleAccount } from '../../local/seed.ts';
import { serveLocalApi } from '../../local/server.ts';
import { untilStored } from '../workflow/harness.ts';

const groups = () => loadGroupConfigFile('stepshift.config.json');

describe('the npm start demo', () => {
  it('runs a canary that succeeds, a bad version that its alarm rolls back, a subtle regression that analysis rolls back, and an ECS blue/green', async () => {
    const lines: string[] = [];
    const { outcomes } = await runLocal({
      groups: groups(),
      speed: 600,
      dataDir: mkdtempSync(join(tmpdir(), 'stepshift-demo-')),
      port: 0,
      demo: true,
      exitAfterDemo: true,
      print: (l) => lines.push(l),
    });
    expect(outcomes).toEqual({
      'orders-api': 'SUCCEEDED',
      payments: 'ROLLED_BACK',
      checkout: 'ROLLED_BACK',
      web: 'SUCCEEDED',
    });
    const out = lines.join('\n');
    expect(out).toMatch(/orders-api\s+ShiftTraffic/);
    expect(out).toContain('routing now: 100 % on version 2');
    expect(out).toMatch(/web\s+Install/);
    expect(out).toMatch(/web\s+TestTraffic/);
    expect(out).toMatch(/web\s+ScaleDownOld/);
    expect(out).toContain('routing now: 0 % on web-blue, 100 % on web-green');
    expect(out).toMatch(/ROLLED_BACK after .* — alarm payments-errors (entered|in) ALARM/);
    expect(out).toMatch(/ROLLED_BACK after .* — analysis error-rate failed at 10 %/);
    expect(out).toContain('routing now: 100 % on version 1');
  }, 60_000);
});

describe('local state', () => {
  it('rolls back a deployment interrupted by a restart to its recorded routing', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-restart-'));
    const config = groups();
    const seed = (account: Parameters<typeof seedExampleAccount>[0], first: boolean) =>
      seedExampleAccount(account, { withFunctions: first });
    const clock = new StepClock();
    const first = await startLocal({ groups: config, clock, dataDir, seed, traffic: false });
    const v2 = first.account.publishVersion('payments', HEALTHY);
    const { deployment } = await startDeployment(first.ctx, { group: 'payments', revision: v2 });
    await untilStored(clock, first.ctx, deployment, (d) => d.percent === 10, 'the first shift');
    expect(first.account.aliasRouting('payments', 'live').additionalVersionWeights).toEqual({ [v2]: 0.1 });
    await first.close();

    const second = await startLocal({ groups: config, speed: 1000, dataDir, seed, traffic: false });
    try {
      expect(second.recovered).toEqual([deployment.id]);
      expect(second.account.aliasRouting('payments', 'live')).toEqual({
        kind: 'lambda',
        version: '1',
        additionalVersionWeights: {},
      });
      const after = await second.ctx.store.get(deployment.id);
      expect(after).toMatchObject({
        status: 'ROLLED_BACK',
        reason: 'local mode stopped while the deployment was in progress',
      });
      expect(await second.ctx.store.lockHolder('payments')).toBeUndefined();
    } finally {
      await second.close();
    }
  });

  it('frees at restart every lock whose deployment ended or was never recorded', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-locks-'));
    const config = groups();
    const seed = (account: Parameters<typeof seedExampleAccount>[0], first: boolean) =>
      seedExampleAccount(account, { withFunctions: first });
    const clock = new StepClock();
    const first = await startLocal({ groups: config, clock, dataDir, seed, traffic: false });
    const v2 = first.account.publishVersion('payments', HEALTHY);
    const { deployment } = await startDeployment(first.ctx, {
      group: 'payments',
      revision: v2,
      config: 'CodeDeployDefault.LambdaAllAtOnce',
    });
    await clock.run(first.workflow.execution(deployment.executionName)?.done ?? Promise.resolve());
    // As a kill -9 can leave them: the ended deployment's lock, and a start that never got recorded.
    await first.ctx.store.lock('payments', deployment.id);
    await first.ctx.store.lock('orders-api', 'd-never-recorded');
    await first.close();

    const second = await startLocal({
      groups: config,
      clock: new StepClock(),
      dataDir,
      seed,
      traffic: false,
    });
    try {
      expect(await second.ctx.store.locks()).toEqual([]);
      expect(second.recovered).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it('refuses a second instance on the same data folder with a clear message', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-lock-'));
    const config = groups();
    const one = await startLocal({
      groups: config,
      dataDir,
      traffic: false,
      seed: (a, f) => seedExampleAccount(a, { withFunctions: f }),
    });
    try {
      // The lock file names a live process: this one stands in for "another instance".
      writeFileSync(join(dataDir, 'stepshift.pid'), String(process.ppid));
      await expect(startLocal({ groups: config, dataDir, traffic: false })).rejects.toThrow(
        /another stepshift local instance \(pid \d+\) is using/,
      );
    } finally {
      writeFileSync(join(dataDir, 'stepshift.pid'), String(process.pid));
      await one.close();
    }
  });
});

describe('the local HTTP API', () => {
  it('serves JSON on 127.0.0.1 with 201, 400, 404 and 409 answers', async () => {
    const local = await startLocal({
      groups: groups(),
      speed: 1000,
      traffic: false,
      seed: (a) => seedExampleAccount(a),
    });
    const { url, server } = await serveLocalApi(local.ctx, 0);
    try {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const post = (body: unknown, headers: Record<string, string> = {}) =>
        fetch(`${url}/deployments`, {
          method: 'POST',
          body: JSON.stringify(body),
          headers: { 'content-type': 'application/json', ...headers },
        });
      const v2 = local.account.publishVersion('orders-api', HEALTHY);

      const created = await post({ group: 'orders-api', revision: v2 }, { 'idempotency-key': 'k-1' });
      expect(created.status).toBe(201);
      const d = (await created.json()) as { id: string };
      const again = await post({ group: 'orders-api', revision: v2 }, { 'idempotency-key': 'k-1' });
      expect(again.status).toBe(200);
      expect(((await again.json()) as { id: string }).id).toBe(d.id);

      const busy = await post({ group: 'orders-api', revision: v2 });
      expect(busy.status).toBe(409);
      expect(await busy.json()).toMatchObject({ error: 'GroupBusy', message: expect.stringContaining(d.id) });

      const bad = await post({ group: 'nope', revison: '2' });
      expect(bad.status).toBe(400);
      expect(await bad.json()).toMatchObject({
        error: 'ValidationError',
        details: {
          problems: [
            { path: 'revision', message: 'is required' },
            { path: 'revison', message: 'unknown field "revison"' },
          ],
        },
      });
      // The group's default is also in its allowed list: each name is listed once.
      const v = local.account.publishVersion('payments', HEALTHY);
      const notAllowed = await post({
        group: 'payments',
        revision: v,
        config: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      });
      expect(notAllowed.status).toBe(400);
      const message = ((await notAllowed.json()) as { details: { problems: { message: string }[] } }).details
        .problems[0]?.message;
      expect(message).toMatch(
        /^group payments does not allow CodeDeployDefault\.LambdaCanary10Percent5Minutes; allowed: CodeDeployDefault\.LambdaLinear10PercentEvery1Minute, CodeDeployDefault\.LambdaAllAtOnce, /,
      );
      expect(message?.split('LambdaLinear10PercentEvery1Minute')).toHaveLength(2);

      const notJson = await fetch(`${url}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"group":',
      });
      expect(notJson.status).toBe(400);

      const missing = await fetch(`${url}/deployments/d-nope`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: 'NotFound',
        message: 'no deployment d-nope',
        details: {},
      });

      const got = await fetch(`${url}/deployments/${d.id}`);
      expect(await got.json()).toMatchObject({
        deployment: { id: d.id, group: 'orders-api' },
        timeline: expect.any(Array),
      });
      const list = await route(local.ctx, {
        method: 'GET',
        path: '/deployments',
        query: { limit: '0' },
        headers: {},
        body: undefined,
      });
      expect(list).toMatchObject({ status: 400, body: { details: { problems: [{ path: 'limit' }] } } });
      expect(await local.ctx.store.list()).toHaveLength(1);
    } finally {
      server.close();
      await local.close();
    }
  });
});

describe('the example config', () => {
  it('declares the demo’s three Lambda groups and one ECS group', () => {
    expect(Object.values(groups().groups).map((g) => `${g.name}:${g.kind}`)).toEqual([
      'orders-api:lambda',
      'payments:lambda',
      'checkout:lambda',
      'web:ecs',
    ]);
  });
});
