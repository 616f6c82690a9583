import { describe, expect, it } from 'vitest';
import type { Deployment, TimelineEntry } from '../../functions/core/deployment.ts';
import { type Progress, progressOf, shiftPercent } from '../../functions/core/progress.ts';

const T0 = Date.parse('2026-01-01T12:00:00Z');
/** ISO time `s` seconds after T0. */
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/** linear: 10 % → 50 % → 100 %, 300 s bakes between, as a `steps` config plans it. */
const schedule = {
  steps: [
    { percent: 10, bakeSeconds: 300 },
    { percent: 50, bakeSeconds: 300 },
    { percent: 100, bakeSeconds: 0 },
  ],
  totalSeconds: 600,
};
const planned = [
  { step: 1, percent: 10, atSeconds: 0, bakeSeconds: 300 },
  { step: 2, percent: 50, atSeconds: 300, bakeSeconds: 300 },
  { step: 3, percent: 100, atSeconds: 600, bakeSeconds: 0 },
];

function deployment(patch: Partial<Deployment> = {}): Deployment {
  return {
    id: 'd-1',
    group: 'orders',
    kind: 'lambda',
    revision: '5',
    configName: 'steps',
    schedule,
    alarms: [],
    autoRollback: { enabled: true, events: ['DEPLOYMENT_FAILURE'] },
    status: 'IN_PROGRESS',
    percent: 0,
    stepIndex: -1,
    executionName: 'd-1',
    createdAt: at(-10),
    updatedAt: at(-10),
    ...patch,
  };
}

// The entries as the tasks write them (functions/tasks/*.ts).
const entry = {
  status: (s: number, from: string, to: string): TimelineEntry => ({
    at: at(s),
    kind: 'status',
    message: `${from} → ${to}`,
    details: { from, to },
  }),
  hooksRunning: (s: number, event: string): TimelineEntry => ({
    at: at(s),
    kind: 'hook',
    message: `${event}: running check`,
  }),
  shift: (s: number, step: number, percent: number): TimelineEntry => ({
    at: at(s),
    kind: 'shift',
    message: `${percent} % on version 5`,
    details: { step, of: 3, percent },
  }),
  bake: (s: number, seconds: number, percent: number): TimelineEntry => ({
    at: at(s),
    kind: 'bake',
    message: `baking ${seconds} s at ${percent} %`,
    details: { seconds },
  }),
  terminationWait: (s: number, seconds: number): TimelineEntry => ({
    at: at(s),
    kind: 'bake',
    message: `termination wait: the old service keeps its tasks ${seconds} s`,
    details: { seconds },
  }),
  skipped: (s: number): TimelineEntry => ({
    at: at(s),
    kind: 'bake',
    message: 'bake at 10 % skipped: promoted',
  }),
  restored: (s: number): TimelineEntry => ({
    at: at(s),
    kind: 'shift',
    message: 'routing restored: 100 % on version 4',
    details: { routing: { kind: 'lambda', version: '4', additionalVersionWeights: {} } },
  }),
};

const started = [entry.status(-5, 'CREATED', 'IN_PROGRESS')];
const firstBake = [...started, entry.shift(0, 1, 10), entry.bake(1, 300, 10)];

const cases: [string, Deployment, TimelineEntry[], number, Omit<Progress, 'planned'>][] = [
  [
    "while queued behind the group's running deployment",
    { ...deployment(), status: 'QUEUED' },
    [],
    0,
    { step: 0, steps: 3, percent: 0, phase: 'queued', nextPercent: 10, shifts: [] },
  ],
  [
    'before the first shift, with no hooks',
    deployment(),
    started,
    0,
    { step: 0, steps: 3, percent: 0, phase: 'starting', nextPercent: 10, shifts: [] },
  ],
  [
    'before the first shift, while BeforeAllowTraffic hooks run',
    deployment(),
    [...started, entry.hooksRunning(-2, 'BeforeAllowTraffic')],
    0,
    { step: 0, steps: 3, percent: 0, phase: 'hooks', nextPercent: 10, shifts: [] },
  ],
  [
    'before the first shift, while ECS installs the revision after its BeforeInstall hooks',
    deployment({
      kind: 'ecs',
      ecs: {
        activeService: 'web-blue',
        idleService: 'web-green',
        activeTargetGroup: 'tg/blue',
        idleTargetGroup: 'tg/green',
        activeTaskDefinition: 'web:6',
        desiredCount: 2,
        idleOriginal: { taskDefinition: 'web:5', desiredCount: 0 },
        installStartedAt: at(-1),
      },
    }),
    [...started, entry.hooksRunning(-3, 'BeforeInstall')],
    0,
    { step: 0, steps: 3, percent: 0, phase: 'installing', nextPercent: 10, shifts: [] },
  ],
  [
    'mid-bake: the bake under way, and the next shift due when it ends',
    deployment({ percent: 10, stepIndex: 0 }),
    firstBake,
    120,
    {
      step: 1,
      steps: 3,
      percent: 10,
      phase: 'baking',
      bakeStartedAt: at(1),
      bakeEndsAt: at(301),
      nextShiftAt: at(301),
      nextPercent: 50,
      shifts: [{ at: at(0), percent: 10 }],
    },
  ],
  [
    'between two steps, once the bake has elapsed',
    deployment({ percent: 10, stepIndex: 0 }),
    firstBake,
    302,
    {
      step: 1,
      steps: 3,
      percent: 10,
      phase: 'shifting',
      nextPercent: 50,
      shifts: [{ at: at(0), percent: 10 }],
    },
  ],
  [
    'after a promote: the bake under way is over',
    deployment({ percent: 10, stepIndex: 0, promoted: true }),
    firstBake,
    120,
    {
      step: 1,
      steps: 3,
      percent: 10,
      phase: 'shifting',
      nextPercent: 50,
      shifts: [{ at: at(0), percent: 10 }],
    },
  ],
  [
    'a bake skipped by a promote is no bake under way',
    deployment({ percent: 50, stepIndex: 1, promoted: true }),
    [...firstBake, entry.shift(10, 2, 50), entry.skipped(11)],
    12,
    {
      step: 2,
      steps: 3,
      percent: 50,
      phase: 'shifting',
      nextPercent: 100,
      shifts: [
        { at: at(0), percent: 10 },
        { at: at(10), percent: 50 },
      ],
    },
  ],
  [
    'all traffic moved, AfterAllowTraffic hooks running',
    deployment({ percent: 100, stepIndex: 2 }),
    [
      ...firstBake,
      entry.shift(301, 2, 50),
      entry.shift(602, 3, 100),
      entry.hooksRunning(603, 'AfterAllowTraffic'),
    ],
    610,
    {
      step: 3,
      steps: 3,
      percent: 100,
      phase: 'hooks',
      shifts: [
        { at: at(0), percent: 10 },
        { at: at(301), percent: 50 },
        { at: at(602), percent: 100 },
      ],
    },
  ],
  [
    'all traffic moved, nothing left but Finalize',
    deployment({ percent: 100, stepIndex: 2 }),
    [...firstBake, entry.shift(301, 2, 50), entry.shift(602, 3, 100)],
    603,
    {
      step: 3,
      steps: 3,
      percent: 100,
      phase: 'finishing',
      shifts: [
        { at: at(0), percent: 10 },
        { at: at(301), percent: 50 },
        { at: at(602), percent: 100 },
      ],
    },
  ],
  [
    'the ECS termination wait, with no further shift',
    deployment({ kind: 'ecs', percent: 100, stepIndex: 2 }),
    [...firstBake, entry.shift(301, 2, 50), entry.shift(602, 3, 100), entry.terminationWait(603, 600)],
    700,
    {
      step: 3,
      steps: 3,
      percent: 100,
      phase: 'terminationWait',
      bakeStartedAt: at(603),
      bakeEndsAt: at(1203),
      shifts: [
        { at: at(0), percent: 10 },
        { at: at(301), percent: 50 },
        { at: at(602), percent: 100 },
      ],
    },
  ],
  [
    'rolling back: the bake cut short does not count',
    deployment({ status: 'ROLLING_BACK', percent: 10, stepIndex: 0 }),
    [...firstBake, entry.status(60, 'IN_PROGRESS', 'ROLLING_BACK')],
    61,
    { step: 1, steps: 3, percent: 10, phase: 'rollingBack', shifts: [{ at: at(0), percent: 10 }] },
  ],
  [
    'rolled back: the restore is a shift to 0 %',
    deployment({ status: 'ROLLED_BACK', percent: 0, stepIndex: 0, endedAt: at(62) }),
    [...firstBake, entry.status(60, 'IN_PROGRESS', 'ROLLING_BACK'), entry.restored(61)],
    100,
    {
      step: 1,
      steps: 3,
      percent: 0,
      phase: 'ended',
      shifts: [
        { at: at(0), percent: 10 },
        { at: at(61), percent: 0 },
      ],
    },
  ],
  [
    'succeeded',
    deployment({ status: 'SUCCEEDED', percent: 100, stepIndex: 2, endedAt: at(603) }),
    [...firstBake, entry.shift(301, 2, 50), entry.shift(602, 3, 100)],
    1000,
    {
      step: 3,
      steps: 3,
      percent: 100,
      phase: 'ended',
      shifts: [
        { at: at(0), percent: 10 },
        { at: at(301), percent: 50 },
        { at: at(602), percent: 100 },
      ],
    },
  ],
  [
    'created, not yet prepared',
    deployment({ status: 'CREATED' }),
    [],
    0,
    { step: 0, steps: 3, percent: 0, phase: 'starting', nextPercent: 10, shifts: [] },
  ],
];

describe('progressOf', () => {
  it.each(cases)('reads the progress %s', (_what, d, timeline, seconds, expected) => {
    // Prepare: the deployment and timeline above; the time `seconds` after the first shift.
    // Act
    const progress = progressOf(d, timeline, T0 + seconds * 1000);

    // Assess
    expect(progress).toEqual({ ...expected, planned });
  });

  it('plans each step at the sum of the bakes before it', () => {
    // Prepare
    const canary = deployment({
      schedule: {
        steps: [
          { percent: 10, bakeSeconds: 300 },
          { percent: 100, bakeSeconds: 0 },
        ],
        totalSeconds: 300,
      },
    });

    // Act
    const { planned: plan, steps } = progressOf(canary, [], T0);

    // Assess
    expect(steps).toBe(2);
    expect(plan).toEqual([
      { step: 1, percent: 10, atSeconds: 0, bakeSeconds: 300 },
      { step: 2, percent: 100, atSeconds: 300, bakeSeconds: 0 },
    ]);
  });
});

describe('shiftPercent', () => {
  it.each([
    ['a ShiftTraffic entry', entry.shift(0, 1, 12.5), 12.5],
    ['a restore', entry.restored(0), 0],
    ['Finalize’s move to all traffic', { at: at(0), kind: 'shift', message: '100 % on web-green' }, 100],
    ['an entry of another kind', entry.bake(0, 300, 10), undefined],
  ] as [string, TimelineEntry, number | undefined][])('reads %s', (_what, e, percent) => {
    // Act, Assess
    expect(shiftPercent(e)).toBe(percent);
  });
});
