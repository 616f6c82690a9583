import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGroupConfigFile } from '../../bin/cli.ts';
import { listDeployments, startDeployment, stopDeployment } from '../../functions/api/operations.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { Conflict } from '../../functions/core/errors.ts';
import { plan } from '../../functions/core/planner.ts';
import { StepClock } from '../../local/clock.ts';
import { type LocalStepShift, startLocal } from '../../local/index.ts';
import { HEALTHY, seedExampleAccount } from '../../local/seed.ts';

const DAY_MS = 24 * 3600_000;
const groups = () => loadGroupConfigFile('stepshift.config.json');
const seed = (account: Parameters<typeof seedExampleAccount>[0], first: boolean) =>
  seedExampleAccount(account, { withFunctions: first });

/** A first run whose virtual time is ahead of real time, as a day of `--speed 30` leaves it. */
async function firstRun(dataDir: string, origin = Date.now() + 10 * DAY_MS) {
  const clock = new StepClock(origin);
  const local = await startLocal({ groups: groups(), clock, dataDir, seed, traffic: false });
  return { clock, local };
}

/** A restart as people make it: the virtual clock of `npm start`, not a test clock. */
function restart(dataDir: string): Promise<LocalStepShift> {
  return startLocal({ groups: groups(), speed: 1, dataDir, seed, traffic: false });
}

/** A CREATED record as a start killed before its execution began leaves it (Prepare never ran). */
async function createdRecord(local: LocalStepShift, id: string, group: 'payments' | 'orders-api') {
  const g = local.ctx.groups.groups[group];
  if (!g) throw new Error(`no group ${group} in the example config`);
  const revision = local.account.publishVersion(group, HEALTHY);
  const now = new Date(local.clock.now()).toISOString();
  const deployment: Deployment = {
    id,
    group,
    kind: 'lambda',
    revision,
    configName: g.deploymentConfig.name,
    schedule: plan(g.deploymentConfig.config),
    alarms: [],
    autoRollback: g.autoRollback,
    status: 'CREATED',
    percent: 0,
    stepIndex: -1,
    executionName: id,
    createdAt: now,
    updatedAt: now,
  };
  await local.ctx.store.create(deployment);
  return deployment;
}

describe('recovery at restart', () => {
  it('ends deployments left CREATED, with their lock or without it, so stop has nothing left to stop', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-recover-'));
    const { local: first } = await firstRun(dataDir);
    // Recorded by a version that took the lock in Prepare: no lock, no execution.
    const unlocked = await createdRecord(first, 'd-created-unlocked', 'orders-api');
    // The API took the lock and recorded it; killed before the execution started.
    const locked = await createdRecord(first, 'd-created-locked', 'payments');
    await first.ctx.store.lock('payments', locked.id);
    await first.close();

    // Act
    const second = await restart(dataDir);

    // Assess
    try {
      expect([...second.recovered].sort()).toEqual([locked.id, unlocked.id].sort());
      for (const id of [locked.id, unlocked.id]) {
        expect(await second.ctx.store.get(id)).toMatchObject({
          status: 'FAILED',
          reason: 'local mode stopped while the deployment was in progress',
        });
        await expect(stopDeployment(second.ctx, id, {})).rejects.toBeInstanceOf(Conflict);
      }
      expect(await second.ctx.store.locks()).toEqual([]);
      expect(second.account.aliasRouting('payments', 'live')).toEqual({
        kind: 'lambda',
        version: '1',
        additionalVersionWeights: {},
      });
    } finally {
      await second.close();
    }
  });

  it('dates the interruption after the deployment it interrupts, however far virtual time ran ahead', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-recover-'));
    const { local: first } = await firstRun(dataDir);
    const interrupted = await createdRecord(first, 'd-ahead', 'payments');
    await first.ctx.store.lock('payments', interrupted.id);
    await first.close();

    // Act
    const second = await restart(dataDir);

    // Assess
    try {
      const times = (await second.ctx.store.timeline(interrupted.id)).map((e) => Date.parse(e.at));
      expect(times.length).toBeGreaterThan(0);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(Date.parse(interrupted.createdAt));
      expect(second.clock.now()).toBeGreaterThanOrEqual(Date.parse(interrupted.createdAt));
    } finally {
      await second.close();
    }
  });
});

describe('the virtual clock across restarts', () => {
  it('resumes at the virtual time saved when local mode stopped', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-clock-'));
    const { clock, local: first } = await firstRun(dataDir);
    await clock.run(clock.sleep(3600_000));
    const stoppedAt = clock.now();
    await first.close();

    // Act
    const second = await restart(dataDir);

    // Assess
    try {
      expect(second.clock.now()).toBeGreaterThanOrEqual(stoppedAt);
    } finally {
      await second.close();
    }
  });

  it('starts no earlier than the newest record when no time was saved, so list stays newest first', async () => {
    // Prepare
    const dataDir = mkdtempSync(join(tmpdir(), 'stepshift-clock-'));
    const { clock, local: first } = await firstRun(dataDir);
    const v2 = first.account.publishVersion('payments', HEALTHY);
    const { deployment: old } = await startDeployment(first.ctx, {
      group: 'payments',
      revision: v2,
      config: 'CodeDeployDefault.LambdaAllAtOnce',
    });
    await clock.run(first.workflow.execution(old.executionName)?.done ?? Promise.resolve());
    const ended = await first.ctx.store.get(old.id);
    await first.close();
    // As a kill -9 can leave the folder: records written after the last save of the time.
    rmSync(join(dataDir, 'virtual-time.json'), { force: true });

    // Act
    const second = await restart(dataDir);
    const v3 = second.account.publishVersion('payments', HEALTHY);
    const { deployment: next } = await startDeployment(second.ctx, { group: 'payments', revision: v3 });

    // Assess
    try {
      expect(ended?.status).toBe('SUCCEEDED');
      expect(Date.parse(next.createdAt)).toBeGreaterThanOrEqual(Date.parse(ended?.updatedAt ?? ''));
      const { deployments } = await listDeployments(second.ctx, {});
      expect(deployments.map((d) => d.id)).toEqual([next.id, old.id]);
    } finally {
      await second.close();
    }
  });
});
