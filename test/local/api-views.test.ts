/**
 * The views an operator watches, over a real local deployment (the ASL in the local engine, dynalite,
 * the simulated account, a StepClock): GET /deployments/{id} with its progress, hooks and live alarms;
 * GET /deployments/{id}/execution, the engine's event log; GET /groups with live routing, the active
 * deployment and the last outcome.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { HttpResponse } from '../../functions/api/http.ts';
import type {
  ApiContext,
  DeploymentDetail,
  ExecutionView,
  GroupView,
} from '../../functions/api/operations.ts';
import { route } from '../../functions/api/routes.ts';
import type { AnalysisCheck } from '../../functions/core/analysis.ts';
import type { Deployment } from '../../functions/core/deployment.ts';
import type { ExecutionEvent } from '../../functions/ports.ts';
import { type ExecutionRecord, LOCAL_HISTORY_PAGE, LocalExecutionHistory } from '../../local/engine.ts';
import { type Scenario, scenario } from '../workflow/harness.ts';

let s: Scenario | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

async function get(ctx: ApiContext, path: string, query: Record<string, string> = {}): Promise<HttpResponse> {
  return route(ctx, { method: 'GET', path, query, headers: {}, body: undefined });
}
const detail = async (ctx: ApiContext, id: string) =>
  (await get(ctx, `/deployments/${id}`)).body as DeploymentDetail;
const execution = async (ctx: ApiContext, id: string) =>
  (await get(ctx, `/deployments/${id}/execution`)).body as ExecutionView;
const group = async (ctx: ApiContext, name: string) =>
  ((await get(ctx, '/groups')).body as { groups: GroupView[] }).groups.find((g) => g.name === name);

/** The states entered, in order: the path the execution took. */
const path = (events: ExecutionEvent[]) =>
  events.filter((e) => e.type === 'StateEntered').map((e) => e.state);

describe('the views of a local deployment', () => {
  it('show a deployment mid-bake, then the path it took to its rollback', async () => {
    // Prepare: a 30-minute canary with a hook and an alarm, caught mid-bake.
    s = await scenario(
      {
        payments: {
          deploymentConfig: 'LambdaCanary10Percent30Minutes',
          alarms: ['payments-errors'],
          hooks: { BeforeAllowTraffic: ['smoke'] },
        },
      },
      { hooks: { smoke: () => ({ status: 'Succeeded', reason: 'all green' }) } },
    );
    const d = await s.deploy('payments', s.publish('payments'));
    await s.until(d, (x) => x.bakeToken !== undefined, 'the bake');
    const now = s.local.clock.now();

    // Act
    const baking = await detail(s.ctx, d.id);
    const running = await execution(s.ctx, d.id);
    const during = await group(s.ctx, 'payments');

    // Assess
    const { progress } = baking;
    expect(progress).toMatchObject({ step: 1, steps: 2, percent: 10, phase: 'baking', nextPercent: 100 });
    const started = Date.parse(progress.bakeStartedAt ?? '');
    expect(Date.parse(progress.bakeEndsAt ?? '') - started).toBe(30 * 60_000);
    expect(progress.nextShiftAt).toBe(progress.bakeEndsAt);
    expect(started).toBeLessThanOrEqual(now);
    expect(progress.planned).toEqual([
      { step: 1, percent: 10, atSeconds: 0, bakeSeconds: 1800 },
      { step: 2, percent: 100, atSeconds: 1800, bakeSeconds: 0 },
    ]);
    expect(progress.shifts).toEqual([{ at: expect.any(String), percent: 10 }]);
    expect(baking.hooks).toEqual([
      {
        event: 'BeforeAllowTraffic',
        hooks: [expect.objectContaining({ functionName: 'smoke', status: 'Succeeded', reason: 'all green' })],
      },
    ]);
    // No synthetic traffic in these scenarios: the alarm has no data points, and says so.
    expect(baking.alarmStates).toEqual([{ name: 'payments-errors', state: 'INSUFFICIENT_DATA' }]);

    expect(running).toMatchObject({ executionName: d.executionName, status: 'RUNNING' });
    expect(running.executionArn).toMatch(/:execution:stepshift-deployment:/);
    expect(running.nextToken).toBeUndefined();
    expect(running.events.slice(0, 2)).toEqual([
      { id: 1, timestamp: expect.any(String), type: 'ExecutionStarted' },
      { id: 2, timestamp: expect.any(String), type: 'StateEntered', state: 'Prepare' },
    ]);
    expect(running.events.map((e) => e.id)).toEqual(running.events.map((_, i) => i + 1));
    const times = running.events.map((e) => Date.parse(e.timestamp));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times.at(-1)).toBeLessThanOrEqual(now);
    expect(path(running.events)).toEqual([
      'Prepare',
      'ChooseKind',
      'BeforeAllowTraffic',
      'BeforeAllowTrafficDecided',
      'ShiftTraffic',
      'ChooseNext',
      'Bake',
    ]);

    expect(during).toMatchObject({
      name: 'payments',
      kind: 'lambda',
      routing: { description: '90 % on version 1, 10 % on version 2', percentNew: 10 },
      active: { id: d.id, status: 'IN_PROGRESS', percent: 10, revision: '2' },
    });
    expect(during?.routing?.revision).toBeUndefined();
    expect(during?.last).toBeUndefined();

    // Act: the alarm fires mid-bake; the deployment rolls back.
    s.local.account.setAlarmState('payments-errors', 'ALARM');
    const { deployment } = await s.finished(d);
    const ended = await detail(s.ctx, d.id);
    const history = await execution(s.ctx, d.id);
    const after = await group(s.ctx, 'payments');

    // Assess
    expect(deployment.status).toBe('ROLLED_BACK');
    expect(ended.progress).toMatchObject({ phase: 'ended', percent: 0, step: 1 });
    expect(ended.progress.shifts.map((x) => x.percent)).toEqual([10, 0]);
    expect(ended.alarmStates).toEqual([{ name: 'payments-errors', state: 'ALARM' }]);

    expect(history.status).toBe('FAILED');
    expect(path(history.events)).toEqual([
      'Prepare',
      'ChooseKind',
      'BeforeAllowTraffic',
      'BeforeAllowTrafficDecided',
      'ShiftTraffic',
      'ChooseNext',
      'Bake',
      'RollBack',
      'HowItEnded',
      'DeploymentRolledBack',
    ]);
    const fromBake = history.events.slice(history.events.findIndex((e) => e.state === 'Bake'));
    expect(fromBake.map(({ type, state, error }) => ({ type, state, ...(error ? { error } : {}) }))).toEqual([
      { type: 'StateEntered', state: 'Bake' },
      { type: 'StateFailed', state: 'Bake', error: 'AlarmFired' },
      { type: 'StateCaught', state: 'Bake' },
      { type: 'StateEntered', state: 'RollBack' },
      { type: 'StateExited', state: 'RollBack' },
      { type: 'StateEntered', state: 'HowItEnded' },
      { type: 'StateExited', state: 'HowItEnded' },
      { type: 'StateEntered', state: 'DeploymentRolledBack' },
      { type: 'ExecutionFailed', error: 'AlarmFired' },
    ]);
    expect(history.events.at(-1)?.cause).toMatch(/payments-errors/);

    expect(after).toMatchObject({
      routing: { description: '100 % on version 1', revision: '1' },
      last: { id: d.id, status: 'ROLLED_BACK', revision: '2', endedAt: deployment.endedAt },
    });
    expect(after?.active).toBeUndefined();
    expect(after?.routing?.percentNew).toBeUndefined();
  });

  it('shows a succeeded deployment as the last, its version live', async () => {
    // Prepare
    s = await scenario({ orders: { deploymentConfig: 'LambdaCanary10Percent5Minutes' } });
    const d = await s.deploy('orders', s.publish('orders'));

    // Act
    await s.finished(d);
    const after = await group(s.ctx, 'orders');
    const history = await execution(s.ctx, d.id);

    // Assess
    expect(after).toMatchObject({
      routing: { description: '100 % on version 2', revision: '2' },
      last: { id: d.id, status: 'SUCCEEDED', revision: '2' },
    });
    expect(history.status).toBe('SUCCEEDED');
    // A bake ends as its timeout, caught into the next check: no StateExited follows the catch.
    const bake = history.events.filter((e) => e.state === 'Bake').map((e) => [e.type, e.error]);
    expect(bake).toEqual([
      ['StateEntered', undefined],
      ['StateFailed', 'States.Timeout'],
      ['StateCaught', undefined],
    ]);
    expect(history.events.slice(-3).map((e) => [e.type, e.state])).toEqual([
      ['StateEntered', 'DeploymentSucceeded'],
      ['StateExited', 'DeploymentSucceeded'],
      ['ExecutionSucceeded', undefined],
    ]);
  });

  it('answers NOT_STARTED for a deployment whose execution has not started, 404 for none, 400 for a bad token', async () => {
    // Prepare: a deployment recorded, its execution not started.
    s = await scenario({ orders: {} });
    const now = new Date(s.local.clock.now()).toISOString();
    const recorded: Deployment = {
      id: 'd-unstarted',
      group: 'orders',
      kind: 'lambda',
      revision: '2',
      configName: 'CodeDeployDefault.LambdaAllAtOnce',
      schedule: { steps: [{ percent: 100, bakeSeconds: 0 }], totalSeconds: 0 },
      alarms: [],
      autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      status: 'CREATED',
      percent: 0,
      stepIndex: -1,
      executionName: 'd-unstarted',
      createdAt: now,
      updatedAt: now,
    };
    await s.ctx.store.create(recorded);

    // Act
    const unstarted = await get(s.ctx, '/deployments/d-unstarted/execution');
    const unknown = await get(s.ctx, '/deployments/d-none/execution');
    const badToken = await get(s.ctx, '/deployments/d-unstarted/execution', { nextToken: 'x' });
    const extra = await get(s.ctx, '/deployments/d-unstarted/execution', { page: '2' });

    // Assess
    expect(unstarted).toEqual({
      status: 200,
      body: { executionName: 'd-unstarted', status: 'NOT_STARTED', events: [] },
    });
    expect(unknown).toMatchObject({ status: 404, body: { error: 'NotFound' } });
    expect(badToken).toMatchObject({
      status: 400,
      body: { error: 'ValidationError', details: { problems: [{ path: 'nextToken' }] } },
    });
    expect(extra).toMatchObject({ status: 400, body: { details: { problems: [{ path: 'page' }] } } });
  });

  it('answers every group although one group’s routing cannot be read', async () => {
    // Prepare
    s = await scenario({ orders: {}, payments: {} });
    const { router } = s.ctx;
    const ctx: ApiContext = {
      ...s.ctx,
      router: {
        ...router,
        current: (g) =>
          g.name === 'orders'
            ? Promise.reject(new Error('AccessDeniedException: not authorized to GetAlias'))
            : router.current(g),
      },
    };

    // Act
    const res = await get(ctx, '/groups');

    // Assess
    expect(res.status).toBe(200);
    const groups = (res.body as { groups: GroupView[] }).groups;
    expect(groups.find((g) => g.name === 'orders')).toMatchObject({
      routingError: 'AccessDeniedException: not authorized to GetAlias',
    });
    expect(groups.find((g) => g.name === 'orders')?.routing).toBeUndefined();
    expect(groups.find((g) => g.name === 'payments')).toMatchObject({
      routing: { description: '100 % on version 1', revision: '1' },
    });
  });

  it('shows an alarm it cannot read as UNREADABLE, not as a failed request', async () => {
    // Prepare
    s = await scenario({
      orders: { alarms: ['orders-errors'], deploymentConfig: 'LambdaCanary10Percent5Minutes' },
    });
    const d = await s.deploy('orders', s.publish('orders'));
    const ctx: ApiContext = {
      ...s.ctx,
      alarms: { states: () => Promise.reject(new Error('ThrottlingException: Rate exceeded')) },
    };

    // Act
    const res = await get(ctx, `/deployments/${d.id}`);

    // Assess
    expect(res.status).toBe(200);
    expect((res.body as DeploymentDetail).alarmStates).toEqual([
      { name: 'orders-errors', state: 'UNREADABLE' },
    ]);
  });
});

describe('the analysis of a deployment', () => {
  const check = (over: Partial<AnalysisCheck> & Pick<AnalysisCheck, 'name' | 'metric'>): AnalysisCheck => ({
    minSamples: 50,
    intervalSeconds: 60,
    failureLimit: 0,
    inconclusiveLimit: 3,
    onInconclusive: 'rollback',
    errorLimit: 3,
    onError: 'rollback',
    ...over,
  });
  const CHECKS = [
    check({ name: 'errors', metric: 'errorRate', max: 0.02, relative: { tolerance: 0.5, slack: 0.005 } }),
    check({
      name: 'p99',
      metric: 'latencyP99',
      relative: { tolerance: 0.2, slack: 0 },
      intervalSeconds: 120,
    }),
    check({
      name: 'queue',
      metric: { expression: 'MAX(queueDepth)', aggregate: 'maximum', local: 'errorRate' },
      max: 12.5,
    }),
  ];

  /** A deployment recorded mid-canary, `errors` failed once at 10 %, `p99` inconclusive, `queue` not run. */
  async function recorded(group: string): Promise<{ ctx: ApiContext; id: string }> {
    s = await scenario({ orders: {}, payments: {} });
    const payments = s.ctx.groups.groups.payments;
    if (!payments) throw new Error('no payments group');
    const ctx: ApiContext = {
      ...s.ctx,
      groups: { groups: { ...s.ctx.groups.groups, payments: { ...payments, analysis: CHECKS } } },
    };
    const now = new Date(s.local.clock.now()).toISOString();
    const d: Deployment = {
      id: `d-${group}`,
      group,
      kind: 'lambda',
      revision: '2',
      configName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      schedule: {
        steps: [
          { percent: 10, bakeSeconds: 300 },
          { percent: 100, bakeSeconds: 120 },
        ],
        totalSeconds: 420,
      },
      alarms: [],
      autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
      status: 'IN_PROGRESS',
      percent: 10,
      stepIndex: 0,
      executionName: `d-${group}`,
      shiftedAt: now,
      firstShiftAt: now,
      analysis: {
        errors: {
          runs: 3,
          failed: 1,
          inconclusive: 0,
          errors: 0,
          last: {
            check: 'errors',
            verdict: 'Failed',
            value: 0.04,
            samples: 812,
            baseline: { value: 0.005, samples: 7310 },
            bound: 0.0125,
            reason:
              'errorRate 4.00 % over 812 samples > 1.25 % (baseline 0.50 % × 1.5 + 0.50 %, over 7310 samples)',
            at: now,
            point: 'interval',
            percent: 10,
          },
        },
        p99: {
          runs: 1,
          failed: 0,
          inconclusive: 1,
          errors: 0,
          last: {
            check: 'p99',
            verdict: 'Inconclusive',
            value: 180,
            samples: 12,
            reason: 'latencyP99 180 ms over 12 samples: fewer than the 50 needed to judge',
            at: now,
            point: 'bake',
            percent: 10,
          },
        },
      },
      createdAt: now,
      updatedAt: now,
    };
    await s.ctx.store.create(d);
    return { ctx, id: d.id };
  }

  it('lists each check of the group with its condition in words, its counts against its limits, and its last run', async () => {
    // Prepare
    const { ctx, id } = await recorded('payments');

    // Act
    const { analysis } = await detail(ctx, id);

    // Assess
    expect(analysis.map((a) => [a.check, a.condition])).toEqual([
      ['errors', '≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %'],
      ['p99', '≤ baseline × 1.2'],
      ['queue', '≤ 12.5'],
    ]);
    expect(analysis[0]).toEqual({
      check: 'errors',
      metric: 'errorRate',
      condition: '≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %',
      minSamples: 50,
      intervalSeconds: 60,
      limits: { failure: 0, inconclusive: 3, error: 3 },
      counts: { runs: 3, failed: 1, inconclusive: 0, errors: 0 },
      last: {
        verdict: 'Failed',
        value: 0.04,
        samples: 812,
        baseline: { value: 0.005, samples: 7310 },
        bound: 0.0125,
        reason: expect.stringMatching(/^errorRate 4\.00 % over 812 samples > 1\.25 %/),
        at: expect.any(String),
        point: 'interval',
        percent: 10,
      },
    });
    expect(analysis[1]?.last).toMatchObject({
      verdict: 'Inconclusive',
      value: 180,
      samples: 12,
      point: 'bake',
    });
    expect(analysis[1]?.last?.baseline).toBeUndefined();
    expect(analysis[2]).toMatchObject({
      metric: { expression: 'MAX(queueDepth)', aggregate: 'maximum', local: 'errorRate' },
      counts: { runs: 0, failed: 0, inconclusive: 0, errors: 0 },
    });
    expect(analysis[2]?.last).toBeUndefined();
  });

  it('answers an empty list for a group without checks', async () => {
    // Prepare
    const { ctx, id } = await recorded('orders');

    // Act
    const body = await detail(ctx, id);

    // Assess
    expect(body.analysis).toEqual([]);
  });
});

describe('the local execution history', () => {
  const event = (id: number): ExecutionEvent => ({
    id,
    timestamp: new Date(Date.UTC(2026, 0, 1, 0, 0, id)).toISOString(),
    type: 'StateEntered',
    state: 'Bake',
  });
  const record = (events: number, status: ExecutionRecord['status'] = 'RUNNING'): ExecutionRecord => ({
    name: 'd-1',
    arn: 'arn:aws:states:us-east-1:000000000000:execution:stepshift-deployment:d-1',
    status,
    transitions: 0,
    history: Array.from({ length: events }, (_, i) => event(i + 1)),
    done: Promise.resolve(),
  });

  it('pages 1000 events at a time, the token the offset of the next page', async () => {
    // Prepare
    const history = new LocalExecutionHistory({ execution: () => record(2500) });

    // Act
    const first = await history.page({ name: 'd-1' });
    const second = await history.page({ name: 'd-1' }, first.nextToken);
    const third = await history.page({ name: 'd-1' }, second.nextToken);

    // Assess
    expect(LOCAL_HISTORY_PAGE).toBe(1000);
    expect([first.nextToken, second.nextToken, third.nextToken]).toEqual(['1000', '2000', undefined]);
    expect([first.events.length, second.events.length, third.events.length]).toEqual([1000, 1000, 500]);
    expect(third.events.at(-1)?.id).toBe(2500);
    expect(first.status).toBe('RUNNING');
  });

  it('reads the status from the log’s own end', async () => {
    // Prepare: the engine settled, the end event logged.
    const done = record(2, 'SUCCEEDED');
    done.history.push({ id: 3, timestamp: event(3).timestamp, type: 'ExecutionTimedOut' });

    // Act
    const page = await new LocalExecutionHistory({ execution: () => done }).page({ name: 'd-1' });

    // Assess
    expect(page.status).toBe('TIMED_OUT');
  });
});
