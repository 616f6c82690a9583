import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGroupConfigFile } from '../../bin/cli.ts';
import type { HookProgress } from '../../functions/ports.ts';
import { loadLocalAccountFile } from '../../local/account-file.ts';
import { StepClock } from '../../local/clock.ts';
import { followDeployments, runLocal } from '../../local/demo.ts';
import {
  analysisRows,
  endDetails,
  formatRow,
  layoutFor,
  type StateEnd,
  servingLines,
  startLines,
  summaryLines,
  tableHeader,
  waitDetail,
} from '../../local/demo-output.ts';
import { startLocal } from '../../local/index.ts';
import { HEALTHY, seedAccount } from '../../local/seed.ts';
import { serveLocalApi } from '../../local/server.ts';

const layout = layoutFor(['orders-api', 'web']);
const min = 60_000;

describe('the demo table', () => {
  it('has a header over time, group, state, traffic on the new revision and detail', () => {
    expect(tableHeader(layout)).toBe('  TIME        GROUP       STATE                  ON NEW  DETAIL');
  });

  it.each([
    [
      'a shift, with the percent it set',
      { at: 107_000, state: 'ShiftTraffic', percent: 10, details: ['step 1 of 2'] },
      ['  T+1m 47s    orders-api  ShiftTraffic             10 %  step 1 of 2'],
    ],
    [
      'no detail: no trailing blanks',
      { at: 0, state: 'Finalize', percent: 100, details: [] },
      ['  T+0s        orders-api  Finalize                100 %'],
    ],
    [
      'several details, each under the first',
      { at: 3 * min, state: 'BeforeAllowTraffic', percent: 0, details: ['a in progress', 'waiting 20s'] },
      [
        '  T+3m        orders-api  BeforeAllowTraffic        0 %  a in progress',
        '                                                         waiting 20s',
      ],
    ],
    [
      'a percent that could not be read',
      { at: 1000, state: 'Prepare', percent: undefined, details: [] },
      ['  T+1s        orders-api  Prepare'],
    ],
  ])('lines up %s', (_, row, expected) => {
    expect(formatRow(layout, { since: 0, group: 'orders-api', ...row })).toEqual(expected);
    // Every row's columns start where the header's do.
    const header = tableHeader(layout);
    const first = expected[0] ?? '';
    expect(first.indexOf(row.state)).toBe(header.indexOf('STATE'));
  });

  it('is as wide as the longest group name', () => {
    expect(layoutFor(['a'])).toEqual({ groupWidth: 'GROUP'.length });
    expect(layoutFor(['a-very-long-group-name', 'b'])).toEqual({ groupWidth: 22 });
  });
});

const hook = (functionName: string, status: HookProgress['status'], reason?: string): HookProgress => ({
  functionName,
  status,
  startedAt: '2026-01-01T00:00:00.000Z',
  attempts: 1,
  ...(reason ? { reason } : {}),
});
const deployment = { alarms: ['orders-api-5xx'], status: 'IN_PROGRESS' as const };

describe('the detail of a task state as it ends', () => {
  it.each<[string, StateEnd, string[]]>([
    [
      'Prepare: the steps to come',
      { state: 'Prepare', output: { plan: { stepCount: 2 } } },
      ['2 steps to shift'],
    ],
    ['Prepare: one step', { state: 'Prepare', output: { plan: { stepCount: 1 } } }, ['1 step to shift']],
    [
      'ShiftTraffic: which step of how many, and the alarms it checked before and after the shift',
      {
        state: 'ShiftTraffic',
        output: { plan: { stepCount: 10 }, shift: { stepIndex: 2, percent: 30 } },
        deployment,
      },
      ['step 3 of 10', 'not in ALARM: orders-api-5xx'],
    ],
    [
      'ShiftTraffic: no alarms',
      {
        state: 'ShiftTraffic',
        output: { plan: { stepCount: 10 }, shift: { stepIndex: 2, percent: 30 } },
        deployment: { ...deployment, alarms: [] },
      },
      ['step 3 of 10', 'no alarms watched'],
    ],
    [
      'a bake that ran its time (States.Timeout)',
      {
        state: 'Bake',
        input: { shift: { percent: 10, bakeSeconds: 300 } },
        failure: { error: 'States.Timeout', cause: 'bake of 300 s elapsed' },
      },
      ['baked 5m'],
    ],
    [
      'a bake an alarm ended',
      {
        state: 'Bake',
        input: { shift: { percent: 10, bakeSeconds: 60 } },
        failure: { error: 'AlarmFired', cause: 'alarm payments-errors in ALARM' },
      },
      ['✗ AlarmFired: alarm payments-errors in ALARM'],
    ],
    [
      'a bake a promote ended',
      { state: 'Bake', input: { shift: { bakeSeconds: 60 } } },
      ['ended early: promoted'],
    ],
    [
      'the termination wait that ran its time',
      {
        state: 'TerminationWait',
        input: { plan: { terminationWaitSeconds: 300 } },
        failure: { error: 'States.Timeout', cause: 'bake of 300 s elapsed' },
      },
      ['waited 5m'],
    ],
    [
      'a hook still deciding, and the wait before asking again',
      {
        state: 'BeforeAllowTraffic',
        output: { hooks: { done: false, waitSeconds: 20 } },
        hooks: [hook('smoke', 'InProgress', 'still checking (1 of 2)'), hook('contract', 'Succeeded')],
      },
      [
        'smoke in progress — still checking (1 of 2)',
        'contract succeeded',
        'waiting 20s, then asking the hooks again',
      ],
    ],
    [
      'at the next call, only the hooks whose status or reason changed',
      {
        state: 'BeforeAllowTraffic',
        output: { hooks: { done: true, waitSeconds: 0 } },
        previousHooks: [
          hook('smoke', 'InProgress', 'still checking (1 of 2)'),
          hook('contract', 'Succeeded'),
        ],
        hooks: [hook('smoke', 'Succeeded', 'passed on 2'), hook('contract', 'Succeeded')],
      },
      ['smoke succeeded — passed on 2'],
    ],
    [
      'a lifecycle event without hooks',
      { state: 'AfterInstall', output: { hooks: { done: true, waitSeconds: 0 } } },
      ['no hooks'],
    ],
    [
      'a failed hook, once (not again as the workflow error)',
      {
        state: 'AfterAllowTraffic',
        hooks: [hook('contract', 'Failed', 'contract broken')],
        failure: { error: 'HookFailed', cause: 'AfterAllowTraffic hook contract failed: contract broken' },
      },
      ['contract failed — contract broken'],
    ],
    [
      'an alarm seen by a hook task',
      {
        state: 'AfterAllowTraffic',
        previousHooks: [hook('contract', 'InProgress')],
        hooks: [hook('contract', 'InProgress')],
        failure: { error: 'AlarmFired', cause: 'alarm orders-api-5xx in ALARM' },
      },
      ['✗ AlarmFired: alarm orders-api-5xx in ALARM'],
    ],
    [
      "a Lambda error's JSON cause, and a retry",
      {
        state: 'ShiftTraffic',
        failure: { error: 'Lambda.ServiceException', cause: '{"errorMessage":"rate exceeded"}' },
        retrying: true,
      },
      ['✗ Lambda.ServiceException: rate exceeded — retrying'],
    ],
    [
      'Install: the task definition',
      {
        state: 'Install',
        output: { install: { taskDefinition: 'arn:aws:ecs:us-east-1:1:task-definition/web:2' } },
      },
      ['task definition web:2'],
    ],
    [
      'CheckSteady: not yet, and the next check',
      { state: 'CheckSteady', output: { steady: { steady: false } } },
      ['the new service is not steady yet: checking again in 15s'],
    ],
    [
      'CheckSteady: steady',
      { state: 'CheckSteady', output: { steady: { steady: true } } },
      ['the new service is steady'],
    ],
    [
      'RollBack: where the traffic went back to',
      {
        state: 'RollBack',
        deployment: {
          ...deployment,
          status: 'ROLLED_BACK',
          lastRouting: { kind: 'lambda', version: '1', additionalVersionWeights: {} },
        },
      },
      ['ROLLED_BACK, routing now 100 % on version 1'],
    ],
    ['Finalize: nothing to add', { state: 'Finalize', deployment }, []],
  ])('%s', (_, end, expected) => {
    expect(endDetails(end)).toEqual(expected);
  });
});

describe('a wait as it begins', () => {
  it.each([
    ['Bake', { shift: { percent: 10, bakeSeconds: 300 } }, 'baking 5m at 10 %, until T+6m 56s'],
    ['Bake', { shift: { percent: 90, bakeSeconds: 60 } }, 'baking 1m at 90 %, until T+2m 56s'],
    [
      'TerminationWait',
      { plan: { terminationWaitSeconds: 300 } },
      'termination wait 5m: the old service keeps its tasks until T+6m 56s',
    ],
    ['FinalBake', { shift: { percent: 100, bakeSeconds: 120 } }, 'baking 2m at 100 %, until T+3m 56s'],
    ['ShiftTraffic', {}, undefined],
  ])('%s %j → %s', (state, input, expected) => {
    expect(waitDetail(state, input, 116_000, 0)).toBe(expected);
  });
});

describe('the rows of analysis runs', () => {
  const at = (ms: number) => new Date(ms).toISOString();
  const checkoutLayout = layoutFor(['checkout']);

  it('prints one row per run (the entries of one window, and its notes), at its time, each check’s verdict with its numbers on a line', () => {
    const rows = analysisRows(
      checkoutLayout,
      'checkout',
      0,
      [
        { at: at(80_000), kind: 'shift', message: '10 % on version 2' },
        {
          at: at(140_000),
          kind: 'analysis',
          message: 'error-rate Failed: errorRate 4.05 % over 1038 samples > 1.21 % (…)',
          details: { check: 'error-rate', percent: 10, window: { to: at(140_000) } },
        },
        {
          at: at(141_300),
          kind: 'analysis',
          message: 'p99-latency Successful: latencyP99 119 ms over 1038 samples ≤ 300 ms (max)',
          details: { check: 'p99-latency', percent: 10, window: { to: at(140_000) } },
        },
        {
          at: at(200_000),
          kind: 'analysis',
          message: 'error-rate Inconclusive: errorRate: no data over 0 samples',
          details: { check: 'error-rate', window: { to: at(200_000) } },
        },
        {
          at: at(200_001),
          kind: 'analysis',
          message: 'error-rate inconclusive (1 of 3 allowed): measuring again',
        },
      ],
      100,
    );
    expect(rows).toEqual([
      '  T+2m 20s    checkout  analysis                 10 %  error-rate Failed: errorRate 4.05 % over 1038 samples > 1.21 % (…)',
      '                                                       p99-latency Successful: latencyP99 119 ms over 1038 samples ≤ 300 ms (max)',
      '  T+3m 20s    checkout  analysis                100 %  error-rate Inconclusive: errorRate: no data over 0 samples',
      '                                                       error-rate inconclusive (1 of 3 allowed): measuring again',
    ]);
  });

  it('prints nothing without analysis entries', () => {
    expect(analysisRows(checkoutLayout, 'checkout', 0, [], 10)).toEqual([]);
  });
});

describe('the banner', () => {
  it.each([
    ['the default port', 'http://127.0.0.1:4477', undefined, 'npx stepshift list'],
    ['another port', 'http://127.0.0.1:5000', undefined, 'npx stepshift list --url http://127.0.0.1:5000'],
    [
      'another port STEPSHIFT_URL names',
      'http://127.0.0.1:5000',
      'http://127.0.0.1:5000/',
      'npx stepshift list',
    ],
    [
      'the default port while STEPSHIFT_URL names another API',
      'http://127.0.0.1:4477',
      'https://abc.execute-api.eu-west-1.amazonaws.com/prod',
      'npx stepshift list --url http://127.0.0.1:4477',
    ],
    ['an empty STEPSHIFT_URL (unset)', 'http://127.0.0.1:4477', '', 'npx stepshift list'],
  ])('on %s says: %s', (_, url, env, command) => {
    expect(servingLines(url, env)).toEqual([`API on ${url}  (try: ${command})`, `Console: ${url}/`]);
  });
});

describe('the block that opens a deployment', () => {
  const d = {
    id: 'd-1',
    group: 'orders-api',
    kind: 'lambda' as const,
    revision: '3',
    configName: 'CodeDeployDefault.LambdaAllAtOnce',
  };
  it.each([
    ['the demo’s, by its title', d, 'a healthy version', '▶ a healthy version'],
    ['one started through the API', d, undefined, '▶ version 3 of orders-api (started through the API)'],
    [
      'one with a description',
      { ...d, description: 'hotfix' },
      undefined,
      '▶ hotfix (started through the API)',
    ],
    [
      'one an event started',
      { ...d, kind: 'ecs' as const, revision: 'web:9', trigger: 'event e-1 (ecrPush)' },
      undefined,
      '▶ revision web:9 of orders-api (started by event e-1 (ecrPush))',
    ],
  ])('%s', (_, deployment, title, heading) => {
    const [blank, first, second, header] = startLines(layout, deployment, title);
    expect([blank, first, header]).toEqual(['', heading, tableHeader(layout)]);
    expect(second).toMatch(
      /^ {2}d-1: (version 3|revision web:9) → orders-api with CodeDeployDefault\.LambdaAllAtOnce$/,
    );
  });

  it('ends with a summary', () => {
    expect(
      summaryLines({
        status: 'ROLLED_BACK',
        reason: 'alarm payments-errors in ALARM',
        createdAt: '2026-01-01T00:00:00.000Z',
        endedAt: '2026-01-01T00:01:19.000Z',
        lastRouting: { kind: 'lambda', version: '1', additionalVersionWeights: {} },
      }),
    ).toEqual([
      '  ■ ROLLED_BACK after 1m 19s of virtual time — alarm payments-errors in ALARM',
      '    routing now: 100 % on version 1',
    ]);
  });
});

const groups = () => loadGroupConfigFile('stepshift.config.json');

describe('the printer', () => {
  it('prints a deployment started through the API while local mode serves, like the demo’s', async () => {
    const config = groups();
    const accountFile = loadLocalAccountFile('stepshift.local.json', config);
    const clock = new StepClock(Date.parse('2026-01-01T00:00:00Z'));
    const local = await startLocal({
      groups: config,
      clock,
      traffic: false,
      seed: (account) => seedAccount(account, config, accountFile),
    });
    const api = await serveLocalApi(local.ctx, 0);
    const lines: string[] = [];
    try {
      followDeployments(local, (l) => lines.push(l), layoutFor(Object.keys(config.groups)));
      const version = local.account.publishVersion('orders-api', HEALTHY);
      const answer = await fetch(`${api.url}/deployments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ group: 'orders-api', revision: version }),
      });
      const { id } = (await answer.json()) as { id: string };
      await clock.run(local.workflow.execution(id)?.done ?? Promise.reject(new Error('not started')));

      const rows = lines
        .filter((l) => l.startsWith('  T+'))
        .map((l) => l.replace(/^ {2}T\+\S+( \S+s)?\s+/, ''));
      expect(lines.slice(0, 4)).toEqual([
        '',
        `▶ version ${version} of orders-api (started through the API)`,
        `  ${id}: version ${version} → orders-api with CodeDeployDefault.LambdaCanary10Percent5Minutes`,
        '  TIME        GROUP       STATE                  ON NEW  DETAIL',
      ]);
      expect(rows).toEqual([
        'orders-api  Prepare                   0 %  2 steps to shift',
        `orders-api  BeforeAllowTraffic        0 %  orders-api-smoke-test in progress — orders-api-smoke-test is still checking ${version} (1 of 1)`,
        `orders-api  BeforeAllowTraffic        0 %  orders-api-smoke-test succeeded — orders-api-smoke-test passed on ${version} (local behaviour in-progress:1)`,
        'orders-api  ShiftTraffic             10 %  step 1 of 2',
        'orders-api  Bake                     10 %  baking 5m at 10 %, until T+5m 20s',
        'orders-api  Bake                     10 %  baked 5m',
        'orders-api  ShiftTraffic            100 %  step 2 of 2',
        `orders-api  AfterAllowTraffic       100 %  orders-api-contract-test succeeded — orders-api-contract-test passed on ${version} (local behaviour succeed)`,
        'orders-api  Finalize                100 %',
      ]);
      // Each ShiftTraffic says, on the line below its row, the alarms it found not in ALARM.
      const below = (row: string) => lines[lines.findIndex((l) => l.endsWith(row)) + 1]?.trim();
      for (const row of ['step 1 of 2', 'step 2 of 2'])
        expect(below(row)).toBe('not in ALARM: orders-api-5xx, orders-api-p99-latency');
      // The hook's poll waits its 20 s; the bake its 5 minutes.
      expect(lines).toContainEqual(expect.stringMatching(/^ +waiting 20s, then asking the hooks again$/));
      expect(lines).toContainEqual(
        expect.stringMatching(/^ {2}T\+5m 20s +orders-api +Bake +10 % +baked 5m$/),
      );
      expect(lines).toContain(`  ── ${id} IN_PROGRESS → SUCCEEDED`);
      expect(lines.slice(-2)).toEqual([
        '  ■ SUCCEEDED after 5m 20s of virtual time',
        `    routing now: 100 % on version ${version}`,
      ]);
    } finally {
      await api.close();
      await local.close();
    }
  });
});

describe('npm start', () => {
  it('prints the demo as a table: the percent after each shift, the bakes and the hooks’ reasons', async () => {
    const config = groups();
    const lines: string[] = [];
    const { outcomes } = await runLocal({
      groups: config,
      accountFile: loadLocalAccountFile('stepshift.local.json', config),
      speed: 600,
      dataDir: mkdtempSync(join(tmpdir(), 'stepshift-demo-output-')),
      port: 0,
      demo: true,
      exitAfterDemo: true,
      print: (l) => lines.push(l),
    });
    expect(outcomes).toEqual({
      'orders-api': 'SUCCEEDED',
      payments: 'ROLLED_BACK',
      checkout: 'ROLLED_BACK',
      web: 'SUCCEEDED',
    });
    const out = lines.join('\n');
    expect(lines.filter((l) => l === tableHeader(layoutFor(Object.keys(config.groups))))).toHaveLength(4);
    expect(out).toMatch(/^ {2}T\+\S+( \S+)? +orders-api +ShiftTraffic +10 % +step 1 of 2$/m);
    expect(out).toMatch(/^ {2}T\+\S+( \S+)? +orders-api +ShiftTraffic +100 % +step 2 of 2$/m);
    expect(out).toMatch(/orders-api +Bake +10 % +baking 5m at 10 %, until T\+/);
    expect(out).toMatch(
      /orders-api +BeforeAllowTraffic +0 % +orders-api-smoke-test in progress — .*still checking/,
    );
    expect(out).toMatch(/waiting 20s, then asking the hooks again/);
    expect(out).toMatch(/payments +\S+ +10 % +✗ AlarmFired: alarm payments-errors (entered|in) ALARM/);
    // Checkout's subtle regression: its alias alarm stays OK, an analysis run mid-bake prints the numbers —
    // the revision's error rate and samples beside the baseline's — and the bake ends in a rollback.
    expect(out).toMatch(
      /checkout +analysis +10 % +error-rate Failed: errorRate \d+\.\d\d % over \d+ samples > \d+\.\d\d % \(baseline \d+\.\d\d % × 1\.5 \+ 0\.50 %, over \d+ samples\)\n +p99-latency Successful: latencyP99 119 ms over \d+ samples ≤ 300 ms \(max\)$/m,
    );
    expect(out).toMatch(
      /checkout +Bake +10 % +✗ AnalysisFailed: analysis error-rate failed at 10 %: errorRate/,
    );
    expect(out).not.toMatch(/checkout-errors (entered|in) ALARM/);
    expect(out).toMatch(
      /■ ROLLED_BACK after .* — analysis error-rate failed at 10 %: errorRate .* samples\)$/m,
    );
    expect(out).toMatch(/web +TerminationWait +100 % +termination wait 5m/);
    expect(out).toContain('routing now: 0 % on web-blue, 100 % on web-green');
  }, 60_000);
});
