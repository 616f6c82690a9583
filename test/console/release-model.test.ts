/**
 * The release page's model without a browser: each wave and its members, where the commit point
 * stands, what the release waits for, and when Stop applies — the rules `stopRelease` enforces.
 */
import { describe, expect, it } from 'vitest';
import { releaseActionsFor, releaseModel } from '../../console/src/release-model.ts';
import { parseRoute, releaseHref, streamQuery } from '../../console/src/routes.ts';
import type { ReleaseMemberView, ReleaseView } from '../../console/src/types.ts';

const ID = 'r-20261207101500-a1b2c3';

function member(over: Partial<ReleaseMemberView> & Pick<ReleaseMemberView, 'group'>): ReleaseMemberView {
  return {
    deploymentId: `d-${over.group}`,
    revision: '7',
    configName: 'CodeDeployDefault.LambdaAllAtOnce',
    wave: 0,
    status: 'CREATED',
    percent: 0,
    stepIndex: -1,
    stepCount: 2,
    ...over,
  };
}

const held = (group: string, wave = 0) =>
  member({
    group,
    wave,
    status: 'IN_PROGRESS',
    percent: 100,
    stepIndex: 1,
    readyAt: '2026-12-07T10:20:00.000Z',
  });

function release(over: Partial<ReleaseView>, members: ReleaseMemberView[]): ReleaseView {
  return {
    id: ID,
    name: 'shop 42',
    status: 'IN_PROGRESS',
    waveCount: 2,
    wave: 0,
    members,
    executionName: ID,
    createdAt: '2026-12-07T10:15:00.000Z',
    updatedAt: '2026-12-07T10:15:00.000Z',
    ...over,
  };
}

describe('a release’s waves and commit point', () => {
  it('holds the first wave at its commit point while the second deploys', () => {
    // Prepare
    const r = release({ wave: 1, waiting: { phase: 'wave', wave: 1, since: '2026-12-07T10:20:00.000Z' } }, [
      held('api'),
      held('worker'),
      member({
        group: 'web',
        revision: 'shop/web:v2',
        wave: 1,
        status: 'IN_PROGRESS',
        percent: 10,
        stepIndex: 0,
      }),
    ]);

    // Act
    const model = releaseModel(r);

    // Assess
    expect(model.waves.map((w) => [w.index, w.state, w.text, w.short])).toEqual([
      [0, 'ready', 'at its commit point', 'held'],
      [1, 'deploying', 'deploying: 0 of 1 at the commit point', 'deploying'],
    ]);
    expect(model.waves[0]?.members.map((m) => [m.group, m.atCommitPoint, m.step])).toEqual([
      ['api', true, 'step 2 of 2'],
      ['worker', true, 'step 2 of 2'],
    ]);
    expect(model.waves[1]?.members[0]).toEqual({
      group: 'web',
      deploymentId: 'd-web',
      href: '#/deployments/d-web',
      revision: 'shop/web:v2',
      configName: 'CodeDeployDefault.LambdaAllAtOnce',
      wave: 1,
      status: 'IN_PROGRESS',
      percent: 10,
      step: 'step 1 of 2',
      atCommitPoint: false,
    });
    expect(model.commit).toEqual({ state: 'pending', text: 'Not yet: 2 of 3 members at their commit point' });
    expect(model.waiting).toEqual({
      text: 'wave 2 to reach its commit point',
      since: '2026-12-07T10:20:00.000Z',
    });
    expect(model.progress).toBe('wave 2 of 2');
  });

  it.each([
    {
      name: 'a wave not started yet waits for the one before',
      r: release({ waveCount: 3, wave: 0 }, [
        member({ group: 'api', status: 'IN_PROGRESS', stepIndex: 0, percent: 10 }),
        member({ group: 'web', wave: 1 }),
        member({ group: 'worker', wave: 2 }),
      ]),
      waves: [
        ['deploying', 'deploying: 0 of 1 at the commit point'],
        ['pending', 'starts when wave 1 is at its commit point'],
        ['pending', 'starts when wave 2 is at its commit point'],
      ],
      commit: 'pending',
    },
    {
      name: 'before the first wave starts, it starts first',
      r: release({ status: 'CREATED', wave: -1 }, [
        member({ group: 'api' }),
        member({ group: 'web', wave: 1 }),
      ]),
      waves: [
        ['pending', 'starts first'],
        ['pending', 'starts when wave 1 is at its commit point'],
      ],
      commit: 'pending',
    },
    {
      name: 'committed: the members finalize, then the waves are done',
      r: release({ wave: 1, committedAt: '2026-12-07T10:30:00.000Z' }, [
        member({
          group: 'api',
          status: 'SUCCEEDED',
          percent: 100,
          stepIndex: 1,
          readyAt: '2026-12-07T10:20:00.000Z',
        }),
        held('web', 1),
      ]),
      waves: [
        ['done', 'finalized'],
        ['finalizing', 'finalizing'],
      ],
      commit: 'committed',
    },
    {
      name: 'rolled back: a member rolling back, the last wave never started',
      r: release({ status: 'ROLLING_BACK', waveCount: 3, wave: 1 }, [
        member({ group: 'api', status: 'ROLLED_BACK', reason: 'stop requested (with rollback)' }),
        member({ group: 'web', wave: 1, status: 'ROLLING_BACK', percent: 10, stepIndex: 0 }),
        member({ group: 'worker', wave: 2, status: 'CANCELLED' }),
      ]),
      waves: [
        ['ended', 'rolled back'],
        ['rollingBack', 'rolling back'],
        ['neverStarted', 'never started'],
      ],
      commit: 'never',
    },
  ])('$name', ({ r, waves, commit }) => {
    const model = releaseModel(r);
    expect(model.waves.map((w) => [w.state, w.text])).toEqual(waves);
    expect(model.commit.state).toBe(commit);
  });

  it('says a release stopped without rollback leaves each member’s routing', () => {
    const model = releaseModel(
      release({ status: 'STOPPED' }, [
        member({ group: 'api', status: 'STOPPED', percent: 10, stepIndex: 0 }),
      ]),
    );
    expect(model.commit).toEqual({
      state: 'never',
      text: 'Never reached: stopped without rollback, each member keeps its routing',
    });
    expect(model.waves[0]?.text).toBe('stopped');
  });

  it('says what the release waits for once it has committed', () => {
    const model = releaseModel(
      release(
        {
          committedAt: '2026-12-07T10:30:00.000Z',
          waiting: { phase: 'end', since: '2026-12-07T10:30:00.000Z' },
        },
        [held('api')],
      ),
    );
    expect(model.waiting?.text).toBe('every member to finalize');
    expect(model.commit).toMatchObject({ state: 'committed', at: '2026-12-07T10:30:00.000Z' });
  });
});

describe('stopping a release from the page', () => {
  it('offers Stop and Stop without rollback while it runs, each posting its rollback', () => {
    const actions = releaseActionsFor(release({}, [held('api')]));
    expect(actions.map((a) => [a.name, a.label, a.path, a.body, a.disabled])).toEqual([
      ['stop', 'Stop', `/releases/${ID}/stop`, { rollback: true }, undefined],
      ['stopKeep', 'Stop without rollback', `/releases/${ID}/stop`, { rollback: false }, undefined],
    ]);
    expect(actions[0]?.confirm).toContain('the waves not started never start');
  });

  it.each([
    [{ committedAt: '2026-12-07T10:30:00.000Z' }, /^it has committed at .*: its members are finalizing/],
    [
      { stopRequest: { rollback: true, at: '2026-12-07T10:25:00.000Z' } },
      /^a stop was requested at 2026-12-07T10:25/,
    ],
    [{ status: 'ROLLING_BACK' as const }, /^it is ROLLING_BACK: only a release in progress can be stopped$/],
    [{ status: 'SUCCEEDED' as const }, /^it is SUCCEEDED: only a release in progress can be stopped$/],
  ])('disables both when %j, saying why', (over, why) => {
    for (const a of releaseActionsFor(release(over, [held('api')]))) expect(a.disabled).toMatch(why);
  });
});

describe('the release routes and the stream query', () => {
  it.each([
    ['#/releases', { page: 'releases' }],
    [`#/releases/${ID}`, { page: 'release', id: ID }],
    [releaseHref('r 1'), { page: 'release', id: 'r 1' }],
    ['#/releases/%E0%A4%A', { page: 'release', id: '%E0%A4%A' }],
  ])('reads %s', (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it.each([
    [undefined, ''],
    [{ deployment: 'd 1' }, '?deployment=d%201'],
    [{ release: 'r 1' }, '?release=r%201'],
    [{ releases: true as const }, '?releases'],
  ])('asks the stream to follow %j with %j', (focus, query) => {
    expect(streamQuery(focus)).toBe(query);
  });
});
