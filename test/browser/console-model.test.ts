/**
 * The console's pure parts, without a browser: what the graph says each state did, where it draws the
 * catches, which actions apply, and the traffic chart's lines.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { actionsFor } from '../../console/src/actions.ts';
import { analysisEntry, analysisRuns, checkCard } from '../../console/src/analysis-model.ts';
import { layoutDefinition } from '../../console/src/layout.ts';
import { trafficModel } from '../../console/src/traffic-model.ts';
import type {
  AnalysisView,
  DeploymentView,
  ExecutionEvent,
  Progress,
  TimelineEntry,
} from '../../console/src/types.ts';
import { type Definition, END, edgeKey, picture, START } from '../../console/src/workflow.ts';
import { STATE } from '../../functions/core/states.ts';

const definition = JSON.parse(
  readFileSync(new URL('../../statemachines/deployment.asl.json', import.meta.url), 'utf8'),
) as Definition;

/** Events from a compact script: `>Name` entered, `<Name` exited, `!Name:Error` failed, `~Name` retried, `^Name` caught. */
function events(...script: string[]): ExecutionEvent[] {
  const types = {
    '>': 'StateEntered',
    '<': 'StateExited',
    '!': 'StateFailed',
    '~': 'StateRetried',
    '^': 'StateCaught',
  } as const;
  return script.map((line, i) => {
    const at = new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString();
    if (line.startsWith('Execution')) {
      return { id: i + 1, timestamp: at, type: line as ExecutionEvent['type'] };
    }
    const type = types[line[0] as keyof typeof types];
    const [state = '', error] = line.slice(1).split(':');
    return { id: i + 1, timestamp: at, type, state, ...(error ? { error } : {}) };
  });
}

const through = (...states: string[]) => states.flatMap((s) => [`>${s}`, `<${s}`]);
const UP_TO_BAKE = [
  ...through('Prepare', 'ChooseKind', 'BeforeAllowTraffic', 'BeforeAllowTrafficDecided'),
  ...through('ShiftTraffic', 'ChooseNext'),
  '>Bake',
];

describe('what the execution did in each state', () => {
  it.each([
    {
      name: 'a state entered and not left is running; those before it succeeded; the rest did not run',
      script: UP_TO_BAKE,
      expected: {
        Bake: 'running',
        ShiftTraffic: 'succeeded',
        ChooseKind: 'succeeded',
        Install: 'notRun',
        RollBack: 'notRun',
      },
    },
    {
      name: 'a bake ended by its timeout into the next ShiftTraffic succeeded: that catch names its error',
      script: [...UP_TO_BAKE, '!Bake:States.Timeout', '^Bake', '<Bake', '>ShiftTraffic'],
      expected: { Bake: 'succeeded', ShiftTraffic: 'running' },
    },
    {
      name: 'the last bake ended by its timeout into AfterAllowTraffic succeeded too',
      script: [
        ...UP_TO_BAKE.slice(0, -1),
        '>FinalBake',
        '!FinalBake:States.Timeout',
        '^FinalBake',
        '<FinalBake',
        '>AfterAllowTraffic',
      ],
      expected: { FinalBake: 'succeeded', AfterAllowTraffic: 'running', Bake: 'notRun' },
    },
    {
      name: 'a failure caught by States.ALL into RollBack is caught (local engine: the state also exits)',
      script: [
        ...UP_TO_BAKE,
        '!Bake:AlarmFired',
        '^Bake',
        '<Bake',
        ...through('RollBack', 'HowItEnded'),
        '>DeploymentRolledBack',
        'ExecutionFailed',
      ],
      expected: {
        Bake: 'caught',
        RollBack: 'succeeded',
        HowItEnded: 'succeeded',
        DeploymentRolledBack: 'failed',
        DeploymentSucceeded: 'notRun',
      },
    },
    {
      name: 'a failure caught into RollBack is caught (AWS: the catch is the exit)',
      script: [...UP_TO_BAKE, '!Bake:StopRequested', '^Bake', '>RollBack'],
      expected: { Bake: 'caught', RollBack: 'running' },
    },
    {
      name: 'a retried failure keeps the state running',
      script: [...UP_TO_BAKE.slice(0, -1), '>Bake', '!Bake:Transient', '~Bake'],
      expected: { Bake: 'running' },
    },
    {
      name: 'a failure nothing caught, with the execution ended, failed',
      script: [...UP_TO_BAKE, '!Bake:Boom', 'ExecutionFailed'],
      expected: { Bake: 'failed' },
    },
    {
      name: 'a state open when the execution was aborted failed',
      script: [...UP_TO_BAKE, 'ExecutionAborted'],
      expected: { Bake: 'failed' },
    },
  ])('$name', ({ script, expected }) => {
    const pic = picture(definition, events(...script));
    const statuses = Object.fromEntries(Object.keys(expected).map((k) => [k, pic.states.get(k)?.status]));
    expect(statuses).toEqual(expected);
  });

  it('counts the visits of a loop and records the path taken, start and end included', () => {
    const loop = [...through('ShiftTraffic', 'ChooseNext')];
    const pic = picture(
      definition,
      events(
        ...through('Prepare', 'ChooseKind', 'BeforeAllowTraffic', 'BeforeAllowTrafficDecided'),
        ...loop,
        ...loop,
        ...loop,
        ...through('AfterAllowTraffic', 'AfterAllowTrafficDecided', 'Finalize', 'ChooseEnd'),
        '>DeploymentSucceeded',
        '<DeploymentSucceeded',
        'ExecutionSucceeded',
      ),
    );
    expect(pic.states.get('ShiftTraffic')).toMatchObject({ status: 'succeeded', visits: 3 });
    expect(pic.states.get('DeploymentSucceeded')?.status).toBe('succeeded');
    for (const [from, to] of [
      [START, 'Prepare'],
      ['ChooseKind', 'BeforeAllowTraffic'],
      ['ChooseNext', 'ShiftTraffic'],
      ['ChooseNext', 'AfterAllowTraffic'],
      ['DeploymentSucceeded', END],
    ] as const)
      expect(pic.taken).toContain(edgeKey(from, to));
    expect(pic.taken).not.toContain(edgeKey('ChooseKind', 'BeforeInstall'));
  });
});

describe('the graph layout', () => {
  const layout = layoutDefinition(definition);

  it('places every state of the definition, with the start and the end', () => {
    expect(layout.nodes.map((n) => n.name).sort()).toEqual([...Object.values(STATE), START, END].sort());
  });

  it('routes the catches into RollBack along a gutter right of every state', () => {
    const right = Math.max(...layout.nodes.map((n) => n.x + n.width / 2));
    const catches = layout.edges.filter((e) => e.kind === 'catch' && e.to === STATE.RollBack);
    expect(catches.length).toBeGreaterThan(10);
    for (const e of catches) expect(e.points[1]?.x).toBeGreaterThan(right);
  });

  it('lays the rollback branch out below the end of the main path', () => {
    const y = (name: string) => layout.nodes.find((n) => n.name === name)?.y ?? Number.NaN;
    expect(y(STATE.RollBack)).toBeGreaterThan(y(STATE.DeploymentSucceeded));
  });
});

const deployment = (over: Partial<DeploymentView>): DeploymentView =>
  ({
    id: 'd-1',
    group: 'checkout',
    kind: 'lambda',
    revision: '2',
    status: 'IN_PROGRESS',
    percent: 10,
    stepIndex: 0,
    createdAt: '2026-01-01T12:00:00.000Z',
    ...over,
  }) as DeploymentView;
const progress = (step: number, steps: number) => ({ step, steps }) as Progress;
const routed = {
  originalRouting: { kind: 'lambda' },
  lastRouting: { kind: 'lambda' },
} as Partial<DeploymentView>;

describe('which actions apply', () => {
  it.each([
    {
      name: 'in progress before the last step',
      d: {},
      p: progress(1, 3),
      enabled: ['stop', 'stopKeep', 'promote'],
    },
    { name: 'in progress at the last step', d: {}, p: progress(3, 3), enabled: ['stop', 'stopKeep'] },
    {
      name: 'created',
      d: { status: 'CREATED' },
      p: progress(0, 3),
      enabled: ['stop', 'stopKeep', 'promote'],
    },
    {
      name: 'a stop already requested',
      d: { stopRequest: { rollback: true, at: 'x' } },
      p: progress(1, 3),
      enabled: [],
    },
    {
      name: 'stopped with a split left',
      d: { status: 'STOPPED', ...routed },
      p: progress(2, 3),
      enabled: ['rollback', 'resume'],
    },
    {
      name: 'a release member stopped with a split left: never resumed alone',
      d: { status: 'STOPPED', ...routed, release: { id: 'r-1', wave: 0 } },
      p: progress(1, 2),
      enabled: ['rollback'],
    },
    {
      name: 'failed with a split left',
      d: { status: 'FAILED', ...routed },
      p: progress(2, 3),
      enabled: ['rollback', 'retry'],
    },
    {
      name: 'stopped before any shift',
      d: { status: 'STOPPED', stepIndex: -1 },
      p: progress(0, 3),
      enabled: [],
    },
    {
      name: 'rolled back',
      d: { status: 'ROLLED_BACK', ...routed },
      p: progress(2, 3),
      enabled: ['retry'],
    },
    { name: 'succeeded', d: { status: 'SUCCEEDED', ...routed }, p: progress(3, 3), enabled: [] },
    { name: 'rolling back', d: { status: 'ROLLING_BACK' }, p: progress(2, 3), enabled: [] },
    {
      name: 'waiting at a pause',
      d: { approval: { pending: true, stepIndex: 1, since: 'x', onTimeout: 'rollback' } },
      p: progress(1, 3),
      enabled: ['approve', 'reject', 'stop', 'stopKeep', 'promote'],
    },
    {
      name: 'a pause decided',
      d: {
        approval: { pending: false, stepIndex: 1, since: 'x', onTimeout: 'rollback', decision: 'approved' },
      },
      p: progress(2, 3),
      enabled: ['stop', 'stopKeep', 'promote'],
    },
    {
      name: 'queued behind the running deployment',
      d: { status: 'QUEUED' },
      p: progress(0, 3),
      enabled: ['cancel'],
    },
  ] as { name: string; d: Partial<DeploymentView>; p: Progress; enabled: string[] }[])(
    '$name: $enabled',
    ({ d, p, enabled }) => {
      const actions = actionsFor(deployment(d), p);
      expect(actions.filter((a) => !a.disabled).map((a) => a.name)).toEqual(enabled);
      for (const a of actions.filter((a) => a.disabled)) expect(a.disabled).toMatch(/\w/);
    },
  );
});

describe('the traffic chart', () => {
  it('draws the plan from the first shift and what happened up to now, with the bakes cut at the next shift', () => {
    const T = Date.parse('2026-01-01T12:00:10.000Z');
    const at = (s: number) => new Date(T + s * 1000).toISOString();
    const model = trafficModel(
      deployment({ createdAt: at(-10) }),
      {
        step: 1,
        steps: 2,
        percent: 10,
        phase: 'baking',
        planned: [
          { step: 1, percent: 10, atSeconds: 0, bakeSeconds: 60 },
          { step: 2, percent: 100, atSeconds: 60, bakeSeconds: 0 },
        ],
        shifts: [{ at: at(0), percent: 10 }],
      },
      [
        { at: at(0), kind: 'shift', message: '10 % on version 2' },
        { at: at(1), kind: 'bake', message: 'baking 60 s at 10 %', details: { seconds: 60 } },
        { at: at(20), kind: 'alarm', message: 'checkout-errors entered ALARM at 10 %' },
      ],
      T + 30_000,
    );
    expect(model.planned).toEqual([
      { t: T, percent: 0 },
      { t: T, percent: 10 },
      { t: T + 60_000, percent: 100 },
    ]);
    expect(model.actual).toEqual([
      { t: T - 10_000, percent: 0 },
      { t: T, percent: 10 },
      { t: T + 30_000, percent: 10 },
    ]);
    // The alarm cut the bake short.
    expect(model.bakes).toEqual([{ from: T + 1000, to: T + 20_000, label: 'baking 60 s at 10 %' }]);
    expect(model.marks).toEqual([
      { t: T + 20_000, kind: 'alarm', label: 'checkout-errors entered ALARM at 10 %' },
    ]);
    expect([model.from, model.to, model.now]).toEqual([T - 10_000, T + 60_000, T + 30_000]);
  });
});

describe('the analysis panel and marks', () => {
  const T = Date.parse('2026-01-01T12:05:00.000Z');
  const iso = (s: number) => new Date(T + s * 1000).toISOString();
  const errors: AnalysisView = {
    check: 'errors',
    metric: 'errorRate',
    condition: '≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %',
    minSamples: 50,
    intervalSeconds: 60,
    limits: { failure: 0, inconclusive: 3, error: 3 },
    counts: { runs: 3, failed: 1, inconclusive: 1, errors: 0 },
    last: {
      verdict: 'Failed',
      value: 0.04,
      samples: 812,
      baseline: { value: 0.005, samples: 7310 },
      bound: 0.0125,
      reason:
        'errorRate 4.00 % over 812 samples > 1.25 % (baseline 0.50 % × 1.5 + 0.50 %, over 7310 samples)',
      at: iso(0),
      point: 'interval',
      percent: 10,
    },
  };
  /** A timeline entry as the tasks write one: a check's run. */
  const entry = (
    check: string,
    verdict: string,
    s: number,
    details: Record<string, unknown> = {},
  ): TimelineEntry => ({
    at: iso(s),
    kind: 'analysis',
    message: `${check} ${verdict}: in words`,
    details: {
      check,
      verdict,
      point: 'interval',
      percent: 10,
      samples: 812,
      window: { from: iso(-300), to: iso(0) },
      ...details,
    },
  });

  it('shows a check’s values beside the baseline’s and the bound, and each count against its limit', () => {
    const card = checkCard(errors);
    expect(card).toMatchObject({
      check: 'errors',
      condition: 'errorRate ≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %',
      verdict: 'Failed',
      where: 'at 10 %, mid-bake · 3 runs',
    });
    expect(card.figures).toEqual([
      { label: 'Revision', value: '4.00 %', sub: '812 samples' },
      { label: 'Baseline', value: '0.50 %', sub: '7310 samples' },
      { label: 'Bound', value: '1.25 %' },
      { label: 'Failed', value: '1 of 0', sub: 'allowed', over: true },
      { label: 'Inconclusive', value: '1 of 3', sub: 'allowed' },
      { label: 'Unreadable', value: '0 of 3', sub: 'allowed' },
    ]);
  });

  it('shows a check that has not run with what it needs', () => {
    const { last: _, ...notRun } = errors;
    const card = checkCard({ ...notRun, counts: { runs: 0, failed: 0, inconclusive: 0, errors: 0 } });
    expect(card.verdict).toBeUndefined();
    expect(card.where).toBe('not run yet · every 1 min during a bake');
    expect(card.figures.slice(0, 3)).toEqual([
      { label: 'Revision', value: '—', sub: '≥ 50 needed' },
      { label: 'Baseline', value: '—' },
      { label: 'Bound', value: '—' },
    ]);
  });

  it('makes one mark per run, coloured by its worst verdict, and reads an entry without details by its message', () => {
    const runs = analysisRuns([
      entry('errors', 'Successful', 0),
      entry('p99', 'Inconclusive', 0.02),
      { at: iso(1), kind: 'shift', message: '100 % on version 2' },
      entry('errors', 'Failed', 60, { window: { from: iso(-300), to: iso(60) }, point: 'bake' }),
      entry('p99', 'Error', 60.01, { window: { from: iso(-300), to: iso(60) }, point: 'bake' }),
      { at: iso(120), kind: 'analysis', message: 'errors Successful: errorRate 0.40 % over 900 samples' },
    ]);
    expect(runs).toEqual([
      { t: T, verdict: 'Inconclusive', label: 'errors Successful: in words\np99 Inconclusive: in words' },
      { t: T + 60_000, verdict: 'Failed', label: 'errors Failed: in words\np99 Error: in words' },
      {
        t: T + 120_000,
        verdict: 'Successful',
        label: 'errors Successful: errorRate 0.40 % over 900 samples',
      },
    ]);
    expect(analysisEntry({ at: iso(0), kind: 'info', message: 'errors Failed: x' })).toBeUndefined();
    expect(
      analysisEntry(entry('errors', 'Failed', 0, { baselineWindow: { from: iso(-900), to: iso(-600) } })),
    ).toEqual({
      check: 'errors',
      verdict: 'Failed',
      point: 'interval',
      percent: 10,
      window: { from: T - 300_000, to: T },
      baselineWindow: { from: T - 900_000, to: T - 600_000 },
    });
  });

  it('marks the analysis runs on the traffic chart among the alarms', () => {
    const model = trafficModel(
      deployment({ createdAt: iso(-400) }),
      undefined,
      [
        entry('errors', 'Successful', 0),
        { at: iso(30), kind: 'alarm', message: 'checkout-errors entered ALARM at 10 %' },
        entry('errors', 'Failed', 60, { window: { from: iso(-300), to: iso(60) } }),
      ],
      T + 90_000,
    );
    expect(model.marks).toEqual([
      { t: T, kind: 'analysis', verdict: 'Successful', label: 'errors Successful: in words' },
      { t: T + 30_000, kind: 'alarm', label: 'checkout-errors entered ALARM at 10 %' },
      { t: T + 60_000, kind: 'analysis', verdict: 'Failed', label: 'errors Failed: in words' },
    ]);
  });
});
