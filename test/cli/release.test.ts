/**
 * `stepshift release`, `releases`, `release-status` and `release-stop`: the request built from flags or
 * read from a file, the frame and the log lines of a release, and the commands against a stub API that
 * answers as the API does — its problems printed with their paths, the exit codes.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../bin/cli.ts';
import {
  parseMember,
  parseWave,
  problemLines,
  readReleaseFile,
  releaseFromFlags,
} from '../../bin/release-request.ts';
import { type ReleaseWatchBody, renderRelease, renderReleaseChanges } from '../../bin/release-watch.ts';
import type { ReleaseMemberView, ReleaseView } from '../../functions/api/views.ts';
import { type Answer, type StubApi, stubApi } from './stub-api.ts';

const usage = (message: string) => new Error(message);
const dir = mkdtempSync(join(tmpdir(), 'stepshift-release-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

const ID = 'r-20261207101500-a1b2c3';

function member(over: Partial<ReleaseMemberView> & Pick<ReleaseMemberView, 'group'>): ReleaseMemberView {
  return {
    deploymentId: `d-20261207101500-${over.group}`,
    revision: '7',
    configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
    wave: 0,
    status: 'CREATED',
    percent: 0,
    stepIndex: -1,
    stepCount: 2,
    ...over,
  };
}

/** A release of api and worker (wave 1) and web (wave 2), as `GET /releases/{id}` answers. */
function release(over: Partial<ReleaseView> = {}, members?: ReleaseMemberView[]): ReleaseView {
  return {
    id: ID,
    name: 'shop 42',
    status: 'IN_PROGRESS',
    waveCount: 2,
    wave: 0,
    members: members ?? [
      member({ group: 'api', status: 'IN_PROGRESS', percent: 10, stepIndex: 0 }),
      member({ group: 'worker', status: 'IN_PROGRESS', percent: 10, stepIndex: 0 }),
      member({ group: 'web', revision: 'shop/web:v2', wave: 1 }),
    ],
    executionName: ID,
    createdAt: '2026-12-07T10:15:00.000Z',
    updatedAt: '2026-12-07T10:15:00.000Z',
    ...over,
  };
}

describe('a --member flag', () => {
  it.each([
    ['api=7', { group: 'api', revision: '7' }],
    ['web=shop/web:v2', { group: 'web', revision: 'shop/web:v2' }],
    ['api=7@LambdaAllAtOnce', { group: 'api', revision: '7', config: 'LambdaAllAtOnce' }],
    [
      'api=7@CodeDeployDefault.LambdaCanary10Percent5Minutes',
      { group: 'api', revision: '7', config: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' },
    ],
    ['web=acme/web@sha256:ab12cd', { group: 'web', revision: 'acme/web@sha256:ab12cd' }],
    [
      'web=acme/web@sha256:ab12cd@ECSAllAtOnce',
      { group: 'web', revision: 'acme/web@sha256:ab12cd', config: 'ECSAllAtOnce' },
    ],
    [
      'api=7@{"type":"canary","percent":5,"intervalMinutes":10}',
      { group: 'api', revision: '7', config: { type: 'canary', percent: 5, intervalMinutes: 10 } },
    ],
  ])('reads %s as group, revision and config', (flag, expected) => {
    expect(parseMember(flag, usage)).toEqual(expected);
  });

  it.each([
    ['api', '--member "api": give group=revision, or group=revision@config (no "=")'],
    ['=7', '--member "=7": give group=revision, or group=revision@config (no group before "=")'],
    ['api=', '--member "api=": give group=revision, or group=revision@config (no revision after "api=")'],
    ['api=@LambdaAllAtOnce', 'no revision after "api="'],
    ['api=7@{"type":', '--member "api=7@{"type":": its config is not valid JSON'],
  ])('refuses %s, naming the flag', (flag, message) => {
    expect(() => parseMember(flag, usage)).toThrow(message);
  });
});

describe('the request from flags', () => {
  it('puts the members in order and the waves as given', () => {
    // Act
    const body = releaseFromFlags(
      { name: 'shop 42', member: ['api=7', 'worker=3', 'web=shop/web:v2'], wave: ['api, worker', 'web'] },
      usage,
    );

    // Assess
    expect(body).toEqual({
      name: 'shop 42',
      members: [
        { group: 'api', revision: '7' },
        { group: 'worker', revision: '3' },
        { group: 'web', revision: 'shop/web:v2' },
      ],
      order: { waves: [['api', 'worker'], ['web']] },
    });
  });

  it('leaves the order out without --wave: all at once', () => {
    expect(releaseFromFlags({ name: 'r', member: ['api=7'], wave: [] }, usage)).toEqual({
      name: 'r',
      members: [{ group: 'api', revision: '7' }],
    });
  });

  it.each([
    [{ member: [], wave: [] }, 'give a release file, or --name and one --member group=revision per group'],
    [{ member: ['api=7'], wave: [] }, '--name is required with --member'],
    [{ name: ' ', member: ['api=7'], wave: [] }, '--name is required with --member'],
    [{ name: 'r', member: ['api=7'], wave: ['api,,web'] }, '--wave "api,,web": give the groups of one wave'],
  ])('refuses %j, naming the flag', (flags, message) => {
    expect(() => releaseFromFlags(flags, usage)).toThrow(message);
  });

  it('reads a wave by commas, spaces trimmed', () => {
    expect(parseWave(' api ,worker', usage)).toEqual(['api', 'worker']);
  });

  it('names the flag behind each problem the API found', () => {
    // Act
    const lines = problemLines(
      [
        { path: 'members[1].revision', message: 'version 9 is not published' },
        { path: 'order.waves[0][1]', message: 'ghost is not a member' },
        { path: 'order', message: 'wave 1 would hold for 8 d' },
        { path: 'name', message: 'must be at most 128 characters' },
      ],
      { kind: 'flags', members: ['api=7', 'web=9'], waves: ['api,ghost'] },
    );

    // Assess
    expect(lines).toEqual([
      '  members[1].revision (--member web=9): version 9 is not published',
      '  order.waves[0][1] (--wave api,ghost): ghost is not a member',
      '  order (--wave): wave 1 would hold for 8 d',
      '  name (--name): must be at most 128 characters',
    ]);
  });
});

describe('a release file', () => {
  it('reads YAML, a revision as written: 007 stays "007", 1.10 stays "1.10"', async () => {
    // Prepare
    const path = file(
      'release.yaml',
      [
        'name: shop 42',
        'members:',
        '  - group: api',
        '    revision: 007',
        '  - group: web',
        '    revision: 1.10',
        '    config: {type: canary, percent: 10, intervalMinutes: 5}',
        'order:',
        '  waves: [[api], [web]]',
      ].join('\n'),
    );

    // Act
    const body = await readReleaseFile(path, usage);

    // Assess
    expect(body).toEqual({
      name: 'shop 42',
      members: [
        { group: 'api', revision: '007' },
        { group: 'web', revision: '1.10', config: { type: 'canary', percent: 10, intervalMinutes: 5 } },
      ],
      order: { waves: [['api'], ['web']] },
    });
  });

  it('reads JSON from a .json file', async () => {
    const path = file(
      'release.json',
      JSON.stringify({ name: 'r', members: [{ group: 'api', revision: '7' }] }),
    );
    await expect(readReleaseFile(path, usage)).resolves.toEqual({
      name: 'r',
      members: [{ group: 'api', revision: '7' }],
    });
  });

  it.each([
    ['bad.yaml', 'name: [\nmembers: x\n', /bad\.yaml:2:1: not valid YAML: /],
    ['twice.yaml', 'name: a\nname: b\n', /twice\.yaml:2:1: not valid YAML: Map keys must be unique/],
    ['bad.json', '{"name": ', /bad\.json is not valid JSON: /],
    [
      'list.yaml',
      '- api\n- web\n',
      /list\.yaml: must be a mapping with name, members and order .*, not a list/,
    ],
    ['empty.yaml', '', /empty\.yaml: must be a mapping .*, not empty/],
  ])('refuses %s with where it went wrong', async (name, text, message) => {
    await expect(readReleaseFile(file(name, text), usage)).rejects.toThrow(message);
  });

  it('says when there is no such file', async () => {
    await expect(readReleaseFile(join(dir, 'missing.yaml'), usage)).rejects.toThrow(
      /^no release file at .*missing\.yaml$/,
    );
  });
});

describe('the frame of a release', () => {
  it('draws each wave with its members side by side, what it waits for, and the commit point', () => {
    // Prepare
    const body: ReleaseWatchBody = {
      release: release(
        {
          wave: 1,
          waiting: { phase: 'wave', wave: 1, since: '2026-12-07T10:20:00.000Z' },
        },
        [
          member({
            group: 'api',
            status: 'IN_PROGRESS',
            percent: 100,
            stepIndex: 1,
            readyAt: '2026-12-07T10:20:00.000Z',
          }),
          member({
            group: 'worker',
            status: 'IN_PROGRESS',
            percent: 100,
            stepIndex: 1,
            readyAt: '2026-12-07T10:19:00.000Z',
          }),
          member({
            group: 'web',
            revision: 'shop/web:v2',
            wave: 1,
            status: 'IN_PROGRESS',
            percent: 10,
            stepIndex: 0,
          }),
        ],
      ),
    };

    // Act
    const lines = renderRelease(body);

    // Assess
    expect(lines).toEqual([
      `${ID}  shop 42  IN_PROGRESS`,
      '  wave 1       api     7            ████████████████████  100 %  step 2/2   IN_PROGRESS  · at its commit point',
      '               worker  7            ████████████████████  100 %  step 2/2   IN_PROGRESS  · at its commit point',
      '  wave 2       web     shop/web:v2  ██░░░░░░░░░░░░░░░░░░   10 %  step 1/2   IN_PROGRESS',
      '  waiting for  wave 2 to reach its commit point, since 10:20:00 UTC',
      '  commit       not yet: 2 of 3 members at their commit point',
    ]);
  });

  it('says a wave not started yet waits for the one before, and a stop that was asked for', () => {
    const lines = renderRelease({
      release: release({
        stopRequest: { rollback: false, at: '2026-12-07T10:16:00.000Z', reason: 'freeze' },
      }),
    });
    expect(lines).toContain('               (starts when wave 1 is at its commit point)');
    expect(lines).toContain('  stop         requested at 10:16:00 UTC, without rollback: freeze');
  });

  it('gives an ended member its reason, and a release rolled back never reached its commit point', () => {
    const lines = renderRelease({
      release: release({ status: 'ROLLED_BACK', reason: 'web rolled back: alarm web-errors entered ALARM' }, [
        member({ group: 'api', status: 'ROLLED_BACK', reason: 'stop requested (with rollback)' }),
        member({ group: 'web', wave: 1, status: 'CANCELLED', reason: 'release rolled back' }),
      ]),
    });
    expect(lines[0]).toBe(`${ID}  shop 42  ROLLED_BACK — web rolled back: alarm web-errors entered ALARM`);
    expect(lines[1]).toMatch(/api .* ROLLED_BACK {2}— stop requested \(with rollback\)$/);
    expect(lines).toContain('  commit       never reached: nothing was finalized');
  });
});

describe('the log of a release', () => {
  it('says a wave started, each member that moved, the commit, and the end last', () => {
    // Prepare
    const first = {
      release: release({ status: 'CREATED', wave: -1 }, [
        member({ group: 'api' }),
        member({ group: 'web', wave: 1 }),
      ]),
    };
    const started = {
      release: release({ wave: 0 }, [
        member({ group: 'api', status: 'IN_PROGRESS', percent: 10, stepIndex: 0 }),
        member({ group: 'web', wave: 1 }),
      ]),
    };
    const done = {
      release: release({ status: 'SUCCEEDED', wave: 1, committedAt: '2026-12-07T10:30:00.000Z' }, [
        member({ group: 'api', status: 'SUCCEEDED', percent: 100, stepIndex: 1 }),
        member({ group: 'web', wave: 1, status: 'SUCCEEDED', percent: 100, stepIndex: 1 }),
      ]),
    };

    // Act
    const lines = [
      ...renderReleaseChanges(undefined, first),
      ...renderReleaseChanges(first, started),
      ...renderReleaseChanges(started, started),
      ...renderReleaseChanges(started, done),
    ];

    // Assess
    expect(lines).toEqual([
      `${ID}  shop 42  2 members in 2 waves`,
      'status CREATED',
      'status IN_PROGRESS',
      'wave 1 of 2 started: api',
      'api  7  ██░░░░░░░░░░░░░░░░░░   10 %  step 1/2   IN_PROGRESS',
      'wave 2 of 2 started: web',
      'committed: every member finalizes',
      'api  7  ████████████████████  100 %  step 2/2   SUCCEEDED',
      'web  7  ████████████████████  100 %  step 2/2   SUCCEEDED',
      'status SUCCEEDED',
    ]);
  });
});

let stub: StubApi | undefined;
afterEach(async () => {
  await stub?.close();
  stub = undefined;
});

async function run(script: Record<string, Answer[]>, ...argv: string[]) {
  stub = await stubApi(script);
  const out: string[] = [];
  const err: string[] = [];
  const code = await main([...argv, '--url', stub.url], { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n'), received: stub.received };
}

const created = release({ status: 'CREATED', wave: -1 }, [
  member({ group: 'api' }),
  member({ group: 'worker' }),
  member({ group: 'web', revision: 'shop/web:v2', wave: 1 }),
]);

describe('stepshift release against a stub API', () => {
  it('posts the request built from flags with the idempotency key, and lists the members by wave', async () => {
    // Act
    const { code, out, err, received } = await run(
      { 'POST /releases': [{ status: 201, body: created }] },
      'release',
      '--name',
      'shop 42',
      '--member',
      'api=7',
      '--member',
      'worker=7@LambdaAllAtOnce',
      '--member',
      'web=shop/web:v2',
      '--wave',
      'api,worker',
      '--wave',
      'web',
      '--idempotency-key',
      'ci-1234',
    );

    // Assess
    expect({ code, err }).toEqual({ code: 0, err: '' });
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      name: 'shop 42',
      members: [
        { group: 'api', revision: '7' },
        { group: 'worker', revision: '7', config: 'LambdaAllAtOnce' },
        { group: 'web', revision: 'shop/web:v2' },
      ],
      order: { waves: [['api', 'worker'], ['web']] },
    });
    expect(received[0]?.headers['idempotency-key']).toBe('ci-1234');
    expect(out.split('\n')).toEqual([
      `${ID}: CREATED — release shop 42: 3 members in 2 waves`,
      '  wave 1  api     7            d-20261207101500-api',
      '          worker  7            d-20261207101500-worker',
      '  wave 2  web     shop/web:v2  d-20261207101500-web',
    ]);
  });

  it('posts a YAML file as JSON, and prints the answer as it is with --json', async () => {
    const path = file('shop.yml', 'name: shop\nmembers:\n  - {group: api, revision: 7}\norder: parallel\n');
    const { code, out, received } = await run(
      { 'POST /releases': [{ status: 201, body: created }] },
      'release',
      path,
      '--json',
    );
    expect(code).toBe(0);
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({
      name: 'shop',
      members: [{ group: 'api', revision: '7' }],
      order: 'parallel',
    });
    expect(JSON.parse(out)).toEqual(created);
  });

  it('prints every problem of a 400 with its path and its flag, exit 2', async () => {
    // Prepare: the API's own answer for a wave naming no member.
    const problems = [
      { path: 'order.waves[0][1]', message: 'ghost is not a member; members: api, nope' },
      { path: 'members[1].group', message: 'no group named "nope"; declared: api, worker, web' },
    ];
    const answer = {
      status: 400,
      body: {
        error: 'ValidationError',
        message: `invalid release request: 2 problems\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
        details: { problems },
      },
    };

    // Act
    const { code, out, err } = await run(
      { 'POST /releases': [answer] },
      'release',
      '--name',
      'r',
      '--member',
      'api=7',
      '--member',
      'nope=1',
      '--wave',
      'api,ghost',
    );

    // Assess
    expect(code).toBe(2);
    expect(out).toBe('');
    expect(err.split('\n')).toEqual([
      'stepshift: 400 ValidationError: invalid release request: 2 problems',
      '  order.waves[0][1] (--wave api,ghost): ghost is not a member; members: api, nope',
      '  members[1].group (--member nope=1): no group named "nope"; declared: api, worker, web',
    ]);
  });

  it('prints the problems of a 409 with their paths in the file', async () => {
    const path = file('busy.json', JSON.stringify({ name: 'r', members: [{ group: 'api', revision: '7' }] }));
    const problems = [
      { path: 'members[0].group', message: 'group api is busy: deployment d-1 is in progress' },
    ];
    const { code, err } = await run(
      {
        'POST /releases': [
          {
            status: 409,
            body: {
              error: 'Conflict',
              message: 'release refused: 1 problem\n  members[0].group: group api is busy',
              details: { problems },
            },
          },
        ],
      },
      'release',
      path,
    );
    expect(code).toBe(2);
    expect(err.split('\n')).toEqual([
      'stepshift: 409 Conflict: release refused: 1 problem',
      '  members[0].group: group api is busy: deployment d-1 is in progress',
    ]);
  });

  it.each([
    [['release'], /^stepshift: give a release file, or --name and one --member group=revision per group$/],
    [['release', '--member', 'api=7'], /^stepshift: --name is required with --member/],
    [['release', '--name', 'r', '--member', 'api'], /^stepshift: --member "api": give group=revision/],
    [['release', 'x.yaml', '--member', 'api=7'], /^stepshift: give a release file or --member, not both/],
    [['release', join(dir, 'nowhere.yaml')], /^stepshift: no release file at .*nowhere\.yaml$/],
    [['releases', '--limit', '0'], /^stepshift: --limit must be a whole number from 1 to 100, not "0"$/],
    [['release-status'], /^stepshift: missing required argument 'id'/],
  ])('exits 2 for %j with one line naming the flag, sending nothing', async (argv, message) => {
    const { code, err, received } = await run({}, ...argv);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
    expect(received).toEqual([]);
  });
});

describe('stepshift releases, release-status and release-stop against a stub API', () => {
  it('lists the releases a line each, and as JSON with --json', async () => {
    const script = { 'GET /releases': [{ body: { releases: [release()] } }] };
    const { code, out, received } = await run(script, 'releases', '--limit', '5');
    expect(code).toBe(0);
    expect(received[0]?.url).toBe('/releases?limit=5');
    expect(out).toBe(`${ID}  shop 42  IN_PROGRESS  wave 1/2    api 7, worker 7, web shop/web:v2`);
    const json = await run(script, 'releases', '--json');
    expect(JSON.parse(json.out)).toEqual([release()]);
  });

  it('says so when there are none', async () => {
    const { out } = await run({ 'GET /releases': [{ body: { releases: [] } }] }, 'releases');
    expect(out).toBe('no releases yet');
  });

  it('shows a release and its timeline; --json prints the answer as it is', async () => {
    const body = {
      release: release(),
      timeline: [
        { at: '2026-12-07T10:15:00.000Z', kind: 'info', message: 'wave 1 of 2 started: api, worker' },
      ],
    };
    const script = { [`GET /releases/${ID}`]: [{ body }] };
    const { code, out } = await run(script, 'release-status', ID);
    expect(code).toBe(0);
    expect(out).toContain(`${ID}  shop 42  IN_PROGRESS`);
    expect(out).toContain('  2026-12-07T10:15:00.000Z  info     wave 1 of 2 started: api, worker');
    expect(JSON.parse((await run(script, 'release-status', ID, '--json')).out)).toEqual(body);
  });

  it('follows a release with --watch to SUCCEEDED, exit 0, a line per change', async () => {
    const { code, out } = await run(
      {
        [`GET /releases/${ID}`]: [
          { body: { release: release(), timeline: [] } },
          { status: 503, body: { error: 'ServiceUnavailable', message: 'try again' } },
          {
            body: {
              release: release({ status: 'SUCCEEDED', wave: 1, committedAt: '2026-12-07T10:30:00.000Z' }, [
                member({ group: 'api', status: 'SUCCEEDED', percent: 100, stepIndex: 1 }),
                member({ group: 'worker', status: 'SUCCEEDED', percent: 100, stepIndex: 1 }),
                member({
                  group: 'web',
                  revision: 'shop/web:v2',
                  wave: 1,
                  status: 'SUCCEEDED',
                  percent: 100,
                  stepIndex: 1,
                }),
              ]),
              timeline: [],
            },
          },
        ],
      },
      'release-status',
      ID,
      '--watch',
      '--interval',
      '0.1',
    );
    expect(code).toBe(0);
    expect(out.split('\n')[0]).toBe(`${ID}  shop 42  3 members in 2 waves`);
    expect(out).toContain('committed: every member finalizes');
    expect(out.split('\n').at(-1)).toBe('status SUCCEEDED');
  });

  it('exits 1 when the release it follows ends ROLLED_BACK', async () => {
    const { code, out } = await run(
      {
        [`GET /releases/${ID}`]: [
          {
            body: {
              release: release({ status: 'ROLLED_BACK', reason: 'stop requested: bad config' }),
              timeline: [],
            },
          },
        ],
      },
      'release-status',
      ID,
      '--watch',
    );
    expect(code).toBe(1);
    expect(out).toContain('status ROLLED_BACK — stop requested: bad config');
  });

  it('release --wait starts the release, then follows it to its outcome', async () => {
    const { code, out, received } = await run(
      {
        'POST /releases': [{ status: 201, body: created }],
        [`GET /releases/${ID}`]: [
          { body: { release: release({ status: 'FAILED', reason: 'x' }), timeline: [] } },
        ],
      },
      'release',
      '--name',
      'shop 42',
      '--member',
      'api=7',
      '--wait',
    );
    expect(code).toBe(1);
    expect(out.split('\n')[0]).toBe(`${ID}: CREATED — release shop 42: 3 members in 2 waves`);
    expect(out).toContain('status FAILED — x');
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /releases', `GET /releases/${ID}`]);
  });

  it('stops a release without rollback, with the reason', async () => {
    const { code, out, received } = await run(
      { [`POST /releases/${ID}/stop`]: [{ status: 202, body: { release: release() } }] },
      'release-stop',
      ID,
      '--no-rollback',
      '--reason',
      'freeze until Monday',
    );
    expect(code).toBe(0);
    expect(out).toBe(`${ID}: stop requested (without rollback)`);
    expect(JSON.parse(received[0]?.body ?? '')).toEqual({ rollback: false, reason: 'freeze until Monday' });
  });

  it('stops with rollback by default, and exits 2 with the API’s reason when refused', async () => {
    const ok = await run(
      { [`POST /releases/${ID}/stop`]: [{ status: 202, body: { release: release() } }] },
      'release-stop',
      ID,
    );
    expect(ok.out).toBe(`${ID}: stop requested (with rollback)`);
    expect(JSON.parse(ok.received[0]?.body ?? '')).toEqual({ rollback: true });
    const refused = await run(
      {
        [`POST /releases/${ID}/stop`]: [
          {
            status: 409,
            body: {
              error: 'Conflict',
              message: `release ${ID} has committed: its members are finalizing, and it can no longer be stopped`,
              details: {},
            },
          },
        ],
      },
      'release-stop',
      ID,
    );
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(
      `stepshift: 409 Conflict: release ${ID} has committed: its members are finalizing, and it can no longer be stopped`,
    );
  });
});
