/**
 * `stepshift status --watch` and `deploy --wait`: the frame and the change lines drawn from bodies of
 * the contract's shape, then the loop as a user runs it against a stub API that answers a scripted
 * sequence — exit codes, retried failures, the terminal redraw.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ApiUnreachable } from '../../bin/api-client.ts';
import { main } from '../../bin/cli.ts';
import { follow, renderChanges, renderWatch, type WatchBody } from '../../bin/watch.ts';
import { type Answer, closedPort, type StubApi, stubApi } from './stub-api.ts';

const ID = 'd-20261124101500-a1b2c3';
const ESC = '\u001b';
const NOW = Date.parse('2026-11-24T10:20:18Z');

/** Overrides of the fixture; `undefined` removes a field, as the API leaves out what does not apply. */
type Over = {
  deployment?: Record<string, unknown>;
  progress?: Record<string, unknown> | undefined;
  hooks?: unknown[];
  alarmStates?: unknown[];
  analysis?: unknown[];
};

/** A `GET /deployments/{id}` body as the contract has it: payments, linear 10 % a minute, mid-bake at 30 %. */
function body(over: Over = {}): WatchBody & { timeline: unknown[] } {
  const contractShaped = {
    deployment: {
      id: ID,
      group: 'payments',
      revision: '7',
      status: 'IN_PROGRESS',
      percent: 30,
      configName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      ...over.deployment,
    },
    timeline: [],
    ...('progress' in over && over.progress === undefined
      ? {}
      : {
          progress: {
            step: 3,
            steps: 10,
            percent: 30,
            phase: 'baking',
            bakeStartedAt: '2026-11-24T10:20:00Z',
            bakeEndsAt: '2026-11-24T10:21:00Z',
            nextShiftAt: '2026-11-24T10:21:00Z',
            nextPercent: 40,
            planned: [],
            shifts: [],
            ...over.progress,
          },
        }),
    hooks: over.hooks ?? [
      {
        event: 'BeforeAllowTraffic',
        hooks: [
          {
            functionName: 'payments-smoke',
            status: 'Succeeded',
            attempts: 2,
            startedAt: '2026-11-24T10:17:00Z',
          },
        ],
      },
    ],
    alarmStates: over.alarmStates ?? [
      { name: 'payments-errors', state: 'OK' },
      { name: 'payments-p99', state: 'INSUFFICIENT_DATA' },
    ],
    ...(over.analysis ? { analysis: over.analysis } : {}),
  };
  return JSON.parse(JSON.stringify(contractShaped));
}

const ended = {
  phase: 'ended',
  bakeStartedAt: undefined,
  bakeEndsAt: undefined,
  nextShiftAt: undefined,
  nextPercent: undefined,
};

/** An analysis check as the API words it; `last` merged over a Successful run at 30 %. */
function check(name: string, last?: Record<string, unknown>, counts: Record<string, number> = {}) {
  const relative = name === 'errors';
  return {
    check: name,
    metric: relative ? 'errorRate' : 'latencyP99',
    condition: relative ? '≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %' : '≤ 400 ms',
    minSamples: 50,
    intervalSeconds: 60,
    limits: { failure: 0, inconclusive: 3, error: 3 },
    counts: { runs: 1, failed: 0, inconclusive: 0, errors: 0, ...counts },
    ...(last
      ? {
          last: {
            verdict: 'Successful',
            value: relative ? 0.004 : 182,
            samples: 812,
            ...(relative ? { baseline: { value: 0.005, samples: 7310 } } : {}),
            bound: relative ? 0.0125 : 400,
            reason: 'in words',
            at: '2026-11-24T10:20:00Z',
            point: 'interval',
            percent: 30,
            ...last,
          },
        }
      : {}),
  };
}
const failedErrors = check(
  'errors',
  { verdict: 'Failed', value: 0.04, point: 'bake' },
  { runs: 3, failed: 1 },
);

describe('renderWatch', () => {
  it.each([
    {
      what: 'mid-bake: step, bar, time left, the next shift, hooks and alarms',
      body: body(),
      lines: [
        `${ID}  payments  version 7  IN_PROGRESS`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  step 3/10    ██████░░░░░░░░░░░░░░  30 %  baking, 42s left',
        '  next shift   40 % at 10:21:00 UTC, in 42s',
        '  hook         BeforeAllowTraffic  payments-smoke  Succeeded (2 attempts)',
        '  alarm        payments-errors  OK',
        '  alarm        payments-p99     INSUFFICIENT_DATA',
      ],
    },
    {
      what: 'the time of day, not a countdown, when the clocks disagree (local mode’s runs ahead)',
      body: body({ hooks: [], alarmStates: [] }),
      now: NOW - 40 * 60_000,
      lines: [
        `${ID}  payments  version 7  IN_PROGRESS`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  step 3/10    ██████░░░░░░░░░░░░░░  30 %  baking until 10:21:00 UTC',
        '  next shift   40 % at 10:21:00 UTC',
      ],
    },
    {
      what: 'before the first shift: a hook asking to be called back, with its reason',
      body: body({
        deployment: { percent: 0 },
        progress: {
          step: 0,
          steps: 2,
          percent: 0,
          phase: 'hooks',
          bakeStartedAt: undefined,
          bakeEndsAt: undefined,
          nextShiftAt: undefined,
          nextPercent: undefined,
        },
        hooks: [
          {
            event: 'BeforeAllowTraffic',
            hooks: [
              {
                functionName: 'orders-smoke',
                status: 'InProgress',
                attempts: 3,
                reason: 'waiting for the database',
                startedAt: 'x',
              },
              { functionName: 'orders-contract-test', status: 'Pending', attempts: 0, startedAt: 'x' },
            ],
          },
        ],
        alarmStates: [],
      }),
      lines: [
        `${ID}  payments  version 7  IN_PROGRESS`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  step 0/2     ░░░░░░░░░░░░░░░░░░░░  0 %  running hooks',
        '  hook         BeforeAllowTraffic  orders-smoke          InProgress (3 attempts) — waiting for the database',
        '  hook         BeforeAllowTraffic  orders-contract-test  Pending',
      ],
    },
    {
      what: 'an ECS termination wait ending',
      body: body({
        deployment: { percent: 100, configName: 'CodeDeployDefault.ECSAllAtOnce' },
        progress: {
          step: 1,
          steps: 1,
          percent: 100,
          phase: 'terminationWait',
          bakeEndsAt: '2026-11-24T10:20:17Z',
          nextShiftAt: undefined,
          nextPercent: undefined,
        },
        hooks: [],
        alarmStates: [],
      }),
      lines: [
        `${ID}  payments  version 7  IN_PROGRESS`,
        '  config       CodeDeployDefault.ECSAllAtOnce',
        '  step 1/1     ████████████████████  100 %  termination wait, ending',
      ],
    },
    {
      what: 'rolled back by an alarm: the reason, no next shift',
      body: body({
        deployment: { status: 'ROLLED_BACK', percent: 0, reason: 'alarm payments-errors is in ALARM' },
        progress: { percent: 0, ...ended, nextShiftAt: '2026-11-24T10:21:00Z', nextPercent: 40 },
        alarmStates: [{ name: 'payments-errors', state: 'ALARM' }],
      }),
      lines: [
        `${ID}  payments  version 7  ROLLED_BACK — alarm payments-errors is in ALARM`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  step 3/10    ░░░░░░░░░░░░░░░░░░░░  0 %  ended',
        '  hook         BeforeAllowTraffic  payments-smoke  Succeeded (2 attempts)',
        '  alarm        payments-errors  ALARM',
      ],
    },
    {
      what: 'on AWS, with the link to the execution',
      body: body({
        deployment: {
          status: 'SUCCEEDED',
          percent: 100,
          executionUrl:
            'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/x',
        },
        progress: { step: 10, percent: 100, ...ended },
        hooks: [],
        alarmStates: [],
      }),
      lines: [
        `${ID}  payments  version 7  SUCCEEDED`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  step 10/10   ████████████████████  100 %  ended',
        '  execution    https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/x',
      ],
    },
    {
      what: 'a line per analysis check: its last verdict with the numbers, where it ran, its counts',
      body: body({
        hooks: [],
        alarmStates: [],
        analysis: [
          failedErrors,
          check(
            'p99',
            {
              verdict: 'Inconclusive',
              value: 182,
              samples: 12,
              reason: 'latencyP99 182 ms over 12 samples: fewer than the 50 needed to judge',
            },
            { runs: 2, inconclusive: 1 },
          ),
          check('throttled'),
        ],
      }),
      lines: [
        `${ID}  payments  version 7  IN_PROGRESS`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  step 3/10    ██████░░░░░░░░░░░░░░  30 %  baking, 42s left',
        '  next shift   40 % at 10:21:00 UTC, in 42s',
        "  analysis     errors     Failed  4.00 % > 1.25 % (baseline 0.50 %), 812 samples  · at 30 %, bake's end; 3 runs, 1 failed of 0 allowed",
        '  analysis     p99        Inconclusive  latencyP99 182 ms over 12 samples: fewer than the 50 needed to judge  · at 30 %, mid-bake; 2 runs, 1 inconclusive of 3 allowed',
        '  analysis     throttled  not run yet  (≤ 400 ms)',
      ],
    },
    {
      what: 'an API without progress yet: the percent alone',
      body: body({ progress: undefined, hooks: [], alarmStates: [] }),
      lines: [
        `${ID}  payments  version 7  IN_PROGRESS`,
        '  config       CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        '  traffic      ██████░░░░░░░░░░░░░░  30 %',
      ],
    },
  ] as { what: string; body: WatchBody; now?: number; lines: string[] }[])(
    'draws $what',
    ({ body, now, lines }) => {
      expect(renderWatch(body, now ?? NOW)).toEqual(lines);
    },
  );
});

describe('renderChanges', () => {
  it.each([
    {
      what: 'everything the first time',
      prev: undefined,
      next: body(),
      lines: [
        `${ID}  payments  version 7  CodeDeployDefault.LambdaLinear10PercentEvery1Minute`,
        'status IN_PROGRESS',
        'step 3/10  ██████░░░░░░░░░░░░░░  30 %',
        'baking 1m, then 40 % at 10:21:00 UTC',
        'hook BeforeAllowTraffic payments-smoke: Succeeded (2 attempts)',
        'alarm payments-errors: OK',
        'alarm payments-p99: INSUFFICIENT_DATA',
      ],
    },
    { what: 'nothing when nothing changed', prev: body(), next: body(), lines: [] },
    {
      what: 'the next step and its bake',
      prev: body(),
      next: body({
        deployment: { percent: 40 },
        progress: {
          step: 4,
          percent: 40,
          bakeStartedAt: '2026-11-24T10:21:00Z',
          bakeEndsAt: '2026-11-24T10:22:00Z',
          nextShiftAt: '2026-11-24T10:22:00Z',
          nextPercent: 50,
        },
      }),
      lines: ['step 4/10  ████████░░░░░░░░░░░░  40 %', 'baking 1m, then 50 % at 10:22:00 UTC'],
    },
    {
      what: 'an alarm firing and the rollback it causes',
      prev: body(),
      next: body({
        deployment: { status: 'ROLLING_BACK', reason: 'alarm payments-errors is in ALARM' },
        progress: {
          phase: 'rollingBack',
          bakeStartedAt: undefined,
          bakeEndsAt: undefined,
          nextShiftAt: undefined,
          nextPercent: undefined,
        },
        alarmStates: [
          { name: 'payments-errors', state: 'ALARM' },
          { name: 'payments-p99', state: 'INSUFFICIENT_DATA' },
        ],
      }),
      lines: [
        'status ROLLING_BACK — alarm payments-errors is in ALARM',
        'rolling back',
        'alarm payments-errors: ALARM',
      ],
    },
    {
      what: 'a hook’s new answer',
      prev: body({
        hooks: [
          {
            event: 'AfterAllowTraffic',
            hooks: [{ functionName: 'contract', status: 'InProgress', attempts: 1 }],
          },
        ],
      }),
      next: body({
        hooks: [
          {
            event: 'AfterAllowTraffic',
            hooks: [
              { functionName: 'contract', status: 'Failed', attempts: 2, reason: '3 of 40 checks failed' },
            ],
          },
        ],
      }),
      lines: ['hook AfterAllowTraffic contract: Failed (2 attempts) — 3 of 40 checks failed'],
    },
    {
      what: 'each analysis check the first time: its verdict, or its condition before it ran',
      prev: undefined,
      next: body({ hooks: [], alarmStates: [], analysis: [check('errors', {}), check('p99')] }),
      lines: [
        `${ID}  payments  version 7  CodeDeployDefault.LambdaLinear10PercentEvery1Minute`,
        'status IN_PROGRESS',
        'step 3/10  ██████░░░░░░░░░░░░░░  30 %',
        'baking 1m, then 40 % at 10:21:00 UTC',
        'analysis errors: Successful  0.40 % ≤ 1.25 % (baseline 0.50 %), 812 samples · at 30 %, mid-bake',
        'analysis p99: ≤ 400 ms, not run yet',
      ],
    },
    {
      what: 'a check whose verdict changed, and nothing for one that ran again with the same verdict',
      prev: body({ analysis: [check('errors', {}), check('p99', { value: 150 })] }),
      next: body({
        analysis: [failedErrors, check('p99', { value: 170 }, { runs: 2 })],
      }),
      lines: [
        "analysis errors: Failed  4.00 % > 1.25 % (baseline 0.50 %), 812 samples · at 30 %, bake's end",
      ],
    },
    {
      what: 'a check’s first run',
      prev: body({ analysis: [check('p99')] }),
      next: body({
        analysis: [
          check('p99', {
            verdict: 'Error',
            value: undefined,
            samples: 0,
            reason: 'latencyP99 could not be read: AccessDenied',
          }),
        ],
      }),
      lines: ['analysis p99: Error  latencyP99 could not be read: AccessDenied · at 30 %, mid-bake'],
    },
  ])('prints $what', ({ prev, next, lines }) => {
    expect(renderChanges(prev, next)).toEqual(lines);
  });
});

describe('a member of a release', () => {
  const member = (over: Record<string, unknown>) =>
    body({
      hooks: [],
      alarmStates: [],
      deployment: { release: { id: 'r-20261124101500-d4e5f6', wave: 1 }, ...over },
      progress: {
        step: 2,
        steps: 2,
        percent: 100,
        phase: 'finishing',
        bakeEndsAt: undefined,
        nextShiftAt: undefined,
      },
    });

  it('names its release and wave, and says while it holds at its commit point', () => {
    // Prepare
    const held = member({ percent: 100, releaseReadyAt: '2026-11-24T10:20:00Z' });

    // Act
    const frame = renderWatch(held, NOW);
    const log = renderChanges(member({ percent: 100 }), held);

    // Assess
    expect(frame[2]).toBe(
      '  release      wave 2 of release r-20261124101500-d4e5f6, at its commit point since 10:20:00 UTC: it finalizes when the release commits',
    );
    expect(log).toEqual([
      'at its commit point: waiting for the other members of release r-20261124101500-d4e5f6',
    ]);
  });

  it('names only its release and wave once it has ended', () => {
    const ended = member({ status: 'SUCCEEDED', releaseReadyAt: '2026-11-24T10:20:00Z' });
    expect(renderWatch(ended, NOW)[2]).toBe('  release      wave 2 of release r-20261124101500-d4e5f6');
  });
});

describe('follow', () => {
  const quiet = { write: () => {}, isTTY: false };

  it('gives up when the reads keep failing past the limit, having retried', async () => {
    let t = 0;
    let reads = 0;
    const warned: string[] = [];
    const failing = follow({
      read: async () => {
        reads++;
        if (reads === 1) return body();
        throw new ApiError(503, { error: 'ServiceUnavailable', message: 'busy' });
      },
      intervalMs: 1000,
      out: quiet,
      warn: (l) => warned.push(l),
      giveUpAfterMs: 10_000,
      clock: () => t,
      sleep: async (ms) => {
        t += ms;
      },
    });
    await expect(failing).rejects.toThrow('503 ServiceUnavailable: busy');
    expect(reads).toBe(12);
    expect(warned).toEqual(['503 ServiceUnavailable: busy; retrying']);
  });

  it('fails at once when the first read gets no answer: a wrong URL is not waited on', async () => {
    let reads = 0;
    const first = follow({
      read: async () => {
        reads++;
        throw new ApiUnreachable('cannot reach stepshift at http://127.0.0.1:1');
      },
      intervalMs: 1000,
      out: quiet,
      warn: () => {},
      sleep: async () => {},
    });
    await expect(first).rejects.toThrow('cannot reach stepshift');
    expect(reads).toBe(1);
  });
});

describe('stepshift status --watch against a stub API', () => {
  let stub: StubApi | undefined;
  afterEach(async () => {
    await stub?.close();
    stub = undefined;
  });

  async function run(script: Record<string, Answer[]>, argv: string[], tty?: { columns: number }) {
    stub = await stubApi(script);
    const out: string[] = [];
    const err: string[] = [];
    const drawn: string[] = [];
    const follows = argv.includes('--watch') || argv.includes('--wait');
    const code = await main([...argv, '--url', stub.url, ...(follows ? ['--interval', '0.1'] : [])], {
      out: (t) => out.push(t),
      err: (t) => err.push(t),
      ...(tty
        ? { terminal: { write: (t: string) => drawn.push(t), isTTY: true, columns: tty.columns } }
        : {}),
    });
    return { code, out, err, drawn };
  }

  const GET = `GET /deployments/${ID}`;
  const step4 = body({
    deployment: { percent: 40 },
    progress: {
      step: 4,
      percent: 40,
      bakeStartedAt: '2026-11-24T10:21:00Z',
      bakeEndsAt: '2026-11-24T10:22:00Z',
      nextShiftAt: '2026-11-24T10:22:00Z',
      nextPercent: 50,
    },
  });
  const succeeded = body({
    deployment: { status: 'SUCCEEDED', percent: 100 },
    progress: { step: 10, percent: 100, ...ended },
  });

  it('follows to SUCCEEDED and exits 0, through a 503 and a dropped connection, a line per change in a log', async () => {
    const { code, out, err } = await run(
      {
        [GET]: [
          { body: body() },
          { body: body() },
          { status: 503, body: { error: 'ServiceUnavailable', message: 'the store is busy' } },
          'reset',
          { body: step4 },
          { body: succeeded },
        ],
      },
      ['status', ID, '--watch'],
    );
    expect(code).toBe(0);
    expect(out).toEqual([
      `${ID}  payments  version 7  CodeDeployDefault.LambdaLinear10PercentEvery1Minute`,
      'status IN_PROGRESS',
      'step 3/10  ██████░░░░░░░░░░░░░░  30 %',
      'baking 1m, then 40 % at 10:21:00 UTC',
      'hook BeforeAllowTraffic payments-smoke: Succeeded (2 attempts)',
      'alarm payments-errors: OK',
      'alarm payments-p99: INSUFFICIENT_DATA',
      'step 4/10  ████████░░░░░░░░░░░░  40 %',
      'baking 1m, then 50 % at 10:22:00 UTC',
      'status SUCCEEDED',
      'step 10/10  ████████████████████  100 %',
    ]);
    expect(err[0]).toBe('stepshift: 503 ServiceUnavailable: the store is busy; retrying');
    expect(err[1]).toMatch(
      /^stepshift: cannot reach stepshift at http:\/\/127\.0\.0\.1:\d+: is `npm start` running\? \(.+\); retrying$/,
    );
    expect(err).toHaveLength(2);
  });

  it.each([
    ['ROLLED_BACK', 'alarm payments-errors is in ALARM'],
    ['FAILED', 'hook payments-smoke failed'],
    ['STOPPED', 'stopped without rollback'],
  ])('exits 1 when it ends %s', async (status, reason) => {
    const { code, out, err } = await run(
      { [GET]: [{ body: body() }, { body: body({ deployment: { status, reason }, progress: ended }) }] },
      ['status', ID, '--watch'],
    );
    expect(code).toBe(1);
    expect(out).toContain(`status ${status} — ${reason}`);
    expect(err).toEqual([]);
  });

  it('exits 2 with the API’s message when there is no such deployment', async () => {
    const { code, err } = await run({}, ['status', 'd-nope', '--watch']);
    expect(code).toBe(2);
    expect(err).toEqual(['stepshift: 404 NotFound: no route GET /deployments/d-nope']);
  });

  it('redraws the frame in place on a terminal, each line cut to its width', async () => {
    const { code, drawn, out } = await run(
      // The server's clock, as local mode's virtual one says it: the bake's time left is counted from it.
      { [GET]: [{ body: body() }, { body: { ...step4, now: '2026-11-24T10:21:00Z' } }, { body: succeeded }] },
      ['status', ID, '--watch'],
      {
        columns: 60,
      },
    );
    expect(code).toBe(0);
    expect(out).toEqual([]);
    expect(drawn).toHaveLength(3);
    const lines = (frame: string) =>
      frame
        .replace(new RegExp(`^${ESC}\\[\\d+F${ESC}\\[J`), '')
        .trimEnd()
        .split('\n');
    expect(drawn[0]?.startsWith('\x1b[')).toBe(false);
    expect(drawn[1]?.startsWith(`\x1b[${lines(drawn[0] ?? '').length}F\x1b[J`)).toBe(true);
    expect(drawn[2]?.startsWith(`\x1b[${lines(drawn[1] ?? '').length}F\x1b[J`)).toBe(true);
    expect(lines(drawn[1] ?? '')).toContain('  step 4/10    ████████░░░░░░░░░░░░  40 %  baking, 1m left');
    expect(lines(drawn[2] ?? '')[0]).toBe(`${ID}  payments  version 7  SUCCEEDED`);
    for (const frame of drawn) for (const line of lines(frame)) expect(line.length).toBeLessThan(60);
  });

  it('with --json prints each new body as one line of JSON, a moving server clock being no change', async () => {
    const at = (now: string) => ({ body: { ...body(), now } });
    const script = [at('2026-11-24T10:20:18Z'), at('2026-11-24T10:20:19Z'), { body: succeeded }];
    const { code, out } = await run({ [GET]: script }, ['status', ID, '--watch', '--json']);
    expect(code).toBe(0);
    expect(out.map((l) => JSON.parse(l))).toEqual([{ ...body(), now: '2026-11-24T10:20:18Z' }, succeeded]);
  });

  it('deploy --wait starts the deployment, then follows it to its outcome', async () => {
    const { code, out } = await run(
      {
        'POST /deployments': [
          {
            status: 201,
            body: {
              id: ID,
              status: 'CREATED',
              revision: '7',
              group: 'payments',
              configName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
            },
          },
        ],
        [GET]: [
          { body: body() },
          {
            body: body({
              deployment: { status: 'ROLLED_BACK', percent: 0, reason: 'alarm payments-errors is in ALARM' },
              progress: { percent: 0, ...ended },
            }),
          },
        ],
      },
      ['deploy', 'payments', '7', '--wait'],
    );
    expect(code).toBe(1);
    expect(out[0]).toBe(
      `${ID}: CREATED — version 7 to payments with CodeDeployDefault.LambdaLinear10PercentEvery1Minute`,
    );
    expect(out).toContain('status ROLLED_BACK — alarm payments-errors is in ALARM');
    expect(stub?.received[0]).toMatchObject({ method: 'POST', body: '{"group":"payments","revision":"7"}' });
  });

  it('prints the API’s body as it is with status --json, and the deployments array with list --json', async () => {
    const status = await run({ [GET]: [{ body: body() }] }, ['status', ID, '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out.join('\n'))).toEqual(body());
    await stub?.close();
    const list = await run({ 'GET /deployments': [{ body: { deployments: [body().deployment] } }] }, [
      'list',
      '--json',
      '--group',
      'payments',
    ]);
    expect(list).toMatchObject({ code: 0, err: [] });
    expect(JSON.parse(list.out.join('\n'))).toEqual([body().deployment]);
    expect(stub?.received[0]?.url).toBe('/deployments?group=payments');
  });

  it('prints a line per analysis check, and the analysis entries of the timeline, with status', async () => {
    const at = '2026-11-24T10:20:00.000Z';
    const answer = {
      ...body({ hooks: [], alarmStates: [], analysis: [failedErrors] }),
      timeline: [
        { at, kind: 'shift', message: '30 % on version 7' },
        { at, kind: 'analysis', message: 'errors Failed: errorRate 4.00 % over 812 samples > 1.25 %' },
      ],
    };
    const { code, out } = await run({ [GET]: [{ body: answer }] }, ['status', ID]);
    expect(code).toBe(0);
    expect(out).toContain(
      "  analysis     errors  Failed  4.00 % > 1.25 % (baseline 0.50 %), 812 samples  · at 30 %, bake's end; 3 runs, 1 failed of 0 allowed",
    );
    expect(out.slice(-3)).toEqual([
      '  timeline',
      `  ${at}  shift    30 % on version 7`,
      `  ${at}  analysis errors Failed: errorRate 4.00 % over 812 samples > 1.25 %`,
    ]);
  });

  it('fails at once, exit 1, when nothing answers at the URL', async () => {
    const out: string[] = [];
    const url = `http://127.0.0.1:${await closedPort()}`;
    const code = await main(['status', ID, '--watch', '--url', url], {
      out: (t) => out.push(t),
      err: (t) => out.push(t),
    });
    expect(code).toBe(1);
    expect(out).toEqual([
      `stepshift: cannot reach stepshift at ${url}: is \`npm start\` running? (ECONNREFUSED)`,
    ]);
  });
});
