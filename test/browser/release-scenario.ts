/**
 * Releases in the console scenario: three Lambda groups, a release of them started through the API as
 * `POST /releases` does, and the step clock run until a member or the release reaches what a test
 * wants to look at.
 */
import type { Browser } from 'playwright-core';
import { createRelease } from '../../functions/api/releases.ts';
import type { ReleaseView } from '../../functions/api/views.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import { parseGroupConfig } from '../../functions/core/group-config.ts';
import { HEALTHY } from '../../local/seed.ts';
import { type ConsoleScenario, consoleScenario } from './scenario.ts';

/** api and worker deploy at once; web bakes 5 minutes at 10 %, so a release can be looked at mid-wave. */
export const RELEASE_GROUPS = parseGroupConfig({
  groups: {
    api: {
      kind: 'lambda',
      target: { functionName: 'api', alias: 'live' },
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
    },
    worker: {
      kind: 'lambda',
      target: { functionName: 'worker', alias: 'live' },
      deploymentConfig: 'CodeDeployDefault.LambdaAllAtOnce',
    },
    web: {
      kind: 'lambda',
      target: { functionName: 'web', alias: 'live' },
      deploymentConfig: {
        type: 'steps',
        steps: [
          { percent: 10, bakeSeconds: 300 },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
    },
  },
});

export interface ReleaseScenario extends ConsoleScenario {
  /** Starts a release of a new healthy version of each group, in these waves. */
  release(name: string, waves: string[][]): Promise<ReleaseView>;
  /** Runs virtual time until the member of `group` satisfies `predicate`. */
  untilMember(
    release: ReleaseView,
    group: string,
    predicate: (d: Deployment) => boolean,
    what: string,
  ): Promise<Deployment>;
  /** Runs virtual time until the release's execution and each member's have ended. */
  untilEnded(release: ReleaseView): Promise<void>;
}

export async function releaseScenario(browser: Browser): Promise<ReleaseScenario> {
  const s = await consoleScenario(browser, { groups: RELEASE_GROUPS });
  return {
    ...s,
    async release(name, waves) {
      const groups = waves.flat();
      const members = groups.map((group) => ({
        group,
        revision: s.local.account.publishVersion(group, HEALTHY),
      }));
      return (await createRelease(s.local.ctx, { name, members, order: { waves } })).release;
    },
    async untilMember(release, group, predicate, what) {
      const id = release.members.find((m) => m.group === group)?.deploymentId;
      const d = id ? await s.local.ctx.store.get(id) : undefined;
      if (!d) throw new Error(`no member ${group} in release ${release.id}`);
      return s.until(d, predicate, what);
    },
    async untilEnded(release) {
      const execution = s.local.releaseWorkflow.execution(release.executionName);
      if (!execution) throw new Error(`no release execution ${release.executionName}`);
      await s.clock.run(execution.done);
      for (const m of release.members) {
        const e = s.local.workflow.execution(m.deploymentId);
        if (e) await s.clock.run(e.done);
      }
    },
  };
}

/**
 * The member baking at its first step, short of 100 %: the execution parked in its first bake (a member
 * at its commit point holds a token too, at 100 %).
 */
export const bakingFirst = (d: Deployment) =>
  d.status === 'IN_PROGRESS' && d.stepIndex === 0 && d.percent < 100 && d.bakeToken !== undefined;
