/**
 * Lambda deployments in local mode, measured:
 * 1. state transitions per successful deployment for each predefined Lambda config (what Step Functions
 *    bills, at $0.025 per 1,000 on a Standard workflow), and for a rollback;
 * 2. the time from an alarm entering ALARM to the alias being restored, virtual and wall-clock, with the
 *    virtual clock at ×1 so both are real durations.
 * Prints its figures; run with `npm run bench`.
 */
import { getDeployment, startDeployment } from '../functions/api/operations.ts';
import { PREDEFINED_CONFIGS } from '../functions/core/configs.ts';
import { parseGroupConfig } from '../functions/core/group-config.ts';
import { startLocal } from '../local/index.ts';
import { HEALTHY } from '../local/seed.ts';

const STANDARD_PRICE_PER_TRANSITION = 0.025 / 1000;

async function local(deploymentConfig: unknown, speed: number, alarms: string[] = []) {
  const groups = parseGroupConfig({
    groups: {
      bench: { kind: 'lambda', target: { functionName: 'bench', alias: 'live' }, deploymentConfig, alarms },
    },
  });
  return startLocal({
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
}

export async function transitionsPerConfig(): Promise<
  { name: string; steps: number; transitions: number; wallMs: number }[]
> {
  const rows = [];
  for (const config of PREDEFINED_CONFIGS.filter((c) => c.platform === 'lambda')) {
    const l = await local(config.name, 100_000);
    const revision = l.account.publishVersion('bench', HEALTHY);
    const t0 = performance.now();
    const { deployment } = await startDeployment(l.ctx, { group: 'bench', revision });
    const execution = l.workflow.execution(deployment.executionName);
    await execution?.done;
    const wallMs = performance.now() - t0;
    const { deployment: end } = await getDeployment(l.ctx, deployment.id);
    if (end.status !== 'SUCCEEDED') throw new Error(`${config.name} ended ${end.status}`);
    rows.push({
      name: config.name,
      steps: end.schedule.steps.length,
      transitions: execution?.transitions ?? 0,
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

export async function main(): Promise<void> {
  console.log(
    'Lambda deployments: state transitions per successful deployment (local engine, same ASL as AWS)\n',
  );
  console.log(
    `${'config'.padEnd(54)} ${'steps'.padStart(5)} ${'transitions'.padStart(11)} ${'$ / 1000 deploys'.padStart(17)} ${'wall ms'.padStart(8)}`,
  );
  for (const r of await transitionsPerConfig()) {
    console.log(
      `${r.name.padEnd(54)} ${String(r.steps).padStart(5)} ${String(r.transitions).padStart(11)} ${(r.transitions * STANDARD_PRICE_PER_TRANSITION * 1000).toFixed(3).padStart(17)} ${fmt(r.wallMs).padStart(8)}`,
    );
  }
  const { virtualMs, wallMs, transitions } = await alarmToRestore();
  console.log('\nAlarm entering ALARM mid-bake → alias restored (clock ×1, 7 runs, dynalite on loopback)');
  console.log(
    `  wall-clock ms: median ${fmt(median(wallMs))}, min ${fmt(Math.min(...wallMs))}, max ${fmt(Math.max(...wallMs))}`,
  );
  console.log(
    `  virtual ms:    median ${fmt(median(virtualMs))}, min ${fmt(Math.min(...virtualMs))}, max ${fmt(Math.max(...virtualMs))}`,
  );
  console.log(`  transitions of a canary rolled back by an alarm in its first bake: ${transitions}`);
}
