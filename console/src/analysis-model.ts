/**
 * What the console shows of canary analysis: each check of `GET /deployments/{id}`'s `analysis` as the
 * panel's figures, and the timeline's `analysis` entries as runs (one mark per run on the traffic chart)
 * and as readable lines. Pure: times stay numbers here, the components write them.
 */
import { formatValue, metricName } from '../../functions/core/analysis.ts';
import type { AnalysisView, RunPoint, TimelineEntry, Verdict } from './types.ts';

/** The chip class of a verdict, coloured as the hook statuses are (Error as an unreadable alarm). */
export const VERDICT_CLASS: Record<Verdict, string> = {
  Successful: 'verdict-successful',
  Failed: 'verdict-failed',
  Inconclusive: 'verdict-inconclusive',
  Error: 'verdict-error',
};

/** Worst first: the verdict a run of several checks is marked with. */
const SEVERITY: readonly Verdict[] = ['Failed', 'Error', 'Inconclusive', 'Successful'];

export const POINTS: Record<RunPoint, string> = {
  interval: 'mid-bake',
  bake: "bake's end",
  final: 'final, before AfterAllowTraffic',
};

export interface Figure {
  label: string;
  value: string;
  sub?: string;
  /** A count past its limit: the check acted on it. */
  over?: boolean;
}

export interface CheckCard {
  check: string;
  /** `errorRate ≤ 2.00 % and ≤ baseline × 1.5 + 0.50 %`. */
  condition: string;
  verdict?: Verdict;
  figures: Figure[];
  reason?: string;
  at?: string;
  /** `at 10 %, mid-bake · 3 runs`, or that it has not run. */
  where: string;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * A check as the panel shows it: the revision's value and the baseline's with their samples, the bound
 * it was held to, and each count against its limit.
 *
 * @example Failed errorRate 0.04 over 812, baseline 0.005 over 7310, bound 0.0125, 1 failed of 0 allowed
 *   → Revision 4.00 % (812 samples), Baseline 0.50 % (7310 samples), Bound 1.25 %, Failed 1 of 0 (over)
 */
export function checkCard(a: AnalysisView): CheckCard {
  const fmt = (v: number | undefined) => formatValue(a.metric, v);
  const last = a.last;
  const count = (label: string, n: number, limit: number): Figure => ({
    label,
    value: `${n} of ${limit}`,
    sub: 'allowed',
    ...(n > limit ? { over: true } : {}),
  });
  const figures: Figure[] = [
    {
      label: 'Revision',
      value: last ? fmt(last.value) : '—',
      sub: last ? plural(last.samples, 'sample') : `≥ ${a.minSamples} needed`,
    },
    {
      label: 'Baseline',
      value: last?.baseline ? fmt(last.baseline.value) : '—',
      ...(last?.baseline ? { sub: plural(last.baseline.samples, 'sample') } : {}),
    },
    { label: 'Bound', value: last?.bound !== undefined ? fmt(last.bound) : '—' },
    count('Failed', a.counts.failed, a.limits.failure),
    count('Inconclusive', a.counts.inconclusive, a.limits.inconclusive),
    count('Unreadable', a.counts.errors, a.limits.error),
  ];
  return {
    check: a.check,
    condition: `${metricName(a.metric)} ${a.condition}`,
    ...(last ? { verdict: last.verdict, reason: last.reason, at: last.at } : {}),
    figures,
    where: last
      ? `at ${last.percent} %, ${POINTS[last.point]} · ${plural(a.counts.runs, 'run')}`
      : `not run yet · every ${a.intervalSeconds / 60} min during a bake`,
  };
}

/** The details a task writes on an `analysis` timeline entry, read defensively. */
export interface AnalysisEntry {
  check: string;
  verdict: Verdict;
  point?: RunPoint;
  percent?: number;
  window?: { from: number; to: number };
  baselineWindow?: { from: number; to: number };
}

const VERDICTS = new Set<string>(SEVERITY);

function windowOf(raw: unknown): { from: number; to: number } | undefined {
  const w = raw as { from?: unknown; to?: unknown } | undefined;
  const from = typeof w?.from === 'string' ? Date.parse(w.from) : Number.NaN;
  const to = typeof w?.to === 'string' ? Date.parse(w.to) : Number.NaN;
  return Number.isFinite(from) && Number.isFinite(to) ? { from, to } : undefined;
}

/** An `analysis` entry's details; undefined for another kind, or details not of that shape. */
export function analysisEntry(e: TimelineEntry): AnalysisEntry | undefined {
  if (e.kind !== 'analysis') return undefined;
  const d = (e.details ?? {}) as Record<string, unknown>;
  // The message is `<check> <Verdict>: <reason>`: enough when the details are missing.
  const [, check, verdict] = /^(\S+) (Successful|Failed|Inconclusive|Error):/.exec(e.message) ?? [];
  const v = typeof d.verdict === 'string' && VERDICTS.has(d.verdict) ? d.verdict : verdict;
  const name = typeof d.check === 'string' ? d.check : check;
  if (!v || !name) return undefined;
  const window = windowOf(d.window);
  const baselineWindow = windowOf(d.baselineWindow);
  return {
    check: name,
    verdict: v as Verdict,
    ...(d.point === 'interval' || d.point === 'bake' || d.point === 'final' ? { point: d.point } : {}),
    ...(typeof d.percent === 'number' ? { percent: d.percent } : {}),
    ...(window ? { window } : {}),
    ...(baselineWindow ? { baselineWindow } : {}),
  };
}

export interface AnalysisRun {
  t: number;
  /** The worst verdict of the run's checks. */
  verdict: Verdict;
  /** Each check's message, one a line. */
  label: string;
}

/**
 * The timeline's analysis entries as runs: the entries of one run (one per check) share the end of
 * their window — or their time, without one — and become one mark, coloured by the worst verdict.
 *
 * @example errors Successful + p99 Failed at 12:05 → [{t: 12:05, verdict: Failed, label: both messages}]
 */
export function analysisRuns(timeline: readonly TimelineEntry[]): AnalysisRun[] {
  const runs = new Map<string, { t: number; verdicts: Verdict[]; lines: string[] }>();
  for (const e of timeline) {
    const a = analysisEntry(e);
    const t = Date.parse(e.at);
    if (!a || !Number.isFinite(t)) continue;
    const key = `${a.point ?? ''}@${a.window?.to ?? t}`;
    const run = runs.get(key) ?? { t, verdicts: [], lines: [] };
    run.verdicts.push(a.verdict);
    run.lines.push(e.message);
    runs.set(key, run);
  }
  return [...runs.values()].map((r) => ({
    t: r.t,
    verdict: SEVERITY.find((v) => r.verdicts.includes(v)) ?? 'Successful',
    label: r.lines.join('\n'),
  }));
}
