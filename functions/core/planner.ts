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
 *
 * A pause (a `steps` entry, or the group's `approval`) is a step of its own that holds the percent of
 * the step before it (0 before the first shift) until someone approves or rejects, or its timeout passes.
 *
 * @example plan(canary(10 %, 5 min), {approval: 'beforeFull'})
 *          → [(10 %, 300 s), pause at 10 %, (100 %, 0 s)]
 */
import type { DeploymentConfig, PauseStepConfig, PauseTimeoutOutcome, TrafficStepConfig } from './configs.ts';
import type { ApprovalPoint } from './groups.ts';

/** A step that waits for a person: approve goes on, reject rolls back, the timeout does `onTimeout`. */
export interface PausePlan {
  /** Absent: no timeout of its own (the execution's limit ends it). */
  timeoutSeconds?: number;
  onTimeout: PauseTimeoutOutcome;
}

/**
 * Whether a step of a `steps` config is a pause. Here rather than beside the schemas in configs.ts, which
 * builds them when it loads: the tasks plan, and their bundles carry no schema.
 */
export const isPauseStep = (step: TrafficStepConfig | PauseStepConfig): step is PauseStepConfig =>
  'pause' in step;

export interface Step {
  /** Percent of traffic on the new revision after this step, 0 < percent ≤ 100. */
  percent: number;
  /** How long to watch alarms at this percent before the next step. */
  bakeSeconds: number;
  /** Present on a pause: no shift, no bake; `percent` is the one it holds. */
  pause?: PausePlan;
}

export interface Schedule {
  steps: Step[];
  /** Sum of every bake: the shortest time from the first shift to the end of the last bake. */
  totalSeconds: number;
}

export function plan(config: DeploymentConfig, options: { approval?: ApprovalPoint } = {}): Schedule {
  const steps = withApproval(stepsOf(config), options.approval);
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
    case 'steps': {
      let percent = 0;
      return config.steps.map((s): Step => {
        if (isPauseStep(s)) return pauseAt(percent, s.pause);
        percent = s.percent;
        return { percent: s.percent, bakeSeconds: s.bakeSeconds };
      });
    }
  }
}

const pauseAt = (
  percent: number,
  pause: { timeoutSeconds?: number | undefined; onTimeout: PauseTimeoutOutcome },
): Step => ({
  percent,
  bakeSeconds: 0,
  pause: {
    ...(pause.timeoutSeconds === undefined ? {} : { timeoutSeconds: pause.timeoutSeconds }),
    onTimeout: pause.onTimeout,
  },
});

/**
 * The group's approval gate, an untimed pause: before the first shift, or before the shift to 100 %.
 * A config that already pauses right there gets no second pause.
 *
 * @example withApproval([(10 %), (100 %)], 'beforeFirstShift') → [pause at 0 %, (10 %), (100 %)]
 */
function withApproval(steps: Step[], approval: ApprovalPoint | undefined): Step[] {
  if (!approval) return steps;
  const at = approval === 'beforeFirstShift' ? 0 : steps.findIndex((s) => !s.pause && s.percent === 100);
  if (at < 0 || steps[at]?.pause || steps[at - 1]?.pause) return steps;
  const held = at === 0 ? 0 : (steps[at - 1]?.percent ?? 0);
  return [...steps.slice(0, at), pauseAt(held, { onTimeout: 'rollback' }), ...steps.slice(at)];
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

/** The planner's options for a group: its approval gate, if it has one. */
export const approvalOf = (group: { approval?: ApprovalPoint }): { approval?: ApprovalPoint } =>
  group.approval === undefined ? {} : { approval: group.approval };
