/**
 * What a deployment can cost the workflow in the worst case — time and Step Functions history events —
 * so that a config that could not finish is refused when it is written, not discovered three days into
 * a release. Pure: the numbers of the workflow file are constants here, and the workflow tests hold the
 * file and a counted local run to them.
 *
 * @example a Lambda canary(10 %, 30 min) with one BeforeAllowTraffic hook of 1 h → about 1.5 h and
 *          about 2,800 events; an ECS group with five 12-hour hooks and a 48-hour termination wait →
 *          about 111 h: refused against a 72-hour limit, accepted against 7 days.
 */
import type { Schedule } from './planner.ts';

/** The workflow's `TimeoutSeconds` (statemachines/deployment.asl.json): 7 days. */
export const EXECUTION_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** Step Functions Standard workflows: at most 25,000 events in one execution's history (a hard quota). */
export const HISTORY_EVENT_LIMIT = 25_000;

/** Kept free for retries (each retried Lambda attempt adds 3 events) and the rollback path. */
export const HISTORY_EVENT_RESERVE = 2_500;

/** How often the workflow asks whether the new ECS service is steady (the WaitForSteady state). */
export const STEADY_POLL_SECONDS = 15;

/**
 * At most this many polls of one lifecycle event's hooks: the hooks task spaces its polls at least
 * `timeout / MAX_HOOK_POLLS` apart (12 s for CodeDeploy's default hour), whatever delay a hook asks for,
 * so no hook can exhaust the history by answering InProgress every second.
 */
export const MAX_HOOK_POLLS = 300;

/** Slack for the tasks themselves (each runs in seconds; Retry backoff at most 20 s apart). */
export const TASK_TIME_SECONDS = 3600;

/**
 * History events each kind of state adds each time it runs (AWS's history event types): a Lambda task
 * with a plain function ARN — TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
 * LambdaFunctionSucceeded, TaskStateExited; a callback task — TaskStateEntered, TaskScheduled,
 * TaskStarted, TaskSubmitted, TaskSucceeded|TaskTimedOut, TaskStateExited; Choice, Pass and Wait —
 * entered and exited.
 */
export const EVENTS = { task: 5, callback: 6, choice: 2, pass: 2, wait: 2, execution: 2, fail: 2 } as const;

/** The least spacing between two polls of one lifecycle event's hooks, for its longest hook timeout. */
export function minHookPollSeconds(longestTimeoutSeconds: number): number {
  return Math.max(1, Math.ceil(longestTimeoutSeconds / MAX_HOOK_POLLS));
}

/** What the worst case is made of, for one group and one config. */
export interface WorstCaseInput {
  schedule: Schedule;
  /** The longest hook timeout of each lifecycle event that has hooks; absent events have none. */
  hookTimeouts: Record<string, number>;
  /** Lifecycle events of the group's kind (each costs one call even without hooks). */
  hookEvents: readonly string[];
  /** ECS: the steady timeout and the termination wait. */
  blueGreen?: { steadyTimeoutSeconds: number; terminationWaitSeconds: number };
  /** Analysis: the most bake extensions its limits allow, each `seconds` long (an extra step's cost). */
  extensions?: { count: number; seconds: number };
}

export interface WorstCase {
  seconds: number;
  events: number;
  /** The parts, largest first: what to shorten when it does not fit. */
  parts: {
    what: 'bakes' | 'approvals' | 'hooks' | 'steady' | 'termination wait' | 'tasks';
    seconds: number;
    events: number;
  }[];
}

/**
 * The longest a deployment can take and the most history events it can write, every hook using its
 * whole timeout, the new service steady only at its timeout, every bake waited out, then a rollback.
 */
export function worstCase(input: WorstCaseInput): WorstCase {
  const hookPolls = (timeout: number) => Math.floor(timeout / minHookPollSeconds(timeout)) + 1;
  const hooks = input.hookEvents.map((event) => {
    const timeout = input.hookTimeouts[event];
    if (timeout === undefined) return { seconds: 0, events: EVENTS.task + EVENTS.choice };
    const polls = hookPolls(timeout);
    return {
      seconds: timeout + minHookPollSeconds(timeout),
      events: polls * (EVENTS.task + EVENTS.choice) + (polls - 1) * EVENTS.wait,
    };
  });
  // A pause enters ShiftTraffic (no shift), ChooseNext and AwaitApproval, a callback. A timed pause
  // waits at most its timeout; an untimed one waits on a person, whom only the execution's own limit
  // bounds — that is its documented end, not a config that cannot finish, so it adds no seconds here.
  const steps = input.schedule.steps.map((s) =>
    s.pause
      ? EVENTS.task + EVENTS.choice + EVENTS.callback
      : EVENTS.task * 2 +
        EVENTS.choice * 2 +
        EVENTS.pass +
        (s.bakeSeconds > 0 ? EVENTS.callback + EVENTS.task : 0),
  );
  const ext = input.extensions ?? { count: 0, seconds: 0 };
  for (let i = 0; i < ext.count; i++)
    steps.push(EVENTS.task * 2 + EVENTS.choice * 2 + EVENTS.pass + EVENTS.callback + EVENTS.task);
  const bg = input.blueGreen;
  const steadyPolls = bg ? Math.ceil(bg.steadyTimeoutSeconds / STEADY_POLL_SECONDS) + 1 : 0;
  const parts: WorstCase['parts'] = [
    {
      what: 'bakes',
      seconds: input.schedule.totalSeconds + ext.count * ext.seconds,
      events: steps.reduce((a, b) => a + b, 0),
    },
    {
      what: 'approvals',
      seconds: input.schedule.steps.reduce((a, s) => a + (s.pause?.timeoutSeconds ?? 0), 0),
      events: 0,
    },
    {
      what: 'hooks',
      seconds: hooks.reduce((a, h) => a + h.seconds, 0),
      events: hooks.reduce((a, h) => a + h.events, 0),
    },
    {
      what: 'steady',
      seconds: bg ? bg.steadyTimeoutSeconds + STEADY_POLL_SECONDS : 0,
      events: bg ? EVENTS.task * 2 + steadyPolls * (EVENTS.wait + EVENTS.task + EVENTS.choice) : 0,
    },
    {
      what: 'termination wait',
      seconds: bg?.terminationWaitSeconds ?? 0,
      events: bg ? EVENTS.callback + EVENTS.task : 0,
    },
    {
      what: 'tasks',
      seconds: TASK_TIME_SECONDS,
      // Start and end of the execution, Prepare and its Choice, FirstStep, Finalize and ChooseEnd, and
      // a RollBack with its Choice and Fail state at the very end.
      events:
        EVENTS.execution +
        EVENTS.task +
        EVENTS.choice +
        EVENTS.pass +
        EVENTS.task +
        EVENTS.choice +
        EVENTS.task +
        EVENTS.choice +
        EVENTS.fail,
    },
  ];
  parts.sort((a, b) => b.seconds - a.seconds);
  return {
    seconds: parts.reduce((a, p) => a + p.seconds, 0),
    events: parts.reduce((a, p) => a + p.events, 0),
    parts,
  };
}

/** Why the worst case does not fit, or undefined when it does. */
export function worstCaseProblem(worst: WorstCase): string | undefined {
  const budget = HISTORY_EVENT_LIMIT - HISTORY_EVENT_RESERVE;
  const hours = (s: number) => `${Math.round((s / 3600) * 10) / 10} h`;
  if (worst.seconds > EXECUTION_TIMEOUT_SECONDS) {
    const parts = worst.parts
      .filter((p) => p.seconds > 0)
      .map((p) => `${p.what} ${hours(p.seconds)}`)
      .join(', ');
    return `can run for up to ${hours(worst.seconds)} (${parts}): a deployment's execution stops after ${hours(EXECUTION_TIMEOUT_SECONDS)}; shorten the ${worst.parts[0]?.what}`;
  }
  if (worst.events > budget) {
    const parts = [...worst.parts]
      .sort((a, b) => b.events - a.events)
      .map((p) => `${p.what} ${p.events}`)
      .join(', ');
    return `can write up to ${worst.events} Step Functions history events (${parts}): an execution holds ${HISTORY_EVENT_LIMIT}, ${HISTORY_EVENT_RESERVE} of them kept for retries and the rollback`;
  }
  return undefined;
}
