/**
 * Releases through the HTTP API of local mode (the same routes API Gateway serves), and across a crash:
 * every problem named before anything is written, idempotent starts, and a restart that leaves no member
 * split and no lock held.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadGroupConfigFile } from '../../bin/cli.ts';
import type { HttpRequest } from '../../functions/api/http.ts';
import { startDeployment, stopDeployment } from '../../functions/api/operations.ts';
import { createRelease, getRelease } from '../../functions/api/releases.ts';
import { route } from '../../functions/api/routes.ts';
import { StepClock } from '../../local/clock.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { HEALTHY, seedExampleAccount } from '../../local/seed.ts';
import { routing, type Scenario, scenario } from '../workflow/harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const call = (
  sc: Scenario,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) => {
  const req: HttpRequest = {
    method,
    path,
    query: {},
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  };
  return route(sc.ctx, req);
};

describe('POST /releases', () => {
  it('names every problem of the request with its path, and writes nothing', async () => {
    s = await scenario({ api: {}, web: {} });
    const res = await call(s, 'POST', '/releases', {
      name: 'r',
      members: [
        { group: 'api', revision: '2' },
        { group: 'ghost', revision: '2' },
        { group: 'api', revision: '3' },
        { group: 'web', revision: 'latest', config: { type: 'linear', percent: 700, intervalMinutes: 1 } },
      ],
      order: { waves: [['api'], ['web', 'nobody']] },
    });
    expect(res.status).toBe(400);
    const body = res.body as { error: string; details: { problems: { path: string; message: string }[] } };
    expect(body.error).toBe('ValidationError');
    expect(body.details.problems.map((p) => p.path)).toEqual([
      'members[2].group',
      'order.waves[1][1]',
      'members[1].group',
      'members[1].group',
      'members[3].config.percent',
      'members[3].revision',
    ]);
    expect(body.details.problems[2]?.message).toBe('ghost is in no wave of order.waves');
    expect(body.details.problems[3]?.message).toBe('no group named "ghost"; declared: api, web');
    expect(await s.ctx.releases?.list()).toEqual([]);
    expect(await s.ctx.store.locks()).toEqual([]);
  });

  it('refuses a busy group and a missing revision with 409, each named, before anything starts', async () => {
    s = await scenario({ api: { deploymentConfig: 'LambdaCanary10Percent30Minutes' }, web: {}, worker: {} });
    const running = await s.deploy('api', s.publish('api'));
    const res = await call(s, 'POST', '/releases', {
      name: 'r',
      members: [
        { group: 'api', revision: s.publish('api') },
        { group: 'web', revision: '99' },
        { group: 'worker', revision: s.publish('worker') },
      ],
    });
    expect(res.status).toBe(409);
    expect((res.body as { details: unknown }).details).toEqual({
      problems: [
        { path: 'members[0].group', message: `group api is busy: deployment ${running.id} is in progress` },
        { path: 'members[1].revision', message: expect.stringMatching(/99/) },
      ],
    });
    expect(await s.ctx.releases?.list()).toEqual([]);
    expect((await s.ctx.store.locks()).map((l) => l.group)).toEqual(['api']);
    expect(s.local.account.aliasRouting('worker', 'live')).toEqual(routing('1'));
  });

  it('answers a repeated Idempotency-Key with the same release, and a different body under it with 409', async () => {
    s = await scenario({ api: {}, web: {} });
    const body = {
      name: 'r',
      members: [
        { group: 'api', revision: s.publish('api') },
        { group: 'web', revision: s.publish('web') },
      ],
    };
    const first = await call(s, 'POST', '/releases', body, { 'idempotency-key': 'ci-run-42' });
    const again = await call(s, 'POST', '/releases', body, { 'idempotency-key': 'ci-run-42' });
    const other = await call(
      s,
      'POST',
      '/releases',
      { ...body, name: 'other' },
      { 'idempotency-key': 'ci-run-42' },
    );
    expect([first.status, again.status, other.status]).toEqual([201, 200, 409]);
    expect((again.body as { id: string }).id).toBe((first.body as { id: string }).id);
    expect(await s.ctx.releases?.list()).toHaveLength(1);
  });

  it('serves GET /releases, GET /releases/{id} and 404 and 405 as the other routes do', async () => {
    s = await scenario({ api: {} });
    const { release } = await createRelease(s.ctx, {
      name: 'r',
      members: [{ group: 'api', revision: s.publish('api') }],
    });
    const list = await call(s, 'GET', '/releases');
    const one = await call(s, 'GET', `/releases/${release.id}`);
    expect(list.status).toBe(200);
    expect((list.body as { releases: { id: string }[] }).releases.map((r) => r.id)).toEqual([release.id]);
    expect(one.status).toBe(200);
    expect(
      (one.body as { release: { members: { group: string }[] } }).release.members.map((m) => m.group),
    ).toEqual(['api']);
    expect((await call(s, 'GET', '/releases/r-nope')).status).toBe(404);
    expect((await call(s, 'PUT', '/releases')).status).toBe(405);
    expect((await call(s, 'POST', `/releases/${release.id}/stop`, { rollback: 'yes' })).status).toBe(400);
  });
});

describe('a member stopped on its own', () => {
  it('before its wave: it is cancelled, and the release rolls back the members that moved', async () => {
    s = await scenario({ api: { deploymentConfig: 'LambdaCanary10Percent5Minutes' }, web: {} });
    const { release } = await createRelease(s.ctx, {
      name: 'r',
      members: [
        { group: 'api', revision: s.publish('api') },
        { group: 'web', revision: s.publish('web') },
      ],
      order: { waves: [['api'], ['web']] },
    });
    const [api, web] = release.members.map((m) => m.deploymentId) as [string, string];
    const apiRecord = await s.ctx.store.get(api);
    if (!apiRecord) throw new Error('no api member');
    await s.until(apiRecord, (d) => d.percent === 10, 'api at 10 %');
    const stopped = await stopDeployment(s.ctx, web, { reason: 'not today' });
    expect(stopped.deployment.status).toBe('CANCELLED');
    const execution = s.local.releaseWorkflow.execution(release.executionName);
    await (s.local.clock as StepClock).run(execution?.done ?? Promise.resolve());
    await (s.local.clock as StepClock).run(s.local.workflow.execution(api)?.done ?? Promise.resolve());
    const out = await getRelease(s.ctx, release.id);
    expect(out.release.status).toBe('ROLLED_BACK');
    expect(out.release.reason).toBe('web was cancelled: stopped before its wave started: not today');
    expect(out.release.members.map((m) => m.status)).toEqual(['ROLLED_BACK', 'CANCELLED']);
    expect(s.local.account.aliasRouting('api', 'live')).toEqual(routing('1'));
    expect(await s.ctx.store.locks()).toEqual([]);
  });

  it('refuses to resume a member alone, and does not promote past its commit point', async () => {
    s = await scenario({ api: {}, web: { deploymentConfig: 'LambdaCanary10Percent30Minutes' } });
    const { release } = await createRelease(s.ctx, {
      name: 'r',
      members: [
        { group: 'api', revision: s.publish('api') },
        { group: 'web', revision: s.publish('web') },
      ],
    });
    const [api] = release.members.map((m) => m.deploymentId) as [string];
    const apiRecord = await s.ctx.store.get(api);
    if (!apiRecord) throw new Error('no api member');
    await s.until(apiRecord, (d) => d.releaseReadyAt !== undefined, 'api at its commit point');
    const promote = await call(s, 'POST', `/deployments/${api}/promote`);
    expect(promote.status).toBe(202);
    // A promote skips bakes; api still holds for web.
    await (s.local.clock as StepClock).run((s.local.clock as StepClock).sleep(60_000));
    expect((await s.ctx.store.get(api))?.status).toBe('IN_PROGRESS');
    const stop = await call(s, 'POST', `/deployments/${api}/stop`, { rollback: false });
    expect(stop.status).toBe(202);
    await (s.local.clock as StepClock).run(
      s.local.releaseWorkflow.execution(release.executionName)?.done ?? Promise.resolve(),
    );
    const resume = await call(s, 'POST', `/deployments/${api}/resume`);
    expect(resume.status).toBe(409);
    expect((resume.body as { message: string }).message).toMatch(
      /is a member of release r-.*: it cannot be resumed alone/,
    );
  });
});

describe('a crash mid-release (local mode restarted on its data folder)', () => {
  const groups = () => loadGroupConfigFile('stepshift.config.json');
  const seed = (account: Parameters<typeof seedExampleAccount>[0], first: boolean) =>
    seedExampleAccount(account, { withFunctions: first });
  let open: LocalStepShift[] = [];
  afterEach(async () => {
    for (const l of open) await l.close();
    open = [];
  });

  async function firstRun(dataDir: string) {
    const clock = new StepClock(Date.now() + 3600_000);
    const local = await startLocal({ groups: groups(), clock, dataDir, seed, traffic: false });
    open.push(local);
    return { clock, local };
  }

  const webRevision = (local: LocalStepShift) =>
    local.account.registerTaskDefinition('web', [{ name: 'web', image: 'shop/web:2.0' }]);

  it('releases a Lambda group and an ECS service pair together: both finalize after the commit', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-release-ecs-'));
    const { clock, local } = await firstRun(dataDir);
    const v = local.account.publishVersion('payments', HEALTHY);
    const td = webRevision(local);
    const { release } = await createRelease(local.ctx, {
      name: 'shop',
      members: [
        { group: 'payments', revision: v, config: 'CodeDeployDefault.LambdaAllAtOnce' },
        { group: 'web', revision: td, config: 'CodeDeployDefault.ECSAllAtOnce' },
      ],
    });
    await clock.run(local.releaseWorkflow.execution(release.executionName)?.done ?? Promise.resolve());
    const out = await getRelease(local.ctx, release.id);
    expect(out.release.status).toBe('SUCCEEDED');
    expect(out.release.members.map((m) => m.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const [, web] = release.members.map((m) => m.deploymentId) as [string, string];
    const webDeployment = await local.ctx.store.get(web);
    // The old service was retired after the commit and its termination wait, not before.
    const committed = Date.parse(out.release.committedAt ?? '');
    const retired = (await local.ctx.store.timeline(web)).find((e) =>
      /scaled to 0|to zero|retired/.test(e.message),
    );
    expect(retired, 'a timeline entry for the old service going').toBeDefined();
    expect(Date.parse(retired?.at ?? '')).toBeGreaterThanOrEqual(committed + 5 * 60_000);
    expect(local.account.service('shop', webDeployment?.ecs?.idleService ?? '')?.taskDefinition).toBe(td);
    expect(local.account.aliasRouting('payments', 'live')).toEqual(routing(v));
    expect(await local.ctx.store.locks()).toEqual([]);
  });

  it('before the commit: rolls every member back to its recorded routing and frees every group', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-release-crash-'));
    const { clock, local } = await firstRun(dataDir);
    const listener =
      local.ctx.groups.groups.web?.kind === 'ecs' ? local.ctx.groups.groups.web.target.listener : '';
    const weightsBefore = local.account.listenerWeights(listener ?? '');
    const { release } = await createRelease(local.ctx, {
      name: 'shop',
      members: [
        { group: 'payments', revision: local.account.publishVersion('payments', HEALTHY) },
        { group: 'web', revision: webRevision(local) },
      ],
      order: { waves: [['payments'], ['web']] },
    });
    const [payments, web] = release.members.map((m) => m.deploymentId) as [string, string];
    await clock.run(async () => {
      const p = await local.ctx.store.get(payments);
      const w = await local.ctx.store.get(web);
      return p?.releaseReadyAt !== undefined && w?.percent === 10;
    });
    expect(local.account.aliasRouting('payments', 'live').version).not.toBe('1');
    await local.close();
    open = [];

    const second = await startLocal({ groups: groups(), speed: 1, dataDir, seed, traffic: false });
    open.push(second);

    expect(second.recoveredReleases).toEqual([{ id: release.id, status: 'ROLLED_BACK' }]);
    const out = await getRelease(second.ctx, release.id);
    expect(out.release.members.map((m) => [m.group, m.status, m.percent])).toEqual([
      ['payments', 'ROLLED_BACK', 0],
      ['web', 'ROLLED_BACK', 0],
    ]);
    expect(out.release.reason).toBe('local mode stopped while the release was in progress');
    expect(second.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
    expect(second.account.listenerWeights(listener ?? '')).toEqual(weightsBefore);
    expect(await second.ctx.store.locks()).toEqual([]);
  });

  it('after the commit: finalizes the members that had not finished, so nothing is left half-released', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-release-crash-'));
    const { clock, local } = await firstRun(dataDir);
    const v = local.account.publishVersion('payments', HEALTHY);
    const { release } = await createRelease(local.ctx, {
      name: 'shop',
      members: [
        { group: 'payments', revision: v, config: 'CodeDeployDefault.LambdaAllAtOnce' },
        { group: 'web', revision: webRevision(local), config: 'CodeDeployDefault.ECSAllAtOnce' },
      ],
    });
    const [payments, web] = release.members.map((m) => m.deploymentId) as [string, string];
    // Committed; payments finalized; web in its termination wait (the old service still up).
    await clock.run(async () => {
      const r = await local.ctx.releases?.get(release.id);
      const p = await local.ctx.store.get(payments);
      const w = await local.ctx.store.get(web);
      return (
        r?.committedAt !== undefined &&
        p?.status === 'SUCCEEDED' &&
        w?.bakeUntil !== undefined &&
        w.percent === 100
      );
    });
    await local.close();
    open = [];

    const second = await startLocal({ groups: groups(), speed: 1, dataDir, seed, traffic: false });
    open.push(second);

    expect(second.recoveredReleases).toEqual([{ id: release.id, status: 'SUCCEEDED' }]);
    const out = await getRelease(second.ctx, release.id);
    expect(out.release.members.map((m) => m.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(second.account.aliasRouting('payments', 'live')).toEqual(routing(v));
    expect(await second.ctx.store.locks()).toEqual([]);
    // The next deployment starts from a whole routing.
    const next = await startDeployment(second.ctx, {
      group: 'payments',
      revision: second.account.publishVersion('payments', HEALTHY),
    });
    expect(next.deployment.status).toBe('CREATED');
  });
});
