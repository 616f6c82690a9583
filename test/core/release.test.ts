import { describe, expect, it } from 'vitest';
import type { Status } from '../../functions/core/deployment.ts';
import { problemsFrom } from '../../functions/core/problems.ts';
import {
  canReleaseTransition,
  judge,
  type MemberRecord,
  outcomeOf,
  type Release,
  type ReleaseRequest,
  releaseRequestSchema,
  releaseTimeProblem,
  wavesOf,
} from '../../functions/core/release.ts';

const request = (groups: string[], order?: ReleaseRequest['order']): ReleaseRequest => ({
  name: 'r',
  members: groups.map((group) => ({ group, revision: '2' })),
  ...(order ? { order } : {}),
});

describe('wavesOf', () => {
  it.each([
    ['parallel by default', request(['api', 'worker', 'web']), [[0, 1, 2]]],
    ['"parallel"', request(['api', 'web'], 'parallel'), [[0, 1]]],
    [
      'waves, by group name',
      request(['api', 'worker', 'web'], { waves: [['api', 'worker'], ['web']] }),
      [[0, 1], [2]],
    ],
    [
      'waves in another order than the members',
      request(['api', 'web'], { waves: [['web'], ['api']] }),
      [[1], [0]],
    ],
  ])('turns %s into waves of member indexes', (_what, input, waves) => {
    expect(wavesOf(input)).toEqual({ waves, problems: [] });
  });

  it.each([
    [
      'a group twice among the members',
      request(['api', 'web', 'api']),
      [{ path: 'members[2].group', message: 'api is already members[0]: a release deploys each group once' }],
    ],
    [
      'a wave naming no member',
      request(['api', 'web'], { waves: [['api'], ['web', 'worker']] }),
      [{ path: 'order.waves[1][1]', message: 'worker is not a member; members: api, web' }],
    ],
    [
      'a member in two waves',
      request(['api', 'web'], { waves: [['api', 'web'], ['web']] }),
      [
        {
          path: 'order.waves[1][0]',
          message: 'web is already in order.waves[0][1]: each member is in one wave',
        },
      ],
    ],
    [
      'a member in no wave',
      request(['api', 'web', 'worker'], { waves: [['api'], ['web']] }),
      [{ path: 'members[2].group', message: 'worker is in no wave of order.waves' }],
    ],
  ])('names %s with its path', (_what, input, problems) => {
    expect(wavesOf(input).problems).toEqual(problems);
  });

  it('reports every problem at once', () => {
    const { problems } = wavesOf(request(['api', 'api', 'web'], { waves: [['ghost'], ['api']] }));
    expect(problems.map((p) => p.path)).toEqual([
      'members[1].group',
      'order.waves[0][0]',
      'members[2].group',
    ]);
  });
});

describe('releaseRequestSchema', () => {
  it.each([
    [{}, ['name', 'members']],
    [{ name: '', members: [] }, ['name', 'members']],
    [{ name: 'r', members: [{ group: 'api' }] }, ['members[0].revision']],
    [{ name: 'r', members: [{ group: 'api', revision: '2', colour: 'red' }] }, ['members[0].colour']],
    [{ name: 'r', members: [{ group: 'api', revision: '2' }], order: 'serial' }, ['order']],
    [{ name: 'r', members: [{ group: 'api', revision: '2' }], order: { waves: [[]] } }, ['order.waves[0]']],
    [
      { name: 'r', members: Array.from({ length: 21 }, (_, i) => ({ group: `g${i}`, revision: '1' })) },
      ['members'],
    ],
  ])('refuses %j, naming %j', (body, paths) => {
    const parsed = releaseRequestSchema().safeParse(body);
    expect(parsed.success).toBe(false);
    if (!parsed.success) expect(problemsFrom(parsed.error).map((p) => p.path)).toEqual(paths);
  });
});

describe('releaseTimeProblem', () => {
  const h = 3600;
  it.each([
    ['one wave of a day', [[24 * h]], undefined],
    ['two waves of 3 days each', [[3 * 24 * h], [3 * 24 * h]], undefined],
    [
      'a first wave held 8 days in all',
      [[2 * 24 * h], [3 * 24 * h, 1 * h], [3 * 24 * h]],
      'wave 1 would hold',
    ],
  ])('%s', (_what, waves, problem) => {
    const found = releaseTimeProblem(waves);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(new RegExp(`^${problem} at its commit point for up to 192 h`));
  });
});

const m = (status: Status, extra: Partial<MemberRecord> = {}): MemberRecord => ({
  id: 'd',
  group: 'g',
  status,
  percent: status === 'IN_PROGRESS' ? 100 : 0,
  ...extra,
});
const ready = (): MemberRecord => m('IN_PROGRESS', { releaseReadyAt: '2026-01-01T00:00:00Z' });

const twoWaves: Pick<Release, 'members'> = {
  members: [
    { group: 'api', deploymentId: 'd-api', revision: '2', configName: 'c', wave: 0 },
    { group: 'web', deploymentId: 'd-web', revision: '2', configName: 'c', wave: 1 },
  ],
};

describe('judge', () => {
  it.each([
    [
      'wave 0: api still shifting',
      { phase: 'wave', wave: 0 } as const,
      [m('IN_PROGRESS'), m('CREATED')],
      { verdict: 'wait' },
    ],
    [
      'wave 0: api at its commit point',
      { phase: 'wave', wave: 0 } as const,
      [ready(), m('CREATED')],
      { verdict: 'on' },
    ],
    [
      'wave 1: web shifting',
      { phase: 'wave', wave: 1 } as const,
      [ready(), m('IN_PROGRESS')],
      { verdict: 'wait' },
    ],
    ['wave 1: both ready', { phase: 'wave', wave: 1 } as const, [ready(), ready()], { verdict: 'on' }],
    [
      'wave 1: api rolled back from its commit point (an alarm)',
      { phase: 'wave', wave: 1 } as const,
      [m('ROLLING_BACK', { reason: 'alarm api-errors entered ALARM' }), m('IN_PROGRESS')],
      { verdict: 'fail', error: 'MemberFailed', cause: 'api rolled back: alarm api-errors entered ALARM' },
    ],
    [
      'wave 0: web cancelled before its wave',
      { phase: 'wave', wave: 0 } as const,
      [m('IN_PROGRESS'), m('CANCELLED', { reason: 'stopped before its wave started' })],
      { verdict: 'fail', error: 'MemberFailed', cause: 'web was cancelled: stopped before its wave started' },
    ],
    [
      'wave 0: a member never recorded',
      { phase: 'wave', wave: 0 } as const,
      [m('IN_PROGRESS'), undefined],
      { verdict: 'fail', error: 'MemberFailed', cause: 'web has no deployment record' },
    ],
    [
      'end: one still finalizing',
      { phase: 'end' } as const,
      [m('SUCCEEDED'), m('IN_PROGRESS')],
      { verdict: 'wait' },
    ],
    ['end: all ended', { phase: 'end' } as const, [m('SUCCEEDED'), m('ROLLED_BACK')], { verdict: 'on' }],
  ])('%s', (_what, wait, members, expected) => {
    expect(judge(twoWaves, wait, members)).toEqual(expected);
  });

  it('ends a wave at once on a stop request, naming it', () => {
    const stopped = { ...twoWaves, stopRequest: { rollback: false, at: 't', reason: 'wrong build' } };
    expect(judge(stopped, { phase: 'wave', wave: 0 }, [m('IN_PROGRESS'), m('CREATED')])).toEqual({
      verdict: 'fail',
      error: 'StopRequested',
      cause: 'release stop requested (without rollback): wrong build',
    });
  });
});

describe('outcomeOf', () => {
  it.each([
    [
      'committed, all succeeded',
      { committedAt: 't' },
      [m('SUCCEEDED'), m('SUCCEEDED')],
      { status: 'SUCCEEDED' },
    ],
    [
      'committed, one rolled back in its termination wait',
      { committedAt: 't' },
      [m('SUCCEEDED'), m('ROLLED_BACK')],
      { status: 'FAILED', reason: 'after the commit, not every member succeeded: web ROLLED_BACK' },
    ],
    [
      'a member failed, every other restored',
      {
        cause: {
          deploymentId: 'd-web',
          group: 'web',
          status: 'ROLLING_BACK' as const,
          reason: 'hook smoke failed',
        },
      },
      [m('ROLLED_BACK'), m('ROLLED_BACK')],
      { status: 'ROLLED_BACK', reason: 'web rolled back: hook smoke failed' },
    ],
    [
      'stopped with rollback, the second wave cancelled',
      { stopRequest: { rollback: true, at: 't', reason: 'oops' } },
      [m('ROLLED_BACK'), m('CANCELLED')],
      { status: 'ROLLED_BACK', reason: 'stop requested: oops' },
    ],
    [
      'stopped without rollback',
      { stopRequest: { rollback: false, at: 't' } },
      [m('STOPPED', { percent: 100 }), m('CANCELLED')],
      { status: 'STOPPED', reason: 'stopped without rollback: each member keeps its routing' },
    ],
    [
      'a member whose rollback failed, left split',
      { cause: { deploymentId: 'd-web', group: 'web', status: 'ROLLING_BACK' as const } },
      [m('FAILED', { percent: 10 }), m('ROLLED_BACK')],
      { status: 'FAILED', reason: 'web rolled back; not rolled back: api FAILED' },
    ],
  ])('%s', (_what, release, members, expected) => {
    expect(outcomeOf({ ...twoWaves, ...release }, members)).toEqual(expected);
  });
});

describe('release status rules', () => {
  it.each([
    ['CREATED', 'IN_PROGRESS', true],
    ['IN_PROGRESS', 'ROLLING_BACK', true],
    ['IN_PROGRESS', 'STOPPED', true],
    ['ROLLING_BACK', 'ROLLED_BACK', true],
    ['ROLLING_BACK', 'SUCCEEDED', false],
    ['SUCCEEDED', 'ROLLING_BACK', false],
    ['ROLLED_BACK', 'IN_PROGRESS', false],
  ] as const)('%s → %s: %s', (from, to, allowed) => {
    expect(canReleaseTransition(from, to)).toBe(allowed);
  });
});
