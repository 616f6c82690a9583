/**
 * The traffic chart's data: the planned schedule (offsets from the first shift) and the shifts that
 * happened, as step lines over one time axis, with the bakes, alarms, hooks and analysis runs of the
 * timeline.
 */
import { analysisRuns } from './analysis-model.ts';
import type { DeploymentView, Progress, TimelineEntry, Verdict } from './types.ts';

export interface Point {
  t: number;
  percent: number;
}

export interface Band {
  from: number;
  to: number;
  label: string;
}

export interface Mark {
  t: number;
  kind: 'alarm' | 'hook' | 'error' | 'stop' | 'analysis';
  label: string;
  /** An analysis run's worst verdict. */
  verdict?: Verdict;
}

export interface TrafficModel {
  from: number;
  to: number;
  /** Step-after points: each percent holds until the next point. */
  planned: Point[];
  actual: Point[];
  bakes: Band[];
  marks: Mark[];
  /** The time the chart treats as now (the end of the actual line), when the deployment is live. */
  now?: number;
}

const ms = (iso: string | undefined) => (iso ? Date.parse(iso) : Number.NaN);

/**
 * @example planned [(10 %, 0 s, bake 60 s), (100 %, 60 s)], first shift at T, now T+30 s
 *   → planned (T,0) (T,10) (T+60,100); actual (created,0) (T,10) (T+30,10); one bake band T…T+60
 */
export function trafficModel(
  d: DeploymentView,
  progress: Progress | undefined,
  timeline: readonly TimelineEntry[],
  now: number,
): TrafficModel {
  const created = ms(d.createdAt);
  const ended = ms(d.endedAt);
  const live = !Number.isFinite(ended);
  const end = live ? Math.max(now, created) : ended;
  const shifts = (progress?.shifts ?? [])
    .map((s) => ({ t: ms(s.at), percent: s.percent }))
    .filter((s) => Number.isFinite(s.t));
  const first = shifts[0]?.t;
  // Before the first shift the plan starts now: it slides until traffic moves.
  const anchor = first ?? (live ? end : created);
  const steps = progress?.planned ?? [];
  const planned: Point[] = steps.length > 0 ? [{ t: anchor, percent: 0 }] : [];
  for (const s of steps) planned.push({ t: anchor + s.atSeconds * 1000, percent: s.percent });
  const last = steps[steps.length - 1];
  const plannedEnd = last ? anchor + (last.atSeconds + last.bakeSeconds) * 1000 : anchor;

  const actual: Point[] = [{ t: created, percent: 0 }, ...shifts];
  const lastActual = actual[actual.length - 1] ?? { t: created, percent: 0 };
  actual.push({ t: Math.max(end, lastActual.t), percent: lastActual.percent });

  const bakes: Band[] = [];
  const marks: Mark[] = [];
  const entries = timeline.filter((e) => Number.isFinite(ms(e.at)));
  for (const e of entries) {
    const t = ms(e.at);
    const seconds = (e.details as { seconds?: unknown } | undefined)?.seconds;
    if (e.kind === 'bake' && typeof seconds === 'number') {
      // A bake ends at its time, or sooner: at the next shift, a rollback, the end.
      const cut = Math.min(
        t + seconds * 1000,
        ...shifts.filter((s) => s.t > t).map((s) => s.t),
        ...entries.filter((x) => x.kind !== 'bake' && ms(x.at) > t && isInterruption(x)).map((x) => ms(x.at)),
        end,
      );
      bakes.push({ from: t, to: Math.max(t, cut), label: e.message });
    } else if (e.kind === 'alarm' || e.kind === 'hook' || e.kind === 'error') {
      marks.push({ t, kind: e.kind, label: e.message });
    } else if (e.kind === 'info' && e.message.startsWith('stop requested')) {
      marks.push({ t, kind: 'stop', label: e.message });
    }
  }
  for (const run of analysisRuns(entries)) {
    marks.push({ t: run.t, kind: 'analysis', label: run.label, verdict: run.verdict });
  }
  marks.sort((a, b) => a.t - b.t);

  const times = [created, end, plannedEnd, ...planned.map((p) => p.t), ...shifts.map((s) => s.t)];
  const from = Math.min(...times.filter(Number.isFinite));
  let to = Math.max(...times.filter(Number.isFinite));
  if (!(to > from)) to = from + 60_000;
  return { from, to, planned, actual, bakes, marks, ...(live ? { now: end } : {}) };
}

function isInterruption(e: TimelineEntry): boolean {
  return (
    e.kind === 'error' ||
    (e.kind === 'alarm' && e.message.includes('ALARM')) ||
    (e.kind === 'status' && /ROLLING_BACK|STOPPED|FAILED|SUCCEEDED/.test(e.message)) ||
    (e.kind === 'info' && e.message.startsWith('promoted'))
  );
}

/** Ticks for a time axis: about `count` round steps (seconds, minutes, hours). */
export function timeTicks(from: number, to: number, count: number): number[] {
  const span = Math.max(1, to - from);
  const steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];
  const raw = span / 1000 / Math.max(1, count);
  const step = (steps.find((s) => s >= raw) ?? 86400) * 1000;
  const out: number[] = [];
  for (let t = Math.ceil(from / step) * step; t <= to; t += step) out.push(t);
  return out;
}
