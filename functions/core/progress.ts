/**
 * Where a deployment is in its schedule, read from the record and its timeline: the step, the phase,
 * the bake under way and the next shift, the plan and what actually happened. What an operator watches
 * (the console, `stepshift status --watch`). Pure: the caller gives the time.
 *
 * The timeline is the tasks' own account (functions/tasks/): every routing change is a `shift` entry —
 * ShiftTraffic's carries `{step, of, percent}`, Finalize's "100 % on …" and RollBack's "routing
 * restored: …" carry none of those — and every bake or termination wait that starts waiting is a
 * `bake` entry carrying `{seconds}` (a bake skipped by a promote carries none: it never waited).
 *
 * @example canary(10 %, 5 min) → schedule [(10 %, 300 s), (100 %, 0 s)]. Shifted to 10 % at 12:00:00,
 *   baking 300 s from 12:00:01; at 12:02:00:
 *   step 1 of 2, 10 %, phase baking, bake 12:00:01 → 12:05:01, next shift to 100 % at 12:05:01,
 *   planned [(1, 10 %, at 0 s, bake 300 s), (2, 100 %, at 300 s, bake 0 s)], shifts [(12:00:00, 10 %)].
 */
import { type Deployment, isTerminal, type TimelineEntry } from './deployment.ts';
import { offsets } from './planner.ts';

export const PHASES = [
  'queued',
  'starting',
  'installing',
  'hooks',
  'shifting',
  'baking',
  'terminationWait',
  'awaitingApproval',
  'awaitingRelease',
  'finishing',
  'rollingBack',
  'ended',
] as const;
export type Phase = (typeof PHASES)[number];

export interface PlannedStep {
  /** 1-based. */
  step: number;
  percent: number;
  /** Seconds after the first shift at which this step's shift is due, bakes taken in full. */
  atSeconds: number;
  bakeSeconds: number;
}

export interface Progress {
  /** 1-based index of the last step applied; 0 before the first shift. */
  step: number;
  /** Steps in the schedule. */
  steps: number;
  /** Percent on the new revision, as last set. */
  percent: number;
  phase: Phase;
  /** ISO; while a bake or the termination wait runs. */
  bakeStartedAt?: string;
  bakeEndsAt?: string;
  /** ISO; when the next shift is due, where the bake under way decides it. */
  nextShiftAt?: string;
  /** The next step's percent, while a further step exists. */
  nextPercent?: number;
  planned: PlannedStep[];
  /** Every routing change the timeline records, oldest first; a rollback's restore is a shift to 0 %. */
  shifts: { at: string; percent: number }[];
}

/** Bake's entry for the ECS termination wait: a bake at 100 % that keeps the old service. */
const TERMINATION_WAIT = 'termination wait';
const ROUTING_RESTORED = 'routing restored';

/**
 * The percent a `shift` entry set: ShiftTraffic's `details.percent`, 0 for RollBack's restore, else the
 * "N % on …" its message starts with (Finalize's move to 100 %). Undefined for anything else.
 *
 * @example shiftPercent({kind: 'shift', message: '10 % on version 5', details: {percent: 10}}) → 10
 * @example shiftPercent({kind: 'shift', message: 'routing restored: 100 % on version 4'}) → 0
 */
export function shiftPercent(entry: TimelineEntry): number | undefined {
  if (entry.kind !== 'shift') return undefined;
  const percent = entry.details?.percent;
  if (typeof percent === 'number') return percent;
  if (entry.message.startsWith(ROUTING_RESTORED)) return 0;
  const match = /^(\d+(?:\.\d+)?) %/.exec(entry.message);
  return match ? Number(match[1]) : undefined;
}

/** A bake that waited: its start, its length, and whether it was the termination wait. */
interface BakeEntry {
  at: number;
  seconds: number;
  terminationWait: boolean;
}

function bakeOf(entry: TimelineEntry): BakeEntry | undefined {
  const seconds = entry.details?.seconds;
  if (entry.kind !== 'bake' || typeof seconds !== 'number') return undefined;
  return { at: Date.parse(entry.at), seconds, terminationWait: entry.message.startsWith(TERMINATION_WAIT) };
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The deployment's progress at `now` (ms since the epoch).
 *
 * The phase, for a deployment in progress, is read from the last thing the timeline says happened:
 * - a bake that waited, after the last shift, not yet elapsed and not cut short by a promote →
 *   `baking` (`terminationWait` for the ECS termination wait);
 * - a pause waiting for approval → `awaitingApproval`;
 * - a release member holding at its commit point → `awaitingRelease`;
 * - all steps applied → `hooks` while AfterAllowTraffic hooks run, else `finishing`;
 * - some steps applied → `shifting` (between two steps: alarm checks, the next shift);
 * - none → `hooks` when the latest hook entry is newer than the install, `installing` once ECS Install
 *   ran, else `starting`.
 */
export function progressOf(
  deployment: Deployment,
  timeline: readonly TimelineEntry[],
  now: number,
): Progress {
  const { steps } = deployment.schedule;
  const at = offsets(deployment.schedule);
  const planned = steps.map((s, i) => ({
    step: i + 1,
    percent: s.percent,
    atSeconds: at[i] ?? 0,
    bakeSeconds: s.bakeSeconds,
  }));
  const shifts: Progress['shifts'] = [];
  let lastShiftAt = Number.NEGATIVE_INFINITY;
  let lastHookAt = Number.NEGATIVE_INFINITY;
  let lastBake: BakeEntry | undefined;
  for (const entry of timeline) {
    const percent = shiftPercent(entry);
    if (percent !== undefined) {
      shifts.push({ at: entry.at, percent });
      lastShiftAt = Date.parse(entry.at);
    }
    if (entry.kind === 'hook') lastHookAt = Date.parse(entry.at);
    lastBake = bakeOf(entry) ?? lastBake;
  }

  const step = Math.max(0, deployment.stepIndex + 1);
  const base = { step, steps: steps.length, percent: deployment.percent, planned, shifts };
  if (isTerminal(deployment.status)) return { ...base, phase: 'ended' };
  if (deployment.status === 'ROLLING_BACK') return { ...base, phase: 'rollingBack' };

  const next = steps[step];
  const further = next ? { nextPercent: next.percent } : {};
  if (deployment.status === 'QUEUED') return { ...base, phase: 'queued', ...further };
  if (deployment.status === 'CREATED') return { ...base, phase: 'starting', ...further };

  // A pause holds until someone approves or rejects it (or its timeout passes).
  if (deployment.approval?.pending && deployment.status === 'IN_PROGRESS') {
    return { ...base, phase: 'awaitingApproval', ...further };
  }
  // A promote ends the bake under way at once and skips every later one.
  const baking =
    lastBake &&
    lastBake.at >= lastShiftAt &&
    !deployment.promoted &&
    lastBake.at + lastBake.seconds * 1000 > now
      ? lastBake
      : undefined;
  if (baking) {
    const ends = iso(baking.at + baking.seconds * 1000);
    return {
      ...base,
      phase: baking.terminationWait ? 'terminationWait' : 'baking',
      bakeStartedAt: iso(baking.at),
      bakeEndsAt: ends,
      ...(next ? { nextShiftAt: ends, nextPercent: next.percent } : {}),
    };
  }
  // At its commit point: AwaitRelease holds the token until the release commits (Finalize clears it).
  if (deployment.releaseReadyAt && deployment.bakeToken) return { ...base, phase: 'awaitingRelease' };
  if (step > 0 && !next) return { ...base, phase: lastHookAt > lastShiftAt ? 'hooks' : 'finishing' };
  if (step > 0) return { ...base, phase: 'shifting', ...further };
  const installedAt = deployment.ecs?.installStartedAt
    ? Date.parse(deployment.ecs.installStartedAt)
    : Number.NEGATIVE_INFINITY;
  const phase: Phase =
    lastHookAt > Number.NEGATIVE_INFINITY && lastHookAt >= installedAt
      ? 'hooks'
      : installedAt > Number.NEGATIVE_INFINITY
        ? 'installing'
        : 'starting';
  return { ...base, phase, ...further };
}
