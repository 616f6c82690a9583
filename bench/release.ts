/**
 * Releases in local mode, measured (issue 15, docs/decisions/0013-releases.md):
 * 1. state transitions of a release of three Lambda groups in two waves (what Step Functions bills):
 *    the release's own execution and each member's, beside the same three groups deployed one by one —
 *    what holding at a commit point costs (one AwaitRelease per member) and what the release adds;
 * 2. the time from one member failing to every other member's routing being restored, on the test clock
 *    (virtual time: what the workflow waits) and in wall-clock milliseconds (what this machine took).
 * Prints its figures; run alone with `npx tsx bench/release.ts`, or with the others by `npm run bench`.
 */
import { pathToFileURL } from 'node:url';
import { startDeployment } from '../functions/api/operations.ts';
import { createRelease, getRelease } from '../functions/api/releases.ts';
import { parseGroupConfig } from '../functions/core/group-config.ts';
import { StepClock } from '../local/clock.ts';
import { startLocal } from '../local/index.ts';
import { HEALTHY } from '../local/seed.ts';

const STANDARD_PRICE_PER_TRANSITION = 0.025 / 1000;
const GROUPS = ['api', 'worker', 'web'] as const;

async function local(deploymentConfig: string) {
  const clock = new StepClock();
  const groups = parseGroupConfig({
    groups: Object.fromEntries(
      GROUPS.map((g) => [
        g,
        { kind: 'lambda', target: { functionName: g, alias: 'live' }, deploymentConfig },
      ]),
    ),
  });
  const started = await startLocal({
    groups,
    clock,
    traffic: false,
    seed: (account) => {
      for (const g of GROUPS) account.createFunction(g, HEALTHY, { alias: 'live' });
    },
  });
  return { ...started, clock };
}

async function transitions(deploymentConfig: string) {
  const l = await local(deploymentConfig);
  try {
    const { release } = await createRelease(l.ctx, {
      name: 'bench',
      members: GROUPS.map((g) => ({ group: g, revision: l.account.publishVersion(g, HEALTHY) })),
      order: { waves: [['api', 'worker'], ['web']] },
    });
    const execution = l.releaseWorkflow.execution(release.executionName);
    await l.clock.run(execution?.done ?? Promise.resolve());
    for (const m of release.members)
      await l.clock.run(l.workflow.execution(m.deploymentId)?.done ?? Promise.resolve());
    const members = release.members.map((m) => l.workflow.execution(m.deploymentId)?.transitions ?? 0);
    const status = (await getRelease(l.ctx, release.id)).release.status;
    // The same groups, one deployment each, no release.
    const alone: number[] = [];
    for (const g of GROUPS) {
      const { deployment } = await startDeployment(l.ctx, {
        group: g,
        revision: l.account.publishVersion(g, HEALTHY),
      });
      const e = l.workflow.execution(deployment.executionName);
      await l.clock.run(e?.done ?? Promise.resolve());
      alone.push(e?.transitions ?? 0);
    }
    return { status, release: execution?.transitions ?? 0, members, alone };
  } finally {
    await l.close();
  }
}

async function rollbackTime() {
  const l = await local('CodeDeployDefault.LambdaCanary10Percent30Minutes');
  try {
    const { release } = await createRelease(l.ctx, {
      name: 'bench',
      members: GROUPS.map((g) => ({ group: g, revision: l.account.publishVersion(g, HEALTHY) })),
    });
    const ids = release.members.map((m) => m.deploymentId);
    await l.clock.run(async () => {
      const ds = await Promise.all(ids.map((id) => l.ctx.store.get(id)));
      return ds.every((d) => d?.bakeToken !== undefined);
    });
    const virtualAt = l.clock.now();
    const wallAt = performance.now();
    // api's bake is failed as an alarm would fail it: api rolls back, and the release rolls back the rest.
    await l.ctx.bakes.fail(
      (await l.ctx.store.get(ids[0] ?? ''))?.bakeToken ?? '',
      'AlarmFired',
      'alarm api-errors entered ALARM',
    );
    await l.clock.run(async () => {
      const ds = await Promise.all(ids.map((id) => l.ctx.store.get(id)));
      return ds.every((d) => d?.status === 'ROLLED_BACK');
    });
    const wallMs = performance.now() - wallAt;
    const virtualS = (l.clock.now() - virtualAt) / 1000;
    const whole = GROUPS.every(
      (g) => Object.keys(l.account.aliasRouting(g, 'live').additionalVersionWeights).length === 0,
    );
    await l.clock.run(l.releaseWorkflow.execution(release.executionName)?.done ?? Promise.resolve());
    return { virtualS, wallMs, whole };
  } finally {
    await l.close();
  }
}

export async function main(): Promise<void> {
  console.log('releases: three Lambda groups, waves [api, worker] then [web]\n');
  const rows = [['config', 'release', 'members (each)', 'total', 'one by one', 'added', 'cost', 'status']];
  for (const config of [
    'CodeDeployDefault.LambdaAllAtOnce',
    'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  ]) {
    const t = await transitions(config);
    const members = t.members.reduce((a, b) => a + b, 0);
    const alone = t.alone.reduce((a, b) => a + b, 0);
    const total = t.release + members;
    rows.push([
      config.replace('CodeDeployDefault.', ''),
      String(t.release),
      `${members} (${t.members.join(', ')})`,
      String(total),
      String(alone),
      `+${total - alone}`,
      `$${(total * STANDARD_PRICE_PER_TRANSITION).toFixed(5)}`,
      t.status,
    ]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((row) => row[i]?.length ?? 0))) ?? [];
  for (const row of rows) console.log(`  ${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ')}`);
  const r = await rollbackTime();
  console.log('\n  one member failing mid-bake → every member restored (three canaries, one wave):');
  console.log(
    `    ${r.virtualS.toFixed(0)} s of workflow time, ${r.wallMs.toFixed(0)} ms on this machine; every alias whole again: ${r.whole ? 'yes' : 'NO'}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
