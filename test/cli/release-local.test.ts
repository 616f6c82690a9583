/**
 * The release commands against the real API of local mode: a release from a YAML file followed to its
 * end, the API's refusals printed with their paths and flags, and a release stopped from the CLI. The
 * virtual clock runs ×1000, so a 15-minute bake lasts about a real second, long enough for a watch that
 * reads every 0.1 s to see the first wave held at its commit point.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReleaseView } from '../../functions/api/views.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import type { LocalStepShift } from '../../local/index.ts';
import { HEALTHY } from '../../local/seed.ts';
import { runCli, startLocalApi } from './local-api.ts';

const GROUPS = ['api', 'worker', 'web'] as const;

let local: LocalStepShift;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ local, url, close } = await startLocalApi({
    groups: parseGroupConfig({
      groups: Object.fromEntries(
        GROUPS.map((g) => [
          g,
          {
            kind: 'lambda',
            target: { functionName: g, alias: 'live' },
            deploymentConfig:
              g === 'web'
                ? 'CodeDeployDefault.LambdaCanary10Percent5Minutes'
                : 'CodeDeployDefault.LambdaAllAtOnce',
          },
        ]),
      ),
    }),
    speed: 1000,
    traffic: false,
    seed: (a) => {
      for (const g of GROUPS) a.createFunction(g, HEALTHY, { alias: 'live' });
    },
  }));
});
afterAll(() => close());

const run = (...argv: string[]) => runCli(url, ...argv);
const dir = mkdtempSync(join(tmpdir(), 'stepshift-release-local-'));

/** Waits until the release's execution and each member's have ended. */
async function ended(id: string): Promise<ReleaseView> {
  await local.releaseWorkflow.execution(id)?.done;
  const shown = JSON.parse((await run('release-status', id, '--json')).out) as { release: ReleaseView };
  for (const m of shown.release.members) await local.workflow.execution(m.deploymentId)?.done;
  return (JSON.parse((await run('release-status', id, '--json')).out) as { release: ReleaseView }).release;
}

describe('releases from the CLI against local mode', () => {
  it('starts a release from a YAML file and follows it with --wait to SUCCEEDED, exit 0', async () => {
    // Prepare
    const [a, w, b] = GROUPS.map((g) => local.account.publishVersion(g, HEALTHY));
    const file = join(dir, 'shop.yaml');
    writeFileSync(
      file,
      [
        'name: shop 42',
        'description: api and worker first, then the web tier',
        'members:',
        `  - {group: api, revision: ${a}}`,
        `  - {group: worker, revision: ${w}}`,
        `  - {group: web, revision: ${b}, config: LambdaCanary10Percent15Minutes}`,
        'order:',
        '  waves:',
        '    - [api, worker]',
        '    - [web]',
      ].join('\n'),
    );

    // Act
    const started = await run('release', file, '--wait', '--interval', '0.1');

    // Assess
    expect(started.err).toBe('');
    expect(started.code).toBe(0);
    const lines = started.out.split('\n');
    const id = /^(r-\S+): (CREATED|IN_PROGRESS) — release shop 42: 3 members in 2 waves$/.exec(
      lines[0] ?? '',
    )?.[1];
    expect(id).toBeDefined();
    expect(lines[1]).toMatch(/^ {2}wave 1 {2}api {5}2 {2}d-\S+$/);
    expect(lines[3]).toMatch(/^ {2}wave 2 {2}web {5}2 {2}d-\S+$/);
    expect(started.out).toContain('wave 2 of 2 started: web');
    expect(started.out).toMatch(/^api +2 +█{20} +100 % +step 1\/1 +IN_PROGRESS {2}· at its commit point$/m);
    expect(started.out).toContain('committed: every member finalizes');
    expect(lines.at(-1)).toBe('status SUCCEEDED');

    const release = await ended(id ?? '');
    expect(release.members.map((m) => [m.group, m.status])).toEqual([
      ['api', 'SUCCEEDED'],
      ['worker', 'SUCCEEDED'],
      ['web', 'SUCCEEDED'],
    ]);
    const listed = await run('releases');
    expect(listed.out).toMatch(
      new RegExp(`^${id}  shop 42  SUCCEEDED +wave 2/2 +api 2, worker 2, web 2$`, 'm'),
    );
    const shown = await run('release-status', id ?? '');
    expect(shown.out).toContain('  commit       committed at ');
    expect(shown.out).toContain('info     wave 1 of 2 started: api, worker');
    // Each member is an ordinary deployment.
    const web = release.members[2]?.deploymentId ?? '';
    expect((await run('status', web)).out).toMatch(new RegExp(`^${web}  web  version 2  SUCCEEDED`));
  }, 60_000);

  it('prints the API’s problems with their paths and the flags they came from, exit 2', async () => {
    const refused = await run(
      'release',
      '--name',
      'r',
      '--member',
      'api=3',
      '--member',
      'nope=1',
      '--wave',
      'api,ghost',
    );
    expect(refused.code).toBe(2);
    expect(refused.out).toBe('');
    expect(refused.err.split('\n')).toEqual([
      'stepshift: 400 ValidationError: invalid release request: 3 problems',
      '  order.waves[0][1] (--wave api,ghost): ghost is not a member; members: api, nope',
      '  members[1].group (--member nope=1): nope is in no wave of order.waves',
      '  members[1].group (--member nope=1): no group named "nope"; declared: api, worker, web',
    ]);
  });

  it('refuses a busy group with 409, naming the member, and starts nothing', async () => {
    // Prepare: a deployment that holds web for a 30-minute bake.
    const v = local.account.publishVersion('web', HEALTHY);
    const deployed = await run('deploy', 'web', v, '--config', 'LambdaCanary10Percent30Minutes');
    const holder = /^(d-\S+):/.exec(deployed.out)?.[1] ?? '';

    // Act
    const refused = await run(
      'release',
      '--name',
      'r',
      '--member',
      `api=${local.account.publishVersion('api', HEALTHY)}`,
      '--member',
      `web=${v}`,
    );

    // Assess
    expect(refused.code).toBe(2);
    expect(refused.err.split('\n')).toEqual([
      'stepshift: 409 Conflict: release refused: 1 problem',
      `  members[1].group (--member web=${v}): group web is busy: deployment ${holder} is in progress`,
    ]);
    await run('stop', holder);
    await local.workflow.execution(holder)?.done;
  });

  it('stops a release mid-bake with release-stop: every member that moved is rolled back', async () => {
    // Prepare: api at its commit point, worker baking 30 minutes at 10 % (its config from the flag).
    const a = local.account.publishVersion('api', HEALTHY);
    const w = local.account.publishVersion('worker', HEALTHY);
    const started = await run(
      'release',
      '--name',
      'to stop',
      '--member',
      `api=${a}`,
      '--member',
      `worker=${w}@LambdaCanary10Percent30Minutes`,
      '--json',
    );
    expect(started.code).toBe(0);
    const release = JSON.parse(started.out) as ReleaseView;
    expect(release.members.map((m) => m.configName)).toEqual([
      'CodeDeployDefault.LambdaAllAtOnce',
      'CodeDeployDefault.LambdaCanary10Percent30Minutes',
    ]);
    const worker = release.members[1]?.deploymentId ?? '';
    for (let i = 0; i < 400; i++) {
      const d = await local.ctx.store.get(worker);
      if (d?.percent === 10 && d.bakeToken) break;
      await new Promise((r) => setTimeout(r, 10));
    }

    // Act
    const stopped = await run('release-stop', release.id, '--reason', 'wrong worker build');

    // Assess
    expect(stopped).toMatchObject({ code: 0, out: `${release.id}: stop requested (with rollback)` });
    const out = await ended(release.id);
    expect(out.status).toBe('ROLLED_BACK');
    expect(out.reason).toBe('stop requested: wrong worker build');
    expect(out.members.map((m) => m.status)).toEqual(['ROLLED_BACK', 'ROLLED_BACK']);
    expect(local.account.aliasRouting('worker', 'live').additionalVersionWeights).toEqual({});
    const again = await run('release-stop', release.id);
    expect(again.code).toBe(2);
    expect(again.err).toBe(
      `stepshift: 409 Conflict: release ${release.id} is ROLLED_BACK: there is nothing to stop`,
    );
    expect((await run('release-status', 'r-nope')).err).toBe('stepshift: 404 NotFound: no release r-nope');
  });
});
