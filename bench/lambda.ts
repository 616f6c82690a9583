/**
 * Lambda deployments in local mode, measured:
 * 1. state transitions per successful deployment for each predefined Lambda config (what Step Functions
 *    bills, at $0.025 per 1,000 on a Standard workflow), and for a rollback; each against its target
 *    (issue 12: at most 3 per traffic step plus 12 fixed, 12 in all for a single step — decision 0008)
 *    and beside a naive polling design (a Wait of 10 s and a check per 10 s of bake, plus the shifts);
 * 2. the time from an alarm entering ALARM to the alias being restored, virtual and wall-clock, with the
 *    virtual clock at ×1 so both are real durations.
 * Prints its figures; run with `npm run bench`.
 */
import { getDeployment, startDeployment } from '../functions/api/operations.ts';
import { PREDEFINED_CONFIGS } from '../functions/core/configs.ts';
import { parseGroupConfig } from '../functions/core/group-config.ts';
import { STATE } from '../functions/core/states.ts';
import type { MetricReader } from '../functions/ports.ts';
import { startLocal } from '../local/index.ts';
import { HEALTHY } from '../local/seed.ts';

const STANDARD_PRICE_PER_TRANSITION = 0.025 / 1000;

/** Checks of a group with canary analysis: an error rate against the baseline, and a p99. */
const CHECKS = [
  { name: 'errors', metric: 'errorRate', relative: { tolerance: 0.5, slack: 0.005 } },
  { name: 'p99', metric: 'latencyP99', max: 800 },
];

/** A reader that finds every revision healthy: these rows measure the workflow, not the traffic. */
const HEALTHY_METRICS: MetricReader = {
  read: async (queries) => Object.fromEntries(queries.map((q) => [q.id, { samples: 1000, value: 0.001 }])),
};

async function local(
  deploymentConfig: unknown,
  speed: number,
  alarms: string[] = [],
  analysis: unknown[] = [],
) {
  const groups = parseGroupConfig({
    groups: {
      bench: {
        kind: 'lambda',
        target: { functionName: 'bench', alias: 'live' },
        deploymentConfig,
        alarms,
        analysis,
      },
    },
  });
  const started = await startLocal({
    groups,
    speed,
    traffic: false,
    seed: (account) => {
      account.createFunction('bench', HEALTHY, { alias: 'live' });
      for (const name of alarms) {
        account.defineAlarm({
          name,
          target: 'bench',
          metric: 'ErrorRate',
          threshold: 0.05,
          periodSeconds: 60,
          evaluationPeriods: 1,
        });
      }
    },
  });
  if (analysis.length > 0) started.ctx.metrics = HEALTHY_METRICS;
  return started;
}

/** The states a traffic step enters; every other state of a deployment is fixed, whatever the steps. */
const STEP_STATES = new Set<string>([
  STATE.ShiftTraffic,
  STATE.ChooseNext,
  STATE.AwaitApproval,
  STATE.Bake,
  STATE.FinalBake,
]);

/** Issue 12's target: at most 3 transitions per traffic step plus 12 fixed; 12 for all at once. */
export const transitionTarget = (steps: number): number => (steps === 1 ? 12 : 3 * steps + 12);

/** The naive poll of a bake: a Wait state and a check task per this many seconds. */
export const NAIVE_POLL_SECONDS = 10;

/**
 * The same deployment run by a naive polling design: the same fixed states, and per step a shift, then
 * for each 10 s of bake a Wait state and an alarm check.
 */
export function naiveTransitions(fixed: number, steps: readonly { bakeSeconds: number }[]): number {
  return steps.reduce((n, s) => n + 1 + 2 * Math.ceil(s.bakeSeconds / NAIVE_POLL_SECONDS), fixed);
}

export interface TransitionRow {
  name: string;
  steps: number;
  transitions: number;
  /** Of `transitions`, those outside the per-step states. */
  fixed: number;
  target: number;
  naive: number;
  wallMs: number;
}

/** With canary analysis: its runs are inside ShiftTraffic and AfterAllowTraffic, and the last step bakes a minute. */
const WITH_ANALYSIS = [
  'CodeDeployDefault.LambdaCanary10Percent5Minutes',
  'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
];

export async function transitionsPerConfig(): Promise<TransitionRow[]> {
  const rows: TransitionRow[] = [];
  const runs: { name: string; config: unknown; analysis: unknown[] }[] = [
    ...PREDEFINED_CONFIGS.filter((c) => c.platform === 'lambda').map((c) => ({
      name: c.name,
      config: c.name,
      analysis: [] as unknown[],
    })),
    ...WITH_ANALYSIS.map((name) => ({ name, config: name, analysis: CHECKS as unknown[] })),
    // A pause is a step of its own (ShiftTraffic, ChooseNext, AwaitApproval): timed out into `continue`
    // here, so the run needs nobody to approve it.
    {
      name: 'steps 10 % → pause → 100 %',
      config: {
        type: 'steps',
        steps: [
          { percent: 10, bakeSeconds: 60 },
          { pause: { timeoutSeconds: 60, onTimeout: 'continue' } },
          { percent: 100, bakeSeconds: 0 },
        ],
      },
      analysis: [],
    },
  ];
  for (const config of runs) {
    const l = await local(config.config, 100_000, [], config.analysis);
    const revision = l.account.publishVersion('bench', HEALTHY);
    const t0 = performance.now();
    const { deployment } = await startDeployment(l.ctx, { group: 'bench', revision });
    const execution = l.workflow.execution(deployment.executionName);
    await execution?.done;
    const wallMs = performance.now() - t0;
    const { deployment: end } = await getDeployment(l.ctx, deployment.id);
    if (end.status !== 'SUCCEEDED') throw new Error(`${config.name} ended ${end.status}`);
    const entered = (execution?.history ?? []).filter((e) => e.type === 'StateEntered');
    const fixed = entered.filter((e) => !STEP_STATES.has(e.state ?? '')).length;
    const steps = end.schedule.steps;
    rows.push({
      name: config.analysis.length > 0 ? `${config.name} + analysis` : config.name,
      steps: steps.length,
      transitions: execution?.transitions ?? 0,
      fixed,
      target: transitionTarget(steps.length),
      naive: naiveTransitions(fixed, steps),
      wallMs,
    });
    await l.close();
  }
  return rows;
}

export async function alarmToRestore(
  runs = 7,
): Promise<{ virtualMs: number[]; wallMs: number[]; transitions: number }> {
  const virtualMs: number[] = [];
  const wallMs: number[] = [];
  let transitions = 0;
  for (let i = 0; i < runs; i++) {
    const l = await local('CodeDeployDefault.LambdaCanary10Percent30Minutes', 1, ['bench-errors']);
    const revision = l.account.publishVersion('bench', HEALTHY);
    const { deployment } = await startDeployment(l.ctx, { group: 'bench', revision });
    while (!(await l.ctx.store.get(deployment.id))?.bakeToken) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 5));
    const v0 = l.clock.now();
    const w0 = performance.now();
    const restored = new Promise<void>((resolve) => {
      const prev = l.account.onChange;
      l.account.onChange = () => {
        prev?.();
        if (Object.keys(l.account.aliasRouting('bench', 'live').additionalVersionWeights).length === 0)
          resolve();
      };
    });
    l.account.setAlarmState('bench-errors', 'ALARM');
    await restored;
    wallMs.push(performance.now() - w0);
    virtualMs.push(l.clock.now() - v0);
    const execution = l.workflow.execution(deployment.executionName);
    await execution?.done;
    transitions = execution?.transitions ?? 0;
    await l.close();
  }
  return { virtualMs, wallMs, transitions };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const fmt = (n: number) => n.toFixed(1);

export async function main(): Promise<{ met: boolean }> {
  console.log(
    'Lambda deployments: state transitions per successful deployment (local engine, same ASL as AWS)',
  );
  console.log(
    `target: ≤ 3 per traffic step + 12 fixed (≤ 12 all at once); naive: Wait ${NAIVE_POLL_SECONDS} s + check per ${NAIVE_POLL_SECONDS} s of bake, plus the shifts\n`,
  );
  console.log(
    `${'config'.padEnd(66)} ${'steps'.padStart(5)} ${'transitions'.padStart(11)} ${'target'.padStart(8)} ${'met'.padStart(7)} ${'naive'.padStart(6)} ${'ours/naive'.padStart(10)} ${'$ / 1000 deploys'.padStart(17)} ${'wall ms'.padStart(8)}`,
  );
  let met = true;
  for (const r of await transitionsPerConfig()) {
    const ok = r.transitions <= r.target;
    met &&= ok;
    console.log(
      `${r.name.padEnd(66)} ${String(r.steps).padStart(5)} ${String(r.transitions).padStart(11)} ${`≤ ${r.target}`.padStart(8)} ${(ok ? 'met' : 'NOT MET').padStart(7)} ${String(r.naive).padStart(6)} ${(r.transitions / r.naive).toFixed(2).padStart(10)} ${(r.transitions * STANDARD_PRICE_PER_TRANSITION * 1000).toFixed(3).padStart(17)} ${fmt(r.wallMs).padStart(8)}`,
    );
  }
  console.log(`transitions: ${met ? 'every target met' : 'some target NOT MET'}`);
  const { virtualMs, wallMs, transitions } = await alarmToRestore();
  console.log('\nAlarm entering ALARM mid-bake → alias restored (clock ×1, 7 runs, dynalite on loopback)');
  console.log(
    `  wall-clock ms: median ${fmt(median(wallMs))}, min ${fmt(Math.min(...wallMs))}, max ${fmt(Math.max(...wallMs))}`,
  );
  console.log(
    `  virtual ms:    median ${fmt(median(virtualMs))}, min ${fmt(Math.min(...virtualMs))}, max ${fmt(Math.max(...virtualMs))}`,
  );
  console.log(`  transitions of a canary rolled back by an alarm in its first bake: ${transitions}`);
  return { met };
}
