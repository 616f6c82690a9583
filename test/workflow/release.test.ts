/**
 * Releases through both workflows: statemachines/release.asl.json starting and waiting on members that
 * each run statemachines/deployment.asl.json, in the local engine on the test clock. Every scenario ends
 * with each group's routing checked against the simulated account and no lock left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { getDeployment } from '../../functions/api/operations.ts';
import { createRelease, getRelease, stopRelease } from '../../functions/api/releases.ts';
import type { ReleaseView } from '../../functions/api/views.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { RELEASE_STATE, STATE } from '../../functions/core/states.ts';
import type { StepClock } from '../../local/clock.ts';
import { BROKEN } from '../../local/seed.ts';
import { messages, routing, type Scenario, scenario } from './harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const started = (sc: Scenario, release: ReleaseView) =>
  sc.local.releaseWorkflow.execution(release.executionName);

/** Runs the clock until the release's execution ends; returns the release, its timeline and members. */
async function releaseEnded(sc: Scenario, release: ReleaseView) {
  const execution = started(sc, release);
  if (!execution) throw new Error(`no release execution ${release.executionName}`);
  const clock = sc.local.clock as StepClock;
  await clock.run(execution.done);
  // The members' executions end on their own, after the commit or their rollback.
  for (const m of release.members) {
    const e = sc.local.workflow.execution(m.deploymentId);
    if (e) await clock.run(e.done);
  }
  const out = await getRelease(sc.ctx, release.id);
  const members = await Promise.all(out.release.members.map((m) => getDeployment(sc.ctx, m.deploymentId)));
  return { ...out, execution, members: members.map((m) => m.deployment) };
}

async function untilMember(sc: Scenario, id: string, predicate: (d: Deployment) => boolean, what: string) {
  const d = await sc.ctx.store.get(id);
  if (!d) throw new Error(`no deployment ${id}`);
  return sc.until(d, predicate, what);
}

const statesOf = (sc: Scenario, execution: string) =>
  sc.events
    .filter((e) => e.execution === execution && e.event.type === 'StateEntered')
    .map((e) => e.event.state?.name);

async function noLocks(sc: Scenario) {
  expect(await sc.ctx.store.locks()).toEqual([]);
}

describe('a release of three groups in two waves', () => {
  it('deploys the second wave once the first holds at its commit point, then finalizes all three', async () => {
    s = await scenario({
      api: { deploymentConfig: 'LambdaCanary10Percent5Minutes' },
      worker: { deploymentConfig: 'LambdaAllAtOnce' },
      web: { deploymentConfig: 'LambdaLinear10PercentEvery1Minute' },
    });
    const [a, w, b] = [s.publish('api'), s.publish('worker'), s.publish('web')];
    const { status, release } = await createRelease(s.ctx, {
      name: 'shop 42',
      members: [
        { group: 'api', revision: a },
        { group: 'worker', revision: w },
        { group: 'web', revision: b },
      ],
      order: { waves: [['api', 'worker'], ['web']] },
    });
    expect(status).toBe(201);
    expect(release.members.map((m) => [m.group, m.wave, m.status])).toEqual([
      ['api', 0, 'CREATED'],
      ['worker', 0, 'CREATED'],
      ['web', 1, 'CREATED'],
    ]);
    // Each group is held from the start, the second wave's included.
    expect((await s.ctx.store.locks()).map((l) => l.group).sort()).toEqual(['api', 'web', 'worker']);

    const [api, worker, web] = release.members.map((m) => m.deploymentId) as [string, string, string];
    const ready = await untilMember(s, api, (d) => d.releaseReadyAt !== undefined, 'api at its commit point');
    expect(ready.percent).toBe(100);
    expect((await getDeployment(s.ctx, api)).progress.phase).toBe('awaitingRelease');
    await untilMember(s, web, (d) => d.status === 'IN_PROGRESS', 'web started');
    const apiWhileWebRuns = await s.ctx.store.get(api);
    expect(apiWhileWebRuns?.status).toBe('IN_PROGRESS'); // held, not finalized, while web deploys

    const out = await releaseEnded(s, release);
    expect(out.execution.status).toBe('SUCCEEDED');
    expect(out.release.status).toBe('SUCCEEDED');
    expect(out.members.map((m) => m.status)).toEqual(['SUCCEEDED', 'SUCCEEDED', 'SUCCEEDED']);
    expect(s.local.account.aliasRouting('api', 'live')).toEqual(routing(a));
    expect(s.local.account.aliasRouting('worker', 'live')).toEqual(routing(w));
    expect(s.local.account.aliasRouting('web', 'live')).toEqual(routing(b));
    expect(statesOf(s, release.executionName)).toEqual([
      RELEASE_STATE.PrepareRelease,
      RELEASE_STATE.StartWave,
      RELEASE_STATE.AwaitWave,
      RELEASE_STATE.WavesLeft,
      RELEASE_STATE.StartWave,
      RELEASE_STATE.AwaitWave,
      RELEASE_STATE.WavesLeft,
      RELEASE_STATE.Commit,
      RELEASE_STATE.AwaitEnd,
      RELEASE_STATE.EndRelease,
      RELEASE_STATE.HowReleaseEnded,
      RELEASE_STATE.ReleaseSucceeded,
    ]);
    // Each member held at AwaitRelease, then finalized: none before the last was ready.
    for (const id of [api, worker, web]) {
      const states = statesOf(s, id);
      expect(states.slice(-5)).toEqual([
        STATE.AfterAllowTrafficDecided,
        STATE.AwaitRelease,
        STATE.Finalize,
        STATE.ChooseEnd,
        STATE.DeploymentSucceeded,
      ]);
    }
    // Wave 2 started once the whole first wave held at its commit point (api after its 5-minute bake).
    const firstWaveReady = Math.max(
      ...out.members.slice(0, 2).map((m) => Date.parse(m.releaseReadyAt ?? '')),
    );
    const webStarted = Date.parse(s.local.workflow.execution(web)?.history[0]?.timestamp ?? '');
    expect(firstWaveReady).toBe(Date.parse('2026-01-01T00:05:00Z'));
    expect(webStarted).toBe(firstWaveReady);
    const webReady = Date.parse(out.members[2]?.releaseReadyAt ?? '');
    for (const m of out.members) expect(Date.parse(m.endedAt ?? '')).toBeGreaterThanOrEqual(webReady);
    expect(messages(out.timeline)).toEqual(
      expect.arrayContaining([
        'status: created: api 2, worker 2, web 2 in 2 waves',
        'info: wave 1 of 2 started: api, worker',
        'info: wave 2 of 2 started: web',
        'info: committed: every member at its commit point; finalizing api, worker, web',
        'status: IN_PROGRESS → SUCCEEDED',
      ]),
    );
    expect(s.local.events.releases.map((c) => c.status)).toEqual(['CREATED', 'IN_PROGRESS', 'SUCCEEDED']);
    await noLocks(s);
  });

  it('rolls back every member that moved when a later wave fails, and never starts the rest', async () => {
    s = await scenario(
      {
        api: { deploymentConfig: 'LambdaAllAtOnce' },
        worker: { deploymentConfig: 'LambdaAllAtOnce', hooks: { BeforeAllowTraffic: ['worker-smoke'] } },
        web: { deploymentConfig: 'LambdaAllAtOnce' },
      },
      { hooks: { 'worker-smoke': () => ({ status: 'Failed', reason: 'smoke test: 3 of 5 checks failed' }) } },
    );
    const [a, w, b] = [s.publish('api'), s.publish('worker'), s.publish('web')];
    const { release } = await createRelease(s.ctx, {
      name: 'shop 43',
      members: [
        { group: 'api', revision: a },
        { group: 'worker', revision: w },
        { group: 'web', revision: b },
      ],
      order: { waves: [['api'], ['worker'], ['web']] },
    });
    const out = await releaseEnded(s, release);

    expect(out.execution.status).toBe('FAILED');
    expect(out.release.status).toBe('ROLLED_BACK');
    expect(out.release.reason).toBe(
      'worker rolled back: BeforeAllowTraffic hook worker-smoke failed: smoke test: 3 of 5 checks failed',
    );
    expect(out.release.cause).toMatchObject({ group: 'worker', status: 'ROLLING_BACK' });
    const [api, worker, web] = out.members;
    expect(api?.status).toBe('ROLLED_BACK'); // rolled back from 100 %, where it held
    expect(messages(api ? (await getDeployment(s.ctx, api.id)).timeline : [])).toEqual(
      expect.arrayContaining(['shift: 100 % on version 2', 'shift: routing restored: 100 % on version 1']),
    );
    expect(worker?.status).toBe('ROLLED_BACK');
    expect(web?.status).toBe('CANCELLED');
    expect(s.local.workflow.execution(web?.id ?? '')).toBeUndefined();
    expect(s.local.account.aliasRouting('api', 'live')).toEqual(routing('1'));
    expect(s.local.account.aliasRouting('worker', 'live')).toEqual(routing('1'));
    expect(s.local.account.aliasRouting('web', 'live')).toEqual(routing('1'));
    expect(statesOf(s, release.executionName).slice(-4)).toEqual([
      RELEASE_STATE.AwaitRollback,
      RELEASE_STATE.EndRelease,
      RELEASE_STATE.HowReleaseEnded,
      RELEASE_STATE.ReleaseRolledBack,
    ]);
    expect(out.execution.error).toBe('ReleaseRolledBack');
    await noLocks(s);
  });
});

describe('a member that fails mid-release', () => {
  it("rolls back the whole release when a member's alarm fires mid-bake", async () => {
    s = await scenario({
      api: { deploymentConfig: 'LambdaAllAtOnce' },
      payments: { deploymentConfig: 'LambdaCanary10Percent30Minutes', alarms: ['payments-errors'] },
    });
    const [a, p] = [s.publish('api'), s.publish('payments', BROKEN)];
    const { release } = await createRelease(s.ctx, {
      name: 'payments fix',
      members: [
        { group: 'api', revision: a },
        { group: 'payments', revision: p },
      ],
    });
    const [api, payments] = release.members.map((m) => m.deploymentId) as [string, string];
    await untilMember(s, api, (d) => d.releaseReadyAt !== undefined, 'api at its commit point');
    const baking = await untilMember(
      s,
      payments,
      (d) => d.bakeToken !== undefined && d.percent === 10,
      'the bake',
    );
    expect(baking.percent).toBe(10);
    s.local.account.setAlarmState('payments-errors', 'ALARM');
    const out = await releaseEnded(s, release);

    expect(out.release.status).toBe('ROLLED_BACK');
    expect(out.release.reason).toMatch(/^payments rolled back: alarm payments-errors (entered|in) ALARM$/);
    expect(out.members.map((m) => m.status)).toEqual(['ROLLED_BACK', 'ROLLED_BACK']);
    expect(out.members[0]?.reason).toBe(
      'stop requested (with rollback): release payments fix rolled back: payments rolled back: alarm payments-errors entered ALARM',
    );
    expect(s.local.account.aliasRouting('api', 'live')).toEqual(routing('1'));
    expect(s.local.account.aliasRouting('payments', 'live')).toEqual(routing('1'));
    await noLocks(s);
  });

  it('rolls back a member whose group has auto-rollback off: a release is all or nothing', async () => {
    s = await scenario({
      api: {
        deploymentConfig: 'LambdaCanary10Percent5Minutes',
        alarms: ['api-errors'],
        autoRollback: { enabled: false },
      },
      web: { deploymentConfig: 'LambdaAllAtOnce' },
    });
    const { release } = await createRelease(s.ctx, {
      name: 'r',
      members: [
        { group: 'api', revision: s.publish('api') },
        { group: 'web', revision: s.publish('web') },
      ],
    });
    const [api] = release.members.map((m) => m.deploymentId) as [string];
    await untilMember(s, api, (d) => d.bakeToken !== undefined, 'the bake');
    s.local.account.setAlarmState('api-errors', 'ALARM');
    const out = await releaseEnded(s, release);
    expect(out.release.status).toBe('ROLLED_BACK');
    expect(out.members.map((m) => m.status)).toEqual(['ROLLED_BACK', 'ROLLED_BACK']);
    expect(s.local.account.aliasRouting('api', 'live')).toEqual(routing('1'));
  });
});

describe('stopping a release', () => {
  const twoWaves = async () => {
    const sc = await scenario({
      api: { deploymentConfig: 'LambdaAllAtOnce' },
      web: { deploymentConfig: 'LambdaCanary10Percent15Minutes' },
      worker: { deploymentConfig: 'LambdaAllAtOnce' },
    });
    const { release } = await createRelease(sc.ctx, {
      name: 'r',
      members: [
        { group: 'api', revision: sc.publish('api') },
        { group: 'web', revision: sc.publish('web') },
        { group: 'worker', revision: sc.publish('worker') },
      ],
      order: { waves: [['api', 'web'], ['worker']] },
    });
    const [api, web] = release.members.map((m) => m.deploymentId) as [string, string];
    await untilMember(sc, api, (d) => d.releaseReadyAt !== undefined, 'api at its commit point');
    await untilMember(sc, web, (d) => d.bakeToken !== undefined && d.percent === 10, "web's bake");
    return { sc, release };
  };

  it('with rollback: every member that moved is restored, the next wave never starts', async () => {
    const { sc, release } = await twoWaves();
    s = sc;
    const stopped = await stopRelease(s.ctx, release.id, { reason: 'bad config spotted' });
    expect(stopped.release.stopRequest).toMatchObject({ rollback: true, reason: 'bad config spotted' });
    const out = await releaseEnded(s, release);
    expect(out.release.status).toBe('ROLLED_BACK');
    expect(out.release.reason).toBe('stop requested: bad config spotted');
    expect(out.members.map((m) => m.status)).toEqual(['ROLLED_BACK', 'ROLLED_BACK', 'CANCELLED']);
    for (const g of ['api', 'web', 'worker'])
      expect(s.local.account.aliasRouting(g, 'live')).toEqual(routing('1'));
    await noLocks(s);
  });

  it('without rollback: each member keeps its routing, recorded, and the release ends STOPPED', async () => {
    const { sc, release } = await twoWaves();
    s = sc;
    await stopRelease(s.ctx, release.id, { rollback: false });
    const out = await releaseEnded(s, release);
    expect(out.release.status).toBe('STOPPED');
    expect(out.execution.error).toBe('ReleaseStopped');
    expect(out.members.map((m) => m.status)).toEqual(['STOPPED', 'STOPPED', 'CANCELLED']);
    expect(s.local.account.aliasRouting('api', 'live')).toEqual(routing('2'));
    expect(s.local.account.aliasRouting('web', 'live')).toEqual(routing('1', { '2': 0.1 }));
    expect(out.members[1]?.lastRouting).toEqual(routing('1', { '2': 0.1 }));
    await noLocks(s);
  });

  it('is refused once the release has committed, and when it has ended', async () => {
    s = await scenario({ api: {}, web: {} });
    const { release } = await createRelease(s.ctx, {
      name: 'r',
      members: [
        { group: 'api', revision: s.publish('api') },
        { group: 'web', revision: s.publish('web') },
      ],
    });
    await releaseEnded(s, release);
    await expect(stopRelease(s.ctx, release.id, {})).rejects.toThrow(
      /is SUCCEEDED: there is nothing to stop/,
    );
  });
});
