/**
 * The planner: from a deployment config to a schedule of traffic steps.
 *
 * A schedule is the ordered list of `(percent, bakeSeconds)`: shift the new revision to `percent`
 * (absolute, not an increment), then bake — watch alarms — for `bakeSeconds` before the next step.
 * It always ends at 100. The last step's bake is 0 for CodeDeploy's forms: once all traffic has moved,
 * AfterAllowTraffic hooks run at once, as in CodeDeploy.
 *
 * Linear configs whose percent does not divide 100 shift the remainder in the last step: CodeDeploy
 * moves `percent` at the start of each interval and its last increment takes whatever is left, so
 * `linear(30 %, 1 min)` → 30, 60, 90, 100 (3 bakes of 1 min, 3 min in all) and never overshoots.
 *
 * @example plan(linear(10 %, 3 min)) → 10 steps, 10 % … 100 %, 27 min of bake before the last.
 * @example plan(canary(10 %, 5 min)) → [(10 %, 300 s), (100 %, 0 s)], 5 min in all.
 */
import type { DeploymentConfig } from './configs.ts';

export interface Step {
  /** Percent of traffic on the new revision after this step, 0 < percent ≤ 100. */
  percent: number;
  /** How long to watch alarms at this percent before the next step. */
  bakeSeconds: number;
}

export interface Schedule {
  steps: Step[];
  /** Sum of every bake: the shortest time from the first shift to the end of the last bake. */
  totalSeconds: number;
}

export function plan(config: DeploymentConfig): Schedule {
  const steps = stepsOf(config);
  return { steps, totalSeconds: steps.reduce((sum, s) => sum + s.bakeSeconds, 0) };
}

function stepsOf(config: DeploymentConfig): Step[] {
  switch (config.type) {
    case 'allAtOnce':
      return [{ percent: 100, bakeSeconds: 0 }];
    case 'canary':
      return [
        { percent: config.percent, bakeSeconds: config.intervalMinutes * 60 },
        { percent: 100, bakeSeconds: 0 },
      ];
    case 'linear': {
      const steps: Step[] = [];
      for (let percent = config.percent; percent < 100; percent += config.percent) {
        steps.push({ percent, bakeSeconds: config.intervalMinutes * 60 });
      }
      steps.push({ percent: 100, bakeSeconds: 0 });
      return steps;
    }
    case 'steps':
      return config.steps.map((s) => ({ percent: s.percent, bakeSeconds: s.bakeSeconds }));
  }
}

/** Offsets (seconds after the first shift) at which each step's shift happens. */
export function offsets(schedule: Schedule): number[] {
  let t = 0;
  return schedule.steps.map((s) => {
    const at = t;
    t += s.bakeSeconds;
    return at;
  });
}
